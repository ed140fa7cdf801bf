"""Values: blood pressure readings, HbA1c results, tobacco category, depression screening scores."""

from __future__ import annotations

import pytest

from .conftest import affirmed, statuses


def readings(items):
    return [(e.value["systolic"], e.value["diastolic"]) for e in affirmed(items, "blood_pressure")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VITAL SIGNS:,  Blood pressure:  126/72.  Pulse 80.", [(126, 72)]),
        ("Vitals: BP134/80, HR118.", [(134, 80)]),
        ("Her blood pressure 130 over 85 today.", [(130, 85)]),
        ("Blood pressure: 150/90 mm Hg", [(150, 90)]),
        ("blood pressure was 92/52, rose to 105/58 after IV fluids.", [(92, 52), (105, 58)]),
        ("blood pressure ranges from 138/82 to 111/87.", [(138, 82), (111, 87)]),
        # a patient's own record is a blood pressure cue (the guideline records patient-reported readings)
        ("Home readings around 127/74.", [(127, 74)]),
        ("Home readings of sugar around 7/8 days in range.", []),
        ("Home blood pressure readings around 125/72.", [(125, 72)]),
        ("2/6 systolic murmur; strength 5/5.", []),
        ("Goal BP < 130/80.", []),
        ("BP goal less than 140/90.", []),
        ("Cuff range 110-140/70-90.", []),
        ("Her office blood pressure today measured 132/80 mm Hg.", [(132, 80)]),
        ("Weight 104 kg, 108/70 is his blood pressure.", [(108, 70)]),
        ("The blood pressure increased from 120/70 to 130/80 with exercise.", [(120, 70), (130, 80)]),
        ("Insulin 70/30, 20 units in the morning.", []),
        ("HEMODYNAMICS:,  Aorta 185/54.", []),
    ],
)
def test_bp_readings(extract, text, expected):
    assert readings(extract(text)) == expected


def test_bp_goal_is_hypothetical_not_dropped(extract):
    assert statuses(extract("Blood pressure goal < 130/80."), "blood_pressure") == ["hypothetical"]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Hemoglobin A1c is elevated at 8.1.", [8.1]),
        ("A1c: 6.7", [6.7]),
        ("HbA1c of 7.2% last month.", [7.2]),
        ("hemoglobin A1c was elevated at 8 percent", [8]),
        ("Her A1c went from 9.1 to 7.8.", [9.1, 7.8]),
        ("We will check an A1c in 3 months.", []),
        ("A1c goal less than 7.", []),
        ("DM II-HbA1c unknown.", []),
        ("A1c elevated.", []),
    ],
)
def test_a1c_values(extract, text, values):
    assert [e.value for e in affirmed(extract(text), "hba1c")] == values


def test_a1c_span_covers_term_and_value(extract):
    (e,) = affirmed(extract("Labs: Hemoglobin A1c is 7.2% today."), "hba1c")
    assert e.span == "Hemoglobin A1c is 7.2%"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("SOCIAL HISTORY:,  She denies tobacco use.", "never"),
        ("He is a nonsmoker, nondrinker.", "never"),
        ("Tobacco: denies.", "never"),
        ("She quit smoking in 1996.", "former"),
        ("He is an ex-smoker.", "former"),
        ("He has a prior history of heavy tobacco and alcohol use.", "former"),
        ("She used to smoke but stopped roughly 30 years ago.", "former"),
        ("She does not smoke now.  She quit 25 years back.", "former"),
        ("She smokes a half pack a day.", "current"),
        ("Married, active smoker, does not consume alcohol.", "current"),
        ("Tobacco abuse.", "current"),
        ("Still dipping smokeless tobacco daily.", "current"),
        ("Pt reports he has not smoked since 11/15!", "former"),
        ("He has been a smoker ever since age 10.", "current"),
        ("She reports one partner since 1994 and she is a nonsmoker.", "never"),
        ("Drugs: denies vaping, smoking, alcohol.", "never"),
    ],
)
def test_tobacco_category(extract, text, category):
    from evaluation.extraction import note_tobacco_category

    assert note_tobacco_category(extract(text)) == category


def test_pack_years_alone_has_no_category(extract):
    items = extract("He has a 25 pack-year history.")
    assert [e.value for e in affirmed(items, "tobacco_use")] == [None]


def test_marijuana_and_household_smoking_are_not_tobacco(extract):
    assert affirmed(extract("He smokes marijuana daily."), "tobacco_use") == []
    assert affirmed(extract("No smoking in the home."), "tobacco_use") == []


def test_child_note_tobacco_belongs_to_the_household(extract):
    text = "This 4-month-old male is here for a well-child check.  Mother smokes outside.  Denies smoking."
    assert affirmed(extract(text), "tobacco_use") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("PHQ-9 score of 12 today.", {"instrument": "PHQ-9", "score": 12}),
        ("PHQ-2: 0.", {"instrument": "PHQ-2", "score": 0}),
        ("Geriatric Depression Scale was negative.", {"instrument": "GDS", "score": None}),
    ],
)
def test_depression_screening_value(extract, text, value):
    assert [e.value for e in affirmed(extract(text), "depression_screening")] == [value]
