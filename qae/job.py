"""The batch job: notes -> evidence -> measure outcomes -> reports, with a manifest.

Each stage is one call into its layer:

    qae.inputs      read + validate (bad records -> quarantine)
    pipelines.batch extract evidence on Ray Data (one pipeline per actor)
    engine          structured events -> evidence; calculate outcomes; write reports

Outputs in the run folder: ``evidence.jsonl``, ``outcomes.csv``, the reports of
engine/reports.py (``care_gaps/``, ``worklists/``, ``summary/``, ...), ``quarantine.jsonl`` and
``manifest.json`` (``reports``: every report file with its sha256; ``warnings``: empty inputs).
All but the manifest's timings are byte-identical for the same inputs and config.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.records import Encounter, Evidence, Note, Patient
from qae import __version__
from qae.config import JobConfig
from qae.inputs import QuarantineRecord, ReadResult, read_encounters, read_events, read_notes, read_patients

__all__ = ["JobResult", "run_extract", "run_job", "write_evidence", "write_quarantine"]


@dataclass
class JobResult:
    out_dir: Path
    manifest: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_entry(result: ReadResult) -> dict[str, Any]:
    return {
        "path": str(result.path),
        "sha256": _sha256(result.path),
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
    rows = sorted(records, key=lambda q: (q.kind, q.file, q.line, q.reason))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for q in rows:
            fh.write(json.dumps(q.to_json_dict(), sort_keys=True, ensure_ascii=False, default=str) + "\n")


def _extract(notes: Sequence[Note], config: JobConfig, use_ray: bool, supplemental: bool = True):
    from pipelines.batch import extract_in_process, extract_with_ray

    if use_ray:
        r = config.ray
        return extract_with_ray(notes, config.pipeline, address=r.address, num_cpus=r.num_cpus,
                                actors=r.actors, batch_size=r.batch_size, supplemental=supplemental)
    return extract_in_process(notes, config.pipeline, supplemental=supplemental)


def _failures_to_quarantine(failures, notes_result: ReadResult) -> list[QuarantineRecord]:
    return [
        QuarantineRecord(str(notes_result.path), notes_result.lines.get(f.note_id, 0), "notes",
                         f.note_id, f.reason, "text", None)
        for f in failures
    ]


def _counts(evidence: Sequence[Evidence]) -> dict[str, Any]:
    by_element = Counter(e.element for e in evidence)
    by_status = Counter(e.status for e in evidence)
    return {"items": len(evidence), "by_element": dict(sorted(by_element.items())),
            "by_status": dict(sorted(by_status.items()))}


def _versions(specs: Sequence[Any], config: JobConfig) -> dict[str, Any]:
    import pipelines

    return {
        "qae": __version__,
        "pipeline": pipelines.PIPELINE_VERSION,
        "config": config.fingerprint(),
        "measures": {s.id: s.version for s in specs},
    }


def run_job(config: JobConfig, *, use_ray: bool = True) -> JobResult:
    """Run the whole job described by ``config``; returns the manifest and summary."""
    from engine.calculator import calculate
    from engine.report import write_reports
    from engine.reports import file_digests, render_reports
    from engine.run_data import RunData
    from engine.spec import MeasurementPeriod, load_specs, resolve_measures
    from engine.structured import events_to_evidence
    from qae.run_checks import input_warnings

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    inputs = config.inputs
    if inputs.patients is None:
        from qae.config import ConfigError

        raise ConfigError("no patients file: give --patients or inputs.patients in the config")
    specs = resolve_measures(None if config.measures == "all" else config.measures, load_specs())
    period = MeasurementPeriod(start=config.measurement_period.start, end=config.measurement_period.end)

    patients_r = read_patients(inputs.patients)
    known = {p.patient_id for p in patients_r.records}
    results: list[ReadResult] = [patients_r]
    notes_r = read_notes(inputs.notes, known, config.limits.max_note_chars) if inputs.notes else None
    events_r = read_events(inputs.events, known) if inputs.events else None
    enc_r = read_encounters(inputs.encounters, known) if inputs.encounters else None
    results += [r for r in (notes_r, events_r, enc_r) if r is not None]
    timings["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    notes: list[Note] = notes_r.records if notes_r else []
    note_evidence, failures = _extract(notes, config, use_ray) if notes else ([], [])
    timings["extract"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    structured = events_to_evidence(events_r.records) if events_r else []
    evidence = [*note_evidence, *structured]
    patients: list[Patient] = patients_r.records
    encounters: list[Encounter] = enc_r.records if enc_r else []
    outcomes = calculate(specs, patients, evidence, encounters, period, options=config.engine)
    timings["measures"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    out = Path(config.output)
    out.mkdir(parents=True, exist_ok=True)
    n_evidence = write_evidence(evidence, out / "evidence.jsonl")
    summary = write_reports(outcomes, patients, evidence, out, care_gaps=False)
    warnings = input_warnings({r.kind: {"path": str(r.path), "read": r.read, "accepted": len(r.records)}
                               for r in results})
    from pipelines.batch import iter_sorted

    # the run as `qae report` loads it back from the folder (same orders), so both render the same bytes
    run = RunData(job=config.name, period=period, specs={s.id: s for s in sorted(specs, key=lambda s: s.id)},
                  patients={p.patient_id: p for p in patients}, outcomes=outcomes,
                  evidence={e.evidence_id: e for e in iter_sorted(evidence)}, encounters=encounters,
                  versions=json.loads(json.dumps(_versions(specs, config), sort_keys=True)), warnings=warnings)
    report_files = render_reports(run, out)  # every registered format: the same code as `qae report`
    quarantine = [q for r in results for q in r.quarantine]
    if notes_r is not None:
        quarantine += _failures_to_quarantine(failures, notes_r)
    write_quarantine(quarantine, out / "quarantine.jsonl")
    timings["report"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0

    processed = len(notes) - len(failures)
    manifest = {
        "job": config.name,
        "measurement_period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "inputs": {r.kind: _input_entry(r) for r in results},
        "counts": {
            "notes_read": notes_r.read if notes_r else 0,
            "notes_processed": processed,
            "notes_quarantined": (len(notes_r.quarantine) if notes_r else 0) + len(failures),
            "records_quarantined": len(quarantine),
            "patients": len(patients),
            "evidence": n_evidence,
            "note_evidence": _counts(note_evidence),
            "structured_evidence": len(structured),
            "outcomes": len(outcomes),
        },
        "versions": _versions(specs, config),
        "config": config.model_dump(mode="json"),
        "outputs": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                          and p.name != "manifest.json") + ["manifest.json"],
        "summary": summary,
        "reports": file_digests(report_files, out),
        "warnings": warnings,
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "executor": "ray" if use_ray else "in-process",
    }
    c = manifest["counts"]
    assert c["notes_read"] == c["notes_processed"] + c["notes_quarantined"], "note counts do not add up"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return JobResult(out, manifest, summary)


def run_extract(notes_path: Path, out_dir: Path, *, patients_path: Path | None = None,
                options: dict[str, Any] | None = None, workers: int = 1,
                max_note_chars: int | None = None, supplemental: bool = False) -> dict[str, Any]:
    """Evidence only: ``out_dir/evidence.jsonl`` (+ ``quarantine.jsonl``); returns counts.

    By default only the guideline's evidence elements are written (what chart review
    scores); ``supplemental`` adds those the measures also read (tobacco cessation,
    depression follow-up).
    """
    from qae.config import JobConfig as _JC

    known = None
    if patients_path is not None:
        known = {p.patient_id for p in read_patients(patients_path).records}
    cfg = _JC(pipeline=options or {})
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
