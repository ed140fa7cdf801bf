"""The input contract: read notes, patients, structured events and encounters, validate every record.

A record that breaks the contract never stops the job: it goes to the quarantine with
the file, the line (or Parquet row) and the reason, and the job goes on. Every record
read ends either in the returned records or in the quarantine, so

    read == accepted + quarantined

holds for every file, and the job manifest keeps the three counts.

Formats: JSON Lines (``.jsonl``/``.ndjson``), CSV (``.csv``) and Parquet (``.parquet``).
Invalid UTF-8 is caught per record (a JSONL line, a CSV row), not per file.
Note text is never logged; quarantine rows carry the raw record so nothing is lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.elements import load_vocabulary, unknown_element_message
from engine.errors import InputError
from engine.records import Encounter, Note, Patient, StructuredEvent

__all__ = [
    "DEFAULT_MAX_NOTE_CHARS",
    "InputError",
    "QuarantineRecord",
    "ReadResult",
    "read_encounters",
    "read_events",
    "read_notes",
    "read_patients",
]

DEFAULT_MAX_NOTE_CHARS = 200_000
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}

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


@dataclass(frozen=True)
class _Raw:
    line: int
    data: dict[str, Any] | None  # None when the record could not be parsed at all
    problem: str | None = None  # why it could not be parsed
    raw: Any = None


# --------------------------------------------------------------------------- raw readers


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown input format {path.suffix!r}; use one of {', '.join(sorted(FORMATS))}"
        )
    return fmt


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} file not found: {path}")
    if not path.is_file():
        raise InputError(f"{what} path is not a file: {path}")


def _iter_jsonl(path: Path) -> Iterator[_Raw]:
    with path.open("rb") as fh:
        for number, raw_line in enumerate(fh, start=1):
            if not raw_line.strip():
                continue
            try:
                text = raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _Raw(number, None, f"invalid UTF-8 at byte {exc.start} of the line",
                           raw_line.decode("utf-8", errors="backslashreplace").rstrip("\r\n"))
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield _Raw(number, None, f"not valid JSON ({exc.msg} at column {exc.colno})",
                           text.rstrip("\r\n"))
                continue
            if not isinstance(data, dict):
                yield _Raw(number, None, "a JSON line must be an object", text.rstrip("\r\n"))
                continue
            yield _Raw(number, data)


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _iter_csv(path: Path) -> Iterator[_Raw]:
    # surrogateescape keeps undecodable bytes as lone surrogates, so one bad row does not
    # spoil the file: the row is found and quarantined below.
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return
        start = reader.line_num + 1
        for row in reader:
            line = start
            start = reader.line_num + 1
            if None in row:  # more fields than header columns
                extra = row.pop(None)
                yield _Raw(line, None, f"row has {len(extra)} more field(s) than the header",
                           {k: v for k, v in row.items()})
                continue
            bad = [k for k, v in row.items() if isinstance(v, str) and _has_surrogates(v)]
            if bad:
                clean = {k: (v.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                             if isinstance(v, str) else v) for k, v in row.items()}
                yield _Raw(line, None, f"invalid UTF-8 in field {bad[0]!r}", clean)
                continue
            yield _Raw(line, {k: (v if v != "" else None) for k, v in row.items()})


def _iter_parquet(path: Path) -> Iterator[_Raw]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types; report them uniformly
        raise InputError(f"{path}: cannot read Parquet file ({exc})") from exc
    for number, row in enumerate(table.to_pylist(), start=1):
        yield _Raw(number, row)


def _iter_raw(path: Path) -> Iterator[_Raw]:
    fmt = _format_of(path)
    if fmt == "jsonl":
        return _iter_jsonl(path)
    if fmt == "csv":
        return _iter_csv(path)
    return _iter_parquet(path)


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


def _read(
    path: Path,
    kind: str,
    model: type[T],
    id_field: str | None,
    extra_check: Callable[[T, dict[str, Any]], tuple[str | None, str] | None] | None = None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> ReadResult:
    path = Path(path)
    _check_file(path, kind.capitalize())
    result = ReadResult(path=path, kind=kind)
    seen: set[str] = set()

    def quarantine(line: int, record_id: str | None, fld: str | None, reason: str, raw: Any) -> None:
        result.quarantine.append(QuarantineRecord(str(path), line, kind, record_id, reason, fld, raw))

    for raw in _iter_raw(path):
        if raw.data is None:
            quarantine(raw.line, None, None, raw.problem or "unreadable record", raw.raw)
            continue
        data = _normalise(raw.data)
        if prepare is not None:
            data = prepare(data)
        record_id = data.get(id_field) if id_field else None
        record_id = str(record_id) if record_id is not None else None
        try:
            record = model.model_validate(data)
        except ValidationError as exc:
            fld, reason = _first_error(exc)
            quarantine(raw.line, record_id, fld, reason, raw.data)
            continue
        if id_field is not None:
            assert record_id is not None
            if record_id in seen:
                quarantine(raw.line, record_id, id_field,
                           f"duplicate {id_field} {record_id!r} (first occurrence kept)", raw.data)
                continue
            seen.add(record_id)
        if extra_check is not None:
            problem = extra_check(record, raw.data)
            if problem is not None:
                fld, reason = problem
                quarantine(raw.line, record_id, fld, reason, raw.data)
                continue
        result.records.append(record)
        if record_id is not None:
            result.lines[record_id] = raw.line
    return result


def _require_columns(path: Path, kind: str, required: tuple[str, ...]) -> None:
    """Fail the whole file when a required column is absent (a wrong file, not a bad record)."""
    fmt = _format_of(path)
    columns: list[str] | None = None
    if fmt == "csv":
        with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
            header = next(csv.reader(fh), None)
        columns = [c.strip() for c in header] if header else []
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            columns = list(pq.read_schema(path).names)
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"{path}: cannot read Parquet file ({exc})") from exc
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


def read_notes(
    path: Path,
    known_patients: set[str] | None = None,
    max_chars: int = DEFAULT_MAX_NOTE_CHARS,
) -> ReadResult:
    """Read and validate notes; bad records go to the quarantine.

    Rejected: unreadable lines, invalid UTF-8, missing or empty fields, unparseable
    ``note_date``, duplicate ``note_id``, ``text`` over ``max_chars`` characters and, when
    ``known_patients`` is given, notes of a patient not in the patients file; a ``date_order``
    other than ``mdy`` / ``dmy`` (optional: how the note writes numeric dates).
    """
    path = Path(path)
    _check_file(path, "Notes")
    _require_columns(path, "notes", NOTE_COLUMNS)

    def check(note: Note, _raw: dict[str, Any]) -> tuple[str | None, str] | None:
        if not note.text.strip():
            return "text", "text: empty (only white space)"
        if len(note.text) > max_chars:
            return "text", f"text: {len(note.text)} characters, over the limit of {max_chars}"
        if known_patients is not None and note.patient_id not in known_patients:
            return "patient_id", f"patient_id: unknown patient {note.patient_id!r} (not in the patients file)"
        return None

    def prepare(data: dict[str, Any]) -> dict[str, Any]:
        order = data.get("date_order")
        if isinstance(order, str):  # "DMY" / "dmy": how the note writes numeric dates
            data["date_order"] = order.lower()
        return data

    return _read(path, "notes", Note, "note_id", check, prepare)


def read_patients(path: Path) -> ReadResult:
    """Read and validate patients (``patient_id``, ``birth_date``, ``sex`` F/M/U; optional ``clinic_id``,
    ``provider_id``, ``product_line``, and ``name`` and ``mrn``, which clinic worklists show)."""
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

    return _read(path, "patients", Patient, "patient_id", prepare=prepare)


def read_events(path: Path, known_patients: set[str] | None = None) -> ReadResult:
    """Read structured events (shared/docs/structured-input.md); ``end_date`` empty = ongoing.

    ``element`` must be an element of the vocabulary (measures/elements.yaml) that structured
    data may carry; any other is quarantined with the valid ids.
    """
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

    return _read(path, "events", StructuredEvent, None, check)


def read_encounters(path: Path, known_patients: set[str] | None = None) -> ReadResult:
    """Read encounters; the ``type`` column holds one or more tags joined by ``|``."""
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

    return _read(path, "encounters", Encounter, "encounter_id", check, prepare)
