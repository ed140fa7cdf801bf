"""Shared eCQM criteria: qualifying visits, interval overlap edges, hospice/palliative,
advanced illness and frailty (66+, CMS165 variant), nursing home, history exclusions."""

from __future__ import annotations

import pytest

from engine.criteria import ecqm as E
from engine.periods import Window

NONE = E.NoParams()


def window(frm: str, to: str) -> Window:
    return Window.model_validate({"from": frm, "to": to})


# --------------------------------------------------------------------------- qualifying visits


@pytest.mark.parametrize(("start", "end", "met"), [
    ("2026-01-01", "2026-01-01", True),
    ("2026-12-31", "2026-12-31", True),
    ("2025-12-31", "2026-01-01", False),  # starts before the MP: not *during* it
    ("2026-12-31", "2027-01-01", False),
    ("2027-01-01", "2027-01-01", False),
])
def test_qualifying_visit_must_lie_during_the_period(patient, start, end, met):
    ctx = patient().visit(start, end, "telephone_visit").ctx()
    params = E.EncounterParams(tags=("telephone_visit", "office_visit"))
    assert E.qualifying_encounter(ctx, params).met is met


def test_qualifying_visit_tag_must_be_listed_and_count_is_distinct_encounters(patient):
    ctx = patient().visit("2026-03-02", None, "depression_screening_encounter", "office_visit").ctx()
    assert E.qualifying_encounter(ctx, E.EncounterParams(tags=("office_visit",))).met
    assert not E.qualifying_encounter(ctx, E.EncounterParams(tags=("inpatient",))).met
    # one encounter with two qualifying tags is still one visit
    two = E.EncounterParams(tags=("office_visit", "depression_screening_encounter"), min_count=2)
    assert not E.qualifying_encounter(ctx, two).met
    ctx2 = patient().visit("2026-03-02").visit("2026-03-02", None, "speech_hearing_evaluation").ctx()
    assert E.qualifying_encounter(ctx2, E.EncounterParams(
        tags=("office_visit", "speech_hearing_evaluation"), min_count=2)).met


def test_unknown_encounter_tag_is_rejected_with_the_valid_tags():
    with pytest.raises(ValueError, match="office_visit"):
        E.EncounterParams(tags=("offce_visit",))


# --------------------------------------------------------------------------- overlap edges


@pytest.mark.parametrize(("start", "end", "met"), [
    ("2025-12-31", "2026-01-01", True),   # ends on the first day of the MP
    ("2025-12-01", "2025-12-31", False),  # ends the day before
    ("2026-12-31", "2027-01-01", True),   # starts on the last day
    ("2027-01-01", "2027-01-01", False),  # starts the day after
    ("2020-05-01", None, True),           # ongoing since before the MP
    ("2027-01-01", None, False),          # ongoing, but starts after the MP
])
def test_hospice_interval_overlap_edges(patient, start, end, met):
    ctx = patient().event("hospice", start, end, source="fhir:Condition:problem-list-item").ctx()
    assert E.hospice(ctx, NONE).met is met


def test_palliative_care_encounter_overlapping_counts_without_an_event(patient):
    ctx = patient().visit("2025-12-30", "2026-01-02", "palliative_care_encounter").ctx()
    assert E.palliative_care(ctx, NONE).met
    ctx = patient().visit("2025-12-30", "2025-12-31", "palliative_care_encounter").ctx()
    assert not E.palliative_care(ctx, NONE).met


def test_negated_hospice_from_a_note_does_not_exclude(patient):
    ctx = patient().note("hospice", "2026-04-02", status="negated").ctx()
    assert not E.hospice(ctx, NONE).met
    ctx = patient().note("hospice", "2026-04-02").ctx()
    assert E.hospice(ctx, NONE).met


# --------------------------------------------------------------------------- frailty + advanced illness


def _frail(builder):
    return builder.event("frailty", "2026-11-01", source="fhir:DeviceRequest")


@pytest.mark.parametrize(("birth", "met"), [
    ("1960-12-31", True),   # 66 on the last day of the MP
    ("1961-01-01", False),  # 65 years, 11 months and 30 days
])
def test_frailty_with_dementia_medication_needs_age_66_at_mp_end(patient, birth, met):
    ctx = _frail(patient(birth)).event("dementia_medication", "2026-12-30", "2027-03-29",
                                       source="fhir:MedicationRequest").ctx()
    assert E.advanced_illness_frailty(ctx, E.FrailtyParams()).met is met


@pytest.mark.parametrize(("illness_start", "met"), [
    ("2025-01-01", True),   # first day of the year before the MP
    ("2024-12-31", False),  # started earlier: outside the two-year window
    ("2026-12-31", True),
    ("2027-01-01", False),
])
def test_advanced_illness_must_start_in_the_year_before_or_during_the_mp(patient, illness_start, met):
    ctx = _frail(patient("1950-03-03")).condition("advanced_illness", illness_start).ctx()
    assert E.advanced_illness_frailty(ctx, E.FrailtyParams()).met is met


def test_dementia_medication_overlapping_the_two_year_window_counts(patient):
    base = _frail(patient("1950-03-03"))
    ctx = base.event("dementia_medication", "2024-11-01", "2025-01-05", source="fhir:MedicationRequest").ctx()
    assert E.advanced_illness_frailty(ctx, E.FrailtyParams()).met
    ctx = _frail(patient("1950-03-03")).event("dementia_medication", "2027-01-01", "2027-03-31").ctx()
    assert not E.advanced_illness_frailty(ctx, E.FrailtyParams()).met


def test_advanced_illness_without_frailty_does_not_exclude(patient):
    ctx = patient("1950-03-03").condition("advanced_illness", "2025-06-01").ctx()
    assert not E.advanced_illness_frailty(ctx, E.FrailtyParams()).met


def test_frailty_encounter_overlapping_the_mp_counts_as_frailty(patient):
    ctx = (patient("1950-03-03").visit("2025-12-31", "2026-01-02", "frailty_encounter")
           .condition("advanced_illness", "2025-06-01").ctx())
    assert E.advanced_illness_frailty(ctx, E.FrailtyParams()).met


@pytest.mark.parametrize(("birth", "with_illness", "met"), [
    ("1946-01-01", False, False),  # 80: frailty alone is not enough
    ("1946-01-01", True, True),    # 80 with frailty and advanced illness
    ("1945-12-31", False, True),   # 81: frailty alone
    ("1960-12-31", True, True),    # 66 with both
    ("1961-01-01", True, False),   # 65
])
def test_cms165_variant_81_plus_needs_frailty_only(patient, birth, with_illness, met):
    builder = _frail(patient(birth))
    if with_illness:
        builder.condition("advanced_illness", "2026-02-01")
    assert E.advanced_illness_frailty(builder.ctx(), E.FrailtyParams(variant="cbp")).met is met


# --------------------------------------------------------------------------- nursing home


@pytest.mark.parametrize(("birth", "met"), [("1960-12-31", True), ("1961-01-01", False)])
def test_nursing_home_needs_age_66(patient, birth, met):
    ctx = patient(birth).event("housing_status", "2026-12-31", value="nursing_home").ctx()
    assert E.nursing_home(ctx, E.NursingHomeParams()).met is met


def test_nursing_home_uses_the_most_recent_status_on_or_before_mp_end(patient):
    moved_out = (patient("1940-05-05").event("housing_status", "2026-02-01", value="nursing_home")
                 .event("housing_status", "2026-09-01", value="other").ctx())
    assert not E.nursing_home(moved_out, E.NursingHomeParams()).met
    later_ignored = (patient("1940-05-05").event("housing_status", "2026-02-01", value="nursing_home")
                     .event("housing_status", "2027-01-01", value="other").ctx())
    assert E.nursing_home(later_ignored, E.NursingHomeParams()).met
    only_after = patient("1940-05-05").event("housing_status", "2027-01-01", value="nursing_home").ctx()
    assert not E.nursing_home(only_after, E.NursingHomeParams()).met


# --------------------------------------------------------------------------- history exclusions


def test_condition_counts_by_start_and_procedure_by_end_on_or_before_mp_end(patient):
    params = E.EventParams(elements=("total_colectomy", "colorectal_cancer"), timing="on_or_before")
    assert E.event(patient().condition("colorectal_cancer", "2026-12-31").ctx(), params).met
    assert not E.event(patient().condition("colorectal_cancer", "2027-01-01").ctx(), params).met
    proc = patient().event("total_colectomy", "2026-12-31", "2027-01-01", source="fhir:Procedure").ctx()
    assert not E.event(proc, params).met


def test_left_and_right_unilateral_mastectomy_exclude_only_together(patient):
    both = (patient().condition("unilateral_mastectomy_left", "2019-04-01")
            .event("unilateral_mastectomy_right", "2026-12-31", source="fhir:Procedure").ctx())
    assert E.both_sides(both, E.BothSidesParams()).met
    one_late = (patient().condition("unilateral_mastectomy_left", "2026-01-01")
                .condition("unilateral_mastectomy_right", "2027-01-01").ctx())
    assert not E.both_sides(one_late, E.BothSidesParams()).met
    left_twice = (patient().condition("unilateral_mastectomy_left", "2019-04-01")
                  .event("unilateral_mastectomy_left", "2020-04-01", source="fhir:Procedure").ctx())
    assert not E.both_sides(left_twice, E.BothSidesParams()).met


def test_lab_screen_counts_only_with_a_result_and_by_its_end_date(patient):
    params = E.EventParams(elements=("stool_dna",), timing="latest_in",
                           window=window("mp_start - 2y", "mp_end"), require_value=True)
    assert E.event(patient().event("stool_dna", "2024-01-01", value="negative").ctx(), params).met
    assert not E.event(patient().event("stool_dna", "2023-12-31", value="negative").ctx(), params).met
    assert not E.event(patient().event("stool_dna", "2025-05-01", value=None).ctx(), params).met


def test_structured_source_filter_keeps_note_evidence(patient):
    params = E.EventParams(elements=("diabetes",), sources=("fhir:Condition:encounter-diagnosis",))
    assert not E.event(patient().condition("diabetes", "2020-01-01").ctx(), params).met
    encounter_dx = patient().condition("diabetes", "2020-01-01", category="encounter-diagnosis").ctx()
    assert E.event(encounter_dx, params).met
    assert E.event(patient().note("diabetes", "2026-06-15").ctx(), params).met


# --------------------------------------------------------------------------- CQL details


def test_dementia_medication_without_supply_period_does_not_count(patient):
    # CQL medicationRequestPeriod() is null without a supply length or bounds end
    ctx = _frail(patient("1950-03-03")).event("dementia_medication", "2026-05-01", None,
                                              source="fhir:MedicationRequest").ctx()
    assert not E.advanced_illness_frailty(ctx, E.FrailtyParams()).met


@pytest.mark.parametrize(("value", "met"), [("yes", True), ("SNOMEDCT:373066001", True), ("no", False)])
def test_hospice_assessment_counts_only_when_answered_yes(patient, value, met):
    ctx = patient().event("hospice", "2026-03-03", value=value, code="45755-6").ctx()
    assert E.hospice(ctx, NONE).met is met


def test_undated_note_state_holds_on_the_note_date_but_undated_tests_do_not(patient):
    ctx = patient().note("hospice", None).ctx()  # note dated 2026-06-15
    assert E.hospice(ctx, NONE).met
    params = E.EventParams(elements=("colonoscopy",), timing="latest_in",
                           window=window("mp_start - 9y", "mp_end"))
    assert not E.event(patient().note("colonoscopy", None).ctx(), params).met
    assert E.event(patient().note("colonoscopy", "2019-01-01", precision="year").ctx(), params).met
