"""The text of a few notes, streamed from a run's notes file(s): for reading packets and re-scoring.

A run's manifest names its notes input (``inputs.notes.path``: a file or a folder of shards,
with ``files`` listing the shards when the job streamed them). Only the wanted notes are kept
in memory: JSONL and CSV are read row by row, Parquet one record batch at a time. Rows that do
not validate as notes were quarantined by the run and are skipped here. Note text is never
logged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.records import Note

__all__ = ["notes_paths_of_run", "stream_notes"]

_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")


def notes_paths_of_run(manifest: dict[str, Any]) -> list[Path]:
    """The notes files a run read, from its manifest (shards listed, or a folder's files)."""
    entry = (manifest.get("inputs") or {}).get("notes")
    if not entry:
        return []
    if isinstance(entry, dict) and entry.get("files"):
        return [Path(f["path"] if isinstance(f, dict) else f) for f in entry["files"]]
    path = Path(entry["path"] if isinstance(entry, dict) else entry)
    return _expand(path)


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
    return [path]


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    continue  # quarantined by the run
                if isinstance(row, dict):
                    yield row
    elif suffix == ".csv":
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.DictReader(fh):
                yield {k: v for k, v in row.items() if k is not None}
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            yield from batch.to_pylist()


def stream_notes(paths: Iterable[Path], *, patients: set[str] | None = None,
                 note_ids: set[str] | None = None) -> Iterator[Note]:
    """Notes of the wanted patients (or ids) from ``paths`` (files or folders), in file order."""
    for path in paths:
        for file in _expand(Path(path)):
            if not file.is_file():
                continue
            for row in _rows(file):
                if patients is not None and str(row.get("patient_id")) not in patients:
                    continue
                if note_ids is not None and str(row.get("note_id")) not in note_ids:
                    continue
                try:
                    yield Note.model_validate(row)
                except ValidationError:
                    continue  # quarantined by the run
