"""HEDIS frailty needs at least two indications on different dates of service in the MP, and
advanced illness two visits on different dates (or one inpatient stay, or a dementia medication);
the eCQMs keep one frailty indication and one advanced-illness diagnosis, as their CQL says."""

from __future__ import annotations

from datetime import date

import pytest

DX = "fhir:Condition:encounter-diagnosis"
BORN = date(1955, 4, 4)  # 71 at the end of 2026


def _events(kit, pid: str, frailty_days: list[date], illness_days: list[date]) -> list:
    return ([kit.event(pid, "frailty", d, source=DX) for d in frailty_days]
            + [kit.event(pid, "advanced_illness", d, source=DX) for d in illness_days])


def _visit(kit, pid: str) -> list:
    return [kit.encounter(pid, f"v-{pid}", date(2026, 2, 2), None, "office_visit")]


@pytest.mark.parametrize(("frailty_days", "hedis_excluded"), [
    ([date(2026, 3, 3)], False),                      # one indication: eCQM yes, HEDIS no
    ([date(2026, 3, 3), date(2026, 3, 3)], False),    # two on the same date
    ([date(2026, 3, 3), date(2026, 8, 8)], True),     # two different dates of service
    ([date(2025, 12, 1), date(2026, 8, 8)], False),   # one of them before the MP
])
def test_hedis_frailty_needs_two_dates_ecqm_one(kit, frailty_days, hedis_excluded) -> None:
    events = _events(kit, "f", frailty_days, [date(2025, 6, 1), date(2026, 1, 9)])
    out = kit.run(["COL-E", "CMS130"], [kit.patient("f", BORN, "M")], [], events, _visit(kit, "f"))
    assert out["COL-E", "f", "1"].populations.denex is hedis_excluded
    assert out["CMS130", "f", "1"].populations.denex is any(d.year == 2026 for d in frailty_days)


def test_a_frailty_encounter_is_one_of_the_indications(kit) -> None:
    events = _events(kit, "e", [date(2026, 3, 3)], [date(2025, 6, 1), date(2026, 1, 9)])
    encs = _visit(kit, "e") + [kit.encounter("e", "fr", date(2026, 9, 9), None, "frailty_encounter")]
    out = kit.run(["COL-E"], [kit.patient("e", BORN, "M")], [], events, encs)
    assert out["COL-E", "e", "1"].populations.denex


def test_a_problem_list_frailty_is_not_a_date_of_service(kit) -> None:
    events = ([kit.event("p", "frailty", date(2026, 3, 3), source="fhir:Condition:problem-list-item"),
               kit.event("p", "frailty", date(2026, 8, 8), source=DX)]
              + _events(kit, "p", [], [date(2025, 6, 1), date(2026, 1, 9)]))
    out = kit.run(["COL-E"], [kit.patient("p", BORN, "M")], [], events, _visit(kit, "p"))
    assert not out["COL-E", "p", "1"].populations.denex


@pytest.mark.parametrize(("illness", "stay", "medication", "excluded"), [
    ([date(2026, 4, 4)], False, False, False),                    # one outpatient visit
    ([date(2025, 6, 1), date(2026, 4, 4)], False, False, True),    # two visits, year before and MP
    ([date(2026, 4, 4)], True, False, True),                       # one inpatient stay
    ([], False, True, True),                                       # dementia medication dispensed
])
def test_hedis_advanced_illness(kit, illness, stay, medication, excluded) -> None:
    events = _events(kit, "a", [date(2026, 3, 3), date(2026, 8, 8)], illness)
    if medication:  # dispensed, supply length unknown
        events.append(kit.event("a", "dementia_medication", date(2025, 10, 1), end=None,
                                source="fhir:MedicationRequest"))
    encs = _visit(kit, "a")
    if stay:
        encs.append(kit.encounter("a", "ip", date(2026, 4, 2), date(2026, 4, 6), "inpatient"))
    out = kit.run(["COL-E"], [kit.patient("a", BORN, "M")], [], events, encs)
    assert out["COL-E", "a", "1"].populations.denex is excluded


def test_cbp_81_plus_needs_two_frailty_dates_in_hedis_but_one_in_cms165(kit) -> None:
    old = date(1944, 1, 1)
    events = ([kit.event("o", "hypertension", d, source=DX) for d in (date(2025, 5, 5), date(2026, 2, 2))]
              + [kit.event("o", "frailty", date(2026, 3, 3), source=DX)])
    encs = [kit.encounter("o", f"v{i}", d, None, "office_visit")
            for i, d in enumerate((date(2025, 5, 5), date(2026, 2, 2)))]
    out = kit.run(["CBP", "CMS165"], [kit.patient("o", old, "M")], [], events, encs)
    assert not out["CBP", "o", "1"].populations.denex
    assert out["CMS165", "o", "1"].populations.denex


@pytest.mark.parametrize(("frailty_days", "in_population"), [
    ([date(2026, 3, 3)], False), ([date(2026, 3, 3), date(2026, 9, 9)], True)])
def test_acp_population_uses_the_same_frailty_definition(kit, frailty_days, in_population) -> None:
    events = [kit.event("c", "frailty", d, source=DX) for d in frailty_days]
    out = kit.run(["ACP"], [kit.patient("c", date(1956, 1, 1))], [], events)
    assert out["ACP", "c", "1"].populations.ipp is in_population
