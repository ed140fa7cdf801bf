"""HEDIS DSF-E as NCQA MY2026 defines it (shared/docs/measures-reference.md), not CMS2's windows:
rate 1 = screened January 1 - December 1; rate 2 = the first positive screen followed up within
30 days; no exceptions; exclusions bipolar disorder through the end of the year before the MP,
depression that started in the year before the MP, hospice, death."""

from __future__ import annotations

from datetime import date

import pytest

TEXT = ("PHQ-9 today: 14, moderate. Plan: referral to behavioral health. PHQ-9 = 3. Pt declined the "
        "PHQ-2 today.\n")


def _screen(kit, pid: str, day: date, score: int, note: str = "s"):
    phrase = "PHQ-9 today: 14" if score >= 10 else "PHQ-9 = 3"
    return kit.note_ev(pid, f"{note}-{pid}-{day}", TEXT, phrase, "depression_screening", event_date=day,
                       note_date=day, value={"instrument": "PHQ-9", "score": score})


def _referral(kit, pid: str, day: date):
    return kit.note_ev(pid, f"f-{pid}-{day}", TEXT, "referral to behavioral health", "depression_referral_adult",
                       note_date=day)


ADULT = date(1985, 5, 5)


@pytest.mark.parametrize(("day", "met", "reason"), [
    (date(2026, 1, 1), True, None), (date(2026, 12, 1), True, None),
    (date(2026, 12, 2), False, "no_evidence"), (date(2025, 12, 20), False, "evidence_too_old"),
])
def test_screening_rate_counts_screens_january_1_to_december_1(kit, day, met, reason) -> None:
    out = kit.run(["DSF-E"], [kit.patient("a", ADULT)], [_screen(kit, "a", day, 3)])
    o = out["DSF-E", "a", "1"]
    assert o.populations.numer is met
    assert (o.gap_reason.value if o.gap_reason else None) == reason


@pytest.mark.parametrize(("followup", "met"), [
    (date(2026, 3, 2), True),    # the same day
    (date(2026, 3, 22), True),   # day 20
    (date(2026, 4, 1), True),    # day 30: the screen date plus 30 days
    (date(2026, 4, 2), False),   # day 31
])
def test_follow_up_rate_allows_30_days_after_the_first_positive_screen(kit, followup, met) -> None:
    ev = [_screen(kit, "p", date(2026, 3, 2), 14), _referral(kit, "p", followup)]
    out = kit.run(["DSF-E"], [kit.patient("p", ADULT)], ev)
    assert out["DSF-E", "p", "1"].populations.numer  # screened
    o = out["DSF-E", "p", "2"]
    assert o.populations.denom and o.populations.numer is met
    if not met:
        assert o.gap_reason.value == "no_evidence" and "positive_screen_without_followup" in o.review_flags


def test_the_first_positive_screen_decides_and_negatives_are_not_in_rate_2(kit) -> None:
    ev = [_screen(kit, "x", date(2026, 3, 2), 14), _screen(kit, "x", date(2026, 6, 1), 12, "t"),
          _referral(kit, "x", date(2026, 6, 2)), _screen(kit, "n", date(2026, 3, 2), 3)]
    out = kit.run(["DSF-E"], [kit.patient("x", ADULT), kit.patient("n", ADULT)], ev)
    assert out["DSF-E", "x", "2"].gap_open  # March positive was not followed up
    assert not out["DSF-E", "n", "2"].populations.denom and out["DSF-E", "n", "1"].populations.numer


def test_behavioral_health_visit_is_follow_up(kit) -> None:
    enc = [kit.encounter("b", "bh1", date(2026, 3, 12), None, "psych_psychotherapy")]
    out = kit.run(["DSF-E"], [kit.patient("b", ADULT)], [_screen(kit, "b", date(2026, 3, 2), 14)], [], enc)
    assert out["DSF-E", "b", "2"].populations.numer and out["DSF-E", "b", "2"].closed_by == "both"


def test_no_exceptions_a_declined_screen_is_an_open_gap(kit) -> None:
    declined = kit.note_ev("d", "n1", TEXT, "declined the PHQ-2", "depression_screening", status="declined",
                           note_date=date(2026, 4, 4))
    o = kit.run(["DSF-E"], [kit.patient("d", ADULT)], [declined])["DSF-E", "d", "1"]
    assert not o.populations.denexcep and o.gap_open and o.gap_reason.value == "declined"


@pytest.mark.parametrize(("element", "start", "excluded"), [
    ("bipolar_disorder", date(2025, 5, 1), True),    # through the end of the year before the MP
    ("bipolar_disorder", date(2019, 5, 1), True),
    ("bipolar_disorder", date(2026, 3, 1), False),   # started in the MP
    ("depression", date(2025, 6, 1), True),          # started in the year before the MP
    ("depression", date(2023, 1, 1), False),         # long-standing depression: not excluded
    ("depression", date(2026, 2, 1), False),
    ("death", date(2026, 7, 1), True),
    ("hospice", date(2026, 2, 1), True),
])
def test_exclusions(kit, element: str, start: date, excluded: bool) -> None:
    event = kit.event("e", element, start, end=None if element != "death" else start,
                      source="fhir:Condition:encounter-diagnosis" if element in ("bipolar_disorder", "depression")
                      else "fhir:Encounter")
    out = kit.run(["DSF-E"], [kit.patient("e", ADULT)], [], [event])
    assert out["DSF-E", "e", "1"].populations.denex is excluded
    assert out["DSF-E", "e", "2"].populations.denex is excluded or not out["DSF-E", "e", "2"].populations.denom


@pytest.mark.parametrize(("born", "in_ipp"), [(date(2014, 1, 1), True), (date(2014, 1, 2), False)])
def test_ages_12_and_older_on_january_1(kit, born: date, in_ipp: bool) -> None:
    out = kit.run(["DSF-E"], [kit.patient("k", born)])
    assert out["DSF-E", "k", "1"].populations.ipp is in_ipp


def test_dsf_is_an_alias_of_dsf_e() -> None:
    from engine.spec import load_specs, resolve_measures

    assert [s.id for s in resolve_measures(["DSF"], load_specs())] == ["DSF-E"]
