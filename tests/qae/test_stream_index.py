"""The index pass: records per chunk, and duplicate note ids found exactly across shards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import qae.stream
from qae.chunks import plan_notes
from qae.stream import index_notes


def _folder(tmp_path: Path, syn: Any) -> Path:
    _, notes = syn.corpus(30)
    folder = tmp_path / "notes"
    folder.mkdir()
    syn.write_jsonl(folder / "a.jsonl", notes[:12], [b"not json"])
    syn.write_csv(folder / "b.csv", [*notes[12:20], {**notes[3], "text": "Second copy, other words."}])
    syn.write_parquet(folder / "c.parquet", [*notes[20:], {**notes[15], "note_date": "2026-13-40"}, notes[15]])
    return folder


def _chunks(folder: Path) -> list[Any]:
    return [c for p in plan_notes(folder, 900) for c in p.chunks]


def test_index_counts_records_and_finds_duplicates_in_path_order(tmp_path: Path, syn: Any) -> None:
    chunks = _chunks(_folder(tmp_path, syn))
    index = index_notes(chunks)
    assert index.total == 34 and len(index.records) == len(chunks) > 3
    found = {(Path(chunks[c].path).name, seq): first for c, d in index.duplicates.items() for seq, first in d.items()}
    # b.csv's copy of notes[3] and c.parquet's last row (a copy of notes[15] from b.csv); the row with a
    # broken date is no note, so it is not a duplicate either
    assert len(found) == 2
    firsts = sorted((Path(f).name, line) for f, line in found.values())
    assert firsts[0][0] == "a.jsonl" and firsts[1][0] == "b.csv"


def test_index_is_exact_when_id_digests_collide(tmp_path: Path, syn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = _chunks(_folder(tmp_path, syn))
    expected = index_notes(chunks)
    monkeypatch.setattr(qae.stream, "_digest", lambda note_id: 42)  # every id collides
    collided = index_notes(chunks)
    assert collided.records == expected.records and collided.duplicates == expected.duplicates


@pytest.mark.parametrize("colliding", [False, True])
def test_index_spilled_to_disk_equals_the_index_in_memory(tmp_path: Path, syn: Any, monkeypatch: pytest.MonkeyPatch,
                                                          colliding: bool) -> None:
    chunks = _chunks(_folder(tmp_path, syn))
    if colliding:
        monkeypatch.setattr(qae.stream, "_digest", lambda note_id: 42 if note_id.endswith("1") else hash(note_id))
    expected = index_notes(chunks)
    monkeypatch.setattr(qae.stream, "INDEX_BUFFER", 5)  # the driver keeps 5 entries, the rest go to disk
    spill = tmp_path / "spill"
    spill.mkdir()
    spilled = index_notes(chunks, spill_dir=spill)
    assert spilled.records == expected.records and spilled.duplicates == expected.duplicates
    assert len(spilled.duplicates) > 0 and list(spill.iterdir()) == []  # spill files removed afterwards


@pytest.mark.slow
def test_index_on_ray_equals_the_local_index(tmp_path: Path, syn: Any) -> None:
    from pipelines.batch import start_ray

    chunks = _chunks(_folder(tmp_path, syn))
    start_ray(None, 2)
    ray_index = index_notes(chunks, "ray")
    local = index_notes(chunks)
    assert ray_index.records == local.records and ray_index.duplicates == local.duplicates
