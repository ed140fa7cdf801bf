"""The input contract: every record is accepted or quarantined with file, line and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qae.inputs import InputError, read_encounters, read_events, read_notes, read_patients

PATIENTS_CSV = """patient_id,birth_date,sex,clinic_id,provider_id,product_line
p1,1961-04-02,F,clinic-north,dr-ames,medicare
p2,1979-11-30,male,clinic-north,dr-ames,Commercial
p3,1990-02-31,F,clinic-east,dr-bo,medicaid
p4,1955-07-19,X,clinic-east,dr-bo,aco
p1,1961-04-02,F,clinic-north,dr-ames,medicare
,1970-01-01,M,clinic-east,dr-bo,aco
"""

GOOD_TEXT = (
    "HISTORY OF PRESENT ILLNESS:,  The patient is a 64-year-old female here for follow up of HTN.  "
    "Colonoscopy in 2019 was normal per patient.,  VITALS:,  BP 132/84, HR 72."
)


def _jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _note(**kw: object) -> bytes:
    base = {"note_id": "n1", "patient_id": "p1", "note_date": "2026-03-14", "text": GOOD_TEXT}
    base.update(kw)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


@pytest.fixture()
def patients_file(tmp_path: Path) -> Path:
    p = tmp_path / "patients.csv"
    p.write_text(PATIENTS_CSV, encoding="utf-8")
    return p


def test_read_patients_quarantines_bad_dates_sex_duplicates_and_missing_ids(patients_file: Path) -> None:
    result = read_patients(patients_file)
    assert [p.patient_id for p in result.records] == ["p1", "p2"]
    assert result.records[1].sex == "M" and result.records[1].product_line == "commercial"
    reasons = {q.line: (q.field, q.reason) for q in result.quarantine}
    assert reasons[4][0] == "birth_date"  # 1990-02-31 does not exist
    assert reasons[5][0] == "sex"
    assert "duplicate patient_id 'p1'" in reasons[6][1]
    assert reasons[7][0] == "patient_id"
    assert result.read == 6 == len(result.records) + len(result.quarantine)


def test_read_notes_jsonl_quarantines_each_broken_record_with_line_and_reason(
    tmp_path: Path, patients_file: Path
) -> None:
    lines = [
        _note(note_id="n1"),
        _note(note_id="n2", text=""),  # empty text
        _note(note_id="n3", text=...),  # missing text
        _note(note_id="n4", note_date="14/03/2026"),  # unparseable date
        _note(note_id="n5", patient_id="p-unknown"),  # unknown patient
        _note(note_id="n1"),  # duplicate note id
        b'{"note_id": "n6", "patient_id": "p1", "note_date": "2026-03-14", "text": "BP 120/80 \xff\xfe"}',
        b'{"note_id": "n7", "patient_id": "p1", ',  # truncated JSON
        _note(note_id="n8", text="A" * 501),  # over the size limit below
        _note(note_id="n9", text="   \n  "),  # only white space
        _note(note_id="n10", patient_id="p2", note_date="2025-12-31"),
    ]
    notes_path = _jsonl(tmp_path / "notes.jsonl", lines)
    known = {p.patient_id for p in read_patients(patients_file).records}
    result = read_notes(notes_path, known, max_chars=500)

    assert [n.note_id for n in result.records] == ["n1", "n10"]
    by_line = {q.line: q for q in result.quarantine}
    assert set(by_line) == {2, 3, 4, 5, 6, 7, 8, 9, 10}
    assert by_line[2].field == "text" and by_line[2].record_id == "n2"
    assert by_line[3].field == "text" and "required" in by_line[3].reason.lower()
    assert by_line[4].field == "note_date"
    assert by_line[5].field == "patient_id" and "p-unknown" in by_line[5].reason
    assert "duplicate note_id 'n1'" in by_line[6].reason
    assert "invalid UTF-8" in by_line[7].reason
    assert "not valid JSON" in by_line[8].reason
    assert "over the limit of 500" in by_line[9].reason
    assert "empty" in by_line[10].reason
    assert all(q.file == str(notes_path) and q.kind == "notes" for q in result.quarantine)
    assert result.read == 11 == len(result.records) + len(result.quarantine)
    # nothing is lost: the quarantine keeps the record itself
    assert by_line[4].record["note_id"] == "n4"


def test_read_notes_text_keeps_exact_characters(tmp_path: Path) -> None:
    text = "  ASSESSMENT:,  1.  HTN\u00a0- BP 150/92 today.\r\n2.  DM2, A1c 8.1%  "
    path = _jsonl(tmp_path / "n.jsonl", [_note(text=text)])
    (note,) = read_notes(path).records
    assert note.text == text  # offsets of evidence refer to this exact string


def test_read_notes_csv_multiline_text_and_bad_utf8_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    body = (
        'note_id,patient_id,note_date,text,note_type\n'
        'c1,p1,2026-01-05,"SOCIAL HISTORY:\nFormer smoker, quit 2010.\nPLAN: FIT kit given",Office Visit\n'
        'c2,p1,2026-01-06,"Mammogram 10/2025: BI-RADS 1 \xe9\xff",Office Visit\n'
    ).encode("latin-1")
    path.write_bytes(body)
    result = read_notes(path)
    assert [n.note_id for n in result.records] == ["c1"]
    assert "\n" in result.records[0].text
    (bad,) = result.quarantine
    assert bad.line == 5 and "invalid UTF-8" in bad.reason and bad.field is None


def test_read_notes_parquet(tmp_path: Path) -> None:
    path = tmp_path / "notes.parquet"
    table = pa.table({
        "note_id": ["q1", "q2"],
        "patient_id": ["p1", "p1"],
        "note_date": ["2026-02-01", "not a date"],
        "text": ["Patient declines colonoscopy. Cologuard ordered.", "BP 128/76"],
    })
    pq.write_table(table, path)
    result = read_notes(path)
    assert [n.note_id for n in result.records] == ["q1"]
    assert result.quarantine[0].line == 2 and result.quarantine[0].field == "note_date"


def test_whole_file_problems_raise_input_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_notes(tmp_path / "missing.jsonl")
    odd = tmp_path / "notes.txt"
    odd.write_text("x")
    with pytest.raises(InputError, match=r"unknown input format '\.txt'"):
        read_notes(odd)
    no_text = tmp_path / "notes.csv"
    no_text.write_text("note_id,patient_id,note_date\nn1,p1,2026-01-01\n")
    with pytest.raises(InputError, match="lacks required column.*text"):
        read_notes(no_text)


def test_read_events_and_encounters(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "patient_id,element,event_date,value,code,code_system,source,end_date\n"
        "p1,colonoscopy,2019-05-02,,45378,CPT,fhir:Procedure,2019-05-02\n"
        "p1,hba1c,2026-04-01,7.4,4548-4,LOINC,fhir:Observation,2026-04-01\n"
        "p1,diabetes,2015-01-01,,E11.9,ICD10CM,fhir:Condition:problem-list-item,\n"
        "p1,hba1c,2026-13-01,8.0,4548-4,LOINC,fhir:Observation,\n"
        "p1,dialysis,2026-05-01,,90935,CPT,fhir:Procedure,2026-04-01\n"
    )
    r = read_events(events, {"p1"})
    assert [e.element for e in r.records] == ["colonoscopy", "hba1c", "diabetes"]
    assert r.records[2].end_date is None  # ongoing condition
    assert [q.field for q in r.quarantine] == ["event_date", "end_date"]

    enc = tmp_path / "enc.csv"
    enc.write_text(
        "patient_id,encounter_id,start_date,end_date,type,code,code_system\n"
        "p1,e1,2026-03-01,2026-03-01,office_visit|annual_wellness_visit,99213,CPT\n"
        "p1,e2,2026-06-01,2026-06-04,inpatient,183452005,SNOMEDCT\n"
        "p1,e3,2026-06-01,2026-06-04,,183452005,SNOMEDCT\n"
    )
    r2 = read_encounters(enc, {"p1"})
    assert r2.records[0].types == ("annual_wellness_visit", "office_visit")
    assert [q.field for q in r2.quarantine] == ["type"]
