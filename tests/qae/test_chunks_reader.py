"""Notes cut into chunks read exactly like the whole file: same records, same line numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qae.chunks import InputError, chunk_table, iter_chunk, note_files, plan_file, plan_notes, record_of


def _records(path: Path, chunk_bytes: int) -> tuple[list[tuple], int]:
    plan = plan_file(path, chunk_bytes)
    rows = [(r.line, r.data, r.problem, r.field) for c in plan.chunks for r in iter_chunk(c)]
    return rows, len(plan.chunks)


def test_jsonl_chunks_give_the_records_of_the_whole_file(tmp_path: Path, syn) -> None:
    _, notes = syn.corpus(40)
    path = syn.write_jsonl(tmp_path / "n.jsonl", notes[:20], [b"", b'{"note_id": "cut', b"\xff\xfe not utf-8"])
    with path.open("ab") as fh:
        fh.write(b"\n" + b"\n".join(json.dumps(n).encode() for n in notes[20:]) + b"\n")
    whole, one = _records(path, 1 << 40)
    cut, many = _records(path, 700)
    assert one == 1 and many > 5
    assert cut == whole
    problems = {line: problem for line, _, problem, _ in whole if problem}
    assert problems[22].startswith("not valid JSON") and problems[23].startswith("invalid UTF-8")
    assert [d["note_id"] for line, d, p, _ in whole if not p][20] == notes[20]["note_id"]


def test_csv_chunks_never_split_a_quoted_multiline_field(tmp_path: Path, syn) -> None:
    _, notes = syn.corpus(30)
    for n in notes[::3]:
        n["text"] = n["text"].replace(". ", ".\n", 2) + '\nShe said "no more pills", then left.'
    path = syn.write_csv(tmp_path / "n.csv", notes)
    whole, _ = _records(path, 1 << 40)
    cut, many = _records(path, 300)
    assert many > 5 and cut == whole
    assert [d["text"] for _, d, _, _ in whole] == [n["text"] for n in notes]
    # line numbers are physical lines: each record starts after the previous one's line breaks
    lines = [line for line, *_ in whole]
    assert lines[0] == 2 and lines == sorted(lines) and lines[-1] > len(notes)


def test_parquet_chunks_are_whole_row_groups_with_row_numbers(tmp_path: Path, syn) -> None:
    _, notes = syn.corpus(23)
    path = syn.write_parquet(tmp_path / "n.parquet", notes, row_group_size=4)
    whole, _ = _records(path, 1 << 40)
    cut, many = _records(path, 1)
    assert many == 6 and cut == whole
    assert [line for line, *_ in whole] == list(range(1, 24))


def test_note_folder_reads_nested_shards_in_path_order_and_refuses_stray_files(tmp_path: Path, syn) -> None:
    _, notes = syn.corpus(9)
    folder = tmp_path / "export"
    (folder / "year=2026").mkdir(parents=True)
    syn.write_jsonl(folder / "b.jsonl", notes[:3])
    syn.write_csv(folder / "a.csv", notes[3:6])
    syn.write_parquet(folder / "year=2026" / "c.parquet", notes[6:])
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.jsonl").write_text("not a shard")
    assert [p.relative_to(folder).as_posix() for p in note_files(folder)] == ["a.csv", "b.jsonl",
                                                                             "year=2026/c.parquet"]
    chunks = [c for p in plan_notes(folder, 1 << 20) for c in p.chunks]
    assert [c.index for c in chunks] == list(range(len(chunks)))
    (folder / "notes.json").write_text("{}")
    with pytest.raises(InputError, match=r"holds notes\.json, which is not a \.jsonl"):
        note_files(folder)
    with pytest.raises(InputError, match="not found"):
        note_files(tmp_path / "nowhere")


def test_parquet_record_problems_name_the_typed_column(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"note_id": ["t1"], "patient_id": ["p1"], "note_date": pa.array([20260301], pa.int64()),
                             "text": ["BP 120/70"]}), path)
    (rec,) = [r for c in plan_file(path).chunks for r in iter_chunk(c)]
    assert rec.field == "note_date" and "Parquet column of type int64" in rec.problem
    assert rec.data["note_id"] == "t1"  # the record stays identifiable in the quarantine


def _round_trip(path: Path, chunk_bytes: int) -> tuple[list[Any], list[Any]]:
    """Records as iter_chunk yields them, and the same chunks through chunk_table (what a reader hands on)
    turned back into records by record_of (what the validating worker does)."""
    plan = plan_file(path, chunk_bytes)
    direct = [r for c in plan.chunks for r in iter_chunk(c)]
    handed_on = [record_of(row) for c in plan.chunks for row in chunk_table(c).to_pylist()]
    return direct, handed_on


def test_jsonl_lines_handed_on_unparsed_give_the_records_of_iter_chunk(tmp_path: Path, syn) -> None:
    _, notes = syn.corpus(30)
    notes[4]["note_date"] = "2026-03-01T10:30:00"
    notes[7]["text"] = "Pt reports chest tightness \u2014 resolved after rest; no dyspn\u00e9e."
    path = syn.write_jsonl(tmp_path / "n.jsonl", notes[:20], [
        b"", b'{"note_id": "half', b'{"note_id": "no-close", "text": \r', b"[1, 2]", b"\xff\xfe not utf-8",
        b'{"note_id": "n-sur", "patient_id": "p1", "note_date": "2026-01-02", "text": "bad \\ud83d escape"}',
        b"   ", b'{"note_id": 17, "patient_id": 4, "note_date": 20260101, "text": "Seen for follow-up."}',
    ])
    with path.open("ab") as fh:
        fh.write(b"\r\n".join(json.dumps(n, ensure_ascii=False).encode() for n in notes[20:]) + b"\r\n")
    for chunk_bytes in (1 << 40, 500):
        direct, handed_on = _round_trip(path, chunk_bytes)
        assert handed_on == direct
    table = pa.concat_tables(chunk_table(c) for c in plan_file(path, 500).chunks)
    # well-formed lines travel as their text; only the lines that are no UTF-8 are parsed by the reader
    assert table["text"].null_count == 1
    problems = [r.problem for r in direct if r.problem]
    assert len(problems) == 6 and len(direct) == 36


def test_csv_and_parquet_records_survive_chunk_table(tmp_path: Path, syn) -> None:
    _, notes = syn.corpus(16)
    notes[2]["text"] = 'Denies smoking.\nSays "quit in 2019", no relapse.'
    csv_path = syn.write_csv(tmp_path / "n.csv", notes)
    with csv_path.open("ab") as fh:
        fh.write(b'n-extra,p1,2026-02-02,"too",many,fields,here,and,more,still,more\n')
    parquet = syn.write_parquet(tmp_path / "n.parquet", [*notes, {**notes[0], "note_date": "2026-02-30"}])
    for path in (csv_path, parquet):
        direct, handed_on = _round_trip(path, 400)
        assert handed_on == direct and len(direct) >= 17
