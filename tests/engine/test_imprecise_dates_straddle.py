"""A date known only to its month or year that straddles a lookback boundary (a mammogram "2024"
for a window starting October 1, 2024) is not silently counted: it is undated evidence, under the
measure's undated policy (review by default: not met, gap reason undated_evidence, flagged)."""

from __future__ import annotations

from datetime import date

import pytest

TEXT = "Health maintenance: mammogram 2024 benign. Colonoscopy 2017 normal.\n"


def _mammogram(kit, pid: str, day: date, precision: str):
    return kit.note_ev(pid, "n1", TEXT, "mammogram 2024 benign", "mammogram", event_date=day, precision=precision)


@pytest.mark.parametrize("measure", ["BCS-E", "CMS125"])
def test_a_year_straddling_the_window_start_is_reviewed_not_counted(kit, measure) -> None:
    ev = [_mammogram(kit, "w", date(2024, 1, 1), "year")]
    encs = [kit.encounter("w", "v1", date(2026, 2, 2), None, "office_visit")]
    o = kit.run([measure], [kit.patient("w", date(1966, 1, 1))], ev, [], encs)[measure, "w", "1"]
    assert not o.populations.numer and o.gap_reason.value == "undated_evidence"
    assert f"imprecise_date:{ev[0].evidence_id}" in o.review_flags


@pytest.mark.parametrize(("day", "precision", "met", "reason"), [
    (date(2024, 10, 1), "month", True, None),               # October 2024: wholly inside
    (date(2024, 9, 1), "month", False, "evidence_too_old"),  # September 2024: wholly before
    (date(2025, 1, 1), "year", True, None),
    (date(2023, 1, 1), "year", False, "evidence_too_old"),
])
def test_month_or_year_wholly_inside_or_before(kit, day, precision, met, reason) -> None:
    o = kit.run(["BCS-E"], [kit.patient("w", date(1966, 1, 1))], [_mammogram(kit, "w", day, precision)])
    o = o["BCS-E", "w", "1"]
    assert o.populations.numer is met and (o.gap_reason.value if o.gap_reason else None) == reason


def test_the_undated_policy_decides_as_for_undated_evidence(kit) -> None:
    from engine.calculator import calculate

    spec = kit.SPECS["BCS-E"].model_copy(update={"undated_policy": "count"})
    out = calculate([spec], [kit.patient("w", date(1966, 1, 1))], [_mammogram(kit, "w", date(2024, 1, 1), "year")],
                    [], kit.MP)
    assert out[0].populations.numer
    ignore = kit.SPECS["BCS-E"].model_copy(update={"undated_policy": "ignore"})
    out = calculate([ignore], [kit.patient("w", date(1966, 1, 1))],
                    [_mammogram(kit, "w", date(2024, 1, 1), "year")], [], kit.MP)
    assert out[0].gap_reason.value == "no_evidence" and not out[0].review_flags


def test_colonoscopy_year_on_the_first_year_of_the_window_counts(kit) -> None:
    ok = kit.note_ev("c", "n1", TEXT, "Colonoscopy 2017 normal", "colonoscopy", event_date=date(2017, 1, 1),
                     precision="year")
    old = kit.note_ev("d", "n2", TEXT.replace("2017", "2016"), "Colonoscopy 2016 normal", "colonoscopy",
                      event_date=date(2016, 1, 1), precision="year")
    out = kit.run(["COL-E"], [kit.patient("c", date(1970, 1, 1)), kit.patient("d", date(1970, 1, 1))], [ok, old])
    assert out["COL-E", "c", "1"].populations.numer
    assert out["COL-E", "d", "1"].gap_reason.value == "evidence_too_old"
