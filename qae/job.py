"""The batch job: notes -> evidence -> measure outcomes -> reports, streamed, resumable, with a manifest.

Stages (each a call into its layer; none holds the whole corpus or all evidence in this process):

    qae.staging      check --out and lock it; start or resume the run (qae/staging.py: layout)
    qae.inputs       patients, structured events, encounters: read and validated here (small)
    qae.chunks       notes: a file or a folder of shards, cut into chunks
    qae.stream       index pass (records per chunk, duplicate note ids), then validation and
                     extraction on Ray actors (pipelines.batch); each finished chunk is written
                     atomically and recorded in the checkpoint
    qae.partitions   measure logic per patient partition (Ray tasks; engine.calculator and
                     engine.report.write_reports), each partition recorded in the checkpoint
    qae.assemble     evidence.jsonl, outcomes.csv, the partition files and the quarantine merged
                     from the partitions into the staging folder
    qae.report_run   every report rendered from the staged folder as ``qae report --run`` renders
                     it (one code path): per partition, its sorted report rows and counts (Ray
                     tasks), then the files merged from them (engine.reports.render_parts); then
                     the folder is published atomically with a manifest of this run's files

Outputs in the run folder: ``evidence.jsonl``, ``outcomes.csv``, the reports of engine/reports.py
(``care_gaps/``, ``worklists/``, ``summary/``, ``audit.html``, ``fhir/``), the partition files
(``evidence/``, ``outcomes/``, ``patients/``), ``quarantine.jsonl`` and ``manifest.json``
(``files``: every file of this run with its sha256; ``reports``: the report files; ``warnings``:
empty inputs).

The same inputs and config give byte-identical reports whatever the number of workers, input
shards or chunks, and whether or not the run was interrupted and resumed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine.errors import ConfigError
from engine.records import Evidence, Note
from qae import __version__
from qae.assemble import merge_summaries, write_quarantine_stream
from qae.chunks import Chunk, FilePlan, note_files, plan_notes
from qae.config import JobConfig
from qae.input_store import InputCounts, InputStore
from qae.inputs import (
    QuarantineRecord,
    ReadResult,
    iter_encounters,
    iter_events,
    iter_patients,
    read_notes,
    read_patients,
    require_note_columns,
)
from qae.partitions import merge_counts
from qae.progress import JobProgress
from qae.staging import RunFolder, atomic_write, file_sha256, iter_files

__all__ = ["JobResult", "run_extract", "run_job", "write_evidence", "write_quarantine"]

# Below this many bytes of notes the index pass runs in this process (Ray start-up would dominate).
INDEX_ON_RAY_BYTES = 64 << 20


@dataclass
class JobResult:
    out_dir: Path
    manifest: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def _input_entry(result: InputCounts) -> dict[str, Any]:
    return {
        "path": str(result.path),
        "sha256": file_sha256(result.path),
        "bytes": result.path.stat().st_size,
        "read": result.read,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
    }


# the small inputs' readers, called first for their file and column checks (they read lazily)
_READERS = {"patients": iter_patients, "events": iter_events, "encounters": iter_encounters}


def write_evidence(evidence: Iterable[Evidence], path: Path) -> int:
    """Write evidence rows in the deterministic order; returns the count."""
    from pipelines.batch import iter_sorted

    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in iter_sorted(evidence):
            fh.write(json.dumps(item.to_json_dict(), sort_keys=True, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_quarantine(records: Sequence[QuarantineRecord], path: Path) -> None:
    rows = sorted(records, key=lambda q: q.sort_key())
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for q in rows:
            fh.write(json.dumps(q.to_json_dict(), sort_keys=True, ensure_ascii=False, default=str) + "\n")


def _versions(specs: Sequence[Any], config: JobConfig) -> dict[str, Any]:
    import pipelines

    return {
        "qae": __version__,
        "pipeline": pipelines.PIPELINE_VERSION,
        "config": config.fingerprint(),
        "measures": {s.id: s.version for s in specs},
    }


# --------------------------------------------------------------------------- extraction stage


class _ChunkWriter:
    """Collects the rows of each chunk as they come back (in any order, perhaps twice after a
    retry) and writes a chunk once all its records are in: evidence grouped by partition (one
    Parquet row group each) and its quarantine, under temporary names, then the checkpoint."""

    def __init__(self, folder: RunFolder, chunks: Sequence[Chunk], expected: dict[int, int], partitioning: Any) -> None:
        self.folder = folder
        self.by_index = {c.index: c for c in chunks}
        self.expected = expected
        self.partitioning = partitioning
        self.pending: dict[int, dict[int, dict[str, Any]]] = {}
        self.records: dict[int, dict[str, Any]] = {}
        folder.chunks_dir.mkdir(parents=True, exist_ok=True)

    def add(self, rows: Iterable[dict[str, Any]]) -> int:
        """Take result rows; returns how many were new."""
        new = 0
        for row in rows:
            seqs = self.pending.setdefault(row["chunk"], {})
            if row["seq"] in seqs:
                continue  # delivered again after a retried batch: the same result
            seqs[row["seq"]] = row
            new += 1
            if len(seqs) == self.expected[row["chunk"]]:
                self.finish(row["chunk"])
        return new

    def finish(self, index: int) -> None:
        rows = [r for _, r in sorted(self.pending.pop(index, {}).items())]
        name = f"c{index:06d}"
        evidence: list[tuple[int, int, str, str, str]] = []
        quarantine: list[dict[str, Any]] = []
        for r in rows:
            if r["quarantine"]:
                quarantine.append(json.loads(r["quarantine"]))
                continue
            part = self.partitioning.of(r["patient_id"])
            for k, line in enumerate(x for x in r["evidence"].splitlines() if x):
                evidence.append((part, r["seq"] * 100_000 + k, r["patient_id"], r["note_id"], line))
        evidence.sort()
        row_groups: dict[str, int] = {}
        tmp = self.folder.chunks_dir / f".{name}.parquet.tmp-{os.getpid()}"
        schema = pa.schema([("partition", pa.int32()), ("patient_id", pa.string()), ("note_id", pa.string()),
                            ("evidence", pa.string())])
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in sorted({e[0] for e in evidence}):
                group = [e for e in evidence if e[0] == part]
                writer.write_table(pa.table({"partition": [part] * len(group), "patient_id": [e[2] for e in group],
                                             "note_id": [e[3] for e in group], "evidence": [e[4] for e in group]},
                                            schema=schema), row_group_size=len(group) + 1)
                row_groups[str(part)] = len(row_groups)
        path = self.folder.chunks_dir / f"{name}.parquet"
        tmp.replace(path)
        q_name = None
        if quarantine:
            quarantine.sort(key=lambda q: (q["kind"], q["file"], q["line"], q["reason"]))
            q_name = f"{name}.quarantine.jsonl"
            atomic_write(self.folder.chunks_dir / q_name,
                         "".join(json.dumps(q, sort_keys=True, ensure_ascii=False) + "\n" for q in quarantine))
        record = {"stage": "extract", "chunk": index, "file": path.name, "sha256": file_sha256(path),
                  "quarantine_file": q_name, "row_groups": row_groups, "read": len(rows),
                  "processed": len(rows) - len(quarantine), "quarantined": len(quarantine), "evidence": len(evidence)}
        self.folder.record(record)
        self.records[index] = _compact(record)


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """A chunk's checkpoint record as the driver keeps it: the partitions it holds evidence of as a sorted
    array (row group k holds the k-th; the record's ``row_groups`` numbers them so) instead of a dict."""
    if "parts" in record:
        return record
    out = {k: v for k, v in record.items() if k != "row_groups"}
    parts = sorted(int(p) for p in record["row_groups"])
    assert [record["row_groups"][str(p)] for p in parts] == list(range(len(parts)))
    out["parts"] = np.asarray(parts, dtype=np.int32)
    return out


def _valid_chunk_record(folder: RunFolder, record: dict[str, Any]) -> bool:
    path = folder.chunks_dir / record["file"]
    if not path.is_file() or file_sha256(path) != record["sha256"]:
        return False
    return record["quarantine_file"] is None or (folder.chunks_dir / record["quarantine_file"]).is_file()


# --------------------------------------------------------------------------- the job


# A small notes input is cut into at least MIN_CHUNKS chunks (of at least MIN_CHUNK_BYTES, or chunk_kib if less):
# a chunk goes to one pipeline actor whole, so a demo-sized input in one chunk kept every actor but one idle.
# The plan follows from the input's size and the sharding settings alone: a resumed run plans the same chunks.
MIN_CHUNKS = 8
MIN_CHUNK_BYTES = 16 * 1024


def _chunk_bytes(notes: Path, chunk_kib: int) -> int:
    """Bytes per chunk: ``chunk_kib`` KiB, or less for a small input (see :data:`MIN_CHUNKS`)."""
    most = chunk_kib * 1024
    size = sum(f.stat().st_size for f in note_files(notes))
    return max(min(most, MIN_CHUNK_BYTES), min(most, -(-size // MIN_CHUNKS)))


def _note_plans(config: JobConfig) -> list[FilePlan]:
    if config.inputs.notes is None:
        return []
    plans = plan_notes(config.inputs.notes, _chunk_bytes(Path(config.inputs.notes), config.sharding.chunk_kib))
    for plan in plans:
        require_note_columns(plan.path)
    return plans


def _notes_entry(notes_path: Path, plans: Sequence[FilePlan], index_records: dict[int, int],
                 chunk_records: dict[int, dict[str, Any]]) -> dict[str, Any]:
    files = []
    for plan in plans:
        ids = [c.index for c in plan.chunks]
        files.append({
            "path": str(plan.path), "sha256": plan.sha256, "bytes": plan.bytes,
            "read": sum(index_records.get(i, 0) for i in ids),
            "accepted": sum(chunk_records[i]["processed"] for i in ids),
            "quarantined": sum(chunk_records[i]["quarantined"] for i in ids),
        })
    digest = files[0]["sha256"] if len(files) == 1 and Path(files[0]["path"]) == Path(notes_path) else \
        hashlib.sha256(json.dumps([[Path(f["path"]).name, f["sha256"]] for f in files]).encode()).hexdigest()
    return {"path": str(notes_path), "sha256": digest, "bytes": sum(f["bytes"] for f in files),
            "read": sum(f["read"] for f in files), "accepted": sum(f["accepted"] for f in files),
            "quarantined": sum(f["quarantined"] for f in files), "files": files}


def run_job(config: JobConfig, *, use_ray: bool = True, restart: bool = False,
            progress: JobProgress | None = None) -> JobResult:
    """Run (or resume) the job described by ``config``; returns the manifest and summary.

    The output folder is checked and locked first; ``restart`` discards an unfinished run there.
    """
    folder = RunFolder.open(Path(config.output))
    try:
        with progress or JobProgress(mode="off") as shown:
            job = _Run(config, folder, use_ray, shown)
            job.prepare(restart)  # the index too
            job.extract()
            job.measure()
            return job.publish()
    finally:
        folder.close()


# Partitions are added up to MAX_RAISED_PARTITIONS (measure tasks for that many CPUs, and tasks small enough
# to even out between them) while each keeps at least MIN_PATIENTS_PER_PARTITION patients (a measure task's
# fixed cost is small next to theirs). From the patient count alone, never the actors or CPUs: the run's
# per-partition Parquet files are outputs, byte-identical whatever the number of workers.
MIN_PATIENTS_PER_PARTITION = 500
MAX_RAISED_PARTITIONS = 8


def _partition_count(patients: int, sharding: Any, records: Sequence[dict[str, Any]]) -> int | None:
    """The number of patient partitions: ``sharding.partitions`` when given; else one per
    ``patients_per_partition`` patients, raised to up to ``MAX_RAISED_PARTITIONS`` while each keeps at least
    ``MIN_PATIENTS_PER_PARTITION``. A resumed run keeps the count it started with, since the extracted
    chunks are grouped by partition: its checkpoint's ``plan``, recorded when the count is not the one
    per ``patients_per_partition``; without a plan, that one (None). The reports do not depend on the count."""
    if sharding.partitions:
        return int(sharding.partitions)
    planned = [int(r["partitions"]) for r in records if r.get("stage") == "plan"]
    if planned:
        return planned[0]
    if any(r.get("stage") == "extract" for r in records):
        return None  # started without a plan: the count the chunks were grouped by
    return max(_by_size(patients, sharding), min(MAX_RAISED_PARTITIONS, patients // MIN_PATIENTS_PER_PARTITION))


def _by_size(patients: int, sharding: Any) -> int:
    return max(1, math.ceil(patients / max(1, sharding.patients_per_partition)))


class _Run:
    """One run's stages and what they share; each stage skips what the checkpoint says is done."""

    def __init__(self, config: JobConfig, folder: RunFolder, use_ray: bool, progress: JobProgress) -> None:
        self.config, self.folder, self.use_ray, self.progress = config, folder, use_ray, progress
        self.timings: dict[str, float] = {}
        self.spans: dict[str, tuple[float, float]] = {}  # stage -> (start, end), seconds since t0
        self.t0 = time.perf_counter()

    def _timed(self, name: str, since: float) -> None:
        now = time.perf_counter()
        self.timings[name] = now - since
        self.spans[name] = (since - self.t0, now - self.t0)

    # ---------------------------------------------------------------- inputs, key, Ray
    def prepare(self, restart: bool) -> None:
        from engine.spec import MeasurementPeriod, load_specs, resolve_measures

        config = self.config
        inputs = config.inputs
        if inputs.patients is None:
            raise ConfigError("no patients file: give --patients or inputs.patients in the config")
        self.specs = resolve_measures(None if config.measures == "all" else config.measures, load_specs())
        self.period = MeasurementPeriod(start=config.measurement_period.start, end=config.measurement_period.end)
        # the small inputs: checked here (a missing file or column is a one-line error before anything
        # starts), read into the run's input store once the run folder is ready (below)
        small = {"patients": Path(inputs.patients), "events": inputs.events, "encounters": inputs.encounters}
        self.small_paths = {k: Path(v) for k, v in small.items() if v is not None}
        for kind, path in self.small_paths.items():
            _READERS[kind](path)
        self.plans = _note_plans(config)
        self.chunks = [c for p in self.plans for c in p.chunks]
        sharding = config.sharding

        self.versions = _versions(self.specs, config)
        key = {
            "inputs": {"notes": [[p.path.name, p.sha256] for p in self.plans],
                       **{kind: file_sha256(path) for kind, path in self.small_paths.items()}},
            "config": self.versions["config"],
            "versions": {k: self.versions[k] for k in ("qae", "pipeline", "measures")},
            "sharding": sharding.model_dump(mode="json"),
        }
        self.resumed, self.info = self.folder.begin(key, restart=restart)
        self.records = [_compact(r) if r.get("stage") == "extract" else r for r in self.folder.checkpoint()]
        self.cluster: dict[str, Any] | None = None
        if not self.use_ray:
            self._read_inputs()
            self.index()
            return
        # Ray starts (seconds of waiting for its processes) while this process reads the small inputs and,
        # when it runs here, indexes the notes on a thread: neither depends on the other, and ray.init
        # stays on the main thread (it sets the SIGTERM handler there). The index of a large input runs
        # on Ray, after it.
        from concurrent.futures import ThreadPoolExecutor

        def inputs_then_index() -> None:
            self._read_inputs()
            if not self._index_on_ray():
                self.index()

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qae-inputs") as pool:
            reading = pool.submit(inputs_then_index)
            try:
                self._start_ray()
            finally:
                reading.result()  # its error first: the inputs' one-line errors come before Ray's
        self.index()  # on Ray (large inputs), or nothing left to do

    def _read_inputs(self) -> None:
        from qae.partitions import Partitioning

        sharding = self.config.sharding
        # patients, events, encounters: validated into the store, then one shard per partition
        store = InputStore(self.folder.work / "inputs.sqlite")
        try:
            self.small = [store.load_patients(self.small_paths["patients"])]
            count = _partition_count(store.patients, sharding, self.records)
            self.partitioning = Partitioning.of_sorted(store.patients, store.patient_ids(),
                                                       sharding.patients_per_partition, count)
            planned = any(r.get("stage") == "plan" for r in self.records)
            if not (sharding.partitions or planned) and self.partitioning.count != _by_size(store.patients, sharding):
                # a count a later session could not tell from the inputs and settings: kept for a resume
                self.folder.record({"stage": "plan", "partitions": self.partitioning.count})
            for kind in ("events", "encounters"):
                if kind in self.small_paths:
                    load = store.load_events if kind == "events" else store.load_encounters
                    self.small.append(load(self.small_paths[kind], self.partitioning))
            self.shards = self.folder.work / "inputs"
            self.patients_per_part = store.write_shards(self.shards, self.partitioning)
            self.input_quarantine = self.folder.work / "inputs.quarantine.jsonl"
            write_quarantine_stream(store.quarantine(), self.input_quarantine)
        finally:
            store.close()
            (self.folder.work / "inputs.sqlite").unlink(missing_ok=True)
        self.patient_count = sum(self.patients_per_part.values())
        self._timed("read", self.t0)

    def _start_ray(self) -> None:
        import ray

        from pipelines.batch import start_ray

        r = self.config.ray
        t = time.perf_counter()
        start_ray(r.address, r.num_cpus)
        self.spans["ray_init"] = (t - self.t0, time.perf_counter() - self.t0)
        self.cluster = {"address": r.address, "actors": r.actors,
                        "nodes": sum(1 for n in ray.nodes() if n.get("Alive")),
                        "cpus": int(ray.cluster_resources().get("CPU", 0))}
        if self.chunks and self.cluster["cpus"] < r.actors:
            where = f"the cluster at {r.address}" if r.address else "the local Ray (ray.num_cpus)"
            raise ConfigError(f"ray.actors is {r.actors} but {where} has {self.cluster['cpus']} CPU(s): each "
                              "pipeline actor needs one; lower ray.actors or add CPUs")

    # ---------------------------------------------------------------- index
    def _index_on_ray(self) -> bool:
        return self.use_ray and sum(p.bytes for p in self.plans) >= INDEX_ON_RAY_BYTES

    def index(self) -> None:
        """The note index (qae.stream.index_notes), once: read back from the work area when a session
        before this one, or this session's input thread, made it."""
        from qae.stream import NoteIndex, index_notes

        if hasattr(self, "note_index"):
            return
        t = time.perf_counter()
        path = self.folder.work / "index.json"
        if path.is_file():
            self.note_index = NoteIndex.from_json(json.loads(path.read_text(encoding="utf-8")))
        else:
            on_ray = self._index_on_ray()
            if self.chunks:
                stage = self.progress.stage("index", 0, "notes")  # total unknown until indexed
                self.note_index = index_notes(self.chunks, "ray" if on_ray else "local", on_progress=stage.advance,
                                              spill_dir=self.folder.work)
                stage.finish()
            else:
                self.note_index = index_notes(self.chunks)
            atomic_write(path, json.dumps(self.note_index.to_json(), sort_keys=True) + "\n")
        self._timed("index", t)

    # ---------------------------------------------------------------- extraction
    def extract(self) -> None:
        from qae.stream import ChunkValidator, PatientIds, extract_chunks

        t = time.perf_counter()
        index, folder, r = self.note_index, self.folder, self.config.ray
        done = {rec["chunk"]: rec for rec in self.records if rec.get("stage") == "extract"}
        self.done_before = {i: rec for i, rec in done.items() if _valid_chunk_record(folder, rec)}
        pending = [c for c in self.chunks if c.index not in self.done_before]
        writer = _ChunkWriter(folder, self.chunks, index.records, self.partitioning)
        self.extracted_now = 0
        if self.chunks:
            stage = self.progress.stage("extract", index.total, "notes",
                                        done=sum(index.records[i] for i in self.done_before))
            for c in pending:
                if index.records[c.index] == 0:
                    writer.finish(c.index)  # blank lines only
            validator = ChunkValidator(PatientIds(str(self.shards / "patient_ids.parquet")),
                                       self.config.limits.max_note_chars, index.duplicates)
            work = [c for c in pending if index.records[c.index] > 0]
            for batch in extract_chunks(work, validator, executor="ray" if self.use_ray else "local",
                                        options=self.config.pipeline,
                                        note_seconds=self.config.limits.note_seconds or None, actors=r.actors,
                                        batch_size=r.batch_size, max_restarts=r.max_restarts,
                                        max_task_retries=r.max_task_retries):
                new = writer.add(batch.to_pylist())
                self.extracted_now += new
                stage.advance(new)
            stage.finish()
            missing = sorted(writer.pending) + [c.index for c in work if c.index not in writer.records
                                                and c.index not in writer.pending]
            if missing:
                raise RuntimeError(f"extraction lost the results of chunk(s) {missing[:5]}: rerun to resume")
        self.reextracted = bool(writer.records)
        self.chunk_records = {i: _compact(rec) for i, rec in {**self.done_before, **writer.records}.items()}
        self._timed("extract", t)

    # ---------------------------------------------------------------- measures per partition
    def measure(self) -> None:
        t = time.perf_counter()
        folder = self.folder
        # partitions computed before count only if every chunk they read was there already
        done = {} if self.reextracted else {
            rec["partition"]: rec for rec in self.records if rec.get("stage") == "measure"}
        before = {i: rec for i, rec in done.items() if (folder.parts_dir / f"p{i:05d}").is_dir()}
        del self.records, done  # the checkpoint as read: what is still needed is in chunk_records and below
        self.parts_before = set(before)
        folder.parts_dir.mkdir(parents=True, exist_ok=True)
        # the partitions' summaries and counts are summed as they come (sums: the order does not matter)
        self.summary: dict[str, Any] = merge_summaries([])
        self.counts: dict[str, Any] = {}
        for rec in before.values():
            self._fold(rec)
        del before
        stage = self.progress.stage("measures", self.patient_count, "patients",
                                    done=sum(self.patients_per_part[i] for i in self.parts_before))
        todo = [i for i in range(self.partitioning.count) if i not in self.parts_before]
        for result in _run_partitions(todo, self.shards, self.chunk_records, folder, self.specs, self.period,
                                      self.use_ray, self.config.engine, (self.config.name, tuple(self._formats()))):
            folder.record({"stage": "measure", **result})
            self._fold(result)
            stage.advance(result["counts"]["patients"])
        stage.finish()
        self._timed("measures", t)

    def _fold(self, result: dict[str, Any]) -> None:
        self.summary = merge_summaries([self.summary, result["summary"]])
        self.counts = merge_counts([self.counts, result["counts"]])

    def _formats(self) -> list[str]:
        from engine.reports import parse_formats

        return parse_formats(self.config.reports.chosen())

    # ---------------------------------------------------------------- assemble and publish
    def publish(self) -> JobResult:
        from qae.assemble import assemble_reports
        from qae.partitions import MATERIAL_DIR, part_name
        from qae.report_run import render_run
        from qae.run_checks import input_warnings

        t = time.perf_counter()
        folder, records = self.folder, self.chunk_records
        order = list(range(self.partitioning.count))
        final = folder.final_dir
        chunk_q = [folder.chunks_dir / records[i]["quarantine_file"] for i in sorted(records)
                   if records[i]["quarantine_file"]]
        assembled = assemble_reports(final, [(i, folder.parts_dir / f"p{i:05d}") for i in order],
                                     {i: part_name(i) for i in order},
                                     self.input_quarantine, chunk_q)
        summary, counts = self.summary, self.counts
        notes_read = self.note_index.total
        processed = sum(rec["processed"] for rec in records.values())
        quarantined = sum(rec["quarantined"] for rec in records.values())
        if notes_read != processed + quarantined:
            raise RuntimeError(f"note counts do not add up: read {notes_read} != processed {processed} + "
                               f"quarantined {quarantined}")
        by_element = counts.get("note_evidence_by_element", {})
        inputs = {res.kind: _input_entry(res) for res in self.small}
        if self.config.inputs.notes is not None:
            inputs["notes"] = _notes_entry(self.config.inputs.notes, self.plans, self.note_index.records, records)
        self._timed("assemble", t)
        manifest: dict[str, Any] = {
            "job": self.config.name,
            "measurement_period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "inputs": dict(sorted(inputs.items())),
            "counts": {
                "notes_read": notes_read,
                "notes_processed": processed,
                "notes_quarantined": quarantined,
                "records_quarantined": assembled["quarantined"],
                "patients": self.patient_count,
                "evidence": counts.get("evidence", 0),
                "note_evidence": {"items": sum(by_element.values()), "by_element": by_element,
                                  "by_status": counts.get("note_evidence_by_status", {})},
                "structured_evidence": counts.get("structured_evidence", 0),
                "outcomes": counts.get("outcomes", 0),
            },
            "versions": self.versions,
            "config": self.config.model_dump(mode="json"),
            "summary": summary,
            "warnings": input_warnings(inputs),
            "executor": "ray" if self.use_ray else "in-process",
            "run": {
                "resumed": self.resumed,
                "chunks": len(self.chunks),
                "chunks_done_before": len(self.done_before),
                "notes_extracted_this_session": self.extracted_now,
                "partitions": self.partitioning.count,
                "partitions_done_before": len(self.parts_before),
                "ray": self.cluster,
            },
        }

        # reports: rendered from the staged folder exactly as `qae report --run` renders a run folder
        t = time.perf_counter()
        stage = self.progress.stage("reports", self.partitioning.count + 1, "steps")
        _write_manifest(final, manifest)
        formats = self.config.reports.chosen()
        materials = {part_name(i): folder.parts_dir / f"p{i:05d}" / MATERIAL_DIR for i in order}
        written = render_run(final, final, formats, work=folder.work / "report-parts", use_ray=self.use_ray,
                             on_partition=lambda: stage.advance(1), materials=materials)
        # every output file is hashed once, here, on threads (hashlib releases the GIL on large blocks)
        files = {p.relative_to(final).as_posix(): p for p in iter_files(final) if p.name != "manifest.json"
                 or p.parent != final}
        digests = _digests(files)
        manifest["reports"] = {Path(p).relative_to(final).as_posix(): digests[Path(p).relative_to(final).as_posix()]
                               for p in sorted(written)}
        stage.advance(1)
        stage.finish()
        self._timed("reports", t)

        manifest["files"] = {rel: {"sha256": digests[rel], "bytes": p.stat().st_size} for rel, p in files.items()}
        manifest["outputs"] = sorted(files) + ["manifest.json"]
        self._timed("total", self.t0)
        manifest["timings_seconds"] = {k: round(v, 3) for k, v in self.timings.items()}
        _write_manifest(final, manifest)
        folder.publish({**{rel: v["sha256"] for rel, v in manifest["files"].items()}, "manifest.json": ""},
                       self.info.get("previous_files", []))
        _dump_timeline(self.use_ray, self.t0, self.spans)
        return JobResult(folder.out, manifest, summary)


def _dump_timeline(use_ray: bool, t0: float, spans: dict[str, tuple[float, float]]) -> None:
    """With ``QAE_RAY_TIMELINE=FILE`` (a benchmark aid): Ray's timeline of this run's tasks and actor calls
    (``ray.timeline``, Chrome trace format) in FILE, plus the driver's stages (``spans``: seconds since
    ``t0``, a ``time.perf_counter`` value) as complete events on a ``driver`` row. Holds no note text."""
    path = os.environ.get("QAE_RAY_TIMELINE")
    if not path or not use_ray:
        return
    import ray

    events = ray.timeline()
    start_us = (time.time() - (time.perf_counter() - t0)) * 1e6
    for name, (begin, end) in spans.items():
        events.append({"name": name, "cat": "driver", "ph": "X", "pid": "driver", "tid": "stages",
                       "ts": start_us + begin * 1e6, "dur": (end - begin) * 1e6})
    Path(path).write_text(json.dumps(events) + "\n", encoding="utf-8")


def _digests(files: dict[str, Path], threads: int = 4) -> dict[str, str]:
    """sha256 of each file (relative path -> hex digest), a few files at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(files, pool.map(file_sha256, files.values()), strict=True))


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _sources(part: int, chunk_records: dict[int, dict[str, Any]], chunks_dir: Path) -> list[tuple[str, int]]:
    """(chunk file, row group) of every chunk holding evidence of partition ``part``, in chunk order."""
    out = []
    for i in sorted(chunk_records):
        rec = chunk_records[i]
        parts = rec["parts"]  # the partitions present, sorted: row group k holds parts[k]
        k = int(np.searchsorted(parts, part))
        if k < len(parts) and parts[k] == part:
            out.append((str(chunks_dir / rec["file"]), k))
    return out


# Partition tasks submitted ahead of the ones running, per CPU (the driver holds only their arguments).
TASKS_AHEAD_PER_CPU = 2


def _run_partitions(todo: Sequence[int], shards: Path, chunk_records: dict[int, dict[str, Any]], folder: RunFolder,
                    specs: Sequence[Any], period: Any, use_ray: bool, options: Any,
                    report: tuple[str, tuple[str, ...]] | None = None) -> Iterable[dict[str, Any]]:
    """Calculate partitions (Ray tasks, or here); yields their results as they finish. A task reads its
    patients, events and encounters from the input shards and its note evidence from the chunk files.
    ``report``: the job's name and report formats, for the partitions' report material
    (qae.partitions.PartitionTask)."""
    from qae.partitions import PartitionTask, measure_partition

    def task(i: int) -> PartitionTask:
        return PartitionTask(i, str(folder.parts_dir), _sources(i, chunk_records, folder.chunks_dir), str(shards),
                             (period.start, period.end), report)

    if not use_ray:
        for i in todo:
            yield measure_partition(task(i), specs, options)
        return
    import ray

    remote = ray.remote(num_cpus=1, max_retries=3)(measure_partition)
    specs_ref = ray.put(list(specs))
    ahead = max(2, TASKS_AHEAD_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
    queue = list(reversed(todo))
    pending: list[Any] = []
    while queue or pending:
        while queue and len(pending) < ahead:
            pending.append(remote.remote(task(queue.pop()), specs_ref, options))
        ready, pending = ray.wait(pending, num_returns=1)
        yield ray.get(ready[0])


# --------------------------------------------------------------------------- qae extract


def _extract(notes: Sequence[Note], config: JobConfig, use_ray: bool, supplemental: bool = True):
    from pipelines.batch import extract_in_process, extract_with_ray

    seconds = config.limits.note_seconds or None
    if use_ray:
        r = config.ray
        return extract_with_ray(notes, config.pipeline, address=r.address, num_cpus=r.num_cpus,
                                actors=r.actors, batch_size=r.batch_size, supplemental=supplemental,
                                note_seconds=seconds)
    return extract_in_process(notes, config.pipeline, supplemental=supplemental, note_seconds=seconds)


def _failures_to_quarantine(failures, notes_result: ReadResult) -> list[QuarantineRecord]:
    return [
        QuarantineRecord(str(notes_result.path), notes_result.lines.get(f.note_id, 0), "notes",
                         f.note_id, f.reason, "text", None)
        for f in failures
    ]


def run_extract(notes_path: Path, out_dir: Path, *, patients_path: Path | None = None,
                options: dict[str, Any] | None = None, workers: int = 1,
                max_note_chars: int | None = None, supplemental: bool = False) -> dict[str, Any]:
    """Evidence only: ``out_dir/evidence.jsonl`` (+ ``quarantine.jsonl``); returns counts.

    By default only the guideline's evidence elements are written (what chart review
    scores); ``supplemental`` adds those the measures also read (tobacco cessation,
    depression follow-up). Notes are held in memory: for evaluation-sized inputs.
    """
    known = None
    if patients_path is not None:
        known = {p.patient_id for p in read_patients(patients_path).records}
    cfg = JobConfig(pipeline=options or {})
    limit = max_note_chars or cfg.limits.max_note_chars
    notes_r = read_notes(notes_path, known, limit)
    cfg = cfg.model_copy(update={"ray": cfg.ray.model_copy(update={"actors": workers, "num_cpus": workers})})
    evidence, failures = (_extract(notes_r.records, cfg, workers > 1, supplemental)
                          if notes_r.records else ([], []))
    out_dir.mkdir(parents=True, exist_ok=True)
    n = write_evidence(evidence, out_dir / "evidence.jsonl")
    write_quarantine([*notes_r.quarantine, *_failures_to_quarantine(failures, notes_r)],
                     out_dir / "quarantine.jsonl")
    return {"notes_read": notes_r.read, "notes_processed": len(notes_r.records) - len(failures),
            "notes_quarantined": len(notes_r.quarantine) + len(failures), "evidence": n}
