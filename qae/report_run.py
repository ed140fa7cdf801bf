"""Render a run folder's reports partition by partition: what ``qae run`` and ``qae report --run`` both run.

A run folder keeps its patient partitions (``outcomes/``, ``patients/``, ``evidence/``, one Parquet
file each per partition, qae/partitions.py). For every partition this module builds the partition's
:class:`engine.run_data.RunData` (its patients, its outcomes, the evidence they name, its
encounters), computes its report material (``engine.reports.report_material``: sorted rows and
counts) and saves it in a work folder; ``engine.reports.render_parts`` then writes every report by
merging the partitions' sorted rows (``heapq.merge``) and summing their counts.

Memory: the driver holds one slice of a partition's patients while computing its material (none,
when partitions are Ray tasks), and while writing one row per partition per stream and the counts
folded to one partition's worth (clinic x provider x measure rows; engine/report_parts.py); a clinic's
XLSX worklist rows go through a scratch file (engine/worklist_files.py). Encounters (an input file,
when the run had one) and a ``--patients`` file are streamed once into per-partition shards in the
scratch folder (qae.input_store), which each partition's job reads: the driver never holds them.
A folder without partition files (written before partitions existed) is read whole through
``qae.run_folder.load_run`` as one partition.

``qae run`` does not read its partitions back: each measure task computes its partition's material from
what it holds (:func:`memory_material`, records taken as the Parquet files give them back; the same files
:func:`partition_material` writes) and ``render_run(materials=...)`` uses it. With ``use_ray`` the report
files are written by Ray tasks, one per writer, in parallel (the longest first), each reading the saved
material; the driver only waits for them.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any

from engine.calculator import OUTCOME_ORDER
from engine.errors import InputError
from engine.periods import MeasurementPeriod
from engine.records import Encounter, Patient
from engine.run_data import RunData

_PATIENT_ID = attrgetter("patient_id")

__all__ = ["render_run"]


def _base(run_dir: Path, manifest: dict[str, Any]) -> RunData:
    """The run without its rows: job, period, specs, versions, warnings, the audit's page size (the run's
    config, ``reports.audit_page_patients``)."""
    from engine.spec import load_specs

    mp = manifest["measurement_period"]
    period = MeasurementPeriod(start=date.fromisoformat(mp["start"]), end=date.fromisoformat(mp["end"]))
    all_specs = load_specs()
    wanted = sorted((manifest.get("versions") or {}).get("measures", {}))
    return RunData(job=str(manifest.get("job", run_dir.name)), period=period,
                   specs={m: all_specs[m] for m in wanted if m in all_specs}, patients={}, outcomes=[], evidence={},
                   versions=manifest.get("versions") or {}, warnings=tuple(manifest.get("warnings") or ()),
                   audit_page_patients=recorded_page_size(manifest))


def recorded_page_size(manifest: Mapping[str, Any]) -> int | None:
    """The audit page size a run's config set (``reports.audit_page_patients`` in the manifest's
    ``config``); None when it set none (or the run predates the key)."""
    reports = (manifest.get("config") or {}).get("reports")
    value = reports.get("audit_page_patients") if isinstance(reports, Mapping) else None
    return value if type(value) is int and value >= 1 else None


@dataclass(frozen=True)
class _PartitionJob:
    """What one partition's material needs (small; sent to a Ray task as it is)."""

    run_dir: str
    name: str
    target: str
    formats: tuple[str, ...]
    index: int
    shards: str | None  # the input shards of the partitions (qae.input_store): encounters, --patients
    override: bool  # patients from --patients (their shard); False: the partition's own patients file


def _referenced(outcomes: Iterable[Any]) -> set[str]:
    from qae.run_folder import referenced_ids

    return referenced_ids(outcomes)


# Patients whose outcomes are turned into report material at once (memory: about 40 KB per patient
# with every measure; a partition is done slice by slice, its slices merged into one file).
SLICE_PATIENTS = 1000


def partition_material(job: _PartitionJob, base: RunData) -> str:
    """Compute and save one partition's material, slice by slice of its patients; returns its folder.
    Runs with the cyclic garbage collector paused, as the measure task does (``qae.partitions.gc_paused``)."""
    from qae.partitions import gc_paused

    with gc_paused():
        return _partition_material(job, base)


def _partition_material(job: _PartitionJob, base: RunData) -> str:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from engine.records import Evidence
    from qae.input_store import read_shard
    from qae.partitions import models_from_table, outcomes_from_table, read_patients_part

    run_dir = Path(job.run_dir)
    override = {p.patient_id: p for p in read_shard(job.shards, job.index, "patients")} if job.override else None
    encounters = read_shard(job.shards, job.index, "encounters")
    outcome_table = pq.read_table(run_dir / "outcomes" / f"{job.name}.parquet")
    own = {p.patient_id: p for p in read_patients_part(run_dir / "patients" / f"{job.name}.parquet")}
    ev_path = run_dir / "evidence" / f"{job.name}.parquet"
    ev_table = pq.read_table(ev_path) if ev_path.is_file() else None
    ids = sorted(set(own) | set(pc.unique(outcome_table["patient_id"]).to_pylist()))

    def one_slice(chunk: list[str]) -> RunData:
        wanted = pa.array(chunk, pa.string())
        outcomes = sorted(outcomes_from_table(outcome_table.filter(pc.is_in(outcome_table["patient_id"], wanted))),
                          key=OUTCOME_ORDER)
        referenced = pa.array(sorted(_referenced(outcomes)), pa.string())
        evidence = [] if ev_table is None else models_from_table(
            ev_table.filter(pc.is_in(ev_table["evidence_id"], referenced)), Evidence)
        members = set(chunk)
        if override is None:
            patients = {pid: own[pid] for pid in chunk if pid in own}
        else:
            patients = {pid: override[pid] for pid in chunk if pid in own and pid in override}
        return RunData(job=base.job, period=base.period, specs=base.specs, patients=patients, outcomes=outcomes,
                       evidence={e.evidence_id: e for e in evidence},
                       encounters=tuple(e for e in encounters if e.patient_id in members),
                       versions=base.versions, warnings=base.warnings)

    _save_slices(ids, one_slice, job.formats, Path(job.target))
    return job.target




def _save_slices(ids: Sequence[str], one_slice: Callable[[list[str]], RunData], formats: Sequence[str],
                 target: Path) -> list[dict[str, Any]] | None:
    """The material of the patients ``ids`` (sorted), :data:`SLICE_PATIENTS` at a time (``one_slice``
    gives a slice's :class:`RunData`), saved under ``target`` (slices in ``target/slice-NNNN``, merged into
    ``target`` where their rows interleave, read in turn where they follow each other:
    ``engine.report_parts.merge_saved(link=True)``). Returns the slices' summaries (``engine.report.summarize``
    of their outcomes, which the HTML audit's material holds), None when the formats have no HTML audit."""
    from engine.report_parts import merge_saved, save_material
    from engine.reports import report_material

    slices = [list(ids[i:i + SLICE_PATIENTS]) for i in range(0, len(ids), SLICE_PATIENTS)] or [[]]
    if target.exists():
        shutil.rmtree(target)
    folders = []
    summaries: list[dict[str, Any]] | None = []
    for k, chunk in enumerate(slices):
        run = one_slice(chunk)
        folder = target if len(slices) == 1 else target / f"slice-{k:04d}"
        material = report_material(run, list(formats))
        audit = material.counts.get("audit")
        if audit is None or summaries is None:
            summaries = None
        else:
            summaries.append(audit["overall"])
        save_material(material, folder)
        folders.append(folder)
        del run, material
    if len(folders) > 1:  # streams whose slices follow each other are read from the slices (not copied)
        merge_saved(folders, target, link=True)
    (target / FORMATS_FILE).write_text(json.dumps(list(formats)) + "\n", encoding="utf-8")
    return summaries


FORMATS_FILE = "formats.json"  # in a saved material folder: the report formats it was computed for


def _as_stored(record: Any, model: type[Any]) -> Any:
    """A pydantic record as the partition's Parquet file gives it back (its JSON-encoded fields through
    JSON: dict keys sorted, tuples as lists), so that material computed from memory equals material
    computed from the files."""
    from qae.partitions import json_fields

    names = json_fields(model)
    changed = {n: json.loads(json.dumps(getattr(record, n), sort_keys=True, ensure_ascii=False))
               for n in names if getattr(record, n) is not None}
    if not changed or all(changed[n] == getattr(record, n) and _same_order(changed[n], getattr(record, n))
                          for n in changed):
        return record
    return model.model_validate({**record.model_dump(), **changed})


def _same_order(a: Any, b: Any) -> bool:
    """Equal values also equal in every dict's key order and every sequence's type (list, not tuple)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same_order(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(_same_order(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b)


def memory_material(job: str, period: MeasurementPeriod, specs: Sequence[Any], patients: Sequence[Patient],
                    outcomes: Sequence[Any], evidence: Sequence[Any], encounters: Sequence[Encounter],
                    formats: Sequence[str], target: Path) -> dict[str, Any] | None:
    """One partition's material from what its measure task holds (``qae run``: no reading back of the
    partition's files), saved under ``target``: the same files :func:`partition_material` writes from
    the partition's Parquet files (records are taken as those files give them back). Returns the
    partition's summary (``engine.report.summarize`` of its outcomes) when the HTML audit's material
    gave it (its slices' summaries merged), else None."""
    import dataclasses

    from engine.records import Evidence

    own = {p.patient_id: _as_stored(p, Patient) for p in sorted(patients, key=lambda p: p.patient_id)}
    ids = sorted(set(own).union(map(_PATIENT_ID, outcomes)))
    # each slice's outcomes, in the order given (calculate's: the slice's sort below finds them sorted)
    slice_of = {pid: k // SLICE_PATIENTS for k, pid in enumerate(ids)}
    held: list[list[Any]] = [[] for _ in range(0, len(ids), SLICE_PATIENTS)]
    for o in outcomes:
        if o.extra:  # stored as JSON with sorted keys
            extra = json.loads(json.dumps(o.extra, sort_keys=True, ensure_ascii=False))
            if not _same_order(extra, o.extra):
                o = dataclasses.replace(o, extra=extra)
        held[slice_of[o.patient_id]].append(o)
    spec_map = {s.id: s for s in sorted(specs, key=lambda s: s.id)}

    def one_slice(chunk: list[str]) -> RunData:
        rows: list[Any] = []
        if chunk:
            k = slice_of[chunk[0]]
            rows, held[k] = sorted(held[k], key=OUTCOME_ORDER), []  # the slice's outcomes, not held twice
        referenced = _referenced(rows)
        found = [_as_stored(e, Evidence) for e in evidence if e.evidence_id in referenced]
        members = set(chunk)
        return RunData(job=job, period=period, specs=spec_map,
                       patients={pid: own[pid] for pid in chunk if pid in own}, outcomes=rows,
                       evidence={e.evidence_id: e for e in found},
                       encounters=tuple(e for e in encounters if e.patient_id in members))

    summaries = _save_slices(ids, one_slice, formats, Path(target))
    if summaries is None:
        return None
    from engine.report import merge_summaries

    return merge_summaries(summaries)


def _input_shards(run_dir: Path, names: Sequence[str], patients: Path | None, encounters: Path | None,
                  folder: Path) -> None:
    """The ``--patients`` file and the run's encounters as one shard per partition under ``folder``
    (qae.input_store: validated on the way to disk, never held whole). Partitions are ranges of patient
    ids: the first id of each is read from its patients file."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from qae.input_store import InputStore, Ranges

    firsts = [pc.min(pq.read_table(run_dir / "patients" / f"{n}.parquet", columns=["patient_id"])["patient_id"])
              .as_py() for n in names]
    ranges = Ranges(firsts)
    folder.mkdir(parents=True, exist_ok=True)
    store = InputStore(folder / "inputs.sqlite")
    try:
        if patients is not None:
            store.load_patients(patients)
        if encounters is not None:
            store.load_encounters(encounters, ranges, check_patients=False)
        store.write_shards(folder / "shards", ranges)
    finally:
        store.close()
        (folder / "inputs.sqlite").unlink(missing_ok=True)


def _partitions(run_dir: Path) -> list[str]:
    folder = run_dir / "outcomes"
    return sorted(p.stem for p in folder.glob("part-*.parquet")) if folder.is_dir() else []


def render_run(run_dir: Path, out_dir: Path, formats: Sequence[str] | str | None = None, *,
               patients: Path | None = None, encounters: Path | None = None, work: Path | None = None,
               use_ray: bool = False, on_partition: Callable[[], None] | None = None,
               materials: Mapping[str, Path] | None = None, audit_page_patients: int | None = None) -> list[Path]:
    """Write the reports of the run in ``run_dir`` under ``out_dir``; returns the files written.

    ``patients`` / ``encounters`` replace the files the manifest names; ``work`` holds the
    partitions' material while the reports are written (default: a temporary folder, removed after);
    ``use_ray``: partitions are Ray tasks (Ray already started); ``materials``: partition name -> the
    material its measure task saved (``qae run``: :func:`memory_material`), used when it is there and
    was computed for the same formats (else computed here from the partition's files);
    ``audit_page_patients``: the HTML audit's page size (default: the one the run's config set, else
    ``QAE_AUDIT_PAGE_PATIENTS``, else 500)."""
    from engine.report_parts import Parts, load_material
    from engine.reports import parse_formats, render_parts
    from qae.run_folder import input_path, load_run, read_manifest

    run_dir = Path(run_dir)
    chosen = parse_formats(formats if formats is None or isinstance(formats, str) else list(formats))
    manifest = read_manifest(run_dir)
    base = _base(run_dir, manifest)
    if audit_page_patients is not None:
        base = dataclasses.replace(base, audit_page_patients=audit_page_patients)
    names = _partitions(run_dir)
    whole_run: list[RunData] = []

    def whole() -> RunData:
        if not whole_run:
            run = load_run(run_dir, patients=patients, encounters=encounters, evidence="referenced")
            whole_run.append(dataclasses.replace(run, audit_page_patients=base.audit_page_patients))
        return whole_run[0]

    if not names:  # a folder without partition files: the whole run is the one partition
        from engine.reports import render_reports

        return render_reports(whole(), out_dir, chosen)
    if patients is not None and not Path(patients).is_file():
        raise InputError(f"the patients file {patients} is not there; give an existing file with --patients.")
    enc_path = input_path(manifest, "encounters", encounters)
    enc_path = enc_path if enc_path is not None and enc_path.is_file() else None

    scratch = Path(tempfile.mkdtemp(prefix="qae-report-parts-")) if work is None else Path(work)
    if scratch.exists() and work is not None:
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        ready = {n: Path(materials[n]) for n in names if materials and patients is None and encounters is None
                 and n in materials and _saved_for(Path(materials[n]), chosen)}
        shards = None
        if len(ready) < len(names):  # some partitions' material is computed here: they read the input shards
            _input_shards(run_dir, names, Path(patients) if patients is not None else None, enc_path,
                          scratch / "inputs")
            shards = str(scratch / "inputs" / "shards")
        jobs = [_PartitionJob(str(run_dir), n, str(ready.get(n, scratch / n)), tuple(chosen), i, shards,
                              patients is not None)
                for i, n in enumerate(names)]
        for _ in ready:
            if on_partition is not None:
                on_partition()
        for _ in _each_material([j for j in jobs if j.name not in ready], base, use_ray):
            if on_partition is not None:
                on_partition()
        parts = Parts([load_material(Path(j.target)) for j in jobs])
        return render_parts(parts, base, out_dir, chosen, whole=whole, each=_ray_writers if use_ray else None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _saved_for(folder: Path, formats: Sequence[str]) -> bool:
    """Whether ``folder`` holds saved material computed for ``formats``."""
    try:
        return json.loads((folder / FORMATS_FILE).read_text(encoding="utf-8")) == list(formats)
    except (OSError, ValueError):
        return False


def _each_material(jobs: Sequence[_PartitionJob], base: RunData, use_ray: bool) -> Iterable[str]:
    if not use_ray or len(jobs) < 2:
        for job in jobs:
            yield partition_material(job, base)
        return
    import ray

    remote = ray.remote(num_cpus=1, max_retries=3)(partition_material)
    base_ref = ray.put(base)
    pending = [remote.remote(job, base_ref) for job in jobs]
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        yield ray.get(ready[0])


def _write(writer: Callable[..., list[Path]], parts: Any, run: RunData, out_dir: Path) -> list[Path]:
    """One report file writer (a Ray task), with the cyclic garbage collector paused: its rows and cells are
    freed by reference counting, and the collector's passes over them found nothing."""
    from qae.partitions import gc_paused

    with gc_paused():
        return writer(parts, run, out_dir)


def _ray_writers(calls: Sequence[Any]) -> Iterable[list[Path]]:
    """The report file writers as Ray tasks (one CPU each, in the order given: the longest first), each
    reading the saved material and writing its own files; yields the files each wrote."""
    import ray

    remote = ray.remote(num_cpus=1, max_retries=3)(_write)
    refs: dict[int, Any] = {}  # one copy of the run's base in the object store
    pending = []
    for writer, parts, run, out_dir in calls:
        ref = refs.setdefault(id(run), ray.put(run))
        pending.append(remote.remote(writer, parts, ref, out_dir))
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        yield ray.get(ready[0])
