"""BCS-E, CCS, EED and AIS-E: windows, age-on-test-date, exclusions and exceptions."""

from datetime import date

import pytest


@pytest.mark.parametrize(("day", "met"), [(date(2024, 10, 1), True), (date(2024, 9, 30), False)])
def test_mammogram_window_starts_october_first_two_years_before(kit, day: date, met: bool) -> None:
    text = f"Screening mammogram {day:%m/%d/%Y}: BI-RADS 1, negative.\n"
    ev = [kit.note_ev("w", "r1", text, f"Screening mammogram {day:%m/%d/%Y}", "mammogram", event_date=day)]
    o = kit.run(["BCS-E"], [kit.patient("w", date(1970, 8, 8))], ev)["BCS-E", "w", "1"]
    assert o.populations.numer is met
    assert (o.gap_reason is None) if met else (o.gap_reason.value == "evidence_too_old")


def test_bcs_excludes_men_and_left_plus_right_mastectomy(kit) -> None:
    events = [kit.event("lr", "unilateral_mastectomy_left", date(2012, 5, 1)),
              kit.event("lr", "unilateral_mastectomy_right", date(2019, 2, 1)),
              kit.event("l", "unilateral_mastectomy_left", date(2012, 5, 1))]
    pts = [kit.patient("lr", date(1965, 1, 1)), kit.patient("l", date(1965, 1, 1)),
           kit.patient("m", date(1965, 1, 1), "M")]
    out = kit.run(["BCS-E"], pts, [], events)
    assert out["BCS-E", "lr", "1"].populations.denex
    assert not out["BCS-E", "l", "1"].populations.denex and out["BCS-E", "l", "1"].gap_open
    assert not out["BCS-E", "m", "1"].populations.ipp


def test_hpv_test_counts_only_from_age_30_on_the_test_date(kit) -> None:
    text = "Pap 2023: NILM. HR HPV co-test negative.\n"
    # born 1994-06-01: 29 on 2023-05-31, 30 on 2024-06-01
    young = kit.note_ev("h1", "n1", text, "HR HPV co-test negative", "hpv_test",
                        event_date=date(2023, 5, 31), value="negative")
    older = kit.note_ev("h2", "n2", text, "HR HPV co-test negative", "hpv_test",
                        event_date=date(2024, 6, 1), value="negative")
    pts = [kit.patient("h1", date(1994, 6, 1)), kit.patient("h2", date(1994, 6, 1))]
    out = kit.run(["CCS"], pts, [young, older])
    assert not out["CCS", "h1", "1"].populations.numer
    assert out["CCS", "h2", "1"].populations.numer


def test_cytology_three_year_window_and_hysterectomy_exclusion(kit) -> None:
    text = "GYN hx: s/p total abdominal hysterectomy 2015 for fibroids. Last Pap 01/2024 normal.\n"
    pap = kit.note_ev("c1", "g", text, "Last Pap 01/2024 normal", "cervical_cytology",
                      event_date=date(2024, 1, 1), precision="month")
    tah = kit.note_ev("c2", "g2", text, "total abdominal hysterectomy", "hysterectomy_no_cervix")
    pts = [kit.patient("c1", date(1985, 1, 1)), kit.patient("c2", date(1985, 1, 1))]
    out = kit.run(["CCS"], pts, [pap, tah])
    assert out["CCS", "c1", "1"].populations.numer
    assert out["CCS", "c2", "1"].populations.denex and out["CCS", "c2", "1"].closed_by == "note"


def test_eye_exam_prior_year_counts_only_when_documented_negative(kit) -> None:
    exam = "Saw ophthalmology 08/2025, dilated exam: no diabetic retinopathy.\n"
    dm = "DM2 on insulin.\n"
    ev = []
    for pid, result in (("e1", "no diabetic retinopathy"), ("e2", None)):
        ev.append(kit.note_ev(pid, f"dm-{pid}", dm, "DM2", "diabetes", note_date=date(2026, 2, 2)))
        ev.append(kit.note_ev(pid, f"eye-{pid}", exam, "dilated exam", "retinal_eye_exam",
                              event_date=date(2025, 8, 1), precision="month", value=result))
    pts = [kit.patient("e1", date(1960, 1, 1)), kit.patient("e2", date(1960, 1, 1))]
    out = kit.run(["EED"], pts, ev)
    assert out["EED", "e1", "1"].populations.numer  # the exam's result is stated: negative
    assert not out["EED", "e2", "1"].populations.numer and out["EED", "e2", "1"].gap_open


def test_flu_dose_wins_over_a_decline_and_a_decline_alone_is_an_open_gap(kit) -> None:
    text = ("Immunizations: declined flu shot in September; received influenza vaccine 10/15/2025 "
            "at pharmacy.\n")
    decline = kit.note_ev("f1", "i", text, "declined flu shot", "influenza_vaccine", status="declined",
                          note_date=date(2025, 10, 20))
    given = kit.note_ev("f1", "i", text, "influenza vaccine 10/15/2025", "influenza_vaccine",
                        event_date=date(2025, 10, 15), note_date=date(2025, 10, 20))
    only_decline = kit.note_ev("f2", "i2", text, "declined flu shot", "influenza_vaccine",
                               status="declined", note_date=date(2025, 10, 20))
    pts = [kit.patient("f1", date(1990, 1, 1)), kit.patient("f2", date(1990, 1, 1))]
    out = kit.run(["AIS-E"], pts, [decline, given, only_decline])
    both, declined = out["AIS-E", "f1", "influenza"], out["AIS-E", "f2", "influenza"]
    assert both.populations.numer and not both.gap_open
    assert not declined.populations.denexcep and declined.gap_reason.value == "declined"  # AIS-E: no exceptions
    assert declined.gap_evidence_ids == (only_decline.evidence_id,)


@pytest.mark.parametrize(("day", "met"), [(date(2025, 7, 1), True), (date(2025, 6, 30), False),
                                          (date(2026, 6, 30), True), (date(2026, 7, 1), False)])
def test_flu_season_edges(kit, day: date, met: bool) -> None:
    events = [kit.event("f", "influenza_vaccine", day, source="fhir:Immunization")]
    o = kit.run(["AIS-E"], [kit.patient("f", date(2000, 1, 1))], [], events)["AIS-E", "f", "influenza"]
    assert o.populations.numer is met


def test_age_rule_months_as_of_a_date(kit) -> None:
    from pydantic_core import PydanticCustomError

    from engine.criteria import evaluate, parse_criterion
    from engine.criteria.base import PatientContext

    rule = parse_criterion({"rule": "qm.age.v1", "min_months": 6, "as_of": "mp_start + 3m - 1d"})
    ctx = PatientContext(kit.patient("b", date(2025, 9, 30)), kit.MP, {})
    assert evaluate(rule, ctx).met
    ctx = PatientContext(kit.patient("b", date(2025, 10, 1)), kit.MP, {})
    assert not evaluate(rule, ctx).met
    with pytest.raises(PydanticCustomError, match="as_of"):
        parse_criterion({"rule": "qm.age.v1", "min_months": 6, "as_of": "march 31"})


def test_pneumococcal_history_without_date_counts_and_age_is_at_start_of_mp(kit) -> None:
    text = "Immunizations: had Prevnar at pharmacy, pt unsure of year. Shingrix x2.\n"
    ev = kit.note_ev("pn", "n", text, "had Prevnar", "pneumococcal_vaccine", note_date=date(2026, 5, 1))
    pts = [kit.patient("pn", date(1961, 1, 1)), kit.patient("young", date(1961, 1, 2))]
    out = kit.run(["AIS-E"], pts, [ev])
    assert out["AIS-E", "pn", "pneumococcal"].populations.numer  # 65 on January 1 of the MP
    assert not out["AIS-E", "young", "pneumococcal"].populations.ipp
