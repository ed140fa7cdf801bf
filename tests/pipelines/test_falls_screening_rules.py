"""Falls screening (CMS139) from notes: a supplemental element read by a small block of target rules.

A screening for future fall risk is a falls-risk screen or tool named as such (STEADI, Timed Up and
Go, Morse), a stated fall-risk level, or the falls-history question answered with a time frame.
Counseling about falls, a fall that happened, precautions, a relative's falls and the season are not.
Phrasings are our own."""

from __future__ import annotations

from datetime import date

import pytest

from engine.records import Note
from pipelines.extract import extract_note


@pytest.fixture(scope="module")
def falls(nlp):
    def run(text: str) -> list[tuple[str, str]]:
        note = Note(note_id="f-1", patient_id="p-1", note_date=date(2026, 5, 4), text=text)
        items = extract_note(nlp, note, include_supplemental=True)
        for e in items:
            assert text[e.start:e.end] == e.span
        return [(e.span, e.status) for e in items if e.element == "falls_screening"]

    return run


@pytest.mark.parametrize(("text", "status"), [
    ("Falls screening today: negative, steady gait.", "affirmed"),
    ("Fall-risk questionnaire reviewed with the patient.", None),  # a questionnaire named without 'screen'
    ("Screened for fall risk at this AWV; low risk.", "affirmed"),
    ("Gait: Timed Up & Go 15 s, slightly slow.", "affirmed"),
    ("TUG score 11 seconds.", "affirmed"),
    ("CDC STEADI screening positive, refer to PT.", "affirmed"),
    ("Morse fall scale 35.", "affirmed"),
    ("Fall risk - moderate; cane advised.", "affirmed"),
    ("Reports 2 falls over the past year, both at night.", "affirmed"),
    ("Denies any falls in the last 12 months.", "affirmed"),
    ("Falls in last 6 months = none", "affirmed"),
    ("Falls risk assessment: declined by patient today.", "declined"),
    ("Will complete a fall risk screen at the next visit.", "planned"),
])
def test_screenings_and_their_status(falls, text, status) -> None:
    found = falls(text)
    if status is None:
        assert found == []
    else:
        assert found and {s for _, s in found} == {status}, found


@pytest.mark.parametrize("text", [
    "Discussed how to lower her risk of falls at home.",
    "He fell on the ice last winter and broke his wrist.",
    "Fall precautions, bed alarm on.",
    "Mother had several falls before she moved to assisted living.",
    "Plans to retire this fall.",
    "ROS: no dizziness, no falls.",
    "Tug of war with the dog, strained shoulder.",
    "Counseled on fall prevention and home safety.",
    "The femoral head was impacted onto the Morse taper.",
])
def test_what_is_not_a_falls_screening(falls, text) -> None:
    assert falls(text) == []


def test_falls_screening_is_supplemental_and_in_the_vocabulary() -> None:
    from engine.elements import load_vocabulary
    from pipelines.extract import SUPPLEMENTAL_ELEMENTS

    assert "falls_screening" in SUPPLEMENTAL_ELEMENTS
    assert load_vocabulary()["falls_screening"].from_notes
