"""eCQM semantics of the shared building blocks: qualifying visits, interval overlap edges,
hospice/palliative, advanced illness and frailty (66+, CMS165 variant), nursing home, history
exclusions. The criteria are written as the CMS specs write them."""

from __future__ import annotations

from typing import Any

import pytest

from engine.criteria import evaluate, parse_criterion
from engine.criteria.encounters import EncounterParams


def rule(data: dict[str, Any]):
    node = parse_criterion(data)
    return lambda ctx: evaluate(node, ctx)


def visits(*types: str, min_count: int = 1):
    return rule({"rule": "qm.encounter.v1", "timing": "during", "types": list(types), "min_count": min_count})


ONLY = {"hospice": False, "palliative": False, "frailty": "none", "nursing_home": False}
hospice = rule({"rule": "qm.common_exclusions.v1", **ONLY, "hospice": True})
palliative = rule({"rule": "qm.common_exclusions.v1", **ONLY, "palliative": True})
frail_ill = rule({"rule": "qm.common_exclusions.v1", **ONLY, "frailty": "standard"})
frail_ill_cbp = rule({"rule": "qm.common_exclusions.v1", **ONLY, "frailty": "cbp"})
nursing_home = rule({"rule": "qm.common_exclusions.v1", **ONLY, "nursing_home": True})


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
    assert visits("telephone_visit", "office_visit")(ctx).met is met


def test_qualifying_visit_tag_must_be_listed_and_count_is_distinct_encounters(patient):
    ctx = patient().visit("2026-03-02", None, "depression_screening_encounter", "office_visit").ctx()
    assert visits("office_visit")(ctx).met
    assert not visits("inpatient")(ctx).met
    # one encounter with two qualifying tags is still one visit
    assert not visits("office_visit", "depression_screening_encounter", min_count=2)(ctx).met
    ctx2 = patient().visit("2026-03-02").visit("2026-03-02", None, "speech_hearing_evaluation").ctx()
    assert visits("office_visit", "speech_hearing_evaluation", min_count=2)(ctx2).met


def test_unknown_encounter_tag_is_rejected_with_the_valid_tags():
    with pytest.raises(ValueError, match="office_visit"):
        EncounterParams(types=["offce_visit"])


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
    assert hospice(ctx).met is met


def test_palliative_care_encounter_overlapping_counts_without_an_event(patient):
    assert palliative(patient().visit("2025-12-30", "2026-01-02", "palliative_care_encounter").ctx()).met
    assert not palliative(patient().visit("2025-12-30", "2025-12-31", "palliative_care_encounter").ctx()).met


def test_negated_hospice_from_a_note_does_not_exclude(patient):
    assert not hospice(patient().note("hospice", "2026-04-02", status="negated").ctx()).met
    assert hospice(patient().note("hospice", "2026-04-02").ctx()).met


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
    assert frail_ill(ctx).met is met


@pytest.mark.parametrize(("illness_start", "met"), [
    ("2025-01-01", True),   # first day of the year before the MP
    ("2024-12-31", False),  # started earlier: outside the two-year window
    ("2026-12-31", True),
    ("2027-01-01", False),
])
def test_advanced_illness_must_start_in_the_year_before_or_during_the_mp(patient, illness_start, met):
    ctx = _frail(patient("1950-03-03")).condition("advanced_illness", illness_start).ctx()
    assert frail_ill(ctx).met is met


def test_dementia_medication_overlapping_the_two_year_window_counts(patient):
    base = _frail(patient("1950-03-03"))
    ctx = base.event("dementia_medication", "2024-11-01", "2025-01-05", source="fhir:MedicationRequest").ctx()
    assert frail_ill(ctx).met
    ctx = _frail(patient("1950-03-03")).event("dementia_medication", "2027-01-01", "2027-03-31").ctx()
    assert not frail_ill(ctx).met


def test_advanced_illness_without_frailty_does_not_exclude(patient):
    assert not frail_ill(patient("1950-03-03").condition("advanced_illness", "2025-06-01").ctx()).met


def test_frailty_encounter_overlapping_the_mp_counts_as_frailty(patient):
    ctx = (patient("1950-03-03").visit("2025-12-31", "2026-01-02", "frailty_encounter")
           .condition("advanced_illness", "2025-06-01").ctx())
    assert frail_ill(ctx).met


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
    assert frail_ill_cbp(builder.ctx()).met is met


# --------------------------------------------------------------------------- nursing home


@pytest.mark.parametrize(("birth", "met"), [("1960-12-31", True), ("1961-01-01", False)])
def test_nursing_home_needs_age_66(patient, birth, met):
    ctx = patient(birth).event("housing_status", "2026-12-31", value="nursing_home").ctx()
    assert nursing_home(ctx).met is met


def test_nursing_home_uses_the_most_recent_status_on_or_before_mp_end(patient):
    moved_out = (patient("1940-05-05").event("housing_status", "2026-02-01", value="nursing_home")
                 .event("housing_status", "2026-09-01", value="other").ctx())
    assert not nursing_home(moved_out).met
    later_ignored = (patient("1940-05-05").event("housing_status", "2026-02-01", value="nursing_home")
                     .event("housing_status", "2027-01-01", value="other").ctx())
    assert nursing_home(later_ignored).met
    only_after = patient("1940-05-05").event("housing_status", "2027-01-01", value="nursing_home").ctx()
    assert not nursing_home(only_after).met


# --------------------------------------------------------------------------- history exclusions


def test_condition_counts_by_start_and_procedure_by_end_on_or_before_mp_end(patient):
    history = rule({"elements": ["total_colectomy", "colorectal_cancer"], "timing": "on_or_before",
                    "window": {"to": "mp_end"}})
    assert history(patient().condition("colorectal_cancer", "2026-12-31").ctx()).met
    assert not history(patient().condition("colorectal_cancer", "2027-01-01").ctx()).met
    proc = patient().event("total_colectomy", "2026-12-31", "2027-01-01", source="fhir:Procedure").ctx()
    assert not history(proc).met


def test_left_and_right_unilateral_mastectomy_exclude_only_together(patient):
    side = {"timing": "on_or_before", "window": {"to": "mp_end"}}
    both_sides = rule({"all": [{"elements": ["unilateral_mastectomy_left"], **side},
                               {"elements": ["unilateral_mastectomy_right"], **side}]})
    both = (patient().condition("unilateral_mastectomy_left", "2019-04-01")
            .event("unilateral_mastectomy_right", "2026-12-31", source="fhir:Procedure").ctx())
    assert both_sides(both).met
    one_late = (patient().condition("unilateral_mastectomy_left", "2026-01-01")
                .condition("unilateral_mastectomy_right", "2027-01-01").ctx())
    assert not both_sides(one_late).met
    left_twice = (patient().condition("unilateral_mastectomy_left", "2019-04-01")
                  .event("unilateral_mastectomy_left", "2020-04-01", source="fhir:Procedure").ctx())
    assert not both_sides(left_twice).met


def test_lab_screen_counts_only_with_a_result_and_by_its_end_date(patient):
    sdna = rule({"elements": ["stool_dna"], "timing": "ends", "requires_value": True,
                 "window": {"from": "mp_start - 2y", "to": "mp_end"}})
    assert sdna(patient().event("stool_dna", "2024-01-01", value="negative").ctx()).met
    assert not sdna(patient().event("stool_dna", "2023-12-31", value="negative").ctx()).met
    no_result = sdna(patient().event("stool_dna", "2025-05-01", value=None).ctx())
    assert not no_result.met and no_result.findings[0].reason.value == "only_ordered"


def test_structured_source_filter_keeps_note_evidence(patient):
    dx = rule({"elements": ["diabetes"], "window": {"to": "mp_end"},
               "sources": ["fhir:Condition:encounter-diagnosis"]})
    assert not dx(patient().condition("diabetes", "2020-01-01").ctx()).met
    assert dx(patient().condition("diabetes", "2020-01-01", category="encounter-diagnosis").ctx()).met
    assert dx(patient().note("diabetes", "2026-06-15").ctx()).met


# --------------------------------------------------------------------------- CQL details


def test_dementia_medication_without_supply_period_does_not_count(patient):
    # CQL medicationRequestPeriod() is null without a supply length or bounds end
    ctx = _frail(patient("1950-03-03")).event("dementia_medication", "2026-05-01", None,
                                              source="fhir:MedicationRequest").ctx()
    assert not frail_ill(ctx).met


@pytest.mark.parametrize(("value", "met"), [("yes", True), ("SNOMEDCT:373066001", True), ("no", False)])
def test_hospice_assessment_counts_only_when_answered_yes(patient, value, met):
    assert hospice(patient().event("hospice", "2026-03-03", value=value, code="45755-6").ctx()).met is met


def test_undated_note_state_holds_on_the_note_date_but_undated_tests_do_not(patient):
    assert hospice(patient().note("hospice", None).ctx()).met  # note dated 2026-06-15
    colonoscopy = rule({"elements": ["colonoscopy"], "timing": "ends",
                        "window": {"from": "mp_start - 9y", "to": "mp_end"}})
    undated = colonoscopy(patient().note("colonoscopy", None).ctx())
    assert not undated.met and undated.findings[0].reason.value == "undated_evidence"
    assert colonoscopy(patient().note("colonoscopy", "2019-01-01", precision="year").ctx()).met
