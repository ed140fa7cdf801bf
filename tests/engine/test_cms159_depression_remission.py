"""CMS159 (MIPS Quality 370): depression remission at twelve months. The index event is the first
PHQ-9 (or PHQ-9M/PHQ-A) score over 9, 14 to 2 months before the MP, with a depression diagnosis;
remission is the most recent PHQ-9 10 to 14 months after it below 5 (response: at most half the
index score). One episode per patient, named by the index screen."""

from __future__ import annotations

from datetime import date

import pytest

TEXT = "Depression f/u. PHQ-9 today: 16. PHQ-9 = 4 at this visit.\n"
DX = "fhir:Condition:encounter-diagnosis"
INDEX = date(2025, 3, 2)


def _phq(kit, pid: str, day: date, score: int):
    return kit.note_ev(pid, f"phq-{pid}-{day}", TEXT, "PHQ-9 today: 16", "depression_screening", event_date=day,
                       note_date=day, value={"instrument": "PHQ-9", "score": score})


def _run(kit, pid: str, scores, events=None, born: date = date(1980, 1, 1)):
    from engine.calculator import calculate
    from engine.spec import resolve_measures
    from engine.structured import events_to_evidence

    events = events if events is not None else [kit.event(pid, "depression", date(2025, 1, 15), end=None,
                                                          source=DX)]
    ev = [_phq(kit, pid, d, s) for d, s in scores] + events_to_evidence(events)
    out = calculate(resolve_measures(["CMS159"], kit.SPECS), [kit.patient(pid, born)], ev, [], kit.MP)
    return {o.group: o for o in out}, ev


@pytest.mark.parametrize(("follow_up", "remission", "response", "reason"), [
    ((date(2026, 2, 10), 4), True, True, None),
    ((date(2026, 2, 10), 7), False, True, "not_controlled"),     # 7 <= 16 / 2: response, no remission
    ((date(2026, 2, 10), 12), False, False, "not_controlled"),
    ((date(2026, 1, 2), 3), True, True, None),                   # 10 months after the index
    ((date(2026, 1, 1), 3), False, False, "evidence_too_old"),   # a day before the window
    ((date(2026, 5, 2), 3), True, True, None),                   # 14 months after
    ((date(2026, 5, 3), 3), False, False, "evidence_too_old"),   # after the window: the last one in it is none
])
def test_remission_and_response_10_to_14_months_after_the_index(kit, follow_up, remission, response, reason):
    out, ev = _run(kit, "p", [(INDEX, 16), follow_up])
    assert out["remission"].episode == ev[0].evidence_id
    assert out["remission"].populations.denom
    assert out["remission"].populations.numer is remission and out["response"].populations.numer is response
    assert (out["remission"].gap_reason.value if out["remission"].gap_reason else None) == reason


def test_the_most_recent_score_in_the_window_decides(kit) -> None:
    out, _ = _run(kit, "m", [(INDEX, 16), (date(2026, 1, 10), 3), (date(2026, 4, 1), 12)])
    assert not out["remission"].populations.numer and out["remission"].gap_reason.value == "not_controlled"


@pytest.mark.parametrize(("index", "score", "in_ipp"), [
    (INDEX, 9, False),                        # not over 9
    (date(2024, 11, 1), 14, True),            # first day of the identification period
    (date(2024, 10, 31), 14, False),
    (date(2025, 10, 31), 14, True),           # last day: two months before the MP
    (date(2025, 11, 1), 14, False),
])
def test_index_event_is_a_phq9_over_9_fourteen_to_two_months_before_the_mp(kit, index, score, in_ipp):
    out, _ = _run(kit, "i", [(index, score)], [kit.event("i", "depression", date(2024, 6, 1), end=None, source=DX)])
    assert out["remission"].populations.ipp is in_ipp


def test_the_first_qualifying_score_is_the_index(kit) -> None:
    out, ev = _run(kit, "f", [(date(2025, 1, 20), 11), (INDEX, 16), (date(2026, 1, 25), 5)])
    assert out["response"].episode == ev[0].evidence_id
    assert out["response"].populations.numer  # 5 <= 11 / 2 = 5.5: a response to the first index score
    assert not out["remission"].populations.numer


def test_needs_a_depression_diagnosis_and_age_12_on_the_index_date(kit) -> None:
    no_dx, _ = _run(kit, "n", [(INDEX, 16)], [])
    assert not no_dx["remission"].populations.ipp
    child, _ = _run(kit, "c", [(INDEX, 16)], born=date(2013, 3, 3))  # 11 on the index date
    assert not child["remission"].populations.ipp


@pytest.mark.parametrize("element", ["bipolar_disorder", "death", "hospice"])
def test_exclusions(kit, element) -> None:
    source = DX if element == "bipolar_disorder" else "fhir:Encounter"
    events = [kit.event("x", "depression", date(2025, 1, 15), end=None, source=DX),
              kit.event("x", element, date(2025, 9, 9), source=source)]
    out, _ = _run(kit, "x", [(INDEX, 16), (date(2026, 2, 2), 3)], events)
    assert out["remission"].populations.denex


def test_no_index_event_is_one_row_per_group_outside_the_population(kit) -> None:
    out, _ = _run(kit, "z", [])
    assert set(out) == {"remission", "response"} and not any(o.populations.ipp for o in out.values())
