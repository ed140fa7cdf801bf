"""Common exclusions: hospice from a note, frailty + advanced illness, the CBP frailty variant."""

from datetime import date


def test_hospice_in_a_note_of_the_period_excludes_but_an_old_note_does_not(kit) -> None:
    text = "Pt enrolled in home hospice since last month for metastatic pancreatic ca.\n"
    now = kit.note_ev("h", "n1", text, "enrolled in home hospice", "hospice", note_date=date(2026, 6, 1))
    old = kit.note_ev("o", "n2", text, "enrolled in home hospice", "hospice", note_date=date(2024, 6, 1))
    pts = [kit.patient("h", date(1960, 1, 1)), kit.patient("o", date(1960, 1, 1))]
    out = kit.run(["BCS-E"], pts, [now, old])
    assert out["BCS-E", "h", "1"].populations.denex
    assert not out["BCS-E", "o", "1"].populations.denex


def _frail_events(pid: str, with_illness: bool) -> list:
    from engine.records import StructuredEvent

    # HEDIS: frailty on two dates of service, advanced illness at two visits on different dates
    rows = [StructuredEvent(patient_id=pid, element="frailty", event_date=day, end_date=day,
                            source="fhir:Condition") for day in (date(2026, 3, 1), date(2026, 7, 1))]
    if with_illness:
        rows += [StructuredEvent(patient_id=pid, element="advanced_illness", event_date=day, end_date=None,
                                 source="fhir:Condition:encounter-diagnosis")
                 for day in (date(2025, 1, 1), date(2026, 2, 1))]
    return rows


def test_frailty_needs_advanced_illness_except_81_plus_for_cbp(kit) -> None:
    dx_days = (date(2025, 4, 1), date(2026, 2, 1))  # HEDIS CBP: two visits with the diagnosis
    htn = [kit.event(p, "hypertension", d, source="fhir:Condition:encounter-diagnosis")
           for p in ("f70", "f70ai", "f82") for d in dx_days]
    visits = [kit.encounter(p, f"{p}-{i}", d, d, "office_visit") for p in ("f70", "f70ai", "f82")
              for i, d in enumerate(dx_days)]
    events = htn + _frail_events("f70", False) + _frail_events("f70ai", True) + _frail_events("f82", False)
    pts = [kit.patient("f70", date(1956, 1, 1)), kit.patient("f70ai", date(1956, 1, 1)),
           kit.patient("f82", date(1944, 1, 1))]
    out = kit.run(["CBP", "COL-E"], pts, [], events, visits)
    assert not out["CBP", "f70", "1"].populations.denex
    assert out["CBP", "f70ai", "1"].populations.denex
    assert out["CBP", "f82", "1"].populations.denex  # CBP: 81+ frailty alone
    assert out["COL-E", "f70ai", "1"].populations.denex


def test_frailty_exclusion_needs_age_66(kit) -> None:
    events = _frail_events("y", True)
    o = kit.run(["COL-E"], [kit.patient("y", date(1961, 1, 1))], [], events)["COL-E", "y", "1"]
    assert not o.populations.denex and o.gap_open


def test_nursing_home_uses_the_most_recent_housing_status(kit) -> None:
    obs = "fhir:Observation"
    events = [kit.event("nh", "housing_status", date(2025, 1, 1), value="nursing_home", source=obs),
              kit.event("nh", "housing_status", date(2026, 2, 1), value="other", source=obs),
              kit.event("nh2", "housing_status", date(2026, 2, 1), value="nursing_home", source=obs)]
    pts = [kit.patient("nh", date(1955, 1, 1)), kit.patient("nh2", date(1955, 1, 1))]
    out = kit.run(["COL-E"], pts, [], events)
    assert not out["COL-E", "nh", "1"].populations.denex
    assert out["COL-E", "nh2", "1"].populations.denex
