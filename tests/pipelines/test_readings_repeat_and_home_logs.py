"""Blood pressure readings: repeat readings, readings in the next sentence, patient-reported logs."""

from __future__ import annotations

from .conftest import affirmed


def _readings(items):
    return [(e.value["systolic"], e.value["diastolic"]) for e in affirmed(items, "blood_pressure")]


def test_repeat_bp_is_a_second_reading_not_a_plan(extract):
    items = extract("O: BP 152/86 L arm; repeat BP 138/92 R arm. HR 68")
    assert _readings(items) == [(152, 86), (138, 92)]
    assert [e.status for e in items if e.element == "blood_pressure"] == ["affirmed", "affirmed"]


def test_repeat_reading_in_the_next_sentence(extract):
    items = extract("VITALS\nBP 150/90 (L arm, sitting). Rechecked after 10 min 134/84. Pulse 66.")
    assert _readings(items) == [(150, 90), (134, 84)]


def test_reading_after_a_reading_in_a_narrative(extract):
    items = extract(
        "At the last visit her BP was 128/84. After presenting at 162/98 she was started on losartan."
    )
    assert _readings(items) == [(128, 84), (162, 98)]


def test_patient_reported_home_log(extract):
    text = (
        "Pt phoned in her home BP log from the Omron wrist monitor as requested: "
        "this week 134/80, 129/77, 131/79."
    )
    assert _readings(items := extract(text)) == [(134, 80), (129, 77), (131, 79)], items


def test_numbers_after_a_reading_that_are_not_blood_pressures(extract):
    items = extract("BP 124/76. Visual acuity 20/40 OU. Ratio 3/1.")
    assert _readings(items) == [(124, 76)]
    items = extract("BP 118/74.\n\nPLAN: Recheck lipids 100/60 split dosing.")
    assert _readings(items) == [(118, 74)]


def test_repeat_a1c_is_still_planned(extract):
    assert [e.status for e in extract("Plan: repeat A1c next visit.") if e.element == "hba1c"] == ["planned"]
