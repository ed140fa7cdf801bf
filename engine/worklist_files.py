"""Clinic worklist files: ``worklists/<clinic>.xlsx`` and the same rows as CSV.

Per clinic (file names from engine/care_gaps.py ``clinic_file_names``):

* ``worklists/<clinic>.xlsx``: a **Summary** sheet (the run, its warnings, open gaps per service,
  the clinic's rate per measure with a bar chart), **All open gaps** (every row, sorted by provider
  then due date), one sheet per service (the same rows, one service each), and **Reopen <year>**
  (gaps closed now that reopen in the next measurement period). Every table has a frozen, filtered
  header and set column widths; the evidence is its sentence with the span in bold.
* ``worklists/<clinic>.csv`` (the open-gap rows) and ``worklists/reopening/<clinic>.csv``.

Rows come from engine/worklist.py. Every cell is spreadsheet-safe (engine/cells.py, engine/xlsx.py).
A workbook's table rows are rendered to their XML once (engine.xlsx.RowRenderer; a row is on two sheets),
and its zip entries are deflated at :data:`DEFLATE_LEVEL` (3: a third of the CPU of zlib's default for about
a fifth more bytes; the entries' content, and so the workbook, is the same at any level).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
from openpyxl.xml import LXML as openpyxl_lxml

from engine.care_gaps import clinic_file_names, union_sorted
from engine.cells import SafeDictWriter
from engine.horizon import next_period
from engine.plain_csv import CsvLines
from engine.quality_summary import ALL_CLINICS, merged_summary_rows, rate_table, rates_chart, summary_material
from engine.report_parts import Material, Parts, register_counts
from engine.run_data import RunData
from engine.worklist import NO_PROVIDER, UNASSIGNED, WorkRow, open_gap_rows, reopening_rows
from engine.xlsx import (
    Column,
    RowRenderer,
    add_table,
    bold,
    new_workbook,
    print_setup,
    put,
    rich_quote,
    save_workbook,
    sheet_title,
    table_sheet,
)

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
# zlib's deflate level of the workbooks' entries: a clinic's sheets are large (at 10,000 patients in one clinic,
# 144 MB of sheet XML): level 3 deflates them in 0.39 s CPU to 9.45 MB, zlib's default (6) in 1.00 s to 7.88 MB
DEFLATE_LEVEL = 3


def _payload(row: WorkRow) -> dict[str, Any]:
    """A row's cell values as JSON (dates as ISO text; the evidence sentence in its three parts)."""
    if row.evidence is None and len(row.outcomes) == 1 and row.valid_through is None:  # most open gaps
        reason = row.outcomes[0].gap_reason
        due, born = row.due_date, row.birth_date
        return {
            "provider": row.provider, "due_date": due.isoformat() if due is not None else None,
            "patient": row.patient, "mrn": row.mrn, "birth_date": born.isoformat() if born is not None else None,
            "service": row.service, "missing": row.missing, "action": row.action, "evidence": "none found",
            "evidence_parts": ["", "", ""], "evidence_date": "", "measures": row.measures, "source": "",
            "patient_id": row.patient_id, "episode": row.episode, "reasons": reason.value if reason else "",
            "measure_ids": row.measure_ids, "valid_through": None, "reopens_on": None,
        }
    return _payload_of(row)


def _payload_of(row: WorkRow) -> dict[str, Any]:
    """:func:`_payload`, field by field from the row's properties (the reference)."""
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


def _rich(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload's values as :func:`_values` gives them with ``rich``, but the dates (left as ISO text: the
    renderer takes them so, engine.xlsx.RowRenderer ``iso_dates``)."""
    parts = payload["evidence_parts"]
    if not (parts[0] or parts[1] or parts[2]) and payload["evidence"] == "none found":
        return payload  # no evidence (most rows)
    return {**payload, "evidence": rich_quote(*parts) or "none found"}


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
    material.counts["worklist_stats"] = _stats(material)
    return material


def _dated(payload: dict[str, Any], columns: Sequence[Column]) -> set[str]:
    return {c.key for c in columns if c.key in _DATES and payload.get(c.key)}


def _stats(material: Material) -> dict[str, Any]:
    """Per clinic: open rows and their distinct patients, per service (rows, patients, earliest due date,
    reopening rows, the columns holding a date), reopening rows and their date columns. Patients are in
    one partition each, so the partitions' distinct counts add up."""
    out: dict[str, Any] = {}
    patients: dict[tuple[str, str], set[str]] = {}
    dated: dict[tuple[str, str | None], set[str]] = {}  # (clinic, service; None: the reopening rows) -> keys
    open_dates = [c.key for c in OPEN_COLUMNS if c.key in _DATES]
    reopen_dates = [c.key for c in REOPEN_COLUMNS if c.key in _DATES]
    for key, row in material.streams.get("worklist_open", []):
        clinic = out.get(key[0])
        if clinic is None:
            clinic = out[key[0]] = {"open": 0, "patients": 0, "reopen": 0, "reopen_dated": [], "services": {}}
        clinic["open"] += 1
        pid, name = row["patient_id"], row["service"]
        patients.setdefault((key[0], ""), set()).add(pid)
        patients.setdefault((key[0], name), set()).add(pid)
        service = clinic["services"].get(name)
        if service is None:
            service = clinic["services"][name] = {"rows": 0, "patients": 0, "due": None, "reopening": 0, "dated": []}
        service["rows"] += 1
        due = row["due_date"]
        if due and (service["due"] is None or due < service["due"]):
            service["due"] = due
        found = dated.setdefault((key[0], name), set())
        for k in open_dates:
            if row.get(k):
                found.add(k)
    for key, row in material.streams.get("worklist_reopen", []):
        clinic = out.setdefault(key[0], {"open": 0, "patients": 0, "reopen": 0, "reopen_dated": [], "services": {}})
        clinic["reopen"] += 1
        found = dated.setdefault((key[0], None), set())
        for k in reopen_dates:
            if row.get(k):
                found.add(k)
        clinic["services"].setdefault(row["service"], {"rows": 0, "patients": 0, "due": None, "reopening": 0,
                                                       "dated": []})["reopening"] += 1
    for (clinic, service), keys in dated.items():
        if service is None:
            out[clinic]["reopen_dated"] = sorted(keys)
        else:
            out[clinic]["services"][service]["dated"] = sorted(keys)
    for (clinic, service), ids in patients.items():
        target = out[clinic] if not service else out[clinic]["services"][service]
        target["patients"] = len(ids)
    return out


def _merged_stats(partitions: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Partitions' :func:`_stats` as one (date columns as sets)."""
    out: dict[str, dict[str, Any]] = {}
    for stats in partitions:
        for clinic, s in stats.items():
            acc = out.setdefault(clinic, {"open": 0, "patients": 0, "reopen": 0, "reopen_dated": set(),
                                          "services": {}})
            for k in ("open", "patients", "reopen"):
                acc[k] += s[k]
            acc["reopen_dated"].update(s["reopen_dated"])
            for name, sv in s["services"].items():
                a = acc["services"].setdefault(name, {"rows": 0, "patients": 0, "due": None, "reopening": 0,
                                                      "dated": set()})
                for k in ("rows", "patients", "reopening"):
                    a[k] += sv[k]
                if sv["due"] and (a["due"] is None or sv["due"] < a["due"]):
                    a["due"] = sv["due"]
                a["dated"].update(sv["dated"])
    return out


def _stats_json(merged: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """:func:`_merged_stats` in the shape of one partition's (:func:`_stats`): sets as sorted lists."""
    return {clinic: {**s, "reopen_dated": sorted(s["reopen_dated"]),
                     "services": {name: {**sv, "dated": sorted(sv["dated"])} for name, sv in s["services"].items()}}
            for clinic, s in merged.items()}


register_counts("worklist_clinics", union_sorted)
register_counts("worklist_stats", lambda a, b: _stats_json(_merged_stats([a, b])))


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


def _csv_row(payload: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    """A row's cells by header, as :class:`SafeDictWriter` takes them (dates read, then written as ISO text)."""
    values = _values(payload, rich=False)
    return {c.header: _csv_value(values[c.key]) for c in columns}


def _write_csv(path: Path, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> Path:
    """The rows' cells straight from their payloads (a date is its ISO text there, as :func:`_csv_row`
    writes it), each row's line from :class:`engine.plain_csv.CsvLines`: the bytes of ``SafeDictWriter``."""
    cells = itemgetter(*(c.key for c in columns))
    headers = [c.header for c in columns]
    lines = CsvLines(headers)
    with path.open("w", newline="", encoding="utf-8") as fh:
        SafeDictWriter(fh, headers).writeheader()
        held: list[str] = []
        for row in rows:
            held.append(lines.line(cells(row), lambda row=row: _csv_row(row, columns)))
            if len(held) >= 1024:
                fh.write("".join(held))
                held.clear()
        fh.write("".join(held))
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


def _summary_sheet(wb: Any, run: RunData, clinic: str, stats: dict[str, Any], rates: Sequence[dict[str, Any]]) -> None:
    ws = wb.create_sheet("Summary")
    print_setup(ws)
    nxt = next_period(run.period)
    put(ws, 1, 1, f"Care-gap worklist: {clinic}")
    bold(ws, 1, size=14)
    lines = [
        f"Measurement period {run.period.start.isoformat()} to {run.period.end.isoformat()}; run '{run.job}' "
        f"(qae {run.versions.get('qae', '?')}, pipeline {run.versions.get('pipeline', '?')}).",
        f"{stats['open']} open gaps for {stats['patients']} patients; {stats['reopen']} gaps closed now "
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
    table = [{"service": name, "rows": e["rows"], "patients": e["patients"],
              "due": date.fromisoformat(e["due"]) if e["due"] else None, "reopening": e["reopening"]}
             for name, e in sorted(stats["services"].items())]
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


def _line(row: dict[str, Any]) -> bytes:
    """A row as one JSON line, read back as the same values (orjson; json for what orjson refuses)."""
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _spill(rows: Iterable[dict[str, Any]], path: Path, by_service: bool = False,
           render: RowRenderer | None = None) -> dict[str | None, Path]:
    """Write ``rows`` to ``path`` (one JSON line each); ``by_service``: also each service's rows to a file of
    their own, in the same order (a service's sheet reads its rows only). Returns the files: None -> all.
    ``render``: a row is written as its rendered XML (engine.xlsx.RowRenderer: rendered once, though it is
    written on two sheets), else (or when it cannot be rendered) as its payload."""
    files: dict[str | None, Path] = {None: path}
    handles: dict[str, Any] = {}
    try:
        with path.open("wb") as fh:
            for row in rows:
                cells = render(_rich(row)) if render is not None else None
                line = _line(row) if cells is None else orjson.dumps(cells, option=orjson.OPT_APPEND_NEWLINE)
                fh.write(line)
                if by_service:
                    out = handles.get(row["service"])
                    if out is None:
                        files[row["service"]] = path.with_name(f"{path.stem}.{len(handles)}{path.suffix}")
                        out = handles[row["service"]] = files[row["service"]].open("wb")
                    out.write(line)
    finally:
        for out in handles.values():
            out.close()
    return files


def _read(path: Path | None) -> Callable[[], Iterator[dict[str, Any]]]:
    def rows() -> Iterator[dict[str, Any]]:
        if path is None:
            return
        with path.open("rb") as fh:
            for line in fh:
                row = orjson.loads(line)
                yield row if type(row) is list else _values(row, rich=True)  # a list: a rendered row
    return rows


# Excel opens a sheet of at most 1,048,576 rows. A longer table (a clinic's open gaps, at the scale of a
# health plan's unassigned patients) goes on as "<title> (2)", "(3)"..., each with its header; the CSV
# worklist keeps every row in one file.
EXCEL_MAX_ROWS = 1_048_576


def _sheet_parts(source: Callable[[], Iterator[Any]], count: int
                 ) -> Iterator[tuple[str, Callable[[], Iterator[Any]], int]]:
    """(title suffix, rows, row count) of each sheet a table of ``count`` rows takes: one, unless it passes
    :data:`EXCEL_MAX_ROWS` (a header and the rows)."""
    per = EXCEL_MAX_ROWS - 1
    if count <= per:
        yield "", source, count
        return
    for k in range(-(-count // per)):
        yield (f" ({k + 1})" if k else ""), (lambda k=k: islice(source(), k * per, (k + 1) * per)), \
            min(per, count - k * per)


def write_worklist_xlsx_parts(parts: Parts, run: RunData, out_dir: Path, rendered: bool = True) -> list[Path]:
    """``worklists/<clinic>.xlsx`` for every clinic (see the module docstring), one clinic at a time: the
    clinic's rows are merged into a scratch file, and each sheet's rows are read from it as it is written.
    ``rendered``: each row's cells are rendered to their XML once, into the scratch file (a row is on two
    sheets); False (or with lxml's XML writer): the rows' values, each sheet writes them (the reference)."""
    rendered = rendered and not openpyxl_lxml
    nxt = next_period(run.period)
    clinics = _ClinicRows(parts)
    stats = _merged_stats(parts.counts("worklist_stats"))
    rates = merged_summary_rows(parts, by_provider=False)
    empty = {"open": 0, "patients": 0, "reopen": 0, "reopen_dated": set(), "services": {}}
    paths = []
    reopen_groups = clinics.each("worklist_reopen")
    with tempfile.TemporaryDirectory(prefix="qae-worklist-") as scratch:
        for clinic, open_iter in clinics.each("worklist_open"):
            wb = new_workbook()
            open_files = _spill(open_iter, Path(scratch) / "open.jsonl", by_service=True,
                                render=RowRenderer(wb, OPEN_COLUMNS, _DATES) if rendered else None)
            reopen_file = _spill(next(reopen_groups)[1], Path(scratch) / "reopen.jsonl",
                                 render=RowRenderer(wb, REOPEN_COLUMNS, _DATES) if rendered else None)[None]
            st = stats.get(clinic, empty)
            _summary_sheet(wb, run, clinic, st, rates)
            used = {"summary"}
            services = {k: v for k, v in st["services"].items() if v["rows"]}
            dated_all = set().union(*(v["dated"] for v in services.values())) if services else set()
            sheets = [("All open gaps", OPEN_COLUMNS, _read(open_files[None]), st["open"], dated_all)]
            for service in sorted(services):
                sheets.append((service, OPEN_COLUMNS, _read(open_files.get(service)), services[service]["rows"],
                               services[service]["dated"]))
            sheets.append((f"Reopen in {nxt.start.year}", REOPEN_COLUMNS, _read(reopen_file), st["reopen"],
                           st["reopen_dated"]))
            for title, columns, source, count, dated in sheets:
                for suffix, rows, n in _sheet_parts(source, count):
                    ws = table_sheet(wb, sheet_title(title, used, suffix))
                    add_table(ws, columns, rows, count=n, dated=dated)
            paths.append(save_workbook(wb, Path(out_dir) / "worklists" / f"{clinics.names[clinic]}.xlsx",
                                       DEFLATE_LEVEL))
    return paths


def write_worklist_xlsx(run: RunData, out_dir: Path, rendered: bool = True) -> list[Path]:
    """``worklists/<clinic>.xlsx`` for every clinic (see the module docstring)."""
    return write_worklist_xlsx_parts(Parts([worklist_material(run), summary_material(run)]), run, out_dir,
                                     rendered)
