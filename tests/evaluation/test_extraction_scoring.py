"""Extraction scoring: note-level PRF, values, dates and span exactness from hand-built evidence."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engine.records import Evidence, Note
from evaluation.extraction import evaluate_extraction, note_tobacco_category, score_extraction
from evaluation.scoring import Accuracy, PRFScore, macro_f, merge_counts

TEXT = "Colonoscopy in 2019 was normal. BP 142/88. Denies smoking. Mother had colon cancer."


def _ev(element: str, span: str, status: str = "affirmed", value=None, event_date=None, precision=None):
    start = TEXT.index(span)
    return Evidence(
        evidence_id=f"n1:{start}-{start + len(span)}:{element}",
        note_id="n1",
        patient_id="p",
        element=element,
        status=status,
        start=start,
        end=start + len(span),
        span=span,
        value=value,
        event_date=event_date,
        date_precision=precision,
        source="rule:test",
    )


def test_prfscore_merges_and_scores():
    a, b = PRFScore(), PRFScore()
    a.score_set([1, 2], [2, 3])
    b.score_set([4], [4])
    total = a + b
    assert (total.tp, total.fp, total.fn) == (2, 1, 1)
    assert total.precision == total.recall == 2 / 3
    assert merge_counts([{"x": Accuracy(1, 2)}, {"x": Accuracy(1, 1)}])["x"].value == 2 / 3
    assert macro_f({"a": total, "b": PRFScore()}) == total.fscore


def test_score_extraction_counts_note_level_and_values():
    note = Note(note_id="n1", patient_id="p", note_date=date(2026, 6, 15), text=TEXT)
    gold = {
        "n1": {
            "note_id": "n1",
            "elements": {
                "colonoscopy": "affirmed",
                "blood_pressure": "affirmed",
                "tobacco_use": "affirmed",
                "colorectal_cancer": "not_affirmed",
                "mammogram": "affirmed",
            },
            "values": {"blood_pressure": [[142, 88]], "tobacco_use": "never"},
            "evidence": {"colonoscopy": ["Colonoscopy in 2019 was normal."]},
            "dates": {"colonoscopy": ["2019"]},
        }
    }
    evidence = {
        "n1": [
            _ev("colonoscopy", "Colonoscopy", event_date=date(2019, 1, 1), precision="year"),
            _ev("blood_pressure", "142/88", value={"systolic": 142, "diastolic": 88}),
            _ev("tobacco_use", "smoking", value="never"),
            _ev("colorectal_cancer", "colon cancer", status="family"),
        ]
    }
    report = score_extraction(gold, {"n1": note}, evidence)
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (3, 0, 1)
    assert report.per_element["mammogram"].fn == 1
    assert report.per_element["colorectal_cancer"].tp + report.per_element["colorectal_cancer"].fp == 0
    assert report.bp_values.value == report.tobacco_category.value == report.dates.value == 1.0
    assert report.span_integrity.value == 1.0 and report.span_exact.value == 1.0
    assert [(m.kind, m.element) for m in report.misses] == [("FN", "mammogram")]


def test_note_tobacco_category_prefers_former_then_current():
    items = [_ev("tobacco_use", "smoking", value="never"), _ev("tobacco_use", "Denies", value="current")]
    assert note_tobacco_category(items) == "current"
    assert note_tobacco_category(items + [_ev("tobacco_use", "BP", value="former")]) == "former"
    assert note_tobacco_category([_ev("tobacco_use", "smoking", status="family", value="current")]) is None


def test_evaluate_extraction_end_to_end(tmp_path: Path):
    notes = tmp_path / "notes.jsonl"
    notes.write_text(
        "\n".join(
            json.dumps(n)
            for n in [
                {
                    "note_id": "a",
                    "patient_id": "p1",
                    "note_date": "2026-06-15",
                    "text": "PAST MEDICAL HISTORY:,  Hypertension.,VITALS:,  BP 150/92."
                    ",PLAN:,  Mammogram ordered.",
                },
                {
                    "note_id": "b",
                    "patient_id": "p2",
                    "note_date": "2026-06-15",
                    "text": "No history of diabetes.",
                },
                {
                    "note_id": "c",
                    "patient_id": "p3",
                    "note_date": "2026-06-15",
                    "text": "Not in the gold file.",
                },
            ]
        ),
        encoding="utf-8",
    )
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "\n".join(
            json.dumps(g)
            for g in [
                {
                    "note_id": "a",
                    "elements": {
                        "hypertension": "affirmed",
                        "blood_pressure": "affirmed",
                        "mammogram": "not_affirmed",
                    },
                    "values": {"blood_pressure": [[150, 92]]},
                },
                {"note_id": "b", "elements": {"diabetes": "not_affirmed"}, "values": {}},
            ]
        ),
        encoding="utf-8",
    )
    report = evaluate_extraction(gold, [notes])
    assert report.n_notes == 2
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (2, 0, 0)
    assert report.bp_values.value == 1.0
