"""Chart-review scoring covers the 27 guideline elements: supplemental evidence is not scored."""

from __future__ import annotations

from datetime import date

from engine.records import Evidence, Note
from evaluation.extraction import score_extraction

TEXT = "Current smoker. Counseled on smoking cessation for 5 minutes."


def _ev(element: str, span: str) -> Evidence:
    start = TEXT.index(span)
    return Evidence(
        evidence_id=f"n1:{start}-{start + len(span)}:{element}",
        note_id="n1",
        patient_id="p",
        element=element,
        status="affirmed",
        start=start,
        end=start + len(span),
        span=span,
        value="current" if element == "tobacco_use" else None,
        source="rule:test",
    )


def test_supplemental_evidence_is_neither_a_false_positive_nor_scored():
    gold = {
        "n1": {"note_id": "n1", "elements": {"tobacco_use": "affirmed"}, "values": {"tobacco_use": "current"}}
    }
    notes = {"n1": Note(note_id="n1", patient_id="p", note_date=date(2026, 1, 5), text=TEXT)}
    evidence = {
        "n1": [
            _ev("tobacco_use", "Current smoker"),
            _ev("tobacco_cessation_counseling", "Counseled on smoking cessation"),
        ]
    }
    report = score_extraction(gold, notes, evidence)
    assert set(report.per_element) == {"tobacco_use"}
    assert report.per_element["tobacco_use"].fp == 0
