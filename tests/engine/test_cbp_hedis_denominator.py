"""HEDIS CBP's denominator: two outpatient, telephone or virtual visits with a hypertension diagnosis
on different dates, January 1 of the year before the MP through June 30 of the MP; the representative
reading on or after the second diagnosis. Hypertension found only in notes puts the patient in the
denominator with the review flag ``denominator_from_notes``; the job option
``engine: {hedis_denominators: structured_only}`` keeps HEDIS denominators to structured data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.options import EngineOptions

DX = "fhir:Condition:encounter-diagnosis"
BORN = date(1960, 3, 3)
NOTE = "A/P: Essential hypertension, on amlodipine. BP 128/78 today. BP 152/96 on recheck.\n"


def _visits(kit, pid: str, *days: date, types: tuple[str, ...] = ("office_visit",), source: str = DX):
    events = [kit.event(pid, "hypertension", d, source=source) for d in days]
    encs = [kit.encounter(pid, f"{pid}-{i}", d, None, *types) for i, d in enumerate(days)]
    return events, encs


def _bp(kit, pid: str, day: date, sys_: int, dia: int):
    phrase = "BP 128/78" if sys_ < 140 else "BP 152/96"
    return kit.note_ev(pid, f"bp-{pid}-{day}", NOTE, phrase, "blood_pressure", event_date=day, note_date=day,
                       value={"systolic": sys_, "diastolic": dia})


@pytest.mark.parametrize(("days", "types", "in_denom"), [
    ((date(2025, 1, 1), date(2026, 6, 30)), ("office_visit",), True),       # the window's two edges
    ((date(2024, 12, 31), date(2026, 6, 30)), ("office_visit",), False),    # first one too early
    ((date(2025, 1, 1), date(2026, 7, 1)), ("office_visit",), False),       # second one too late
    ((date(2025, 5, 5), date(2025, 5, 5)), ("office_visit",), False),       # the same date twice
    ((date(2025, 5, 5),), ("office_visit",), False),                        # one visit
    ((date(2025, 5, 5), date(2026, 2, 2)), ("telephone_visit",), True),     # telephone visits count
    ((date(2025, 5, 5), date(2026, 2, 2)), ("virtual_encounter",), True),
    ((date(2025, 5, 5), date(2026, 2, 2)), ("emergency_department",), False),  # not an outpatient visit
])
def test_two_visits_with_a_diagnosis_on_different_dates(kit, days, types, in_denom) -> None:
    events, encs = _visits(kit, "h", *days, types=types)
    o = kit.run(["CBP"], [kit.patient("h", BORN)], [_bp(kit, "h", date(2026, 9, 9), 128, 78)], events, encs)
    o = o["CBP", "h", "1"]
    assert o.populations.denom is in_denom
    assert "denominator_from_notes" not in o.review_flags


def test_a_diagnosis_without_a_visit_that_day_or_on_the_problem_list_is_not_a_visit(kit) -> None:
    events, _ = _visits(kit, "n", date(2025, 5, 5), date(2026, 2, 2))  # no encounter rows
    plist, encs = _visits(kit, "p", date(2025, 5, 5), date(2026, 2, 2),
                          source="fhir:Condition:problem-list-item")
    out = kit.run(["CBP"], [kit.patient("n", BORN), kit.patient("p", BORN)], [], events + plist, encs)
    assert not out["CBP", "n", "1"].populations.denom and not out["CBP", "p", "1"].populations.denom


@pytest.mark.parametrize(("readings", "controlled"), [
    ([(date(2026, 4, 1), 120, 70)], False),                               # before the second diagnosis
    ([(date(2026, 4, 1), 120, 70), (date(2026, 5, 20), 152, 96)], False),  # on it: that reading decides
    ([(date(2026, 5, 20), 128, 78)], True),
    ([(date(2026, 4, 1), 152, 96), (date(2026, 8, 1), 128, 78)], True),
])
def test_representative_reading_is_on_or_after_the_second_diagnosis(kit, readings, controlled) -> None:
    events, encs = _visits(kit, "r", date(2026, 1, 10), date(2026, 5, 20))
    ev = [_bp(kit, "r", d, s, di) for d, s, di in readings]
    o = kit.run(["CBP"], [kit.patient("r", BORN)], ev, events, encs)["CBP", "r", "1"]
    assert o.populations.denom and o.populations.numer is controlled


def test_hypertension_only_in_notes_is_in_the_denominator_with_a_review_flag(kit) -> None:
    htn = kit.note_ev("o", "v1", NOTE, "Essential hypertension", "hypertension", note_date=date(2026, 2, 17))
    bp = _bp(kit, "o", date(2026, 2, 17), 128, 78)
    o = kit.run(["CBP"], [kit.patient("o", BORN)], [htn, bp])["CBP", "o", "1"]
    assert o.populations.denom and o.populations.numer and not o.gap_open
    assert "denominator_from_notes" in o.review_flags


def test_structured_only_switch_keeps_notes_out_of_hedis_denominators(kit) -> None:
    from engine.calculator import calculate
    from engine.spec import resolve_measures

    htn = kit.note_ev("o", "v1", NOTE, "Essential hypertension", "hypertension", note_date=date(2026, 2, 17))
    dm = kit.note_ev("o", "v1", NOTE, "Essential hypertension", "diabetes", note_date=date(2026, 2, 17))
    events, encs = _visits(kit, "s", date(2025, 5, 5), date(2026, 2, 2))
    specs = resolve_measures(["CBP", "GSD-POOR", "CMS165"], kit.SPECS)
    pts = [kit.patient("o", BORN), kit.patient("s", BORN)]
    flagged = {(o.measure_id, o.patient_id): o for o in calculate(specs, pts, [htn, dm], [], kit.MP)}
    assert flagged["GSD-POOR", "o"].populations.denom
    assert "denominator_from_notes" in flagged["GSD-POOR", "o"].review_flags
    strict = {(o.measure_id, o.patient_id): o for o in calculate(
        specs, pts, [htn, dm] + [e for e in _events(events)], encs, kit.MP,
        options=EngineOptions(hedis_denominators="structured_only"))}
    assert not strict["CBP", "o"].populations.denom and not strict["GSD-POOR", "o"].populations.denom
    assert strict["CBP", "s"].populations.denom  # two coded visits: unaffected


def _events(events):
    from engine.structured import events_to_evidence

    return events_to_evidence(events)


def test_cms165_keeps_its_own_denominator(kit) -> None:
    events = [kit.event("c", "hypertension", date(2019, 4, 4), end=None, source="fhir:Condition:problem-list-item")]
    encs = [kit.encounter("c", "v", date(2026, 3, 3), None, "office_visit")]
    out = kit.run(["CBP", "CMS165"], [kit.patient("c", BORN)], [], events, encs)
    assert out["CMS165", "c", "1"].populations.denom and not out["CBP", "c", "1"].populations.denom


def test_the_job_config_switch(tmp_path: Path) -> None:
    from engine.errors import ConfigError
    from qae.config import load_config

    good = tmp_path / "ok.yaml"
    good.write_text("engine: {hedis_denominators: structured_only}\n")
    assert load_config(good).engine.hedis_denominators == "structured_only"
    assert load_config(None).engine.hedis_denominators == "with_notes_flagged"
    bad = tmp_path / "bad.yaml"
    bad.write_text("engine: {hedis_denominators: claims}\n")
    with pytest.raises(ConfigError, match=r"field 'engine.hedis_denominators'"):
        load_config(bad)


def test_the_job_passes_the_engine_options_to_the_calculation(tmp_path: Path, monkeypatch) -> None:
    import engine.calculator
    from qae.config import JobConfig
    from qae.job import run_job

    (tmp_path / "patients.csv").write_text("patient_id,birth_date,sex\np1,1960-03-03,F\n")
    seen = {}
    real = engine.calculator.calculate

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.calculator, "calculate", spy)
    cfg = JobConfig.model_validate({"inputs": {"patients": str(tmp_path / "patients.csv")}, "measures": ["CBP"],
                                    "output": str(tmp_path / "out"),
                                    "engine": {"hedis_denominators": "structured_only"}})
    run_job(cfg, use_ray=False)
    assert seen["options"].hedis_denominators == "structured_only"
