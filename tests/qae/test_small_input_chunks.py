"""A small notes input is cut into enough chunks for every pipeline actor.

A chunk goes to one actor whole (it is one block of the reader): a demo-sized input in a single 2 MiB
chunk left every actor but one idle. The plan comes from the input's size and the sharding settings alone,
so that a resumed run finds the same chunks; an explicitly small ``chunk_kib`` is kept.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from qae.chunks import plan_notes
from qae.job import MIN_CHUNK_BYTES, MIN_CHUNKS, _chunk_bytes


def _notes(syn: ModuleType, folder: Path, n: int, name: str = "notes.jsonl", seed: int = 13) -> Path:
    _, notes = syn.corpus(n_notes=n, n_patients=max(4, n // 3), seed=seed)
    return syn.write_jsonl(folder / name, notes)


def test_a_small_input_gets_at_least_eight_chunks_of_16_kib_or_more(syn: ModuleType, tmp_path: Path) -> None:
    path = _notes(syn, tmp_path, 1000)
    size = path.stat().st_size
    assert MIN_CHUNKS * MIN_CHUNK_BYTES < size < 2048 * 1024  # small: one default chunk would hold it all
    plans = plan_notes(path, _chunk_bytes(path, 2048))
    chunks = [c for p in plans for c in p.chunks]
    assert len(chunks) >= MIN_CHUNKS
    assert plans == plan_notes(path, _chunk_bytes(path, 2048))  # the same plan every time (resume)


def test_a_tiny_input_keeps_chunks_of_at_least_16_kib(syn: ModuleType, tmp_path: Path) -> None:
    path = _notes(syn, tmp_path, 30)
    assert path.stat().st_size < MIN_CHUNKS * MIN_CHUNK_BYTES
    assert _chunk_bytes(path, 2048) == MIN_CHUNK_BYTES


def test_an_explicit_small_chunk_size_and_a_large_input_keep_chunk_kib(syn: ModuleType, tmp_path: Path) -> None:
    path = _notes(syn, tmp_path, 60)
    assert _chunk_bytes(path, 4) == 4 * 1024  # below the 16 KiB floor: the setting wins
    folder = tmp_path / "large"
    folder.mkdir()
    for i in range(3):  # three shards: the whole input is what counts
        _notes(syn, folder, 1000, f"part-{i}.jsonl", seed=i)
    total = sum(f.stat().st_size for f in folder.iterdir())
    assert _chunk_bytes(folder, 16) == 16 * 1024 and total > MIN_CHUNKS * 16 * 1024
