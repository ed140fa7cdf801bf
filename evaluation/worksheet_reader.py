"""Read filled worksheets (XLSX or CSV) and chart-review gold files (JSONL) into review rows.

Worksheets are read as abstractors leave them: any sheet name (the sheet with ``patient_id`` and
``element`` columns in its first rows is used; several such sheets are all read), headers in any
case or spelling of the known aliases (``Patient``, ``Found?``, ``Date(s)``...), extra columns
ignored, rows in any order, blank rows skipped, CSV with a BOM, ``;`` or tab delimiters, or
Windows-1252 text. Answer cells are read by evaluation/answer_cells.py.

A row that cannot be read (an unknown element, a date or value not understood, found ``Y`` with
a status that says otherwise, a date given for an element marked not found) is returned in
``unreadable`` with its file, sheet and row number and the reason, and left out of every figure;
it is never guessed.

Blank answers: a patient counts as reviewed when any of its rows has an answer (found, status,
dates, value, note ids or quote); in a reviewed patient a blank ``found`` means not found. A
patient whose rows are all blank is not reviewed (``unreviewed``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from engine.elements import load_vocabulary, unknown_element_message
from engine.errors import InputError

from .answer_cells import (
    CellError,
    blank,
    cell_text,
    parse_dates,
    parse_note_ids,
    parse_status,
    parse_values,
    parse_yes_no,
)
from .answers import PartialDate

__all__ = ["ReviewFile", "ReviewRow", "Unreadable", "read_gold_review", "read_review", "read_worksheet"]

_ALIASES: dict[str, tuple[str, ...]] = {
    "row_id": ("row_id", "row_key"),
    "measure_id": ("measure_id", "measure"),
    "patient_id": ("patient_id", "patient", "mrn", "member_id", "pt_id", "patient_number"),
    "element": ("element", "evidence_element", "item", "data_element"),
    "found": ("found", "documented", "affirmed", "found_y_n", "answer", "present"),
    "status": ("status", "mention_status"),
    "dates": ("dates", "date", "date_s", "event_date", "event_dates", "service_date"),
    "value": ("value", "values", "result", "reading", "readings"),
    "note_ids": ("note_ids", "note_id", "note", "notes", "note_s", "source_note", "source_notes"),
    "quote": ("quote", "quotes", "evidence", "excerpt", "text"),
    "abstractor": ("abstractor", "reviewer", "abstracted_by", "initials"),
    "comment": ("comment", "comments", "remarks"),
    "sample_role": ("sample_role", "role"),
}
_ANSWER_FIELDS = ("found", "status", "dates", "value", "note_ids", "quote")


def _norm_header(value: Any) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", cell_text(value).lower())).strip("_")


_LOOKUP = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class Unreadable:
    source: str
    sheet: str | None
    row: int
    reason: str

    def where(self) -> str:
        return f"{self.source}" + (f" sheet {self.sheet!r}" if self.sheet else "") + f" row {self.row}"


@dataclass(frozen=True)
class ReviewRow:
    """One answered (or blank) worksheet row, or one element of a gold note."""

    source: str
    sheet: str | None
    row: int
    patient_id: str
    element: str
    measure_id: str | None = None
    note_id: str | None = None  # gold files: the note the answer is about (the unit); worksheets: None
    found: bool | None = None
    status: str | None = None  # affirmed, or a non-affirmed status, or None
    dates: tuple[PartialDate, ...] = ()
    values: tuple[Any, ...] = ()
    note_ids: tuple[str, ...] = ()
    quote: str = ""
    abstractor: str = ""
    comment: str = ""
    role: str = "primary"
    answered: bool = False

    def where(self) -> str:
        return f"{self.source}" + (f" sheet {self.sheet!r}" if self.sheet else "") + f" row {self.row}"


@dataclass
class ReviewFile:
    path: Path
    kind: str  # worksheet | gold
    rows: list[ReviewRow] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    unreviewed: list[tuple[str | None, str]] = field(default_factory=list)  # (measure, patient) all blank
    comments: list[tuple[str, str]] = field(default_factory=list)  # (where, comment) of unreviewed patients

    @property
    def abstractors(self) -> list[str]:
        return sorted({r.abstractor for r in self.rows})


# --------------------------------------------------------------------------- raw tables


def _xlsx_tables(path: Path) -> Iterator[tuple[str | None, Iterator[tuple[int, list[Any]]]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InputError(f"{path}: cannot read the workbook ({type(exc).__name__}: {exc}); "
                         "save it again as .xlsx or as CSV") from None
    try:
        for ws in wb.worksheets:
            yield ws.title, ((i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1))
    finally:
        wb.close()


def _csv_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Excel "CSV" on Windows


def _csv_table(path: Path) -> Iterator[tuple[int, list[Any]]]:
    text = _csv_text(path)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for row in reader:
        yield line, list(row)
        line = reader.line_num + 1


def _header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[dict[str, int], list[tuple[int, list[Any]]]]:
    """Find the header among the first 10 rows: the one naming patient_id and element."""
    seen: list[tuple[int, list[Any]]] = []
    for number, row in rows:
        seen.append((number, row))
        names = [_LOOKUP.get(_norm_header(c), "") for c in row]
        if "patient_id" in names and "element" in names:
            columns: dict[str, int] = {}
            for i, name in enumerate(names):
                if name and name not in columns:
                    columns[name] = i
            return columns, []
        if len(seen) >= 10:
            break
    return {}, seen


# --------------------------------------------------------------------------- worksheets


def _parse_row(cells: dict[str, Any], *, source: str, sheet: str | None, number: int, date_order: str,
               default_measure: str | None) -> ReviewRow | Unreadable:
    vocab = load_vocabulary()
    patient = cell_text(cells.get("patient_id"))
    element = cell_text(cells.get("element")).lower().replace(" ", "_")
    if not patient or not element:
        missing = "patient_id" if not patient else "element"
        return Unreadable(source, sheet, number, f"no {missing}: every row needs a patient_id and an element")
    if element not in vocab:
        return Unreadable(source, sheet, number, unknown_element_message(element, vocab.ids).split("; valid")[0])
    measure = cell_text(cells.get("measure_id")) or default_measure
    try:
        found = parse_yes_no(cells.get("found"))
        status = parse_status(cells.get("status"))
        dates = tuple(parse_dates(cells.get("dates"), date_order))
        values = tuple(parse_values(element, cells.get("value")))
    except CellError as exc:
        return Unreadable(source, sheet, number, f"{element}: {exc}")
    if found and status not in (None, "affirmed"):
        return Unreadable(source, sheet, number, f"{element}: found is Y but status is {status!r} (Y means "
                                                 "affirmed); clear one of them")
    if found is False and status == "affirmed":
        return Unreadable(source, sheet, number, f"{element}: found is N but status is 'affirmed'; clear one of them")
    if found is None and status == "affirmed":
        found = True
    if not found and status is None and (dates or values):
        return Unreadable(source, sheet, number, f"{element}: a date or value is given but found is not Y and no "
                                                 "status says what was mentioned; answer found (Y) or a status")
    answered = any(not blank(cells.get(f)) for f in _ANSWER_FIELDS)
    return ReviewRow(
        source=source, sheet=sheet, row=number, patient_id=patient, element=element, measure_id=measure,
        found=found, status="affirmed" if found else status, dates=dates, values=values,
        note_ids=tuple(parse_note_ids(cells.get("note_ids"))), quote=cell_text(cells.get("quote")),
        abstractor=cell_text(cells.get("abstractor")), comment=cell_text(cells.get("comment")),
        role=cell_text(cells.get("sample_role")).lower() or "primary", answered=answered)


def read_worksheet(path: Path, *, date_order: str = "mdy") -> ReviewFile:
    """Rows of a filled worksheet (``.xlsx`` or ``.csv``); see the module doc for what is tolerated."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".numbers"):
        raise InputError(f"{path}: {suffix} files are not read; save the worksheet as .xlsx or .csv")
    tables = _xlsx_tables(path) if suffix in (".xlsx", ".xlsm") else [(None, _csv_table(path))]
    default_measure = _measure_from_name(path)
    result = ReviewFile(path, "worksheet")
    used_sheets = 0
    for sheet, rows in tables:
        columns, _ = _header(rows)
        if not columns:
            continue
        used_sheets += 1
        for number, row in rows:
            if all(cell_text(c) == "" for c in row):
                continue
            cells = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
            parsed = _parse_row(cells, source=path.name, sheet=sheet, number=number, date_order=date_order,
                                default_measure=default_measure)
            if isinstance(parsed, Unreadable):
                result.unreadable.append(parsed)
            else:
                result.rows.append(parsed)
    if not used_sheets:
        raise InputError(f"{path}: no sheet has the worksheet's columns (patient_id and element in a header row "
                         "within the first 10 rows); is this a `qae sample` worksheet?")
    _settle(result, path)
    return result


def _measure_from_name(path: Path) -> str | None:
    stem = path.stem
    return stem.split("_worksheet")[0] if "_worksheet" in stem else None


def _settle(result: ReviewFile, path: Path) -> None:
    """Default abstractor names; blank found in a reviewed patient = N; unreviewed patients set aside."""
    names = Counter(r.abstractor for r in result.rows if r.abstractor)
    default = names.most_common(1)[0][0] if names else path.stem
    by_patient: dict[tuple[str | None, str], list[ReviewRow]] = defaultdict(list)
    for r in result.rows:
        by_patient[(r.measure_id, r.patient_id)].append(r)
    kept: list[ReviewRow] = []
    for key, rows in by_patient.items():
        if not any(r.answered for r in rows):
            result.unreviewed.append(key)
            result.comments.extend((r.where(), r.comment) for r in rows if r.comment)
            continue
        for r in rows:
            kept.append(replace(r, abstractor=r.abstractor or default, found=bool(r.found)))
    result.rows = sorted(kept, key=lambda r: (r.sheet or "", r.row))
    result.unreviewed.sort(key=lambda k: (k[0] or "", k[1]))


# --------------------------------------------------------------------------- gold JSONL


def _gold_date(text: str) -> PartialDate:
    parts = str(text).split("-")
    if len(parts) == 1:
        return PartialDate(date(int(parts[0]), 1, 1), "year")
    if len(parts) == 2:
        return PartialDate(date(int(parts[0]), int(parts[1]), 1), "month")
    return PartialDate(date.fromisoformat(str(text)), "day")


def _gold_values(element: str, raw: Any) -> tuple[Any, ...]:
    if raw is None:
        return ()
    if element == "blood_pressure":
        return tuple({"systolic": int(s), "diastolic": int(d)} for s, d in raw)
    if element == "hba1c":
        return tuple(float(v) for v in raw)
    return tuple(raw) if isinstance(raw, list) else (raw,)


def read_gold_review(path: Path) -> ReviewFile:
    """A chart-review gold file (docs/evidence-elements.md format): one row per note x guideline
    element (absent elements are answered "not found"); ``patient_id`` is filled by the caller."""
    from .extraction import load_gold

    path = Path(path)
    vocab = load_vocabulary()
    guideline = [e.id for e in vocab if e.guideline]
    result = ReviewFile(path, "gold")
    for n, (note_id, g) in enumerate(load_gold(path).items(), start=1):
        elements = g.get("elements") or {}
        for element in guideline:
            judged = elements.get(element)
            found = judged == "affirmed"
            quotes = (g.get("evidence") or {}).get(element) or (g.get("not_affirmed_evidence") or {}).get(element) or []
            result.rows.append(ReviewRow(
                source=path.name, sheet=None, row=n, patient_id="", element=element, note_id=note_id, found=found,
                status="affirmed" if found else ("mentioned" if judged else None),
                dates=tuple(sorted({_gold_date(d) for d in (g.get("dates") or {}).get(element, [])}, reverse=True)),
                values=_gold_values(element, (g.get("values") or {}).get(element)),
                note_ids=(note_id,), quote=" | ".join(quotes), abstractor=f"gold:{path.stem}", answered=True))
    return result


def read_review(path: Path, *, date_order: str = "mdy") -> ReviewFile:
    """A worksheet (.xlsx/.csv) or a gold file (.jsonl)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"review file not found: {path}")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return read_gold_review(path)
    return read_worksheet(path, date_order=date_order)
