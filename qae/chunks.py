"""Note files -> chunks: the unit of reading, of checkpoints and of resume.

A notes input is one file or a folder of shards (``.jsonl``/``.ndjson``, ``.csv``, ``.parquet``;
sub-folders are read too, hidden files and names starting with ``_`` such as ``_SUCCESS`` are
skipped; any other file is an error, so no notes are silently left out). Files are taken in the
order of their path, and that order defines "first" when a ``note_id`` occurs twice.

Each file is cut into chunks of about ``chunk_bytes``:

- JSON Lines: byte ranges that start at a line start;
- CSV: byte ranges that start at a record start (found with the csv parser itself, so quoted
  fields spanning lines never split); each chunk re-reads the header;
- Parquet: runs of whole row groups (the checkpoint unit is never smaller than a row group).

``iter_chunk`` yields the raw records of one chunk with their line (Parquet: row) numbers,
exactly as a whole-file read would, so results never depend on how a file was cut.
``plan_notes`` scans each file once to find the chunks and its sha256.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError

__all__ = [
    "FORMATS",
    "RECORD_COLUMNS",
    "Chunk",
    "FilePlan",
    "RawRecord",
    "chunk_blocks",
    "chunk_table",
    "format_of",
    "iter_chunk",
    "json_safe",
    "jsonl_lines",
    "jsonl_record",
    "note_files",
    "plan_file",
    "plan_notes",
    "record_of",
    "record_schema",
]

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
DEFAULT_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Chunk:
    """A piece of one notes file. ``start``/``end``: byte offsets (JSONL, CSV) or row-group
    indexes (Parquet, end exclusive); ``first_line``: the line (Parquet: row) number of its first
    record, 1-based; ``header``: the CSV columns."""

    index: int
    path: str
    fmt: str
    start: int
    end: int
    first_line: int
    header: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**{**data, "header": tuple(data.get("header") or ())})


@dataclass
class FilePlan:
    path: Path
    sha256: str
    bytes: int
    chunks: list[Chunk] = field(default_factory=list)


@dataclass(frozen=True)
class RawRecord:
    """One record as read, before validation.

    ``data`` is a JSON-safe dict (dates as ISO text), or None when the record could not be parsed;
    ``problem`` says why a record is unusable as it stands: then it is quarantined, with ``field``
    naming the column to blame (e.g. a Parquet ``note_date`` column of integers) and ``raw`` kept.
    """

    line: int
    data: dict[str, Any] | None
    problem: str | None = None
    field: str | None = None
    raw: Any = None


def format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown input format {path.suffix!r}; use one of {', '.join(sorted(FORMATS))}")
    return fmt


def _hidden(rel: Path) -> bool:
    return any(part.startswith((".", "_")) for part in rel.parts)


def note_files(path: Path) -> list[Path]:
    """The files of a notes input: the file itself, or the shards of a folder in path order."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Notes file not found: {path}")
    if path.is_file():
        format_of(path)
        return [path]
    if not path.is_dir():
        raise InputError(f"Notes path is neither a file nor a folder: {path}")
    files = []
    for p in path.rglob("*"):
        rel = p.relative_to(path)
        if not p.is_file() or _hidden(rel):
            continue
        if p.suffix.lower() not in FORMATS:
            raise InputError(
                f"notes folder {path} holds {rel}, which is not a .jsonl, .csv or .parquet file; "
                "move it out of the folder (or convert it) so that no notes are left out"
            )
        files.append(p)
    if not files:
        raise InputError(f"notes folder {path} holds no .jsonl, .csv or .parquet file")
    return sorted(files, key=str)


# --------------------------------------------------------------------------- planning


def _plan_jsonl(path: Path, chunk_bytes: int, first_index: int, digest: Any) -> list[Chunk]:
    chunks: list[Chunk] = []
    start = pos = 0
    first_line = line = 1
    with path.open("rb") as fh:
        for raw in fh:
            digest.update(raw)
            pos += len(raw)
            line += 1
            if pos - start >= chunk_bytes:
                chunks.append(Chunk(first_index + len(chunks), str(path), "jsonl", start, pos, first_line))
                start, first_line = pos, line
    if pos > start:
        chunks.append(Chunk(first_index + len(chunks), str(path), "jsonl", start, pos, first_line))
    return chunks


class _Lines:
    """Decoded lines of a binary file from ``start`` to ``end``, tracking the offset and line number
    of the next line (the csv module reads exactly the lines of one record at a time)."""

    def __init__(self, fh: Any, start: int, end: int | None, first_line: int, digest: Any = None) -> None:
        fh.seek(start)
        self.fh, self.pos, self.end, self.line, self.digest = fh, start, end, first_line, digest

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.end is not None and self.pos >= self.end:
            raise StopIteration
        raw = self.fh.readline()
        if not raw:
            raise StopIteration
        if self.digest is not None:
            self.digest.update(raw)
        self.pos += len(raw)
        self.line += 1
        # surrogateescape keeps undecodable bytes as lone surrogates: the record is found and
        # quarantined by its reader instead of spoiling the file
        return raw.decode("utf-8", errors="surrogateescape")


def _csv_error(path: Path, line: int, exc: csv.Error) -> InputError:
    return InputError(f"{path}: CSV cannot be parsed near line {line} ({exc})")


def _plan_csv(path: Path, chunk_bytes: int, first_index: int, digest: Any) -> list[Chunk]:
    chunks: list[Chunk] = []
    with path.open("rb") as fh:
        lines = _Lines(fh, 0, None, 1, digest)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise _csv_error(path, lines.line, exc) from None
        if header is None:
            return []
        columns = tuple(header)
        start, first_line = lines.pos, lines.line
        try:
            for _row in reader:
                if lines.pos - start >= chunk_bytes:
                    chunks.append(Chunk(first_index + len(chunks), str(path), "csv", start, lines.pos, first_line,
                                        columns))
                    start, first_line = lines.pos, lines.line
        except csv.Error as exc:
            raise _csv_error(path, lines.line, exc) from None
        digest.update(fh.read())  # nothing left unless the parser stopped early
        if lines.pos > start:
            chunks.append(Chunk(first_index + len(chunks), str(path), "csv", start, lines.pos, first_line, columns))
    return chunks


def _plan_parquet(path: Path, chunk_bytes: int, first_index: int, digest: Any) -> list[Chunk]:
    import pyarrow.parquet as pq

    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types; report them uniformly
        raise InputError(f"{path}: cannot read Parquet file ({exc})") from exc
    chunks: list[Chunk] = []
    start_group, first_row, size, row = 0, 1, 0, 1
    for g in range(meta.num_row_groups):
        size += meta.row_group(g).total_byte_size
        row += meta.row_group(g).num_rows
        if size >= chunk_bytes or g == meta.num_row_groups - 1:
            chunks.append(Chunk(first_index + len(chunks), str(path), "parquet", start_group, g + 1, first_row))
            start_group, first_row, size = g + 1, row, 0
    return chunks


def plan_file(path: Path, chunk_bytes: int = DEFAULT_CHUNK_BYTES, first_index: int = 0) -> FilePlan:
    """Scan one file: its chunks (numbered from ``first_index``) and its sha256."""
    path = Path(path)
    fmt = format_of(path)
    digest = hashlib.sha256()
    planner = {"jsonl": _plan_jsonl, "csv": _plan_csv, "parquet": _plan_parquet}[fmt]
    chunks = planner(path, max(1, chunk_bytes), first_index, digest)
    return FilePlan(path, digest.hexdigest(), path.stat().st_size, chunks)


def plan_notes(path: Path, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> list[FilePlan]:
    """The chunks of every file of a notes input (see :func:`note_files`), numbered in order."""
    plans: list[FilePlan] = []
    n = 0
    for f in note_files(path):
        plan = plan_file(f, chunk_bytes, n)
        n += len(plan.chunks)
        plans.append(plan)
    return plans


# --------------------------------------------------------------------------- reading


def json_safe(value: Any) -> Any:
    """Values as JSON would carry them: dates and times as ISO text, bytes decoded with escapes."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: keep them visible as escapes
            return value.encode("utf-8", errors="backslashreplace").decode("utf-8")
        return value
    if value is None or isinstance(value, int | float | bool):
        return value
    return str(value)


_TEXT_FIELDS = ("text",)


def _typed_problem(data: dict[str, Any], types: dict[str, str] | None) -> tuple[str, str] | None:
    """A value whose type is not what the contract expects, which would otherwise be coerced
    silently: a number for a date (read as seconds since 1970) or bytes for text; or text that is
    not valid Unicode (a lone surrogate from a ``\\udXXX`` JSON escape cannot be written out)."""
    for key, value in data.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                return key, f"{key}: invalid Unicode (an unpaired surrogate escape) at character {exc.start}"
            continue
        kind = f"Parquet column of type {types[key]}" if types and key in types else None
        if key.endswith("_date") and isinstance(value, int | float) and not isinstance(value, bool):
            what = kind or f"a number ({value!r})"
            return key, (f"{key}: {what} is not a date and is not converted; write dates as ISO text "
                         "(2026-03-01) or a date column")
        if isinstance(value, bytes | bytearray):
            what = kind or "binary data"
            return key, (f"{key}: {what} is not text and is not decoded; write "
                         f"{'note text' if key in _TEXT_FIELDS else 'it'} as a UTF-8 string column")
    return None


def _record(line: int, data: dict[str, Any], types: dict[str, str] | None = None) -> RawRecord:
    problem = _typed_problem(data, types)
    safe = json_safe(data)
    if problem is not None:  # the record is readable (its id is known) but is quarantined as it stands
        return RawRecord(line, safe, problem[1], problem[0], safe)
    return RawRecord(line, safe)


def jsonl_record(line: int, text: str) -> RawRecord:
    """One line of a JSON Lines file, decoded (its line end kept), as a raw record."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return RawRecord(line, None, f"not valid JSON ({exc.msg} at column {exc.colno})", raw=text.rstrip("\r\n"))
    if not isinstance(data, dict):
        return RawRecord(line, None, "a JSON line must be an object", raw=text.rstrip("\r\n"))
    return _record(line, data)


def jsonl_lines(chunk: Chunk) -> Iterator[tuple[int, str | RawRecord]]:
    """The records of a JSON Lines chunk before parsing: ``(line, decoded text)``, or ``(line, RawRecord)``
    for a line that is not UTF-8; blank lines are skipped. :func:`jsonl_record` parses a line: this and
    that together are :func:`iter_chunk` (a reader can hand the lines on and leave parsing to the worker
    that validates them)."""
    with open(chunk.path, "rb") as fh:
        fh.seek(chunk.start)
        pos, number = chunk.start, chunk.first_line
        while pos < chunk.end:
            raw_line = fh.readline()
            if not raw_line:
                break
            pos += len(raw_line)
            line, number = number, number + 1
            if not raw_line.strip():
                continue
            try:
                text = raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield line, RawRecord(line, None, f"invalid UTF-8 at byte {exc.start} of the line",
                                      raw=raw_line.decode("utf-8", errors="backslashreplace").rstrip("\r\n"))
                continue
            yield line, text


def _iter_jsonl(chunk: Chunk) -> Iterator[RawRecord]:
    for line, item in jsonl_lines(chunk):
        yield item if isinstance(item, RawRecord) else jsonl_record(line, item)


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _iter_csv(chunk: Chunk) -> Iterator[RawRecord]:
    with open(chunk.path, "rb") as fh:
        lines = _Lines(fh, chunk.start, chunk.end, chunk.first_line)
        reader = csv.DictReader(lines, fieldnames=list(chunk.header))
        while True:
            line = lines.line
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_error(Path(chunk.path), line, exc) from None
            if None in row:  # more fields than header columns
                extra = row.pop(None)
                yield RawRecord(line, None, f"row has {len(extra)} more field(s) than the header",
                                raw={k: v for k, v in row.items()})
                continue
            bad = [k for k, v in row.items() if isinstance(v, str) and _has_surrogates(v)]
            if bad:
                clean = {k: (v.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                             if isinstance(v, str) else v) for k, v in row.items()}
                yield RawRecord(line, None, f"invalid UTF-8 in field {bad[0]!r}", raw=clean)
                continue
            yield _record(line, {k: (v if v != "" else None) for k, v in row.items()})


def _iter_parquet(chunk: Chunk) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(chunk.path)
        table = pf.read_row_groups(list(range(chunk.start, chunk.end)))
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{chunk.path}: cannot read Parquet file ({exc})") from exc
    types = {f.name: str(f.type) for f in table.schema}
    for number, row in enumerate(table.to_pylist(), start=chunk.first_line):
        yield _record(number, row, types)


def iter_chunk(chunk: Chunk) -> Iterator[RawRecord]:
    """The raw records of one chunk, in file order."""
    if chunk.fmt == "jsonl":
        return _iter_jsonl(chunk)
    if chunk.fmt == "csv":
        return _iter_csv(chunk)
    return _iter_parquet(chunk)


# --------------------------------------------------------------------------- records as Arrow blocks

RECORD_COLUMNS = ("chunk", "seq", "file", "line", "text", "data", "problem", "field", "raw")


@functools.cache
def record_schema() -> Any:
    """The Arrow schema of :func:`chunk_blocks`: per record its chunk, position in the chunk (``seq``),
    file and line, and either ``text`` (a JSON line as read, parsed by :func:`record_of` where it is
    validated) or ``data``/``problem``/``field``/``raw`` (the fields of a :class:`RawRecord`, JSON text)."""
    import pyarrow as pa

    return pa.schema([("chunk", pa.int64()), ("seq", pa.int64()), ("file", pa.string()), ("line", pa.int64()),
                      ("text", pa.string()), ("data", pa.string()), ("problem", pa.string()),
                      ("field", pa.string()), ("raw", pa.string())])


def _unparsed(chunk: Chunk) -> Iterator[tuple[int, str | RawRecord]]:
    if chunk.fmt == "jsonl":
        return jsonl_lines(chunk)
    return ((rec.line, rec) for rec in iter_chunk(chunk))


def chunk_table(chunk: Chunk) -> Any:
    """The records of a chunk as an Arrow table (:func:`record_schema`); JSON lines are left unparsed."""
    import pyarrow as pa

    cols: dict[str, list[Any]] = {name: [] for name in RECORD_COLUMNS}
    for seq, (line, item) in enumerate(_unparsed(chunk)):
        cols["chunk"].append(chunk.index)
        cols["seq"].append(seq)
        cols["file"].append(chunk.path)
        cols["line"].append(line)
        if isinstance(item, str):
            cols["text"].append(item)
            for name in ("data", "problem", "field", "raw"):
                cols[name].append(None)
            continue
        cols["text"].append(None)
        cols["data"].append(None if item.data is None else json.dumps(item.data, ensure_ascii=False))
        cols["problem"].append(item.problem)
        cols["field"].append(item.field)
        bad = item.problem is not None or item.data is None
        cols["raw"].append(json.dumps(item.raw, ensure_ascii=False) if bad and item.raw is not None else None)
    return pa.table(cols, schema=record_schema())


def chunk_blocks(chunk: Chunk, rows: int) -> list[Any]:
    """:func:`chunk_table` cut into blocks of ``rows`` records (a reader's read function: it needs this
    module only, not the validation's)."""
    table = chunk_table(chunk)
    return [table.slice(i, rows) for i in range(0, table.num_rows, rows)] or [table]


def record_of(row: Mapping[str, Any]) -> RawRecord:
    """A row of :func:`chunk_table` back as the :class:`RawRecord` that :func:`iter_chunk` yields."""
    text = row.get("text")
    if text is not None:
        return jsonl_record(int(row["line"]), text)
    data = json.loads(row["data"]) if row.get("data") else None
    raw = json.loads(row["raw"]) if row.get("raw") else None
    return RawRecord(int(row["line"]), data, row.get("problem"), row.get("field"), raw)
