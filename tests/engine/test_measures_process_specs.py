"""Screen results, TSC (three groups), TRC-MRP and ACP: episode-anchored rules and multi-group output.

DSF-E's two rates are tested in test_dsf_e_two_rates.py."""

from datetime import date

from engine.criteria.screening import screen_result


def test_screen_result_reading() -> None:
    assert screen_result({"instrument": "PHQ-A", "score": 11}) == "positive"
    assert screen_result("EPDS 6") == "negative"
    assert screen_result("positive") == "positive"
    assert screen_result("administered") is None


def test_tobacco_groups_user_with_and_without_cessation(kit) -> None:
    sh = "Social: smokes 1 ppd x 20 yrs. Counseled on cessation 5 min, started nicotine patch.\n"
    ev = [kit.note_ev(p, f"n-{p}", sh, "smokes 1 ppd", "tobacco_use", value="current",
                      note_date=date(2026, 3, 3)) for p in ("u1", "u2")]
    events = [kit.event("u1", "tobacco_cessation_counseling", date(2025, 7, 1))]  # 6 months before MP
    never = kit.note_ev("nv", "n-nv", "Social: denies tobacco use.\n", "denies tobacco use",
                        "tobacco_use", value="never", note_date=date(2026, 5, 5))
    pts = [kit.patient(p, date(1980, 1, 1)) for p in ("u1", "u2", "nv", "none")]
    out = kit.run(["TSC"], pts, ev + [never], events)
    assert [out["TSC", "u1", g].populations.numer for g in "123"] == [True, True, True]
    assert [out["TSC", "u2", g].populations.numer for g in "123"] == [True, False, False]
    assert out["TSC", "u2", "2"].gap_reason.value == "no_evidence"
    assert out["TSC", "nv", "2"].populations.ipp and not out["TSC", "nv", "2"].populations.denom
    assert out["TSC", "nv", "3"].populations.numer
    assert out["TSC", "none", "1"].gap_reason.value == "no_evidence"


def test_most_recent_status_decides_user(kit) -> None:
    text = "Former smoker, quit 2019.\n"
    ev = [kit.note_ev("q", "a", "Smoker, 1/2 ppd.\n", "Smoker", "tobacco_use", value="current",
                      note_date=date(2026, 1, 10)),
          kit.note_ev("q", "b", text, "Former smoker", "tobacco_use", value="former",
                      note_date=date(2026, 9, 1))]
    out = kit.run(["TSC"], [kit.patient("q", date(1970, 1, 1))], ev)
    assert not out["TSC", "q", "2"].populations.denom and out["TSC", "q", "3"].populations.numer


def test_medication_reconciliation_within_30_days_of_the_latest_discharge(kit) -> None:
    text = "TCM visit. Discharge medications reviewed and reconciled with current list.\n"
    encs = [kit.encounter(p, f"adm-{p}", date(2026, 5, 1), date(2026, 5, 4), "inpatient")
            for p in ("t1", "t2", "t3")]
    encs.append(kit.encounter("late", "adm-late", date(2026, 12, 1), date(2026, 12, 2), "inpatient"))
    ev = [kit.note_ev("t1", "m1", text, "reviewed and reconciled", "medication_reconciliation",
                      note_date=date(2026, 6, 3)),  # day 30 after discharge
          kit.note_ev("t2", "m2", text, "reviewed and reconciled", "medication_reconciliation",
                      note_date=date(2026, 6, 4))]  # day 31: too late
    pts = [kit.patient(p, date(1950, 1, 1)) for p in ("t1", "t2", "t3", "late")]
    out = kit.run(["TRC-MRP"], pts, ev, encounters=encs)
    assert out["TRC-MRP", "t1", "1"].populations.numer
    assert out["TRC-MRP", "t1", "1"].closed_by == "note"  # the note closed it; the discharge is the episode
    assert out["TRC-MRP", "t1", "1"].episode == "adm-t1"
    assert out["TRC-MRP", "t2", "1"].gap_open and out["TRC-MRP", "t3", "1"].gap_open
    assert not out["TRC-MRP", "late", "1"].populations.ipp  # discharged after December 1


def test_acp_population_81_plus_or_66_with_frailty(kit) -> None:
    text = "Has a living will; daughter is health-care proxy. Discussed goals of care.\n"
    acp = kit.note_ev("old", "a", text, "living will", "advance_care_planning", note_date=date(2026, 8, 8))
    events = [kit.event("frail", "frailty", day, source="fhir:Condition")  # two dates of service (HEDIS)
              for day in (date(2026, 2, 1), date(2026, 6, 1))]
    pts = [kit.patient("old", date(1945, 1, 1)), kit.patient("frail", date(1958, 1, 1)),
           kit.patient("well70", date(1956, 1, 1))]
    out = kit.run(["ACP"], pts, [acp], events)
    assert out["ACP", "old", "1"].populations.numer
    assert out["ACP", "frail", "1"].gap_open and out["ACP", "frail", "1"].gap_reason.value == "no_evidence"
    assert not out["ACP", "well70", "1"].populations.ipp


def test_tobacco_status_only_before_the_period_is_too_old(kit) -> None:
    ev = [kit.note_ev("t", "n", "Social: never smoker.\n", "never smoker", "tobacco_use",
                      value="never", note_date=date(2024, 5, 5))]
    out = kit.run(["TSC"], [kit.patient("t", date(1980, 1, 1))], ev)
    assert out["TSC", "t", "3"].gap_reason.value == "evidence_too_old"
    assert out["TSC", "t", "1"].gap_reason.value == "evidence_too_old"


def test_eye_exam_in_an_eye_care_note_takes_the_note_date(kit) -> None:
    text = "OPHTHALMOLOGY: Dilated fundus examination OU: no diabetic retinopathy.\n"
    ev = [kit.note_ev("e", "dm", "Type 2 DM.\n", "Type 2 DM", "diabetes", note_date=date(2026, 1, 5)),
          kit.note_ev("e", "oph", text, "Dilated fundus examination", "retinal_eye_exam",
                      note_date=date(2026, 9, 14))]
    o = kit.run(["EED"], [kit.patient("e", date(1960, 1, 1))], ev)["EED", "e", "1"]
    assert o.populations.numer and o.numer_evidence_ids == (ev[1].evidence_id,)
