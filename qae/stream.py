"""Streaming the notes: chunks read by a Ray Data reader, validated and extracted on actors.

Two passes over the chunks of the notes input (qae.chunks):

1. **index** (:func:`index_notes`): every record is parsed (not extracted) to count the records
   of each chunk and to find ``note_id`` duplicates across all files. About 25 bytes per note reach
   the driver (an 8-byte digest of the id and its position); ids whose digests collide are then
   compared exactly by re-reading just those chunks. The first occurrence in file order is kept,
   whatever the number of shards or workers.
2. **extract** (:func:`extract_chunks`): the records of the chunks still to do flow through
   ``NotePipeline`` actors (pipelines.batch), which validate each record (:class:`ChunkValidator`:
   the input contract of qae.inputs, duplicates as found by the index) and extract its evidence.
   Rows come back in any order; the caller regroups them by chunk.

``executor="ray"`` uses :class:`NoteChunks`, a Ray Data ``Datasource`` with one read task per
chunk; ``executor="local"`` runs the same functions in this process. The reader parses as little as
it can: JSON lines travel as their text (qae.chunks.chunk_table) and are parsed once, where they are
validated (qae.chunks.record_of); CSV and Parquet records, which need their reader's parser and column
types, travel parsed.
"""

from __future__ import annotations

import functools
import hashlib
import math
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from engine.records import Note
from qae.chunks import Chunk, InputError, chunk_blocks, chunk_table, iter_chunk, record_of, record_schema
from qae.inputs import DEFAULT_MAX_NOTE_CHARS, NoteValidator, QuarantineRecord

__all__ = [
    "ChunkValidator",
    "NoteChunks",
    "NoteIndex",
    "PatientIds",
    "chunk_table",
    "extract_chunks",
    "index_notes",
]

RECORD_SCHEMA = record_schema()


_DATASOURCE: Any = None


# Records per block of the reader. A block goes to one actor whole, so blocks much smaller than a chunk
# keep every actor busy, on a small input as at the end of a large one.
BLOCK_ROWS = 64


def NoteChunks(chunks: Sequence[Chunk]) -> Any:  # noqa: N802 - builds a ray.data Datasource
    """A Ray Data reader of note chunks: one read task per chunk, yielding blocks of ``BLOCK_ROWS``
    records (the Datasource class is defined on first use, so that this module imports without Ray)."""
    global _DATASOURCE
    if _DATASOURCE is None:
        from ray.data.block import BlockMetadata
        from ray.data.datasource import Datasource, ReadTask

        class NoteChunksDatasource(Datasource):
            def __init__(self, chunks: Sequence[Chunk]) -> None:
                super().__init__()
                self.chunks = list(chunks)

            def estimate_inmemory_data_size(self) -> int | None:
                return None

            def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                               data_context: Any = None) -> list[Any]:
                # the read function is qae.chunks' own (a read task imports that module only)
                return [
                    ReadTask(functools.partial(chunk_blocks, chunk, BLOCK_ROWS),
                             BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=(chunk.path,)),
                             schema=RECORD_SCHEMA)
                    for chunk in self.chunks
                ]

        _DATASOURCE = NoteChunksDatasource
    return _DATASOURCE(chunks)


def _read_dataset(chunks: Sequence[Chunk], concurrency: int) -> Any:
    import ray

    # reading is light next to extraction: read tasks take no CPU slot (actors hold them all), and
    # a small concurrency keeps Ray from starting a worker process per chunk (each costs about 1.5 s of CPU,
    # mostly importing Ray Data; one reads 10k notes in 0.2 s, see extract_chunks). Each chunk becomes one block,
    # so one task of a pipeline actor; smaller blocks (DataContext.target_max_block_size of 256 KiB) ended
    # the extraction with both actors busy at 10k notes but cost more than they saved at 100k (extract
    # stage 136 s -> 192 s, actors' CPU 237 s -> 315 s): tried and reverted.
    return ray.data.read_datasource(NoteChunks(chunks), num_cpus=0, concurrency=concurrency,
                                    override_num_blocks=len(chunks))  # one read task per chunk


# --------------------------------------------------------------------------- index


def _digest(note_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(note_id.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def _index_batch(batch: pa.Table | Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Per record: its chunk, position, and the digest of its ``note_id`` when well formed."""
    table = batch if isinstance(batch, pa.Table) else pa.table(dict(batch))
    validator = NoteValidator()
    digests, valid = [], []
    for row in table.to_pylist():
        parsed = validator.parse(record_of(row), row["file"])
        ok = isinstance(parsed, Note)
        valid.append(ok)
        digests.append(_digest(parsed.note_id) if ok else 0)
    return {"chunk": np.asarray(table["chunk"].to_pylist(), dtype=np.int64),
            "seq": np.asarray(table["seq"].to_pylist(), dtype=np.int64),
            "digest": np.asarray(digests, dtype=np.int64), "valid": np.asarray(valid, dtype=bool)}


@dataclass
class NoteIndex:
    """What the index pass found: records per chunk and the duplicate positions.

    ``duplicates``: chunk -> {seq: (file, line) of the first occurrence of that note_id}.
    """

    records: dict[int, int] = field(default_factory=dict)
    duplicates: dict[int, dict[int, tuple[str, int]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.records.values())

    def to_json(self) -> dict[str, Any]:
        return {"records": {str(k): v for k, v in sorted(self.records.items())},
                "duplicates": {str(c): {str(s): list(v) for s, v in sorted(d.items())}
                               for c, d in sorted(self.duplicates.items())}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NoteIndex:
        return cls({int(k): int(v) for k, v in data["records"].items()},
                   {int(c): {int(s): (v[0], int(v[1])) for s, v in d.items()} for c, d in data["duplicates"].items()})


Duplicates = dict[int, dict[int, tuple[str, int]]]


def _resolve_duplicates(chunks: Sequence[Chunk], positions: set[tuple[int, int]]) -> Duplicates:
    """Exact duplicates among records whose id digests collide: re-read only their chunks."""
    by_index = {c.index: c for c in chunks}
    validator = NoteValidator()
    occurrences: dict[str, list[tuple[int, int, str, int]]] = {}
    for chunk_i in sorted({c for c, _ in positions}):
        chunk = by_index[chunk_i]
        for seq, rec in enumerate(iter_chunk(chunk)):
            if (chunk_i, seq) not in positions:
                continue
            parsed = validator.parse(rec, chunk.path)
            if isinstance(parsed, Note):
                occurrences.setdefault(parsed.note_id, []).append((chunk_i, seq, chunk.path, rec.line))
    duplicates: Duplicates = {}
    for found in occurrences.values():
        if len(found) < 2:
            continue  # a digest collision between different ids
        found.sort()
        first = found[0]
        for chunk_i, seq, _path, _line in found[1:]:
            duplicates.setdefault(chunk_i, {})[seq] = (first[2], first[3])
    return duplicates


# Index entries (24 bytes each) held before they are spilled to disk in buckets of their digest: the
# driver's index memory is bounded whatever the number of notes.
INDEX_BUFFER = 1 << 20
INDEX_BUCKETS = 64
_ENTRY = np.dtype([("digest", "<i8"), ("chunk", "<i8"), ("seq", "<i8")])


class _Digests:
    """(digest, chunk, seq) of the well-formed records: in memory up to ``INDEX_BUFFER`` entries, beyond
    that spilled to ``INDEX_BUCKETS`` files by the digest's top bits (equal digests share a bucket)."""

    def __init__(self, spill_dir: Path | None) -> None:
        self.spill_dir = spill_dir
        self.buffer: list[np.ndarray] = []
        self.buffered = 0
        self.folder: Path | None = None

    def add(self, part: Mapping[str, np.ndarray]) -> None:
        valid = part["valid"]
        entries = np.empty(int(valid.sum()), dtype=_ENTRY)
        entries["digest"], entries["chunk"], entries["seq"] = part["digest"][valid], part["chunk"][valid], \
            part["seq"][valid]
        self.buffer.append(entries)
        self.buffered += len(entries)
        if self.buffered >= INDEX_BUFFER:
            self._spill()

    def _spill(self) -> None:
        import tempfile

        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="qae-index-", dir=self.spill_dir))
        entries = np.concatenate(self.buffer) if self.buffer else np.empty(0, dtype=_ENTRY)
        self.buffer, self.buffered = [], 0
        bucket = (entries["digest"].view(np.uint64) >> np.uint64(58)) % INDEX_BUCKETS
        for b in np.unique(bucket):
            with (self.folder / f"b{int(b):03d}.bin").open("ab") as fh:
                entries[bucket == b].tofile(fh)

    def colliding(self) -> set[tuple[int, int]]:
        """(chunk, seq) of every record whose digest another record shares."""
        if self.folder is None:
            groups: Iterator[np.ndarray] = iter([np.concatenate(self.buffer)] if self.buffer else [])
        else:
            self._spill()
            groups = (np.fromfile(f, dtype=_ENTRY) for f in sorted(self.folder.glob("b*.bin")))
        positions: set[tuple[int, int]] = set()
        try:
            for entries in groups:
                values, seen = np.unique(entries["digest"], return_counts=True)
                colliding = values[seen > 1]
                if len(colliding):
                    mask = np.isin(entries["digest"], colliding)
                    positions |= {(int(c), int(q)) for c, q in zip(entries["chunk"][mask], entries["seq"][mask],
                                                                   strict=True)}
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
        return positions


def index_notes(chunks: Sequence[Chunk], executor: str = "local", concurrency: int = 2,
                on_progress: Callable[[int], None] | None = None, spill_dir: Path | None = None) -> NoteIndex:
    """Records per chunk and duplicate ``note_id`` positions (first occurrence in file order kept);
    ``on_progress(n)`` as records are indexed. The driver keeps a count per chunk and the digests of up
    to ``INDEX_BUFFER`` records; more are spilled under ``spill_dir`` (default: a temporary folder)."""
    index = NoteIndex(records={c.index: 0 for c in chunks})
    counts = np.zeros(max(index.records, default=-1) + 1, dtype=np.int64)
    digests = _Digests(spill_dir)

    def take(part: Mapping[str, np.ndarray]) -> None:
        np.add.at(counts, part["chunk"], 1)
        digests.add(part)
        if on_progress:
            on_progress(len(part["chunk"]))

    if executor == "ray" and chunks:
        # the same resources as the reader (no CPU slot, `concurrency` at a time): Ray Data then fuses
        # reading and indexing into one task per chunk, in `concurrency` worker processes instead of twice
        # as many (each costs about 1.5 s of CPU to start, mostly importing Ray Data)
        ds = _read_dataset(chunks, concurrency).map_batches(_index_batch, batch_format="pyarrow", batch_size=None,
                                                            num_cpus=0, concurrency=concurrency)
        for batch in _ray_batches(ds):
            take({k: batch[k].to_numpy(zero_copy_only=False) for k in ("chunk", "seq", "digest", "valid")})
    else:
        for chunk in chunks:
            take(_index_batch(chunk_table(chunk)))
    index.records = {c.index: int(counts[c.index]) for c in chunks}
    positions = digests.colliding()
    if positions:
        index.duplicates = _resolve_duplicates(chunks, positions)
    return index


def _ray_batches(ds: Any) -> Iterator[pa.Table]:
    """Blocks of a Ray dataset as they finish; a task's InputError surfaces as itself."""
    import ray

    try:
        yield from ds.iter_batches(batch_size=None, batch_format="pyarrow")
    except ray.exceptions.RayError as exc:
        cause = getattr(exc, "cause", None)
        while cause is not None and not isinstance(cause, InputError):
            cause = getattr(cause, "cause", None) or cause.__cause__
        if isinstance(cause, InputError):
            raise InputError(str(cause)) from None
        raise


# --------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class PatientIds:
    """The accepted patient ids, as a file the pipeline actors read (qae.input_store writes it), so that
    the driver never holds them."""

    path: str

    def load(self) -> frozenset[str]:
        import pyarrow.parquet as pq

        return frozenset(pq.read_table(self.path, columns=["patient_id"]).column(0).to_pylist())


class ChunkValidator:
    """The notes contract on a worker (qae.inputs.NoteValidator) plus the index's duplicates."""

    def __init__(self, known_patients: Any = None, max_chars: int = DEFAULT_MAX_NOTE_CHARS,
                 duplicates: Mapping[int, Mapping[int, tuple[str, int]]] | None = None) -> None:
        self._known = known_patients  # a set, a PatientIds file or a Ray ObjectRef to a set (read on first use)
        self.max_chars = max_chars
        self.duplicates = {int(c): {int(s): tuple(v) for s, v in d.items()} for c, d in (duplicates or {}).items()}
        self._validator: NoteValidator | None = None

    def _get(self) -> NoteValidator:
        if self._validator is None:
            known = self._known
            if isinstance(known, PatientIds):
                known = known.load()
            elif known is not None and not isinstance(known, set | frozenset):
                import ray

                known = ray.get(known)
            self._validator = NoteValidator(known, self.max_chars)
        return self._validator

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_validator": None}

    def validate(self, row: Mapping[str, Any]) -> Note | dict[str, Any]:
        validator = self._get()
        raw = record_of(row)
        parsed = validator.parse(raw, row["file"])
        if isinstance(parsed, QuarantineRecord):
            return parsed.to_json_dict()
        first = self.duplicates.get(int(row["chunk"]), {}).get(int(row["seq"]))
        if first is not None:
            return validator.duplicate(parsed, raw, row["file"], first).to_json_dict()
        problem = validator.check(parsed, raw, row["file"])
        return problem.to_json_dict() if problem is not None else parsed

    def failed(self, row: Mapping[str, Any], note: Note, reason: str) -> dict[str, Any]:
        raw = record_of(row)
        return QuarantineRecord(row["file"], raw.line, "notes", note.note_id, reason, "text", raw.data).to_json_dict()


# Pipeline actors one read task feeds (a chunk of 1 MiB is read in a few hundredths of a second and
# extracted in seconds).
READERS_PER_ACTORS = 16


def extract_chunks(chunks: Sequence[Chunk], validator: ChunkValidator, *, executor: str = "local",
                   options: Mapping[str, Any] | None = None, note_seconds: float | None = None,
                   actors: int = 2, batch_size: int = 32, max_restarts: int = 3, max_task_retries: int = 3,
                   read_concurrency: int | None = None) -> Iterator[pa.Table]:
    """Validated and extracted rows of ``chunks`` (columns ``chunk``, ``seq``, ``note_id``,
    ``patient_id``, ``evidence``, ``error``, ``quarantine``), in batches, in any order.

    ``read_concurrency``: read tasks at a time, by default one per ``READERS_PER_ACTORS`` actors. One
    keeps many actors busy (it hands JSON lines on unparsed, far faster than the actors extract them) and
    starts one worker process: two cost 3.5-4.0 s of CPU at 10k notes against 1.5-1.8 s for one, on a
    machine whose every core holds a pipeline actor."""
    from pipelines.batch import InProcessPipeline, map_notes

    if not chunks:
        return
    if executor == "ray":
        # a chunk is one block, and a block goes to one actor: no more actors than chunks (a pipeline loaded
        # for nothing costs seconds of CPU and half a GB, and Ray Data warns about the idle pool)
        pool = min(actors, len(chunks))
        readers = read_concurrency or math.ceil(pool / READERS_PER_ACTORS)
        ds = map_notes(_read_dataset(chunks, readers), options=options, note_seconds=note_seconds,
                       validator=validator, actors=pool, batch_size=batch_size, max_restarts=max_restarts,
                       max_task_retries=max_task_retries)
        yield from _ray_batches(ds)
        return
    pipeline = InProcessPipeline(options, True, note_seconds, validator)
    for chunk in chunks:
        table = chunk_table(chunk)
        for start in range(0, table.num_rows, batch_size):
            part = table.slice(start, batch_size)
            yield pa.table(pipeline({k: np.asarray(part[k].to_pylist(), dtype=object) for k in part.column_names}))
