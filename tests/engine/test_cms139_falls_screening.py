"""CMS139 (MIPS Quality 318): falls screening for older adults, from notes and structured data:
patients 65 and older with a visit in the MP, screened for future fall risk in the MP; hospice excludes."""

from __future__ import annotations

from datetime import date

import pytest

TEXT = "Falls risk screening: negative, no falls in the past year. Fall risk screening next visit.\n"
OLD = date(1955, 5, 5)


def _visit(kit, pid: str, day: date = date(2026, 4, 4), tag: str = "office_visit"):
    return [kit.encounter(pid, f"v-{pid}", day, None, tag)]


def _screen(kit, pid: str, day: date | None, status: str = "affirmed"):
    phrase = "Falls risk screening: negative" if status == "affirmed" else "Fall risk screening next visit"
    return kit.note_ev(pid, f"n-{pid}", TEXT, phrase, "falls_screening", status=status, event_date=day,
                       note_date=day or date(2026, 4, 4))


@pytest.mark.parametrize(("evidence", "met", "reason"), [
    (lambda k: [_screen(k, "f", date(2026, 4, 4))], True, None),
    (lambda k: [_screen(k, "f", None)], True, None),   # a screening in a visit note holds on its date
    (lambda k: [_screen(k, "f", date(2025, 10, 1))], False, "evidence_too_old"),
    (lambda k: [_screen(k, "f", None, "planned")], False, "only_ordered"),
    (lambda k: [], False, "no_evidence"),
])
def test_screened_for_future_fall_risk_in_the_mp(kit, evidence, met, reason) -> None:
    o = kit.run(["CMS139"], [kit.patient("f", OLD)], evidence(kit), [], _visit(kit, "f"))["CMS139", "f", "1"]
    assert o.populations.denom and o.populations.numer is met
    assert (o.gap_reason.value if o.gap_reason else None) == reason


def test_structured_screening_closes_the_gap(kit) -> None:
    events = [kit.event("s", "falls_screening", date(2026, 6, 6), value="negative", source="fhir:Observation")]
    o = kit.run(["CMS139"], [kit.patient("s", OLD)], [], events, _visit(kit, "s"))["CMS139", "s", "1"]
    assert o.populations.numer and o.closed_by == "structured"


@pytest.mark.parametrize(("born", "visits", "in_ipp"), [
    (date(1961, 12, 31), True, True),    # 65 on the last day of the MP
    (date(1962, 1, 1), True, False),     # 64
    (OLD, False, False),                 # no qualifying visit
])
def test_population_is_65_and_older_with_a_visit(kit, born, visits, in_ipp) -> None:
    o = kit.run(["CMS139"], [kit.patient("p", born)], [], [], _visit(kit, "p") if visits else [])
    assert o["CMS139", "p", "1"].populations.ipp is in_ipp


def test_hospice_excludes(kit) -> None:
    encs = _visit(kit, "h") + _visit(kit, "h", date(2026, 8, 8), "hospice_encounter")
    encs[1] = kit.encounter("h", "hos", date(2026, 8, 8), None, "hospice_encounter")
    o = kit.run(["CMS139"], [kit.patient("h", OLD)], [], [], encs)["CMS139", "h", "1"]
    assert o.populations.denex
