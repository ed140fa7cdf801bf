"""HEDIS EED: an eye exam in the year before the MP counts only when its result is documented as
negative for retinopathy; CMS131 counts it when no retinopathy is diagnosed (its CQL)."""

from __future__ import annotations

from datetime import date

import pytest

DX = "fhir:Condition:encounter-diagnosis"


def _facts(kit, pid: str) -> tuple[list, list]:
    events = [kit.event(pid, "diabetes", date(2026, 2, 2), source=DX)]
    encs = [kit.encounter(pid, f"v-{pid}", date(2026, 2, 2), None, "office_visit")]
    return events, encs


@pytest.mark.parametrize(("value", "eed_met"), [
    ("no_apparent_retinopathy", True), ("negative", True), (None, False), ("retinopathy", False)])
def test_prior_year_exam_counts_only_when_documented_negative(kit, value, eed_met) -> None:
    events, encs = _facts(kit, "e")
    events.append(kit.event("e", "retinal_eye_exam", date(2025, 5, 5), value=value, source="fhir:Procedure"))
    out = kit.run(["EED", "CMS131"], [kit.patient("e", date(1970, 1, 1))], [], events, encs)
    eed = out["EED", "e", "1"]
    assert eed.populations.numer is eed_met
    if not eed_met:
        assert eed.gap_reason.value == "evidence_too_old"
        assert any(f.startswith("prior_year_exam_without_negative_result:") for f in eed.review_flags)
    assert out["CMS131", "e", "1"].populations.numer  # CMS131: no retinopathy diagnosed, so it counts


def test_prior_year_note_exam_without_a_stated_result_does_not_count(kit) -> None:
    events, encs = _facts(kit, "n")
    text = "Eye: saw Dr. Ortiz (ophthalmology) 8/2025, dilated exam done.\n"
    exam = kit.note_ev("n", "n1", text, "dilated exam", "retinal_eye_exam", event_date=date(2025, 8, 1),
                       precision="month")
    o = kit.run(["EED"], [kit.patient("n", date(1970, 1, 1))], [exam], events, encs)["EED", "n", "1"]
    assert not o.populations.numer and o.gap_reason.value == "evidence_too_old"


def test_an_exam_in_the_mp_needs_no_result(kit) -> None:
    events, encs = _facts(kit, "m")
    events.append(kit.event("m", "retinal_eye_exam", date(2026, 5, 5), source="fhir:Procedure"))
    out = kit.run(["EED"], [kit.patient("m", date(1970, 1, 1))], [], events, encs)
    assert out["EED", "m", "1"].populations.numer
