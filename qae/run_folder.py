"""Load a finished run folder back into :class:`engine.run_data.RunData`.

Reports (``qae report --run DIR``) and validation samples (``qae sample --run DIR``) are
rendered from what a run stored, never by re-running NLP or measure logic:

* ``manifest.json``: the measurement period, the measures and versions, the input paths;
* ``outcomes.csv``: one row per patient x measure x group (x episode);
* ``evidence.jsonl``: every evidence item (note and structured);
* the patients (and encounters) file the manifest names, read through the input contract
  (``--patients`` / ``--encounters`` override a file that has moved).

``qae run`` renders its reports the same way, from the folder it has just assembled
(qae.job), so ``qae run`` and ``qae report --run`` are one code path. Reports read only the
evidence that outcomes name (deciding, gap and flagged items): ``load_run(..., evidence="referenced")``
keeps just those, so rendering never holds a whole corpus's evidence.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

from engine.calculator import MeasureOutcome
from engine.cells import unsafe_cell
from engine.errors import InputError
from engine.gaps import GapReason
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.records import Evidence
from engine.run_data import RunData

__all__ = ["input_path", "load_run", "outcome_from_row", "read_manifest", "referenced_ids"]

# evidence.jsonl is written with sorted keys and ensure_ascii=False: "evidence_id" is a plain JSON string
_EVIDENCE_ID = re.compile(r'"evidence_id": "([^"\\]*)"')
_POPS = ("ipp", "denom", "denex", "denexcep", "numer", "numex")


def _ids(cell: str | None) -> tuple[str, ...]:
    return tuple(i for i in (cell or "").split(";") if i)


def _date(cell: str | None) -> date | None:
    return date.fromisoformat(cell) if cell else None


def outcome_from_row(row: dict[str, str], titles: dict[str, tuple[str, bool]] | None = None,
                     group_titles: dict[tuple[str, str], str] | None = None) -> MeasureOutcome:
    """One ``outcomes.csv`` row as a :class:`MeasureOutcome` (unknown extra columns go to ``extra``).

    Cells were written spreadsheet-safe (engine/cells.py); the quote is taken off again here.
    """
    row = {k: unsafe_cell(v) for k, v in row.items()}
    title, inverse = (titles or {}).get(row["measure_id"], ("", False))
    known = set(_POPS) | {"patient_id", "measure_id", "group", "episode", "gap_open", "gap_reason", "gap_action",
                          "closed_by", "numer_evidence_ids", "denex_evidence_ids", "denexcep_evidence_ids",
                          "gap_evidence_ids", "review_flags", "measure_version", "stratum", "due_date",
                          "valid_through", "prospective_gap"}
    return MeasureOutcome(
        patient_id=row["patient_id"],
        measure_id=row["measure_id"],
        group=row.get("group") or "1",
        episode=row.get("episode") or "",
        populations=PopulationFlags(**{p: row.get(p) == "1" for p in _POPS}),
        measure_version=row.get("measure_version", ""),
        gap_open=row.get("gap_open") == "1",
        gap_reason=GapReason(row["gap_reason"]) if row.get("gap_reason") else None,
        gap_action=row.get("gap_action", ""),
        gap_evidence_ids=_ids(row.get("gap_evidence_ids")),
        closed_by=row.get("closed_by", ""),
        numer_evidence_ids=_ids(row.get("numer_evidence_ids")),
        denex_evidence_ids=_ids(row.get("denex_evidence_ids")),
        denexcep_evidence_ids=_ids(row.get("denexcep_evidence_ids")),
        review_flags=_ids(row.get("review_flags")),
        inverse=inverse,
        stratum=row.get("stratum", ""),
        measure_title=title,
        group_title=(group_titles or {}).get((row["measure_id"], row.get("group") or "1"), ""),
        due_date=_date(row.get("due_date")),
        valid_through=_date(row.get("valid_through")),
        prospective_gap=row.get("prospective_gap") == "1",
        extra={k: v for k, v in row.items() if k not in known and v is not None},
    )


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise InputError(f"{run_dir} is not a finished run folder: {path.name} is missing "
                         "(run `qae run` first, or give the folder a run wrote).")
    return json.loads(path.read_text(encoding="utf-8"))


def _input_path(manifest: dict[str, Any], kind: str, override: Path | None) -> Path | None:
    if override is not None:
        return Path(override)
    entry = (manifest.get("inputs") or {}).get(kind)
    return Path(entry["path"]) if entry else None


def _referenced_ids(outcomes: Iterable[MeasureOutcome]) -> set[str]:
    """Evidence ids an outcome names: deciding, gap and flagged (``<kind>:<evidence id>``) items."""
    ids: set[str] = set()
    for o in outcomes:
        if not (o.numer_evidence_ids or o.gap_evidence_ids or o.review_flags or o.denex_evidence_ids
                or o.denexcep_evidence_ids):
            continue  # most outcomes name nothing
        ids.update(o.numer_evidence_ids, o.denex_evidence_ids, o.denexcep_evidence_ids, o.gap_evidence_ids)
        ids.update(f.partition(":")[2] for f in o.review_flags if ":" in f)
    return ids


def load_run(run_dir: Path, *, patients: Path | None = None, encounters: Path | None = None,
             evidence: Literal["all", "referenced"] = "all") -> RunData:
    """Read a run folder; raises :class:`InputError` (one line) when something is missing.

    ``evidence="referenced"`` keeps only the evidence items outcomes name (what reports read)."""
    from engine.spec import load_specs
    from qae.inputs import read_encounters, read_patients

    run_dir = Path(run_dir)
    manifest = _manifest(run_dir)
    mp = manifest["measurement_period"]
    period = MeasurementPeriod(start=date.fromisoformat(mp["start"]), end=date.fromisoformat(mp["end"]))
    all_specs = load_specs()
    wanted = sorted((manifest.get("versions") or {}).get("measures", {}))
    specs = {m: all_specs[m] for m in wanted if m in all_specs}
    titles = {s.id: (s.title, s.inverse) for s in specs.values()}
    group_titles = {(s.id, g.id): g.title or "" for s in specs.values() for g in s.groups}

    patients_path = _input_path(manifest, "patients", patients)
    if patients_path is None or not patients_path.is_file():
        raise InputError(f"the patients file of run {run_dir} ({patients_path}) is not there any more; "
                         "give it with --patients.")
    patient_map = {p.patient_id: p for p in read_patients(patients_path).records}
    enc_path = _input_path(manifest, "encounters", encounters)
    encs = tuple(read_encounters(enc_path).records) if enc_path is not None and enc_path.is_file() else ()

    with (run_dir / "outcomes.csv").open(encoding="utf-8", newline="") as fh:
        outcomes = [outcome_from_row(row, titles, group_titles) for row in csv.DictReader(fh)]
    wanted_ids = _referenced_ids(outcomes) if evidence == "referenced" else None
    items: dict[str, Evidence] = {}
    ev_path = run_dir / "evidence.jsonl"
    if ev_path.is_file():
        with ev_path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                if wanted_ids is not None:
                    ident = _EVIDENCE_ID.search(line)
                    if ident is not None and ident.group(1) not in wanted_ids:
                        continue
                item = Evidence.model_validate_json(line)
                if wanted_ids is None or item.evidence_id in wanted_ids:
                    items[item.evidence_id] = item
    return RunData(job=str(manifest.get("job", run_dir.name)), period=period, specs=specs, patients=patient_map,
                   outcomes=outcomes, evidence=items, encounters=encs,
                   versions=manifest.get("versions") or {}, warnings=tuple(manifest.get("warnings") or ()))


read_manifest = _manifest
input_path = _input_path
referenced_ids = _referenced_ids
