"""CBP most-recent-date rule and the HbA1c rules (inverse poor control, < 8% control)."""

from datetime import date

import pytest

from engine.criteria.values import a1c_values, bp_readings

VITALS = ("Vitals: BP 152/92 (L arm, seated), repeat BP 136/94 after 5 min rest, HR 78. "
          "Home readings 128/76 per pt log.\n")
HTN = "Assessment: 1. Essential hypertension, on lisinopril 20 mg daily.\n"


def _htn(kit, pid: str, note_date: date = date(2026, 2, 1)):
    return kit.note_ev(pid, f"a-{pid}", HTN, "Essential hypertension", "hypertension",
                       note_date=note_date)


def test_lowest_systolic_and_lowest_diastolic_of_the_latest_day(kit) -> None:
    # On 2026-10-05: 152/92 and 136/94 -> lowest systolic 136, lowest diastolic 92 -> not controlled.
    # An earlier controlled day does not matter: only the most recent date counts.
    pid = "bp1"
    ev = [
        _htn(kit, pid),
        kit.note_ev(pid, "v1", "BP 118/72 today.", "BP 118/72", "blood_pressure",
                    note_date=date(2026, 4, 2), value=[[118, 72]]),
        kit.note_ev(pid, "v2", VITALS, "BP 152/92", "blood_pressure", note_date=date(2026, 10, 5),
                    value=[[152, 92]]),
        kit.note_ev(pid, "v2", VITALS, "BP 136/94", "blood_pressure", note_date=date(2026, 10, 5),
                    value=[[136, 94]]),
    ]
    o = kit.run(["CBP"], [kit.patient(pid, date(1960, 1, 1))], ev)["CBP", pid, "1"]
    assert o.populations.denom and not o.populations.numer
    assert o.gap_reason.value == "not_controlled"
    assert set(o.gap_evidence_ids) == {ev[2].evidence_id, ev[3].evidence_id}


def test_lowest_values_may_come_from_different_readings(kit) -> None:
    pid = "bp2"
    ev = [_htn(kit, pid),
          kit.note_ev(pid, "v", "BP 150/84, recheck 138/88.", "BP 150/84, recheck 138/88",
                      "blood_pressure", note_date=date(2026, 11, 20), value=[[150, 84], [138, 88]])]
    o = kit.run(["CBP"], [kit.patient(pid, date(1960, 1, 1), "M")], ev)["CBP", pid, "1"]
    assert o.populations.numer and o.closed_by == "note"


def test_structured_reading_newer_than_note_reading_decides(kit) -> None:
    pid = "bp3"
    ev = [_htn(kit, pid),
          kit.note_ev(pid, "v", "BP 160/100 in clinic.", "BP 160/100", "blood_pressure",
                      note_date=date(2026, 6, 1), value=[[160, 100]])]
    events = [kit.event(pid, "blood_pressure", date(2026, 12, 31), value="128/78",
                        source="fhir:Observation")]
    o = kit.run(["CBP"], [kit.patient(pid, date(1960, 1, 1))], ev, events)["CBP", pid, "1"]
    assert o.populations.numer and o.closed_by == "structured"


def test_reading_during_an_ed_visit_does_not_count(kit) -> None:
    pid = "bp4"
    dx_days = (date(2025, 6, 1), date(2026, 1, 15))  # HEDIS: two visits with the diagnosis
    events = [kit.event(pid, "hypertension", d, source="fhir:Condition:encounter-diagnosis") for d in dx_days]
    events += [kit.event(pid, "blood_pressure", date(2026, 3, 1), value="150/95", source="fhir:Observation"),
               kit.event(pid, "blood_pressure", date(2026, 9, 9), value="122/70", source="fhir:Observation")]
    encs = [kit.encounter(pid, f"v{i}", d, d, "office_visit") for i, d in enumerate(dx_days)]
    encs.append(kit.encounter(pid, "ed1", date(2026, 9, 9), date(2026, 9, 9), "emergency_department"))
    o = kit.run(["CBP"], [kit.patient(pid, date(1970, 1, 1))], [], events, encs)["CBP", pid, "1"]
    assert not o.populations.numer and o.gap_reason.value == "not_controlled"


def test_no_reading_in_the_period_is_not_controlled(kit) -> None:
    ev = [_htn(kit, "bp5"), kit.note_ev("bp5", "v", "BP 120/70.", "BP 120/70", "blood_pressure",
                                        note_date=date(2025, 12, 31), value=[[120, 70]]),
          _htn(kit, "bp7")]
    pts = [kit.patient("bp5", date(1970, 1, 1)), kit.patient("bp7", date(1970, 1, 1))]
    out = kit.run(["CBP"], pts, ev)
    assert out["CBP", "bp5", "1"].gap_open and out["CBP", "bp5", "1"].gap_reason.value == "evidence_too_old"
    assert out["CBP", "bp7", "1"].gap_open and out["CBP", "bp7", "1"].gap_reason.value == "no_evidence"


def test_hypertension_noted_only_after_june_30_is_not_in_the_denominator(kit) -> None:
    pid = "bp6"
    ev = [_htn(kit, pid, note_date=date(2026, 7, 1))]
    o = kit.run(["CBP"], [kit.patient(pid, date(1970, 1, 1))], ev)["CBP", pid, "1"]
    assert o.populations.ipp and not o.populations.denom and not o.gap_open


DM = "Problem list: Type 2 diabetes mellitus without complication, on metformin.\n"


def _dm(kit, pid: str):
    return kit.note_ev(pid, f"dm-{pid}", DM, "Type 2 diabetes mellitus", "diabetes",
                       note_date=date(2026, 1, 15))


def test_inverse_measure_missing_result_counts_as_poor_control(kit) -> None:
    pid = "a1"
    out = kit.run(["GSD-POOR", "GSD-CONTROL"], [kit.patient(pid, date(1970, 1, 1))], [_dm(kit, pid)])
    poor, control = out["GSD-POOR", pid, "1"], out["GSD-CONTROL", pid, "1"]
    assert poor.populations.numer and poor.gap_open and poor.gap_reason.value == "no_evidence"
    assert not control.populations.numer and control.gap_open


def test_a1c_only_before_the_period_is_too_old_and_poor_control(kit) -> None:
    pid = "a5"
    ev = [_dm(kit, pid), kit.note_ev(pid, "l", "HbA1c 7.0% (11/12/2025).", "HbA1c 7.0%", "hba1c",
                                     event_date=date(2025, 11, 12), value=[7.0])]
    o = kit.run(["GSD-POOR"], [kit.patient(pid, date(1970, 1, 1))], ev)["GSD-POOR", pid, "1"]
    assert o.populations.numer and o.gap_reason.value == "evidence_too_old"
    assert o.gap_evidence_ids == (ev[1].evidence_id,)


def test_ordered_a1c_without_result_gives_only_ordered(kit) -> None:
    pid = "a2"
    text = "Plan: check A1c today, future order placed.\n"
    ev = [_dm(kit, pid), kit.note_ev(pid, "p", text, "check A1c", "hba1c", status="ordered",
                                     note_date=date(2026, 5, 5))]
    o = kit.run(["GSD-POOR"], [kit.patient(pid, date(1970, 1, 1))], ev)["GSD-POOR", pid, "1"]
    assert o.populations.numer and o.gap_reason.value == "only_ordered"


@pytest.mark.parametrize(
    ("values", "poor", "controlled"),
    [
        ([9.4, 8.6], False, False),  # same day: the lowest (8.6) counts -> neither > 9 nor < 8
        ([9.1], True, False),
        ([9.0], False, False),  # exactly 9.0 is not > 9.0
        ([7.9], False, True),
        ([8.0], False, False),  # exactly 8.0 is not < 8.0
    ],
)
def test_a1c_thresholds_use_lowest_value_on_the_latest_date(kit, values, poor, controlled) -> None:
    pid = "a3"
    ev = [_dm(kit, pid),
          kit.note_ev(pid, "old", "HbA1c 6.5% (03/2026).", "HbA1c 6.5%", "hba1c",
                      event_date=date(2026, 3, 2), value=[6.5]),
          kit.note_ev(pid, "lab", "Hemoglobin A1c resulted today.", "Hemoglobin A1c", "hba1c",
                      event_date=date(2026, 11, 2), value=values)]
    out = kit.run(["GSD-POOR", "GSD-CONTROL"], [kit.patient(pid, date(1970, 1, 1))], ev)
    assert out["GSD-POOR", pid, "1"].populations.numer is poor
    assert out["GSD-POOR", pid, "1"].gap_open is poor
    assert out["GSD-CONTROL", pid, "1"].populations.numer is controlled
    if not controlled:
        assert out["GSD-CONTROL", pid, "1"].gap_reason.value == "not_controlled"


def test_coded_result_is_neither_and_empty_result_is_poor(kit) -> None:
    coded = [kit.event("c", "diabetes", date(2020, 1, 1), end=None, source="fhir:Condition"),
             kit.event("c", "hba1c", date(2026, 6, 1), value="SNOMEDCT:165679005", source="fhir:Observation")]
    empty = [kit.event("e", "diabetes", date(2020, 1, 1), end=None, source="fhir:Condition"),
             kit.event("e", "hba1c", date(2026, 6, 1), value=None, source="fhir:Observation")]
    pts = [kit.patient("c", date(1970, 1, 1)), kit.patient("e", date(1970, 1, 1))]
    out = kit.run(["GSD-POOR"], pts, [], coded + empty)
    assert not out["GSD-POOR", "c", "1"].populations.numer
    assert out["GSD-POOR", "e", "1"].populations.numer


def test_undated_a1c_is_flagged_and_does_not_close_the_control_gap(kit) -> None:
    pid = "a4"
    ev = [_dm(kit, pid), kit.note_ev(pid, "h", "Last A1c 7.1 per outside records.", "A1c 7.1", "hba1c",
                                     value=[7.1])]
    o = kit.run(["GSD-CONTROL"], [kit.patient(pid, date(1970, 1, 1))], ev)["GSD-CONTROL", pid, "1"]
    assert o.gap_reason.value == "undated_evidence" and o.review_flags


def test_value_parsers() -> None:
    assert bp_readings("128/76") == [(128, 76)]
    assert bp_readings([[150, 84], [138, 88]]) == [(150, 84), (138, 88)]
    assert bp_readings([128, 76]) == [(128, 76)]
    assert bp_readings("BP elevated") == []
    assert a1c_values("7.2") == ("numeric", [7.2])
    assert a1c_values("") == ("no_result", [])
    assert a1c_values("SNOMEDCT:1234") == ("coded", [])
    assert a1c_values([7.2, "8.1%"]) == ("numeric", [7.2, 8.1])
