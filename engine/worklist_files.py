"""Clinic worklist files: ``worklists/<clinic>.xlsx`` and the same rows as CSV.

Per clinic (file names from engine/care_gaps.py ``clinic_file_names``):

* ``worklists/<clinic>.xlsx``: a **Summary** sheet (the run, its warnings, open gaps per service,
  the clinic's rate per measure with a bar chart), **All open gaps** (every row, sorted by provider
  then due date), one sheet per service (the same rows, one service each), and **Reopen <year>**
  (gaps closed now that reopen in the next measurement period). Every table has a frozen, filtered
  header and set column widths; the evidence is its sentence with the span in bold.
* ``worklists/<clinic>.csv`` (the open-gap rows) and ``worklists/reopening/<clinic>.csv``.

Rows come from engine/worklist.py. Every cell is spreadsheet-safe (engine/cells.py, engine/xlsx.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any

from engine.care_gaps import clinic_file_names
from engine.cells import SafeDictWriter
from engine.horizon import next_period
from engine.quality_summary import ALL_CLINICS, merged_summary_rows, rate_table, rates_chart, summary_material
from engine.report_parts import Material, Parts
from engine.run_data import RunData
from engine.worklist import NO_PROVIDER, UNASSIGNED, WorkRow, open_gap_rows, reopening_rows
from engine.xlsx import Column, add_table, bold, new_workbook, print_setup, put, rich_quote, save_workbook, sheet_title

__all__ = ["OPEN_COLUMNS", "REOPEN_COLUMNS", "worklist_material", "write_worklist_csv", "write_worklist_csv_parts",
           "write_worklist_xlsx", "write_worklist_xlsx_parts"]

OPEN_COLUMNS = (
    Column("provider", "Provider", 13), Column("due_date", "Due date", 11), Column("patient", "Patient", 20),
    Column("mrn", "MRN", 11), Column("birth_date", "Date of birth", 11), Column("service", "Service", 18, True),
    Column("missing", "What is missing", 32, True), Column("action", "Action", 38, True),
    Column("evidence", "Last evidence (in its sentence)", 48, True), Column("evidence_date", "Evidence date", 12),
    Column("measures", "Measures", 32, True), Column("source", "Evidence source", 20, True, printed=False),
    Column("patient_id", "Patient ID", 13, printed=False), Column("episode", "Episode", 12, printed=False),
    Column("reasons", "Gap reasons", 16, True, printed=False),
    Column("measure_ids", "Measure ids", 16, True, printed=False),
)
REOPEN_COLUMNS = (
    Column("provider", "Provider", 13), Column("reopens_on", "Reopens on", 11), Column("patient", "Patient", 20),
    Column("mrn", "MRN", 11), Column("birth_date", "Date of birth", 11), Column("service", "Service", 18, True),
    Column("missing", "Why it reopens", 32, True), Column("action", "Action", 38, True),
    Column("evidence", "Evidence that closes it now", 48, True), Column("evidence_date", "Evidence date", 12),
    Column("valid_through", "Counts through", 11), Column("measures", "Measures", 32, True),
    Column("source", "Evidence source", 20, True, printed=False), Column("patient_id", "Patient ID", 13, printed=False),
    Column("measure_ids", "Measure ids", 16, True, printed=False),
)


_DATES = ("due_date", "birth_date", "valid_through", "reopens_on")


def _payload(row: WorkRow) -> dict[str, Any]:
    """A row's cell values as JSON (dates as ISO text; the evidence sentence in its three parts)."""
    values = {
        "provider": row.provider, "due_date": row.due_date, "patient": row.patient, "mrn": row.mrn,
        "birth_date": row.birth_date, "service": row.service, "missing": row.missing, "action": row.action,
        "evidence": row.evidence_text or "none found", "evidence_parts": list(row.evidence_parts),
        "evidence_date": row.evidence_when, "measures": row.measures, "source": row.evidence_source,
        "patient_id": row.patient_id, "episode": row.episode, "reasons": row.reasons,
        "measure_ids": row.measure_ids, "valid_through": row.valid_through, "reopens_on": row.reopens_on,
    }
    for k in _DATES:
        values[k] = values[k].isoformat() if values[k] is not None else None
    return values


def _values(payload: dict[str, Any], rich: bool) -> dict[str, Any]:
    values = dict(payload)
    for k in _DATES:
        values[k] = date.fromisoformat(values[k]) if values[k] else None
    if rich:
        values["evidence"] = rich_quote(*payload["evidence_parts"]) or "none found"
    return values


def _key(row: WorkRow, when: str) -> list[Any]:
    """The order of engine.worklist's rows (clinic, provider, due date ...) as a JSON list."""
    day = getattr(row, when)
    return [row.clinic, row.provider == NO_PROVIDER, row.provider, day.isoformat() if day else "9999-12-31",
            row.patient.lower(), row.patient_id, row.service, row.episode]


def worklist_material(run: RunData) -> Material:
    """One partition's worklist rows: streams ``worklist_open`` and ``worklist_reopen`` (keyed by clinic,
    provider, due date ... as engine.worklist sorts them), counts ``worklist_clinics``."""
    material = Material()
    for row in open_gap_rows(run):
        material.add("worklist_open", _key(row, "due_date"), _payload(row))
    for row in reopening_rows(run):
        material.add("worklist_reopen", _key(row, "valid_through"), _payload(row))
    clinics = {(p.clinic_id or UNASSIGNED) for p in run.patients.values()}
    clinics.update(key[0] for rows in material.streams.values() for key, _ in rows)
    material.counts["worklist_clinics"] = sorted(clinics)
    return material


def _csv_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _by_clinic(stream: Iterator[tuple[list[Any], Any]]) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    for clinic, group in groupby(stream, key=lambda kp: kp[0][0]):
        yield clinic, (p for _, p in group)


class _ClinicRows:
    """The merged rows of two streams, clinic after clinic (each clinic's rows read once, in order)."""

    def __init__(self, parts: Parts) -> None:
        self.clinics = sorted({c for part in parts.counts("worklist_clinics") for c in part})
        self.names = clinic_file_names(self.clinics)
        self.parts = parts

    def each(self, stream: str) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
        """(clinic, its rows) for every clinic in order, an empty iterator for a clinic without rows."""
        groups = _by_clinic(self.parts.stream(stream))
        pending = next(groups, None)
        for clinic in self.clinics:
            if pending is not None and pending[0] == clinic:
                yield clinic, pending[1]
                for _ in pending[1]:  # whatever the caller left unread
                    pass
                pending = next(groups, None)
            else:
                yield clinic, iter(())
        if pending is not None:
            raise ValueError(f"worklist rows of clinic {pending[0]!r}: no such clinic in the run's patients")


def _write_csv(path: Path, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = SafeDictWriter(fh, [c.header for c in columns])
        writer.writeheader()
        for row in rows:
            values = _values(row, rich=False)
            writer.writerow({c.header: _csv_value(values[c.key]) for c in columns})
    return path


def write_worklist_csv_parts(parts: Parts, run: RunData, out_dir: Path) -> list[Path]:
    """``worklists/<clinic>.csv`` and ``worklists/reopening/<clinic>.csv`` for every clinic, streamed."""
    folder = Path(out_dir) / "worklists"
    (folder / "reopening").mkdir(parents=True, exist_ok=True)
    clinics = _ClinicRows(parts)
    paths = [_write_csv(folder / f"{clinics.names[c]}.csv", OPEN_COLUMNS, rows) for c, rows in
             clinics.each("worklist_open")]
    paths += [_write_csv(folder / "reopening" / f"{clinics.names[c]}.csv", REOPEN_COLUMNS, rows) for c, rows in
              clinics.each("worklist_reopen")]
    return sorted(paths)


def write_worklist_csv(run: RunData, out_dir: Path) -> list[Path]:
    """``worklists/<clinic>.csv`` and ``worklists/reopening/<clinic>.csv`` for every clinic."""
    return write_worklist_csv_parts(Parts([worklist_material(run)]), run, out_dir)


def _summary_sheet(wb: Any, run: RunData, clinic: str, rows: Sequence[dict[str, Any]],
                   reopen: Sequence[dict[str, Any]], rates: Sequence[dict[str, Any]]) -> None:
    ws = wb.create_sheet("Summary")
    print_setup(ws)
    nxt = next_period(run.period)
    put(ws, 1, 1, f"Care-gap worklist: {clinic}")
    bold(ws, 1, size=14)
    lines = [
        f"Measurement period {run.period.start.isoformat()} to {run.period.end.isoformat()}; run '{run.job}' "
        f"(qae {run.versions.get('qae', '?')}, pipeline {run.versions.get('pipeline', '?')}).",
        f"{len(rows)} open gaps for {len({r['patient_id'] for r in rows})} patients; {len(reopen)} gaps closed now "
        f"reopen in the measurement period starting {nxt.start.isoformat()}.",
        "One row per patient and service: a service that closes several measures (a colonoscopy closes COL-E "
        "and CMS130) is one row naming them all.",
        "Due date: the last day in the measurement period by which the service still closes the gap. Evidence "
        "dates keep the note's precision (a year alone is shown as the year).",
    ]
    r = 2
    for line in lines:
        put(ws, r, 1, line)
        r += 1
    for warning in run.warnings:
        put(ws, r, 1, f"WARNING: {warning}")
        bold(ws, r, color="C00000")
        r += 1
    r += 1
    put(ws, r, 1, "Open gaps by service")
    bold(ws, r, size=12)
    services: dict[str, dict[str, Any]] = {}
    for row in rows:
        due = date.fromisoformat(row["due_date"]) if row["due_date"] else None
        entry = services.setdefault(row["service"], {"service": row["service"], "rows": 0, "patients": set(),
                                                     "due": due, "reopening": 0})
        entry["rows"] += 1
        entry["patients"].add(row["patient_id"])
        entry["due"] = min(d for d in (entry["due"], due) if d is not None) if due else entry["due"]
    for row in reopen:
        services.setdefault(row["service"], {"service": row["service"], "rows": 0, "patients": set(), "due": None,
                                             "reopening": 0})["reopening"] += 1
    table = [{"service": e["service"], "rows": e["rows"], "patients": len(e["patients"]), "due": e["due"],
              "reopening": e["reopening"]} for _, e in sorted(services.items())]
    add_table(ws, (Column("service", "Service", 44), Column("rows", "Open gaps", 11),
                   Column("patients", "Patients", 10), Column("due", "Earliest due date", 14),
                   Column("reopening", f"Reopen in {nxt.start.year}", 12)), table, first_row=r + 1, filters=False)
    r += len(table) + 3
    put(ws, r, 1, "This clinic's rate per measure (met / eligible; inverse measures: lower is better)")
    bold(ws, r, size=12)
    rates = [x for x in rates if x["clinic"] in (clinic, ALL_CLINICS)]
    series = [clinic, ALL_CLINICS] if clinic != ALL_CLINICS else [clinic]
    n = rate_table(ws, r + 1, rates, series)
    rates_chart(ws, r + 1, n, len(series), f"Rate per measure: {clinic} and all clinics", f"G{r + 1}")


def write_worklist_xlsx_parts(parts: Parts, run: RunData, out_dir: Path) -> list[Path]:
    """``worklists/<clinic>.xlsx`` for every clinic (see the module docstring), one clinic at a time."""
    nxt = next_period(run.period)
    clinics = _ClinicRows(parts)
    rates = merged_summary_rows(parts, by_provider=False)
    paths = []
    reopen_groups = clinics.each("worklist_reopen")
    for clinic, open_iter in clinics.each("worklist_open"):
        rows = list(open_iter)
        reopen = list(next(reopen_groups)[1])
        wb = new_workbook()
        _summary_sheet(wb, run, clinic, rows, reopen, rates)
        used = {"summary"}
        sheets: list[tuple[str, Sequence[Column], Sequence[dict[str, Any]]]] = [("All open gaps", OPEN_COLUMNS, rows)]
        for service in sorted({r["service"] for r in rows}):
            sheets.append((service, OPEN_COLUMNS, [r for r in rows if r["service"] == service]))
        sheets.append((f"Reopen in {nxt.start.year}", REOPEN_COLUMNS, reopen))
        for title, columns, items in sheets:
            ws = wb.create_sheet(sheet_title(title, used))
            add_table(ws, columns, [_values(x, rich=True) for x in items])
        paths.append(save_workbook(wb, Path(out_dir) / "worklists" / f"{clinics.names[clinic]}.xlsx"))
    return paths


def write_worklist_xlsx(run: RunData, out_dir: Path) -> list[Path]:
    """``worklists/<clinic>.xlsx`` for every clinic (see the module docstring)."""
    return write_worklist_xlsx_parts(Parts([worklist_material(run), summary_material(run)]), run, out_dir)
