"""The input contract: read notes, patients, structured events and encounters, validate every record.

A record that breaks the contract never stops the job: it goes to the quarantine with
the file, the line (or Parquet row) and the reason, and the job goes on. Every record
read ends either in the returned records or in the quarantine, so

    read == accepted + quarantined

holds for every file, and the job manifest keeps the three counts.

Formats: JSON Lines (``.jsonl``/``.ndjson``), CSV (``.csv``) and Parquet (``.parquet``); notes may
also be a folder of such shards (qae.chunks). Invalid UTF-8 is caught per record (a JSONL line, a
CSV row), not per file. Values are never coerced across types: a number where a date is expected
(an integer Parquet ``note_date`` would read as seconds since 1970) or bytes where text is expected
(a binary Parquet ``text``) quarantine the record, naming the field. ``note_date`` accepts an ISO
date-time (``2026-03-01T10:30:00``, an EHR timestamp) as its date, as written (no time-zone shift).
Note text is never logged; quarantine rows carry the raw record so nothing is lost.

Notes are validated one record at a time by :class:`NoteValidator`, the same code whether a
whole file is read here (:func:`read_notes`) or chunks are validated on Ray workers by the job.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from engine.elements import load_vocabulary, unknown_element_message
from engine.errors import InputError
from engine.records import Encounter, Note, Patient, StructuredEvent
from qae.chunks import FORMATS, RawRecord, format_of, iter_chunk, note_files, plan_file

__all__ = [
    "DEFAULT_MAX_NOTE_CHARS",
    "FORMATS",
    "InputError",
    "NoteValidator",
    "QuarantineRecord",
    "ReadResult",
    "read_encounters",
    "read_events",
    "read_notes",
    "read_patients",
    "SeenIds",
    "iter_encounters",
    "iter_events",
    "iter_patients",
    "require_note_columns",
]

DEFAULT_MAX_NOTE_CHARS = 200_000

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class QuarantineRecord:
    """One rejected input record: where it was, why, and the record itself."""

    file: str
    line: int  # 1-based line of a JSONL/CSV file (first line of a CSV row), or 1-based Parquet row
    kind: str  # notes, patients, events, encounters
    record_id: str | None
    reason: str
    field: str | None = None
    record: Any = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "record_id": self.record_id,
            "field": self.field,
            "reason": self.reason,
            "record": self.record,
        }

    def sort_key(self) -> tuple[str, str, int, str]:
        """The order of ``quarantine.jsonl``."""
        return (self.kind, self.file, self.line, self.reason)


@dataclass
class ReadResult:
    """Accepted records and quarantined ones of one input file."""

    path: Path
    kind: str
    records: list[Any] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # record id -> line, for later quarantine

    @property
    def read(self) -> int:
        return len(self.records) + len(self.quarantine)


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} file not found: {path}")
    if not path.is_file():
        raise InputError(f"{what} path is not a file: {path}")


def _iter_file(path: Path) -> Iterator[RawRecord]:
    """Every raw record of a whole file (one chunk as large as the file)."""
    plan = plan_file(path, chunk_bytes=1 << 62)
    for chunk in plan.chunks:
        yield from iter_chunk(chunk)


# --------------------------------------------------------------------------- validation


def _first_error(exc: ValidationError) -> tuple[str | None, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ())) or None
    msg = err.get("msg", "invalid value")
    return loc, f"{loc}: {msg}" if loc else msg


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and key != "text":
            value = value.strip()
            if value == "":
                value = None
        if value is not None and not isinstance(value, str | int | float | bool | list | dict):
            value = str(value)  # dates from Parquet, etc.
        if isinstance(value, int | float) and (key.endswith("_id") or key == "mrn"):
            value = str(value)
        out[key] = value
    return out


class SeenIds(Protocol):
    """Ids met so far in a file: ``first(id)`` is True the first time (and records it)."""

    def first(self, record_id: str) -> bool: ...


class _SeenSet:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    def first(self, record_id: str) -> bool:
        if record_id in self.ids:
            return False
        self.ids.add(record_id)
        return True


def _validated(
    path: Path,
    kind: str,
    model: type[T],
    id_field: str | None,
    extra_check: Callable[[T, dict[str, Any]], tuple[str | None, str] | None] | None = None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    seen: SeenIds | None = None,
) -> Iterator[tuple[int, T | QuarantineRecord]]:
    """Every record of a file in file order, validated: ``(line, record)`` or ``(line, quarantine
    record)``. ``seen`` keeps the ids met so far (a set here; the job keeps them on disk)."""
    seen = seen if seen is not None else _SeenSet()
    for raw in _iter_file(path):
        if raw.data is None or raw.problem is not None:
            yield raw.line, QuarantineRecord(str(path), raw.line, kind, _record_id(raw.data, id_field),
                                             raw.problem or "unreadable record", raw.field, raw.raw)
            continue
        data = _normalise(raw.data)
        if prepare is not None:
            data = prepare(data)
        record_id = _record_id(data, id_field)
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            fld, reason = _first_error(exc)
            yield raw.line, QuarantineRecord(str(path), raw.line, kind, record_id, reason, fld, raw.data)
            continue
        if id_field is not None:
            assert record_id is not None
            if not seen.first(record_id):
                yield raw.line, QuarantineRecord(str(path), raw.line, kind, record_id,
                                                 f"duplicate {id_field} {record_id!r} (first occurrence kept)",
                                                 id_field, raw.data)
                continue
        if extra_check is not None:
            problem = extra_check(record, raw.data)
            if problem is not None:
                fld, reason = problem
                yield raw.line, QuarantineRecord(str(path), raw.line, kind, record_id, reason, fld, raw.data)
                continue
        yield raw.line, record


def _read(path: Path, kind: str, records: Iterator[tuple[int, Any]], id_field: str | None) -> ReadResult:
    result = ReadResult(path=Path(path), kind=kind)
    for line, record in records:
        if isinstance(record, QuarantineRecord):
            result.quarantine.append(record)
            continue
        result.records.append(record)
        if id_field is not None:
            result.lines[getattr(record, id_field)] = line
    return result


def _record_id(data: dict[str, Any] | None, id_field: str | None) -> str | None:
    if not data or id_field is None:
        return None
    value = data.get(id_field)
    if isinstance(value, str):
        value = value.strip() or None
    return str(value) if value is not None else None


def _columns_of(path: Path) -> list[str] | None:
    fmt = format_of(path)
    if fmt == "csv":
        with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
            header = next(csv.reader(fh), None)
        return [c.strip() for c in header] if header else []
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"{path}: cannot read Parquet file ({exc})") from exc
    return None  # JSON Lines: no header; a missing field is a record problem


def _require_columns(path: Path, kind: str, required: tuple[str, ...]) -> None:
    """Fail the whole file when a required column is absent (a wrong file, not a bad record)."""
    columns = _columns_of(path)
    if columns is not None:
        missing = [c for c in required if c not in columns]
        if missing:
            raise InputError(
                f"{path}: {kind} file lacks required column(s) {', '.join(missing)}; "
                f"it has {', '.join(columns) or 'no columns'}"
            )


NOTE_COLUMNS = ("note_id", "patient_id", "note_date", "text")
PATIENT_COLUMNS = ("patient_id", "birth_date", "sex")
EVENT_COLUMNS = ("patient_id", "element", "event_date")
ENCOUNTER_COLUMNS = ("patient_id", "encounter_id", "start_date", "type")

_SEX = {"f": "F", "female": "F", "m": "M", "male": "M", "u": "U", "unknown": "U", "o": "U", "other": "U"}
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d")


def _note_date_of_timestamp(data: dict[str, Any]) -> dict[str, Any]:
    """``note_date`` given as an ISO date-time (an EHR timestamp) counts as its date, as written."""
    value = data.get("note_date")
    if isinstance(value, str) and _DATE_TIME.match(value):
        try:
            data["note_date"] = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            pass  # not a valid date-time: validation reports the field
    return data


def require_note_columns(path: Path) -> None:
    """Fail a notes file (CSV, Parquet) that lacks a required column."""
    _require_columns(path, "notes", NOTE_COLUMNS)


class NoteValidator:
    """The notes contract, one raw record at a time, in the order the checks apply:

    1. :meth:`parse`: the record is readable (valid UTF-8, JSON, as many CSV fields as columns,
       typed columns of the right type) and a well-formed ``Note`` (required fields, a real date);
    2. the caller rejects a ``note_id`` seen before in file order (:meth:`duplicate`);
    3. :meth:`check`: text not empty and within ``max_chars``, patient known (when a patients file
       is given).
    """

    def __init__(self, known_patients: Container[str] | None = None,
                 max_chars: int = DEFAULT_MAX_NOTE_CHARS) -> None:
        self.known_patients = known_patients
        self.max_chars = max_chars

    def parse(self, raw: RawRecord, file: str) -> Note | QuarantineRecord:
        if raw.data is None or raw.problem is not None:
            return QuarantineRecord(file, raw.line, "notes", _record_id(raw.data, "note_id"),
                                    raw.problem or "unreadable record", raw.field, raw.raw)
        data = _note_date_of_timestamp(_normalise(raw.data))
        order = data.get("date_order")
        if isinstance(order, str):  # "DMY" / "dmy": how the note writes numeric dates
            data["date_order"] = order.lower()
        record_id = _record_id(data, "note_id")
        try:
            return Note.model_validate(data)
        except ValidationError as exc:
            fld, reason = _first_error(exc)
            return QuarantineRecord(file, raw.line, "notes", record_id, reason, fld, raw.data)

    @staticmethod
    def duplicate(note: Note, raw: RawRecord, file: str, first: tuple[str, int]) -> QuarantineRecord:
        first_file, first_line = first
        where = f"line {first_line}" if first_file == file else f"{Path(first_file).name} line {first_line}"
        return QuarantineRecord(file, raw.line, "notes", note.note_id,
                                f"duplicate note_id {note.note_id!r} (first occurrence kept: {where})",
                                "note_id", raw.data)

    def check(self, note: Note, raw: RawRecord, file: str) -> QuarantineRecord | None:
        problem: tuple[str, str] | None = None
        if not note.text.strip():
            problem = ("text", "text: empty (only white space)")
        elif len(note.text) > self.max_chars:
            problem = ("text", f"text: {len(note.text)} characters, over the limit of {self.max_chars}")
        elif self.known_patients is not None and note.patient_id not in self.known_patients:
            problem = ("patient_id",
                       f"patient_id: unknown patient {note.patient_id!r} (not in the patients file)")
        if problem is None:
            return None
        return QuarantineRecord(file, raw.line, "notes", note.note_id, problem[1], problem[0], raw.data)


def read_notes(
    path: Path,
    known_patients: set[str] | None = None,
    max_chars: int = DEFAULT_MAX_NOTE_CHARS,
) -> ReadResult:
    """Read and validate notes (a file, or a folder of shards) in memory; bad records go to the
    quarantine. For inputs of any size the job streams chunks instead (qae.job).

    Rejected: unreadable lines, invalid UTF-8, wrongly typed columns, missing or empty fields,
    unparseable ``note_date``, duplicate ``note_id``, ``text`` over ``max_chars`` characters and,
    when ``known_patients`` is given, notes of a patient not in the patients file; a ``date_order``
    other than ``mdy`` / ``dmy`` (optional: how the note writes numeric dates).
    """
    path = Path(path)
    files = note_files(path)
    for f in files:
        require_note_columns(f)
    result = ReadResult(path=path, kind="notes")
    validator = NoteValidator(known_patients, max_chars)
    seen: dict[str, tuple[str, int]] = {}
    for f in files:
        for raw in _iter_file(f):
            parsed = validator.parse(raw, str(f))
            if isinstance(parsed, QuarantineRecord):
                result.quarantine.append(parsed)
                continue
            if parsed.note_id in seen:
                result.quarantine.append(validator.duplicate(parsed, raw, str(f), seen[parsed.note_id]))
                continue
            seen[parsed.note_id] = (str(f), raw.line)
            problem = validator.check(parsed, raw, str(f))
            if problem is not None:
                result.quarantine.append(problem)
                continue
            result.records.append(parsed)
            result.lines[parsed.note_id] = raw.line
    return result


def read_patients(path: Path) -> ReadResult:
    """Read and validate patients (``patient_id``, ``birth_date``, ``sex`` F/M/U; optional ``clinic_id``,
    ``provider_id``, ``product_line``, and ``name`` and ``mrn``, which clinic worklists show)."""
    return _read(path, "patients", iter_patients(path), "patient_id")


def iter_patients(path: Path, seen: SeenIds | None = None) -> Iterator[tuple[int, Patient | QuarantineRecord]]:
    """:func:`read_patients` one record at a time: ``(line, Patient or QuarantineRecord)``; ``seen``
    keeps the patient ids met so far (duplicates are quarantined, the first occurrence kept)."""
    path = Path(path)
    _check_file(path, "Patients")
    _require_columns(path, "patients", PATIENT_COLUMNS)

    def prepare(data: dict[str, Any]) -> dict[str, Any]:
        sex = data.get("sex")
        if isinstance(sex, str):
            data["sex"] = _SEX.get(sex.lower(), sex)
        line = data.get("product_line")
        if isinstance(line, str):
            data["product_line"] = line.lower()
        return data

    return _validated(path, "patients", Patient, "patient_id", prepare=prepare, seen=seen)


def read_events(path: Path, known_patients: Container[str] | None = None) -> ReadResult:
    """Read structured events (shared/docs/structured-input.md); ``end_date`` empty = ongoing.

    ``element`` must be an element of the vocabulary (measures/elements.yaml) that structured
    data may carry; any other is quarantined with the valid ids.
    """
    return _read(path, "events", iter_events(path, known_patients), None)


def iter_events(path: Path, known_patients: Container[str] | None = None) -> \
        Iterator[tuple[int, StructuredEvent | QuarantineRecord]]:
    """:func:`read_events` one record at a time: ``(line, StructuredEvent or QuarantineRecord)``."""
    path = Path(path)
    _check_file(path, "Events")
    _require_columns(path, "events", EVENT_COLUMNS)

    vocab = load_vocabulary()
    structured = tuple(e.id for e in vocab if e.from_structured)

    def check(event: StructuredEvent, _raw: dict[str, Any]) -> tuple[str | None, str] | None:
        if event.element not in structured:
            return "element", f"element: {unknown_element_message(event.element, structured)}"
        if known_patients is not None and event.patient_id not in known_patients:
            return "patient_id", f"patient_id: unknown patient {event.patient_id!r} (not in the patients file)"
        if event.end_date is not None and event.end_date < event.event_date:
            return "end_date", "end_date: before event_date"
        return None

    return _validated(path, "events", StructuredEvent, None, check)


def read_encounters(path: Path, known_patients: Container[str] | None = None) -> ReadResult:
    """Read encounters; the ``type`` column holds one or more tags joined by ``|``."""
    return _read(path, "encounters", iter_encounters(path, known_patients), "encounter_id")


def iter_encounters(path: Path, known_patients: Container[str] | None = None, seen: SeenIds | None = None) -> \
        Iterator[tuple[int, Encounter | QuarantineRecord]]:
    """:func:`read_encounters` one record at a time: ``(line, Encounter or QuarantineRecord)``; ``seen``
    keeps the encounter ids met so far."""
    path = Path(path)
    _check_file(path, "Encounters")
    _require_columns(path, "encounters", ENCOUNTER_COLUMNS)

    def prepare(data: dict[str, Any]) -> dict[str, Any]:
        tags = data.pop("type", None)
        if isinstance(tags, str):
            data["types"] = tuple(sorted({t.strip() for t in tags.split("|") if t.strip()}))
        return data

    def check(enc: Encounter, _raw: dict[str, Any]) -> tuple[str | None, str] | None:
        if not enc.types:
            return "type", "type: missing encounter type"
        if known_patients is not None and enc.patient_id not in known_patients:
            return "patient_id", f"patient_id: unknown patient {enc.patient_id!r} (not in the patients file)"
        return None

    return _validated(path, "encounters", Encounter, "encounter_id", check, prepare, seen)
