"""`qae extract`: the command chart-review acceptance calls; evidence only, exact spans."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from qae.cli import app

NOTES = [
    {"note_id": "x-1", "patient_id": "p1", "note_date": "2026-04-03", "note_type": "Office Visit",
     "text": "SOCIAL HISTORY:,  Former smoker, quit in 2011.  Drinks socially.,  "
             "VITAL SIGNS:,  Blood pressure 142/88, repeat 136/84.,  "
             "LABS:,  Hemoglobin A1c 7.9% on 02/2026.,  "
             "HEALTH MAINTENANCE:,  Mammogram 11/2025 BI-RADS 1.  Pap smear due, she declines today."},
    {"note_id": "x-2", "patient_id": "p2", "note_date": "2026-08-21", "note_type": "Gastroenterology",
     "title": "Colonoscopy",
     "text": "PROCEDURE PERFORMED:,  Colonoscopy to the cecum.,  FINDINGS:,  Two small sessile polyps "
             "removed with cold snare.  Otherwise normal colonoscopy.,  FAMILY HISTORY:,  Father had colon cancer."},
    {"note_id": "x-3", "patient_id": "p3", "note_date": "2026-01-09", "text": ""},
]


def test_extract_cli_writes_sorted_exact_evidence_and_quarantine(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps(n) + "\n" for n in NOTES), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["extract", "--notes", str(notes), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "notes read 3 = processed 2 + quarantined 1" in result.output

    rows = [json.loads(line) for line in (out / "evidence.jsonl").read_text().splitlines()]
    texts = {n["note_id"]: n["text"] for n in NOTES}
    for r in rows:
        assert texts[r["note_id"]][r["start"]:r["end"]] == r["span"]
    keys = [(r["patient_id"], r["note_id"], r["start"], r["end"], r["element"]) for r in rows]
    assert keys == sorted(keys)

    def find(note: str, element: str) -> list[dict]:
        return [r for r in rows if r["note_id"] == note and r["element"] == element]

    bp = sorted((r["value"]["systolic"], r["value"]["diastolic"]) for r in find("x-1", "blood_pressure"))
    assert bp == [(136, 84), (142, 88)]
    assert {r["value"] for r in find("x-1", "tobacco_use")} == {"former"}
    assert [r["value"] for r in find("x-1", "hba1c")] == [7.9]
    (mammo,) = find("x-1", "mammogram")
    assert mammo["status"] == "affirmed" and mammo["event_date"] == "2025-11-01" and mammo["date_precision"] == "month"
    assert {r["status"] for r in find("x-1", "cervical_cytology")} <= {"declined", "planned"}
    colos = find("x-2", "colonoscopy")
    assert colos and all(r["status"] == "affirmed" for r in colos)
    assert any(r["event_date"] == "2026-08-21" for r in colos), "a procedure note is dated on its own date"
    assert {r["status"] for r in find("x-2", "colorectal_cancer")} == {"family"}

    quarantine = [json.loads(line) for line in (out / "quarantine.jsonl").read_text().splitlines()]
    assert [(q["record_id"], q["field"]) for q in quarantine] == [("x-3", "text")]


def test_extract_cli_keeps_supplemental_elements_out_unless_asked(tmp_path: Path) -> None:
    note = {"note_id": "s-1", "patient_id": "p9", "note_date": "2026-05-12", "note_type": "Office Visit",
            "text": "SOCIAL HISTORY:,  Smokes 1 ppd x 20 years.,  ASSESSMENT AND PLAN:,  "
                    "1.  Tobacco use disorder.  Counseled on smoking cessation for 5 minutes; "
                    "started nicotine patch 21 mg daily."}
    notes = tmp_path / "notes.jsonl"
    notes.write_text(json.dumps(note) + "\n", encoding="utf-8")

    def elements(*extra: str) -> set[str]:
        out = tmp_path / ("out" + "".join(extra))
        result = CliRunner().invoke(app, ["extract", "--notes", str(notes), "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        return {json.loads(line)["element"] for line in (out / "evidence.jsonl").read_text().splitlines()}

    assert elements() == {"tobacco_use"}
    assert {"tobacco_use", "tobacco_cessation_counseling", "tobacco_cessation_medication"} <= elements(
        "--include-supplemental")


def test_extract_cli_date_order_reads_day_first_notes_and_a_note_can_override_it(tmp_path: Path) -> None:
    base = {"patient_id": "p5", "note_date": "2026-05-20", "text": "Mammo 05/04/2026 - BI-RADS 1. Flu vax 01/02/26."}
    notes = tmp_path / "notes.jsonl"
    notes.write_text(
        json.dumps({**base, "note_id": "d-1"}) + "\n"
        + json.dumps({**base, "note_id": "d-2", "date_order": "mdy"}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["extract", "--notes", str(notes), "--out", str(out), "--date-order", "dmy"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "evidence.jsonl").read_text().splitlines()]
    dates = {(r["note_id"], r["element"]): r["event_date"] for r in rows if r["status"] == "affirmed"}
    assert dates[("d-1", "mammogram")] == "2026-04-05"  # the job's day-first order
    assert dates[("d-2", "mammogram")] == "2026-05-04"  # the note's own month-first order
    bad = CliRunner().invoke(app, ["extract", "--notes", str(notes), "--out", str(out), "--date-order", "ymd"])
    assert bad.exit_code == 2 and "date-order" in bad.output
