"""The batch job: notes -> evidence -> measure outcomes -> reports, streamed, resumable, with a manifest.

Stages (each a call into its layer; none holds the whole corpus or all evidence in this process):

    qae.run_folder   check --out and lock it; start or resume the run (qae/run_folder.py: layout)
    qae.inputs       patients, structured events, encounters: read and validated here (small)
    qae.chunks       notes: a file or a folder of shards, cut into chunks
    qae.stream       index pass (records per chunk, duplicate note ids), then validation and
                     extraction on Ray actors (pipelines.batch); each finished chunk is written
                     atomically and recorded in the checkpoint
    qae.partitions   measure logic per patient partition (Ray tasks; engine.calculator and
                     engine.report.write_reports), each partition recorded in the checkpoint
    qae.assemble     the reports merged from the partitions, then published atomically

The same inputs and config give byte-identical reports whatever the number of workers, input
shards or chunks, and whether or not the run was interrupted and resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from engine.records import Evidence, Note, Patient
from qae import __version__
from qae.chunks import Chunk, FilePlan, plan_notes
from qae.config import ConfigError, JobConfig
from qae.inputs import (
    QuarantineRecord,
    ReadResult,
    read_encounters,
    read_events,
    read_notes,
    read_patients,
    require_note_columns,
)
from qae.progress import JobProgress
from qae.run_folder import RunFolder, atomic_write, file_sha256, iter_files

__all__ = ["JobResult", "run_extract", "run_job", "write_evidence", "write_quarantine"]

# Below this many bytes of notes the index pass runs in this process (Ray start-up would dominate).
INDEX_ON_RAY_BYTES = 64 << 20


@dataclass
class JobResult:
    out_dir: Path
    manifest: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def _input_entry(result: ReadResult) -> dict[str, Any]:
    return {
        "path": str(result.path),
        "sha256": file_sha256(result.path),
        "bytes": result.path.stat().st_size,
        "read": result.read,
        "accepted": len(result.records),
        "quarantined": len(result.quarantine),
    }


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
        self.records[index] = record


def _valid_chunk_record(folder: RunFolder, record: dict[str, Any]) -> bool:
    path = folder.chunks_dir / record["file"]
    if not path.is_file() or file_sha256(path) != record["sha256"]:
        return False
    return record["quarantine_file"] is None or (folder.chunks_dir / record["quarantine_file"]).is_file()


# --------------------------------------------------------------------------- the job


def _note_plans(config: JobConfig) -> list[FilePlan]:
    if config.inputs.notes is None:
        return []
    plans = plan_notes(config.inputs.notes, config.sharding.chunk_kib * 1024)
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
            return _run(config, folder, use_ray, restart, shown)
    finally:
        folder.close()


def _run(config: JobConfig, folder: RunFolder, use_ray: bool, restart: bool, progress: JobProgress) -> JobResult:
    from engine.spec import MeasurementPeriod, load_specs, resolve_measures
    from qae.partitions import Partitioning, group_by_partition, part_name
    from qae.stream import ChunkValidator, NoteIndex, extract_chunks, index_notes

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    inputs = config.inputs
    if inputs.patients is None:
        raise ConfigError("no patients file: give --patients or inputs.patients in the config")
    specs = resolve_measures(None if config.measures == "all" else config.measures, load_specs())
    period = MeasurementPeriod(start=config.measurement_period.start, end=config.measurement_period.end)

    patients_r = read_patients(inputs.patients)
    patients: list[Patient] = patients_r.records
    known = frozenset(p.patient_id for p in patients)
    events_r = read_events(inputs.events, set(known)) if inputs.events else None
    enc_r = read_encounters(inputs.encounters, set(known)) if inputs.encounters else None
    small = [r for r in (patients_r, events_r, enc_r) if r is not None]
    plans = _note_plans(config)
    chunks = [c for p in plans for c in p.chunks]
    partitioning = Partitioning.of_patients(known, config.sharding.patients_per_partition, config.sharding.partitions)
    timings["read"] = time.perf_counter() - t0

    versions = _versions(specs, config)
    key = {
        "inputs": {"notes": [[p.path.name, p.sha256] for p in plans],
                   **{r.kind: file_sha256(r.path) for r in small}},
        "config": versions["config"],
        "versions": {k: versions[k] for k in ("qae", "pipeline", "measures")},
        "sharding": config.sharding.model_dump(mode="json"),
    }
    resumed, info = folder.begin(key, restart=restart)
    records = folder.checkpoint()
    executor = "ray" if use_ray else "local"
    r = config.ray
    cluster: dict[str, Any] | None = None
    if use_ray:
        import ray

        from pipelines.batch import start_ray

        start_ray(r.address, r.num_cpus)
        cluster = {"address": r.address, "actors": r.actors,
                   "nodes": sum(1 for n in ray.nodes() if n.get("Alive")),
                   "cpus": int(ray.cluster_resources().get("CPU", 0))}

    # ---------------------------------------------------------------- index
    t1 = time.perf_counter()
    index_path = folder.work / "index.json"
    if index_path.is_file():
        index = NoteIndex.from_json(json.loads(index_path.read_text(encoding="utf-8")))
    else:
        on_ray = use_ray and sum(p.bytes for p in plans) >= INDEX_ON_RAY_BYTES
        if chunks:
            stage = progress.stage("index", len(chunks), "chunks")
            index = index_notes(chunks, "ray" if on_ray else "local", on_progress=stage.advance)
            stage.finish()
        else:
            index = index_notes(chunks)
        atomic_write(index_path, json.dumps(index.to_json(), sort_keys=True) + "\n")
    timings["index"] = time.perf_counter() - t1

    # ---------------------------------------------------------------- extraction
    t2 = time.perf_counter()
    done = {rec["chunk"]: rec for rec in records if rec.get("stage") == "extract"}
    done = {i: rec for i, rec in done.items() if _valid_chunk_record(folder, rec)}
    pending = [c for c in chunks if c.index not in done]
    writer = _ChunkWriter(folder, chunks, index.records, partitioning)
    extracted_now = 0
    if chunks:
        stage = progress.stage("extract", index.total, "notes", done=sum(index.records[i] for i in done))
        for c in pending:
            if index.records[c.index] == 0:
                writer.finish(c.index)  # blank lines only
        known_ref: Any = known
        if use_ray and pending:
            import ray

            known_ref = ray.put(known)
        validator = ChunkValidator(known_ref, config.limits.max_note_chars, index.duplicates)
        work = [c for c in pending if index.records[c.index] > 0]
        for batch in extract_chunks(work, validator, executor=executor, options=config.pipeline,
                                    note_seconds=config.limits.note_seconds or None, actors=r.actors,
                                    batch_size=r.batch_size, max_restarts=r.max_restarts,
                                    max_task_retries=r.max_task_retries):
            new = writer.add(batch.to_pylist())
            extracted_now += new
            stage.advance(new)
        stage.finish()
        missing = sorted(writer.pending) + [c.index for c in work if c.index not in writer.records
                                            and c.index not in writer.pending]
        if missing:
            raise RuntimeError(f"extraction lost the results of chunk(s) {missing[:5]}: rerun to resume")
    chunk_records = {**done, **writer.records}
    timings["extract"] = time.perf_counter() - t2

    # ---------------------------------------------------------------- measures per partition
    t3 = time.perf_counter()
    parts_done = {} if writer.records else {rec["partition"]: rec for rec in records if rec.get("stage") == "measure"}
    parts_done = {i: rec for i, rec in parts_done.items() if (folder.parts_dir / f"p{i:05d}").is_dir()}
    sources: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for i in sorted(chunk_records):
        rec = chunk_records[i]
        for part, group in sorted(rec["row_groups"].items(), key=lambda kv: int(kv[0])):
            sources[int(part)].append((str(folder.chunks_dir / rec["file"]), group))
    pats = group_by_partition(patients, partitioning)
    evs = group_by_partition(events_r.records if events_r else [], partitioning)
    encs = group_by_partition(enc_r.records if enc_r else [], partitioning)
    folder.parts_dir.mkdir(parents=True, exist_ok=True)
    results = dict(parts_done)
    stage = progress.stage("measures", len(patients), "patients",
                           done=sum(len(pats[i]) for i in parts_done))
    for result in _run_partitions([i for i in range(partitioning.count) if i not in parts_done], pats, evs, encs,
                                  sources, folder, specs, period, use_ray):
        folder.record({"stage": "measure", **result})
        results[result["partition"]] = result
        stage.advance(result["counts"]["patients"])
    stage.finish()
    timings["measures"] = time.perf_counter() - t3

    # ---------------------------------------------------------------- assemble and publish
    t4 = time.perf_counter()
    from qae.assemble import assemble_reports, merge_summaries
    from qae.partitions import merge_counts

    order = list(range(partitioning.count))
    final = folder.final_dir
    quarantine_inputs = [q for res in small for q in res.quarantine]
    chunk_q = [folder.chunks_dir / chunk_records[i]["quarantine_file"] for i in sorted(chunk_records)
               if chunk_records[i]["quarantine_file"]]
    assembled = assemble_reports(final, [(i, folder.parts_dir / f"p{i:05d}") for i in order],
                                 {i: results[i]["clinic_files"] for i in order}, {i: part_name(i) for i in order},
                                 quarantine_inputs, chunk_q)
    summary = merge_summaries(results[i]["summary"] for i in order)
    counts_parts = merge_counts(results[i]["counts"] for i in order)
    notes_read = index.total
    processed = sum(rec["processed"] for rec in chunk_records.values())
    quarantined = sum(rec["quarantined"] for rec in chunk_records.values())
    if notes_read != processed + quarantined:
        raise RuntimeError(f"note counts do not add up: read {notes_read} != processed {processed} + "
                           f"quarantined {quarantined}")
    by_element = counts_parts.get("note_evidence_by_element", {})
    input_entries = {res.kind: _input_entry(res) for res in small}
    if inputs.notes is not None:
        input_entries["notes"] = _notes_entry(inputs.notes, plans, index.records, chunk_records)
    timings["assemble"] = time.perf_counter() - t4
    manifest: dict[str, Any] = {
        "job": config.name,
        "measurement_period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "inputs": dict(sorted(input_entries.items())),
        "counts": {
            "notes_read": notes_read,
            "notes_processed": processed,
            "notes_quarantined": quarantined,
            "records_quarantined": assembled["quarantined"],
            "patients": len(patients),
            "evidence": counts_parts.get("evidence", 0),
            "note_evidence": {"items": sum(by_element.values()), "by_element": by_element,
                              "by_status": counts_parts.get("note_evidence_by_status", {})},
            "structured_evidence": counts_parts.get("structured_evidence", 0),
            "outcomes": counts_parts.get("outcomes", 0),
        },
        "versions": versions,
        "config": config.model_dump(mode="json"),
        "summary": summary,
        "executor": "ray" if use_ray else "in-process",
        "run": {
            "resumed": resumed,
            "chunks": len(chunks),
            "chunks_done_before": len(done),
            "notes_extracted_this_session": extracted_now,
            "partitions": partitioning.count,
            "partitions_done_before": len(parts_done),
            "ray": cluster,
        },
    }
    files = {p.relative_to(final).as_posix(): p for p in iter_files(final)}
    manifest["files"] = {rel: {"sha256": file_sha256(p), "bytes": p.stat().st_size} for rel, p in files.items()}
    manifest["outputs"] = sorted(files) + ["manifest.json"]
    timings["total"] = time.perf_counter() - t0
    manifest["timings_seconds"] = {k: round(v, 3) for k, v in timings.items()}
    (final / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    folder.publish({**{rel: v["sha256"] for rel, v in manifest["files"].items()}, "manifest.json": ""},
                   info.get("previous_files", []))
    return JobResult(folder.out, manifest, summary)


def _run_partitions(todo: Sequence[int], pats: dict[int, list[Any]], evs: dict[int, list[Any]],
                    encs: dict[int, list[Any]], sources: dict[int, list[tuple[str, int]]], folder: RunFolder,
                    specs: Sequence[Any], period: Any, use_ray: bool) -> Iterable[dict[str, Any]]:
    """Calculate partitions (Ray tasks, or here); yields their results as they finish."""
    from qae.partitions import PartitionTask, measure_partition

    def task(i: int) -> PartitionTask:
        return PartitionTask(i, str(folder.parts_dir), sources.get(i, []), pats[i], evs[i], encs[i],
                             (period.start, period.end))

    if not use_ray:
        for i in todo:
            yield measure_partition(task(i), specs)
        return
    import ray

    remote = ray.remote(num_cpus=1, max_retries=3)(measure_partition)
    specs_ref = ray.put(list(specs))
    pending = [remote.remote(task(i), specs_ref) for i in todo]
    while pending:
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
