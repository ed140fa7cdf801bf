"""``qae evaluate-extraction`` reads each note's own ``date_order`` (the terse dev set mixes both)."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.extraction import evaluate_extraction


def test_each_note_is_read_in_its_own_date_order(tmp_path: Path, shared_nlp) -> None:
    notes = [
        {"note_id": "uk-1", "patient_id": "p1", "note_date": "2026-05-02", "date_order": "dmy",
         "text": "Bowel scope 04/03/26 - NAD. Non smoker."},
        {"note_id": "us-1", "patient_id": "p2", "note_date": "2026-05-02", "date_order": "mdy",
         "text": "Flex sig 04/03/26 - normal. Non smoker."},
    ]
    gold = [
        {"note_id": "uk-1", "elements": {"flexible_sigmoidoscopy": "affirmed", "tobacco_use": "affirmed"},
         "values": {"tobacco_use": "never"}, "dates": {"flexible_sigmoidoscopy": ["2026-03-04"]}},
        {"note_id": "us-1", "elements": {"flexible_sigmoidoscopy": "affirmed", "tobacco_use": "affirmed"},
         "values": {"tobacco_use": "never"}, "dates": {"flexible_sigmoidoscopy": ["2026-04-03"]}},
    ]
    notes_path = tmp_path / "notes.jsonl"
    gold_path = tmp_path / "gold.jsonl"
    notes_path.write_text("\n".join(json.dumps(n) for n in notes) + "\n", encoding="utf-8")
    gold_path.write_text("\n".join(json.dumps(g) for g in gold) + "\n", encoding="utf-8")
    report = evaluate_extraction(gold_path, [notes_path], nlp=shared_nlp)
    assert (report.dates.correct, report.dates.total) == (2, 2)
    assert report.micro.fscore == 1.0


def test_the_bundled_terse_dev_set_is_complete_and_annotated() -> None:
    root = Path(__file__).resolve().parents[2] / "evaluation" / "devsets" / "terse"
    notes = [json.loads(line) for line in (root / "notes.jsonl").read_text(encoding="utf-8").splitlines() if line]
    gold = [json.loads(line) for line in (root / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line]
    assert len(notes) == len(gold) >= 60
    assert {n["note_id"] for n in notes} == {g["note_id"] for g in gold}
    assert {n["date_order"] for n in notes} == {"mdy", "dmy"}
    for g in gold:  # every quote is an exact substring of its note
        text = next(n["text"] for n in notes if n["note_id"] == g["note_id"])
        for quotes in (g.get("evidence") or {}).values():
            assert all(q in text for q in quotes)
