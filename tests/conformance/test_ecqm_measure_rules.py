"""Measure-specific eCQM rules on hand-built patients: CMS124 HPV age, CMS165 readings,
CMS122 most recent glycemic result, CMS131 per-eye findings, CMS2 windows, CMS138 groups.

Each test evaluates the criterion of the shipped CMS spec (measures/CMS*.yaml), so it checks
the parameters the engine runs with, on the one set of building blocks every program uses."""

from __future__ import annotations

import pytest

from engine.criteria import evaluate
from engine.criteria.screening import ADOLESCENT_TOOL, ADULT_TOOL
from engine.criteria.values import bp_readings
from engine.spec import load_specs

SPECS = load_specs()


def population(measure: str, name: str, group: str = "1", index: int | None = None):
    node = getattr(next(g for g in SPECS[measure].groups if g.id == group).populations, name)
    if index is not None:
        node = node.children[index]
    return lambda ctx: evaluate(node, ctx)


hpv_test_age = population("CMS124", "numer", index=1)
blood_pressure_controlled = population("CMS165", "numer")
glycemic_poor_control = population("CMS122", "numer")
diabetic_eye_exam = population("CMS131", "numer")
depression_screening = population("CMS2", "numer")
depression_screening_not_done = population("CMS2", "denexcep")
bipolar_before_visit = population("CMS2", "denex")
tobacco_cessation = population("CMS138", "numer", group="2")
TOBACCO = {"documented": population("CMS138", "numer", group="1"),
           "user": population("CMS138", "denom", group="2"),
           "non_user": population("CMS138", "numer", group="3", index=0)}

# --------------------------------------------------------------------------- CMS124 HPV age on test date


@pytest.mark.parametrize(("birth", "test_day", "met"), [
    ("1991-12-31", "2022-01-01", True),   # turned 30 the day before the test, 4 years before the MP
    ("1992-01-02", "2022-01-01", False),  # 29 on the test date, 34 at the end of the MP
    ("1997-01-01", "2026-12-31", False),  # 29 on the test date in the MP
    ("1980-01-01", "2021-12-31", False),  # 30+, but 5 years before the MP
    ("1980-01-01", "2027-01-01", False),  # after the MP
])
def test_hpv_counts_only_when_30_on_the_test_date(patient, birth, test_day, met):
    ctx = patient(birth).event("hpv_test", test_day, value="negative").ctx()
    assert hpv_test_age(ctx).met is met


def test_hpv_without_result_does_not_count(patient):
    ctx = patient("1980-01-01").event("hpv_test", "2026-03-01", value="").ctx()
    assert not hpv_test_age(ctx).met


# --------------------------------------------------------------------------- CMS165 blood pressure


def test_bp_lowest_systolic_and_diastolic_of_the_most_recent_day_may_mix_readings(patient):
    ctx = (patient().event("blood_pressure", "2026-03-01", value="120/70")
           .event("blood_pressure", "2026-10-04", value="150/82")
           .event("blood_pressure", "2026-10-04", value="136/95").ctx())
    # most recent day 10-04: lowest systolic 136 (2nd reading), lowest diastolic 82 (1st)
    assert blood_pressure_controlled(ctx).met


@pytest.mark.parametrize(("value", "met"), [("139/89", True), ("140/89", False), ("139/90", False)])
def test_bp_thresholds_are_strict(patient, value, met):
    ctx = patient().event("blood_pressure", "2026-05-05", value=value).ctx()
    assert blood_pressure_controlled(ctx).met is met


def test_bp_during_inpatient_stay_or_ed_visit_does_not_count(patient):
    ctx = (patient().visit("2026-06-01", "2026-06-04", "inpatient")
           .event("blood_pressure", "2026-02-01", value="150/95")
           .event("blood_pressure", "2026-06-03", value="128/76").ctx())
    assert not blood_pressure_controlled(ctx).met  # falls back to 02-01: 150/95
    ed = patient().visit("2026-08-08", None, "emergency_department").event(
        "blood_pressure", "2026-08-08", value="118/70").ctx()
    assert not blood_pressure_controlled(ed).met


def test_bp_no_reading_in_mp_is_not_controlled_and_note_readings_count(patient):
    assert not blood_pressure_controlled(patient().event(
        "blood_pressure", "2025-12-31", value="120/70").ctx()).met
    ctx = patient().note("blood_pressure", "2026-04-04", value=[[142, 88], [128, 80]]).ctx()
    assert blood_pressure_controlled(ctx).met


@pytest.mark.parametrize(("value", "expected"), [
    ("128/82", [(128, 82)]), ([130, 80], [(130, 80)]),
    ([[142, 88], [128, 80]], [(142, 88), (128, 80)]), ("<140/90", []), ("high", []), (None, []),
    ({"systolic": 136, "diastolic": 84}, [(136, 84)]),  # the value the note pipeline writes
])
def test_bp_readings_of_every_value_shape(value, expected):
    assert bp_readings(value) == expected


def test_bp_from_an_undated_note_reading_holds_on_the_note_date(patient):
    """A note's vitals line has no date of its own: it is the reading of the note's day."""
    ctx = patient().note("blood_pressure", None, value={"systolic": 132, "diastolic": 78}).ctx()
    assert blood_pressure_controlled(ctx).met
    ctx = patient().note("blood_pressure", None, value={"systolic": 152, "diastolic": 78}).ctx()
    assert not blood_pressure_controlled(ctx).met


# --------------------------------------------------------------------------- CMS122 glycemic status


def test_glycemic_no_test_in_mp_is_poor_control(patient):
    ctx = patient().event("hba1c", "2025-12-30", value="6.1").ctx()
    assert glycemic_poor_control(ctx).met


@pytest.mark.parametrize(("value", "met"), [
    ("9.1", True), ("9.0", False), ("7.2", False),
    ("", True),                      # test done, no result
    ("SNOMEDCT:373066001", False),   # coded result: neither "no result" nor > 9
])
def test_glycemic_most_recent_result_semantics(patient, value, met):
    ctx = (patient().event("hba1c", "2026-02-01", value="10.5")
           .event("glucose_management_indicator", "2026-09-09", value=value).ctx())
    assert glycemic_poor_control(ctx).met is met


def test_glycemic_lowest_of_the_most_recent_day_and_end_date_places_it(patient):
    same_day = (patient().event("hba1c", "2026-05-05", value="9.8")
                .event("glucose_management_indicator", "2026-05-05", value="8.4").ctx())
    assert not glycemic_poor_control(same_day).met
    # effective 2025-12-31..2026-01-01 ends in the MP: a test in the MP
    spans = patient().event("hba1c", "2025-12-31", "2026-01-01", value="7.0").ctx()
    assert not glycemic_poor_control(spans).met


# --------------------------------------------------------------------------- CMS131 eye exams

NO = "no_apparent_retinopathy"
YES = "retinopathy"


@pytest.mark.parametrize(("left", "right", "met"), [
    (("2026-03-01", YES), ("2026-03-01", YES), True),   # severity for both eyes in the MP
    (("2026-03-01", YES), ("2025-04-01", NO), True),    # one eye in MP, other negative year before
    (("2025-04-01", NO), ("2026-08-01", YES), True),
    (("2025-01-01", NO), ("2025-12-31", NO), True),     # both negative in the year before
    (("2026-03-01", YES), None, False),                 # one eye only
    (("2025-04-01", YES), ("2025-04-01", NO), False),   # retinopathy found in the year before
    (("2024-12-31", NO), ("2025-06-01", NO), False),    # two years before
])
def test_per_eye_findings(patient, left, right, met):
    builder = patient("1970-01-01")
    if left:
        builder.event("retinopathy_severity_left", left[0], value=left[1])
    if right:
        builder.event("retinopathy_severity_right", right[0], value=right[1])
    assert diabetic_eye_exam(builder.ctx()).met is met


def test_retinal_exam_year_before_counts_only_without_retinopathy(patient):
    plain = patient().event("retinal_eye_exam", "2025-02-02").ctx()
    assert diabetic_eye_exam(plain).met
    with_dr = (patient().event("retinal_eye_exam", "2025-02-02")
               .condition("diabetic_retinopathy", "2024-12-31", category="encounter-diagnosis").ctx())
    assert not diabetic_eye_exam(with_dr).met
    in_mp = (patient().event("retinal_eye_exam", "2026-12-31")
             .condition("diabetic_retinopathy", "2024-12-31", category="encounter-diagnosis").ctx())
    assert diabetic_eye_exam(in_mp).met


def test_autonomous_exam_counts_only_in_mp(patient):
    assert diabetic_eye_exam(patient().event("autonomous_eye_exam", "2026-01-01", value="LA34398-0").ctx()).met
    assert not diabetic_eye_exam(patient().event("autonomous_eye_exam", "2025-12-31", value="x").ctx()).met


# --------------------------------------------------------------------------- CMS2 depression


def _screen(builder, day, value, code=ADULT_TOOL):
    return builder.event("depression_screening", day, value=value, code=code)


@pytest.mark.parametrize(("screen_day", "met"), [
    ("2026-06-21", True), ("2026-06-07", True),   # visit day; 14 days before
    ("2026-06-06", False), ("2026-06-22", False),  # 15 days before; after the visit
])
def test_negative_screen_window_is_14_days_before_the_visit(patient, screen_day, met):
    ctx = _screen(patient("1990-01-01").visit("2026-06-21", None, "depression_screening_encounter"),
                  screen_day, "negative").ctx()
    assert depression_screening(ctx).met is met


def test_note_screen_with_instrument_and_score_is_read_like_a_coded_result(patient):
    """The pipeline writes {"instrument": "PHQ-9", "score": 4}; CMS2 reads it as negative."""
    base = patient("1990-01-01").visit("2026-06-15", None, "depression_screening_encounter")
    ctx = base.note("depression_screening", "2026-06-15", value={"instrument": "PHQ-9", "score": 4}).ctx()
    assert depression_screening(ctx).met
    positive = patient("1990-01-01").visit("2026-06-15", None, "depression_screening_encounter").note(
        "depression_screening", "2026-06-15", value={"instrument": "PHQ-9", "score": 14}).ctx()
    assert not depression_screening(positive).met  # positive, no follow-up


@pytest.mark.parametrize(("referral_day", "met"), [
    ("2026-06-21", True), ("2026-06-23", True), ("2026-06-24", False), ("2026-06-20", False),
])
def test_positive_screen_referral_within_two_days_after_the_visit(patient, referral_day, met):
    builder = _screen(patient("1990-01-01").visit("2026-06-21", None, "telephone_visit"),
                      "2026-06-15", "positive")
    builder.event("depression_referral_adult", referral_day, source="fhir:ServiceRequest")
    assert depression_screening(builder.ctx()).met is met


def test_positive_screen_followup_must_match_the_age_group_tool(patient):
    base = patient("1990-01-01").visit("2026-06-21", None, "depression_screening_encounter")
    _screen(base, "2026-06-15", "positive")
    base.event("depression_followup_adolescent", "2026-06-21", source="fhir:Procedure")
    assert not depression_screening(base.ctx()).met
    base.event("depression_followup_adult", "2026-06-21", source="fhir:Procedure")
    assert depression_screening(base.ctx()).met


def test_medication_followup_needs_a_known_supply_overlapping_the_visit(patient):
    def ctx(end):
        b = _screen(patient("1990-01-01").visit("2026-06-21", None, "depression_screening_encounter"),
                    "2026-06-15", "positive")
        return b.event("depression_medication_adult", "2026-06-21", end,
                       source="fhir:MedicationRequest").ctx()
    assert depression_screening(ctx("2026-07-20")).met
    assert not depression_screening(ctx(None)).met


@pytest.mark.parametrize(("birth", "code", "met"), [
    ("2013-12-31", ADOLESCENT_TOOL, True),   # 12 at the start of the MP
    ("2013-12-31", ADULT_TOOL, False),
    ("2009-01-01", ADULT_TOOL, True),        # 17: either tool
    ("2009-01-01", ADOLESCENT_TOOL, True),
    ("2008-01-01", ADOLESCENT_TOOL, False),  # 18: adult tool only
])
def test_screening_tool_by_age_at_start_of_mp(patient, birth, code, met):
    ctx = _screen(patient(birth).visit("2026-03-03", None, "depression_screening_encounter"),
                  "2026-03-01", "negative", code).ctx()
    assert depression_screening(ctx).met is met


def test_exception_needs_a_reason_at_the_visit_and_no_screening(patient):
    def build():
        return patient("1990-01-01").visit("2026-06-28", None, "depression_screening_encounter").event(
            "depression_screening_not_done", "2026-06-28", value="patient_declined", code=ADULT_TOOL)
    assert depression_screening_not_done(build().ctx()).met
    screened = _screen(build(), "2026-06-21", "true")  # a result that is neither positive nor negative
    assert not depression_screening_not_done(screened.ctx()).met
    assert not depression_screening(screened.ctx()).met
    other_day = patient("1990-01-01").visit("2026-06-28", None, "telephone_visit").event(
        "depression_screening_not_done", "2026-06-29", value="medical_reason", code=ADULT_TOOL).ctx()
    assert not depression_screening_not_done(other_day).met


def test_bipolar_exclusion_is_problem_list_before_the_visit(patient):
    def ctx(day, category="problem-list-item"):
        return patient("1990-01-01").visit("2026-06-21", None, "depression_screening_encounter").condition(
            "bipolar_disorder", day, category=category).ctx()
    assert bipolar_before_visit(ctx("2021-12-31")).met
    assert bipolar_before_visit(ctx("2026-06-20", "health-concern")).met
    assert not bipolar_before_visit(ctx("2026-06-21")).met
    assert not bipolar_before_visit(ctx("2020-01-01", "encounter-diagnosis")).met


# --------------------------------------------------------------------------- CMS138 tobacco


def _status(ctx, which):
    return TOBACCO[which](ctx).met


def test_most_recent_status_decides_user_or_non_user(patient):
    quit_ = (patient().event("tobacco_use", "2026-02-01", value="current")
             .event("tobacco_use", "2026-08-01", value="former").ctx())
    assert _status(quit_, "documented") and _status(quit_, "non_user") and not _status(quit_, "user")
    relapsed = (patient().event("tobacco_use", "2026-02-01", value="never")
                .event("tobacco_use", "2026-08-01", value="current").ctx())
    assert _status(relapsed, "user") and not _status(relapsed, "non_user")
    before = patient().event("tobacco_use", "2025-12-31", value="current").ctx()
    assert not _status(before, "documented")


@pytest.mark.parametrize(("start", "end", "source", "met"), [
    ("2025-07-01", "2026-03-31", "fhir:MedicationRequest", True),   # ordered 6 months before the MP
    ("2025-06-30", "2026-03-31", "fhir:MedicationRequest", False),  # 6 months and a day
    ("2026-12-31", None, "fhir:Condition:problem-list-item", True),  # Z71.6 counseling condition
    ("2025-05-31", "2025-05-31", "fhir:Procedure", False),          # counseling 7 months before
    ("2025-07-01", "2025-07-01", "fhir:Procedure", True),
])
def test_cessation_window_is_six_months_before_through_mp_end(patient, start, end, source, met):
    element = "tobacco_cessation_medication" if "Medication" in source else "tobacco_cessation_counseling"
    ctx = patient().event(element, start, end, source=source).ctx()
    assert tobacco_cessation(ctx).met is met
