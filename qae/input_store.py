"""The job's patients, structured events and encounters, validated on the way to disk: the driver keeps counts.

``qae run`` reads these files once, record by record, with the input contract of qae.inputs (the
same checks, in the same order, with the same quarantine rows), and keeps them in a SQLite file in
the run's work area (``OUT/.qae-run/inputs.sqlite``), not in memory: the duplicate checks
(``patient_id``, ``encounter_id``: first occurrence kept) and the known-patient checks of events and
encounters are look-ups in it. From there:

- the patient partitions (:class:`qae.partitions.Partitioning`: equal ranges of the sorted ids)
  come from one ordered scan of the ids;
- each partition's patients, events and encounters are written as shards
  (``OUT/.qae-run/inputs/pNNNNN.<kind>.jsonl``, one ``line<TAB>record JSON`` per record, in file
  order), which the partition's measure task reads (qae.partitions);
- the accepted patient ids are written once (``OUT/.qae-run/inputs/patient_ids.parquet``) for the
  pipeline actors, which quarantine notes of unknown patients;
- the quarantine rows come out sorted as ``quarantine.jsonl`` orders them.

The driver holds one record at a time and the counts (read = accepted + quarantined per file);
SQLite's page cache is bounded (:data:`CACHE_KIB`). Inputs are re-read when a run is resumed
(their sha256 is part of the run's key), so the store is rebuilt from scratch each time.
"""

from __future__ import annotations

import bisect
import json
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.records import Encounter, Patient, StructuredEvent
from qae.inputs import QuarantineRecord, iter_encounters, iter_events, iter_patients

__all__ = ["CACHE_KIB", "InputCounts", "InputStore", "Ranges", "read_shard"]

CACHE_KIB = 16 * 1024  # SQLite page cache of the store (the rest of it stays on disk)
_BATCH = 2000  # records inserted per executemany


@dataclass(frozen=True)
class InputCounts:
    """What the manifest says of one input file."""

    path: Path
    kind: str
    read: int
    accepted: int
    quarantined: int


def _quarantine_text(q: QuarantineRecord) -> str:
    # as qae.assemble writes it (sort_keys; default=str for dates of typed columns)
    return json.dumps(q.to_json_dict(), sort_keys=True, ensure_ascii=False, default=str)


class _Seen:
    """``first(id)``: INSERT OR IGNORE into a table of ids (qae.inputs.SeenIds)."""

    def __init__(self, db: sqlite3.Connection, table: str) -> None:
        self.db, self.sql = db, f"INSERT OR IGNORE INTO {table} (id) VALUES (?)"

    def first(self, record_id: str) -> bool:
        return self.db.execute(self.sql, (record_id,)).rowcount == 1


class _Known:
    """``patient_id in known``: a look-up in the accepted patients."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __contains__(self, patient_id: object) -> bool:
        return self.db.execute("SELECT 1 FROM patients WHERE id = ?", (patient_id,)).fetchone() is not None


class InputStore:
    """Patients, events and encounters of one run, on disk (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        for stale in (self.path, self.path.with_name(self.path.name + "-journal")):
            stale.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KIB}",
                       "temp_store = FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript("""
            CREATE TABLE patients (id TEXT PRIMARY KEY, line INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE encounter_ids (id TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE events (part INTEGER NOT NULL, line INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE TABLE encounters (part INTEGER NOT NULL, line INTEGER NOT NULL, data TEXT NOT NULL);
            CREATE TABLE quarantine (kind TEXT, file TEXT, line INTEGER, reason TEXT, data TEXT NOT NULL);
        """)
        self.patients = 0

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ loading
    def _load(self, path: Path, kind: str, records: Iterator[tuple[int, Any]], insert: str,
              row: Any) -> InputCounts:
        read = accepted = 0
        batch: list[tuple[Any, ...]] = []
        quarantine: list[tuple[Any, ...]] = []
        self.db.execute("BEGIN")
        try:
            for line, record in records:
                read += 1
                if isinstance(record, QuarantineRecord):
                    quarantine.append((record.kind, record.file, record.line, record.reason,
                                       _quarantine_text(record)))
                else:
                    accepted += 1
                    batch.append(row(line, record))
                if len(batch) >= _BATCH:
                    self.db.executemany(insert, batch)
                    batch.clear()
                if len(quarantine) >= _BATCH:
                    self._quarantine(quarantine)
            if batch:
                self.db.executemany(insert, batch)
            self._quarantine(quarantine)
        finally:
            self.db.execute("COMMIT")
        return InputCounts(Path(path), kind, read, accepted, read - accepted)

    def _quarantine(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.db.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)", rows)
            rows.clear()

    def load_patients(self, path: Path) -> InputCounts:
        """Read the patients file (duplicates: first occurrence kept, checked here as records are inserted)."""
        # a patient's id is inserted by the duplicate check; its row gets its data once accepted
        counts = self._load(path, "patients", iter_patients(path, _PatientSeen(self.db)),
                            "UPDATE patients SET line = ?, data = ? WHERE id = ?",
                            lambda line, p: (line, p.model_dump_json(), p.patient_id))
        self.patients = counts.accepted
        self.db.execute("DELETE FROM patients WHERE data = ''")  # ids of records rejected after the duplicate check
        return counts

    def load_events(self, path: Path, partitioning: Any, check_patients: bool = True) -> InputCounts:
        """Read the events, each into its patient's partition (``partitioning.of``; None: left out)."""
        return self._load(path, "events", iter_events(path, _Known(self.db) if check_patients else None),
                          "INSERT INTO events VALUES (?, ?, ?)",
                          lambda line, e: (partitioning.of(e.patient_id), line, e.model_dump_json()))

    def load_encounters(self, path: Path, partitioning: Any, check_patients: bool = True) -> InputCounts:
        """Read the encounters (duplicate ``encounter_id``: first occurrence kept), each into its
        patient's partition (``partitioning.of``; None: left out)."""
        return self._load(path, "encounters",
                          iter_encounters(path, _Known(self.db) if check_patients else None,
                                          _Seen(self.db, "encounter_ids")),
                          "INSERT INTO encounters VALUES (?, ?, ?)",
                          lambda line, e: (partitioning.of(e.patient_id), line, e.model_dump_json()))

    # ------------------------------------------------------------------ reading back
    def patient_ids(self) -> Iterator[str]:
        """The accepted patient ids, sorted (SQLite's BINARY order on UTF-8 is Python's str order)."""
        for (pid,) in self.db.execute("SELECT id FROM patients ORDER BY id"):
            yield pid

    def write_shards(self, folder: Path, partitioning: Any) -> dict[int, int]:
        """Every partition's patients, events and encounters as shards under ``folder`` (rebuilt), and
        the accepted ids for the pipeline actors; returns the patients per partition. A record whose
        partition is None (``partitioning.of``) is left out."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        per_part = {i: 0 for i in range(partitioning.count)}
        schema = pa.schema([("patient_id", pa.string())])
        ids: list[str] = []
        with pq.ParquetWriter(folder / "patient_ids.parquet", schema) as id_writer:
            rows = self.db.execute("SELECT id, line, data FROM patients ORDER BY id")
            for part, shard in _grouped(((partitioning.of(pid), (pid, line, data)) for pid, line, data in rows)):
                if part is None:
                    continue
                with shard_path(folder, part, "patients").open("w", encoding="utf-8", newline="\n") as fh:
                    for pid, line, data in shard:
                        fh.write(f"{line}\t{data}\n")
                        per_part[part] += 1
                        ids.append(pid)
                        if len(ids) >= 50_000:
                            id_writer.write_table(pa.table({"patient_id": ids}, schema=schema))
                            ids.clear()
            if ids:
                id_writer.write_table(pa.table({"patient_id": ids}, schema=schema))
        for kind in ("events", "encounters"):
            rows = self.db.execute(f"SELECT part, line, data FROM {kind} WHERE part IS NOT NULL "  # noqa: S608
                                   "ORDER BY part, line")
            for part, shard in _grouped(((p, (line, data)) for p, line, data in rows)):
                with shard_path(folder, part, kind).open("w", encoding="utf-8", newline="\n") as fh:
                    for line, data in shard:
                        fh.write(f"{line}\t{data}\n")
        return per_part

    def quarantine(self) -> Iterator[dict[str, Any]]:
        """The quarantined records, in ``quarantine.jsonl`` order (kind, file, line, reason)."""
        for (data,) in self.db.execute("SELECT data FROM quarantine ORDER BY kind, file, line, reason"):
            yield json.loads(data)


class _PatientSeen:
    """The duplicate check of patients, inserting the id with an empty record (filled once accepted)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def first(self, record_id: str) -> bool:
        return self.db.execute("INSERT OR IGNORE INTO patients (id, line, data) VALUES (?, 0, '')",
                               (record_id,)).rowcount == 1


class Ranges:
    """Partitions given by their first patient ids (``firsts[i]``; None: a partition without patients):
    ``of(id)`` is the partition whose range holds the id, None below the first one."""

    def __init__(self, firsts: Sequence[str | None]) -> None:
        self.count = len(firsts)
        bounds = [(f, i) for i, f in enumerate(firsts) if f is not None]
        self._keys = [f for f, _ in bounds]
        self._index = [i for _, i in bounds]

    def of(self, patient_id: str) -> int | None:
        at = bisect.bisect_right(self._keys, patient_id) - 1
        return self._index[at] if at >= 0 else None


def _grouped(rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Iterator[Any]]]:
    from itertools import groupby

    for part, group in groupby(rows, key=lambda kv: kv[0]):
        yield part, (v for _, v in group)


def shard_path(folder: Path, part: int, kind: str) -> Path:
    return Path(folder) / f"p{part:05d}.{kind}.jsonl"


_MODELS = {"patients": Patient, "events": StructuredEvent, "encounters": Encounter}


def read_shard(folder: str | Path | None, part: int, kind: str) -> list[Any]:
    """One partition's records of ``kind`` from its shard, in input-file order (none if it has no shard)."""
    if folder is None:
        return []
    path = shard_path(Path(folder), part, kind)
    if not path.is_file():
        return []
    model = _MODELS[kind]
    rows = []
    with path.open(encoding="utf-8") as fh:
        for text in fh:
            line, _, data = text.rstrip("\n").partition("\t")
            rows.append((int(line), model.model_validate_json(data)))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]
