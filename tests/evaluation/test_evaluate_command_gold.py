"""`qae evaluate-extraction` (alias of `qae evaluate`) on a gold file and notes of our own: the note
pipeline runs here, and the legacy `--out report.json` form still writes one JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qae.cli import app

NOTES = [
    {"note_id": "g-1", "patient_id": "gp-1", "note_date": "2026-05-04",
     "text": "HPI: 61 yo woman for follow up of high blood pressure.\nScreening: colonoscopy done in 2020, "
             "benign.\nVitals: BP 136/84.\nSocial: quit cigarettes ten years ago."},
    {"note_id": "g-2", "patient_id": "gp-2", "note_date": "2026-05-06",
     "text": "Sick visit for cough. She has never had a mammogram and does not want one.\nBP 118/76."},
]
GOLD = [
    {"note_id": "g-1", "elements": {"hypertension": "affirmed", "colonoscopy": "affirmed", "blood_pressure": "affirmed",
                                    "tobacco_use": "affirmed"},
     "values": {"blood_pressure": [[136, 84]], "tobacco_use": "former"}, "dates": {"colonoscopy": ["2020"]},
     "evidence": {"colonoscopy": ["colonoscopy done in 2020"]}},
    {"note_id": "g-2", "elements": {"mammogram": "not_affirmed", "blood_pressure": "affirmed",
                                    "hypertension": "affirmed"},
     "values": {"blood_pressure": [[118, 76]]}},
]


def test_alias_scores_gold_against_the_pipeline(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps(n) + "\n" for n in NOTES), encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(g) + "\n" for g in GOLD), encoding="utf-8")
    report = tmp_path / "report.json"
    res = CliRunner().invoke(app, ["evaluate-extraction", "--gold", str(gold), "--notes", str(notes),
                                   "--out", str(report)])
    assert res.exit_code == 0, res.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["mode"] == "gold" and data["element_level"]["units"] == 2 * 27
    overall = data["element_level"]["overall"]
    # g-2's hypertension is a planted annotation error: the note does not say it
    assert (overall["tp"], overall["fp"], overall["fn"]) == (5, 0, 1)
    assert overall["sensitivity"]["value"] == pytest.approx(5 / 6, abs=1e-6)
    assert overall["sensitivity"]["method"] == "wilson"
    assert data["element_level"]["per_element"]["hypertension"]["fn"] == 1
    assert data["extraction"]["micro"]["tp"] == 5  # the extraction scorer agrees on the same notes
    assert "Validation against chart review" in res.output and "hypertension" in res.output
    assert not (tmp_path / "validation_report.html").exists()  # the legacy form writes the JSON only
