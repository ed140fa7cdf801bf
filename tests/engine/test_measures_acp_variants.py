"""ACP (HEDIS: 66-80 with advanced illness/frailty/palliative, all 81+) vs Quality 047 (ACP-Q047:
everyone 65+, and a documented discussion the patient declined also meets it)."""

from datetime import date

from engine.spec import resolve_measures

DECLINED = ("ACP: discussed advance directives and naming a health care proxy; pt does not wish "
            "to complete one at this time.\n")
PLAN = "Has a living will on file (scanned 3/2026); son is HCPOA.\n"


def test_q047_alias_resolves_to_the_mips_variant(kit) -> None:
    assert [s.id for s in resolve_measures(["Q047", "acp"], kit.SPECS)] == ["ACP-Q047", "ACP"]
    assert kit.SPECS["ACP"].programs.mips_quality is None
    assert kit.SPECS["ACP-Q047"].programs.mips_quality == "047"


def test_q047_takes_everyone_65_plus_and_counts_a_declined_discussion(kit) -> None:
    pts = [kit.patient("p65", date(1961, 12, 31)),  # 65 on Dec 31 2026
           kit.patient("p64", date(1962, 1, 1)),
           kit.patient("dec", date(1950, 5, 5)),    # 76, no advanced illness or frailty
           kit.patient("plan", date(1940, 5, 5))]
    ev = [kit.note_ev("dec", "acp-1", DECLINED, "advance directives", "advance_care_planning",
                      status="declined", note_date=date(2026, 4, 2)),
          kit.note_ev("plan", "acp-2", PLAN, "living will", "advance_care_planning",
                      note_date=date(2026, 3, 20))]
    out = kit.run(["ACP-Q047", "ACP"], pts, ev)
    assert out["ACP-Q047", "p65", "1"].populations.ipp and out["ACP-Q047", "p65", "1"].gap_open
    assert not out["ACP-Q047", "p64", "1"].populations.ipp
    assert out["ACP-Q047", "dec", "1"].populations.numer
    assert not out["ACP", "dec", "1"].populations.ipp  # HEDIS: 76 with no condition is not eligible
    assert out["ACP-Q047", "plan", "1"].populations.numer and out["ACP", "plan", "1"].populations.numer


def test_q047_excludes_hospice_and_an_old_plan_is_too_old(kit) -> None:
    pts = [kit.patient("h", date(1950, 1, 1)), kit.patient("o", date(1950, 1, 1))]
    events = [kit.event("h", "hospice", date(2026, 6, 1), end=None, source="fhir:Condition")]
    ev = [kit.note_ev("o", "acp-old", PLAN, "living will", "advance_care_planning",
                      note_date=date(2025, 12, 31))]
    out = kit.run(["ACP-Q047"], pts, ev, events)
    assert out["ACP-Q047", "h", "1"].populations.denex and not out["ACP-Q047", "h", "1"].gap_open
    assert out["ACP-Q047", "o", "1"].gap_reason.value == "evidence_too_old"
