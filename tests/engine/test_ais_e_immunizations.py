"""HEDIS AIS-E (adult immunization status; MIPS Quality 493) replaces PNEU and FLU, which followed
retired measures: four rates (influenza, Td/Tdap, zoster, pneumococcal), the anaphylaxis exclusion
per vaccine, and the old ids kept as aliases that warn."""

from __future__ import annotations

import warnings
from datetime import date

import pytest
from typer.testing import CliRunner

TEXT = ("Immunizations: influenza vaccine given; Tdap; Shingrix dose; Prevnar 20; declined flu shot; "
        "had Prevnar years ago.\n")
ADULT = date(1950, 6, 6)  # 75 at the start of 2026


def _dose(kit, pid: str, element: str, day: date | None, phrase: str = "", precision: str | None = None, n=0):
    phrase = phrase or {"influenza_vaccine": "influenza vaccine given", "td_tdap_vaccine": "Tdap",
                        "zoster_vaccine": "Shingrix dose", "pneumococcal_vaccine": "Prevnar 20"}[element]
    return kit.note_ev(pid, f"v-{pid}-{element}-{day}-{n}", TEXT, phrase, element, event_date=day,
                       precision=precision, note_date=date(2026, 3, 3))


def _run(kit, pid: str, evidence=(), events=(), born: date = ADULT):
    out = kit.run(["AIS-E"], [kit.patient(pid, born)], list(evidence), list(events))
    return {group: out["AIS-E", pid, group] for group in ("influenza", "td_tdap", "zoster", "pneumococcal")}


@pytest.mark.parametrize(("day", "met", "reason"), [
    (date(2025, 7, 1), True, None), (date(2026, 6, 30), True, None),
    (date(2025, 6, 30), False, "evidence_too_old"), (date(2026, 7, 1), False, "no_evidence"),
])
def test_influenza_july_1_of_the_year_before_through_june_30(kit, day, met, reason) -> None:
    o = _run(kit, "f", [_dose(kit, "f", "influenza_vaccine", day)])["influenza"]
    assert o.populations.numer is met and (o.gap_reason.value if o.gap_reason else None) == reason


def test_influenza_year_straddling_july_1_is_reviewed(kit) -> None:
    o = _run(kit, "f", [_dose(kit, "f", "influenza_vaccine", date(2025, 1, 1), precision="year")])["influenza"]
    assert o.gap_reason.value == "undated_evidence"


@pytest.mark.parametrize(("day", "met"), [(date(2017, 1, 1), True), (date(2016, 12, 31), False)])
def test_td_tdap_within_ten_years(kit, day, met) -> None:
    assert _run(kit, "t", [_dose(kit, "t", "td_tdap_vaccine", day)])["td_tdap"].populations.numer is met


@pytest.mark.parametrize(("days", "met"), [
    ((date(2022, 3, 1), date(2022, 3, 29)), True),    # 28 days apart
    ((date(2022, 3, 1), date(2022, 3, 28)), False),   # 27 days
    ((date(2022, 3, 1),), False),                     # one dose
    ((date(1999, 3, 1), date(2022, 3, 1)), False),    # first dose before the 50th birthday
])
def test_zoster_two_doses_28_days_apart_from_age_50(kit, days, met) -> None:
    ev = [_dose(kit, "z", "zoster_vaccine", d, n=i) for i, d in enumerate(days)]
    o = _run(kit, "z", ev)["zoster"]
    assert o.populations.numer is met
    if not met:
        assert o.gap_open


def test_age_bands_per_rate(kit) -> None:
    young = _run(kit, "y", born=date(2007, 1, 2))  # 18 at the start of the MP
    assert not any(o.populations.ipp for o in young.values())
    adult = _run(kit, "a", born=date(1980, 1, 1))  # 46
    assert adult["influenza"].populations.ipp and adult["td_tdap"].populations.ipp
    assert not adult["zoster"].populations.ipp and not adult["pneumococcal"].populations.ipp
    fifty = _run(kit, "b", born=date(1976, 1, 1))  # 50
    assert fifty["zoster"].populations.ipp and not fifty["pneumococcal"].populations.ipp


def test_pneumococcal_any_dose_from_age_19_and_undated_history_counts(kit) -> None:
    dated = _run(kit, "p", [_dose(kit, "p", "pneumococcal_vaccine", date(2019, 5, 5))])["pneumococcal"]
    undated = _run(kit, "q", [_dose(kit, "q", "pneumococcal_vaccine", None, "had Prevnar years ago")])
    assert dated.populations.numer and undated["pneumococcal"].populations.numer


def test_anaphylaxis_excludes_only_the_rate_of_that_vaccine(kit) -> None:
    events = [kit.event("x", "vaccine_anaphylaxis", date(2015, 10, 10), value="influenza",
                        source="fhir:Condition:problem-list-item")]
    out = _run(kit, "x", [], events)
    assert out["influenza"].populations.denex
    assert not any(out[g].populations.denex for g in ("td_tdap", "zoster", "pneumococcal"))


def test_declined_vaccine_is_an_open_gap_no_exception(kit) -> None:
    o = _run(kit, "d", [kit.note_ev("d", "n", TEXT, "declined flu shot", "influenza_vaccine", status="declined",
                                    note_date=date(2026, 1, 5))])["influenza"]
    assert o.gap_open and o.gap_reason.value == "declined" and not o.populations.denexcep


def test_hospice_or_death_excludes_every_rate(kit) -> None:
    out = _run(kit, "h", [], [kit.event("h", "death", date(2026, 5, 5), source="fhir:Patient")])
    assert all(o.populations.denex for o in out.values())


def test_old_ids_resolve_to_ais_e_with_a_deprecation_warning() -> None:
    from engine.errors import DeprecatedMeasureWarning
    from engine.spec import load_specs, resolve_measures

    specs = load_specs()
    assert "PNEU" not in specs and "FLU" not in specs
    assert specs["AIS-E"].programs.mips_quality == "493"
    for old in ("PNEU", "FLU", "cms127", "Q110"):
        with pytest.warns(DeprecatedMeasureWarning, match=rf"'{old}' is deprecated.*AIS-E"):
            assert [s.id for s in resolve_measures([old], specs)] == ["AIS-E"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [s.id for s in resolve_measures(["Q493", "AIS-E"], specs)] == ["AIS-E"]


def test_cli_prints_the_deprecation_as_one_warning_line() -> None:
    from qae.cli import app

    result = CliRunner().invoke(app, ["measures", "show", "PNEU"])
    assert result.exit_code == 0, result.output
    assert "warning: measure id 'PNEU' is deprecated" in result.output
    assert "AIS-E" in result.output and "Traceback" not in result.output


def test_zoster_month_dated_note_dose_is_the_registry_dose_it_contains(kit) -> None:
    """A note's "Shingrix dose 1 given 10/2025" beside the registry's 2025-10-03 dose is one dose:
    not met (one dose), and no 'find the date' review for the note's month-only date."""
    note = _dose(kit, "m", "zoster_vaccine", date(2025, 10, 1), precision="month")
    registry = kit.event("m", "zoster_vaccine", date(2025, 10, 3))
    o = _run(kit, "m", [note], [registry])["zoster"]
    assert not o.populations.numer and o.gap_reason.value == "no_evidence"
    assert not any(f.startswith("imprecise_date") for f in o.review_flags)


def test_zoster_month_dated_note_dose_apart_from_the_registry_dose_is_reviewed(kit) -> None:
    """A month-dated dose in another month could be the second dose: it goes to review."""
    note = _dose(kit, "m", "zoster_vaccine", date(2025, 12, 1), precision="month")
    registry = kit.event("m", "zoster_vaccine", date(2025, 10, 3))
    o = _run(kit, "m", [note], [registry])["zoster"]
    assert o.gap_reason.value == "undated_evidence"
