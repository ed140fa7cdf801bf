"""Input contract for real exports: EHR timestamps, typed Parquet columns, duplicates across shards."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qae.inputs import read_notes, read_patients

TEXT = "HPI: seen for diabetes follow up.  HbA1c 7.6% last month.  Plan: recheck in 3 months."


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_note_date_iso_datetimes_are_accepted_as_their_date(tmp_path: Path) -> None:
    stamps = {"a": "2026-03-01T10:30:00", "b": "2026-03-01 23:59:59.123", "c": "2026-03-01T08:00:00Z",
              "d": "2026-03-01T21:15:00-05:00", "e": "2026-03-01", "f": "2026-02-30T10:00:00",
              "g": "2026-03-01T25:00:00"}
    path = _jsonl(tmp_path / "n.jsonl", [{"note_id": k, "patient_id": "p1", "note_date": v, "text": TEXT}
                                         for k, v in stamps.items()])
    result = read_notes(path)
    assert {n.note_id: n.note_date for n in result.records} == dict.fromkeys("abcde", date(2026, 3, 1))
    assert {(q.record_id, q.field) for q in result.quarantine} == {("f", "note_date"), ("g", "note_date")}


def test_parquet_typed_columns_are_checked_not_coerced(tmp_path: Path) -> None:
    ints = tmp_path / "int_dates.parquet"
    pq.write_table(pa.table({"note_id": ["i1", "i2"], "patient_id": ["p1", "p1"],
                             "note_date": pa.array([1772323200, 20260301], pa.int64()), "text": [TEXT, TEXT]}), ints)
    binary = tmp_path / "binary_text.parquet"
    pq.write_table(pa.table({"note_id": ["b1"], "patient_id": ["p1"], "note_date": ["2026-03-01"],
                             "text": pa.array([TEXT.encode()], pa.binary())}), binary)
    stamps = tmp_path / "timestamps.parquet"
    pq.write_table(pa.table({"note_id": ["s1"], "patient_id": ["p1"],
                             "note_date": pa.array([datetime(2026, 3, 1, 22, 45)], pa.timestamp("us")),
                             "text": [TEXT]}), stamps)
    r_int, r_bin, r_ts = read_notes(ints), read_notes(binary), read_notes(stamps)
    assert not r_int.records and not r_bin.records
    found = [(q.record_id, q.field, q.line) for q in r_int.quarantine]
    assert found == [("i1", "note_date", 1), ("i2", "note_date", 2)]
    assert "type int64" in r_int.quarantine[0].reason and "not converted" in r_int.quarantine[0].reason
    (q,) = r_bin.quarantine
    assert q.field == "text" and "type binary" in q.reason and "not decoded" in q.reason
    assert q.record["text"].startswith("HPI: seen for diabetes")  # kept, decoded for the quarantine file
    assert [n.note_date for n in r_ts.records] == [date(2026, 3, 1)]


def test_json_numbers_for_dates_are_quarantined(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "n.jsonl", [{"note_id": "j1", "patient_id": "p1", "note_date": 20260301, "text": TEXT}])
    (q,) = read_notes(path).quarantine
    assert q.field == "note_date" and "a number (20260301)" in q.reason


def test_parquet_integer_birth_date_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.table({"patient_id": ["p1", "p2"], "birth_date": pa.array([-86400 * 365, 0], pa.int64()),
                             "sex": ["F", "M"]}), path)
    result = read_patients(path)
    assert not result.records
    assert {(q.record_id, q.field) for q in result.quarantine} == {("p1", "birth_date"), ("p2", "birth_date")}


def test_duplicate_note_ids_across_shards_keep_the_first_in_path_order(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    row = {"patient_id": "p1", "note_date": "2026-04-02", "text": TEXT}
    _jsonl(folder / "part-1.jsonl", [{"note_id": "x1", **row}, {"note_id": "x2", **row}])
    _jsonl(folder / "part-2.jsonl", [{"note_id": "x3", **row}, {"note_id": "x1", **row}, {"note_id": "x2", **row}])
    result = read_notes(folder)
    assert [n.note_id for n in result.records] == ["x1", "x2", "x3"]
    reasons = {(Path(q.file).name, q.line): q.reason for q in result.quarantine}
    assert reasons == {("part-2.jsonl", 2): "duplicate note_id 'x1' (first occurrence kept: part-1.jsonl line 1)",
                       ("part-2.jsonl", 3): "duplicate note_id 'x2' (first occurrence kept: part-1.jsonl line 2)"}
    assert result.read == 5 == len(result.records) + len(result.quarantine)
