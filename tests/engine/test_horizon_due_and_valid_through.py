"""Due dates of open gaps and how long closed gaps stay closed, read off the specs' windows."""

from __future__ import annotations

from datetime import date

import pytest

VISIT = ("Annual visit. Colonoscopy in 2018 with Dr. Osei, two small polyps removed, told to return in ten "
         "years. FIT kit returned in April, negative. Screening mammogram last November at the imaging "
         "center, BI-RADS 1.\n")


def _one(kit, measure: str, pid: str, evidence=(), events=(), encounters=(), group: str = "1", born=None,
         sex: str = "F"):
    pt = kit.patient(pid, born or date(1966, 6, 1), sex=sex)
    return kit.run([measure], [pt], list(evidence), list(events), list(encounters))[(measure, pid, group)]


def test_colonoscopy_year_only_closes_col_e_through_the_last_period_whose_window_holds_it(kit) -> None:
    colo = kit.note_ev("p", "v-1", VISIT, "Colonoscopy", "colonoscopy", event_date=date(2018, 1, 1),
                       precision="year", note_date=date(2026, 3, 2))
    o = _one(kit, "COL-E", "p", [colo])
    assert not o.gap_open and o.populations.numer
    assert o.valid_through == date(2027, 12, 31)  # MP 2027 looks back to 2018-01-01; MP 2028 does not
    assert o.due_date is None and o.prospective_gap is False


def test_fit_in_april_holds_through_the_end_of_its_own_period_and_reopens_next_year(kit) -> None:
    fit = kit.note_ev("p", "v-1", VISIT, "FIT kit", "fobt", event_date=date(2026, 4, 15),
                      note_date=date(2026, 5, 2), value="negative")
    o = _one(kit, "COL-E", "p", [fit])
    assert o.valid_through == date(2026, 12, 31)
    assert o.prospective_gap is True  # still 46-75 next year, and a FIT counts for its own year only


def test_mammogram_in_november_holds_while_the_october_window_still_reaches_it(kit) -> None:
    mammo = kit.note_ev("p", "v-1", VISIT, "Screening mammogram", "mammogram", event_date=date(2025, 11, 1),
                        precision="month", note_date=date(2026, 3, 2))
    o = _one(kit, "BCS-E", "p", [mammo])
    assert o.valid_through == date(2027, 12, 31)  # MP 2027 starts its window on 2025-10-01
    assert o.prospective_gap is False
    old = kit.note_ev("q", "v-2", VISIT, "Screening mammogram", "mammogram", event_date=date(2024, 11, 20),
                      note_date=date(2026, 3, 2))
    o2 = _one(kit, "BCS-E", "q", [old])
    assert o2.valid_through == date(2026, 12, 31) and o2.prospective_gap is True


def test_a_patient_who_ages_out_next_year_has_no_prospective_gap(kit) -> None:
    fit = kit.note_ev("p", "v-1", VISIT, "FIT kit", "fobt", event_date=date(2026, 4, 15))
    o = _one(kit, "COL-E", "p", [fit], born=date(1951, 3, 3))  # 75 at the end of 2026, 76 in 2027
    assert o.valid_through == date(2026, 12, 31) and o.prospective_gap is False


def test_open_gaps_are_due_by_the_last_day_of_the_numerator_window(kit) -> None:
    assert _one(kit, "COL-E", "p").due_date == date(2026, 12, 31)
    dsf = _one(kit, "DSF-E", "p", group="1")
    assert dsf.gap_open and dsf.due_date == date(2026, 12, 1)  # screens count January 1 - December 1
    flu = _one(kit, "AIS-E", "p", group="influenza")
    assert flu.gap_open and flu.due_date == date(2026, 6, 30)  # the flu season ends June 30


def test_depression_follow_up_is_due_thirty_days_after_the_positive_screen(kit) -> None:
    phq = kit.event("p", "depression_screening", date(2026, 9, 14), value="PHQ-9 score 15",
                    source="fhir:Observation")
    o = _one(kit, "DSF-E", "p", events=[phq], group="2")
    assert o.populations.denom and o.gap_open
    assert o.due_date == date(2026, 10, 14)


def test_a_discharge_is_due_for_reconciliation_thirty_days_after_it(kit) -> None:
    stay = kit.encounter("p", "adm-7", date(2026, 8, 3), date(2026, 8, 9), "inpatient")
    pt = kit.patient("p", date(1950, 2, 2))
    outs = kit.run(["TRC-MRP"], [pt], encounters=[stay])
    o = outs[("TRC-MRP", "p", "1")]
    assert o.episode == "adm-7" and o.gap_open
    assert o.due_date == date(2026, 9, 8)
    assert o.valid_through is None


def test_inverse_measure_controlled_now_reopens_when_no_test_next_year(kit) -> None:
    dm = kit.event("p", "diabetes", date(2020, 1, 1), end=None, source="fhir:Condition")
    a1c = kit.event("p", "hba1c", date(2026, 5, 5), value="7.1", source="fhir:Observation")
    visit = kit.encounter("p", "e1", date(2026, 5, 5), None, "office_visit")
    o = _one(kit, "GSD-POOR", "p", events=[dm, a1c], encounters=[visit])
    assert o.populations.denom and not o.populations.numer and not o.gap_open
    assert o.valid_through == date(2026, 12, 31)
    poor = kit.event("q", "hba1c", date(2026, 5, 5), value="9.6", source="fhir:Observation")
    o2 = _one(kit, "GSD-POOR", "q", events=[kit.event("q", "diabetes", date(2020, 1, 1), end=None,
                                                        source="fhir:Condition"), poor],
              encounters=[kit.encounter("q", "e2", date(2026, 5, 5), None, "office_visit")])
    assert o2.gap_open and o2.due_date == date(2026, 12, 31) and o2.valid_through is None


@pytest.mark.parametrize(("doses", "expected"), [
    ([date(2021, 3, 1), date(2021, 6, 1)], None),  # a completed series never stops counting
])
def test_evidence_that_never_expires_has_no_valid_through(kit, doses, expected) -> None:
    events = [kit.event("p", "zoster_vaccine", d, source="fhir:Immunization") for d in doses]
    o = _one(kit, "AIS-E", "p", events=events, group="zoster", born=date(1960, 1, 1))
    assert o.populations.numer and o.valid_through is expected


def test_an_ecqm_patient_seen_this_year_is_assumed_seen_next_year(kit) -> None:
    visit = kit.encounter("p", "ov-1", date(2026, 3, 2), None, "office_visit")
    fit = kit.event("p", "fobt", date(2026, 4, 15), value="negative", source="fhir:Observation")
    o = _one(kit, "CMS130", "p", events=[fit], encounters=[visit])
    assert o.populations.numer and o.valid_through == date(2026, 12, 31)
    assert o.prospective_gap is True  # the FIT does not count in 2027, and the patient keeps a visit


def test_a_follow_up_of_this_year_positive_screen_does_not_reopen(kit) -> None:
    phq = kit.event("p", "depression_screening", date(2026, 9, 14), value="PHQ-9 score 15",
                    source="fhir:Observation")
    referral = kit.event("p", "depression_referral_adult", date(2026, 9, 20), source="fhir:ServiceRequest")
    o = _one(kit, "DSF-E", "p", events=[phq, referral], group="2")
    assert o.populations.numer and not o.gap_open
    assert o.valid_through == date(2026, 12, 31) and o.prospective_gap is False  # no positive screen in 2027
