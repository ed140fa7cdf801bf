"""The conformance harness on small hand-made decks: matches, mismatches, groups, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engine.errors import UnknownMeasureError
from evaluation.conformance import ConformanceError, conformance_cmd, format_conformance, run_conformance

PATIENTS = """patient_id,birth_date,sex
p-screened,1970-05-05,F
p-unscreened,1970-05-05,F
p-young,1990-05-05,F
p-smoker,2000-02-02,M
"""
EVENTS = """patient_id,element,event_date,value,code,code_system,source,end_date
p-screened,colonoscopy,2019-03-03,,73761001,SNOMEDCT,fhir:Procedure,2019-03-03
p-smoker,tobacco_use,2026-04-01,current,39240-7,LOINC,fhir:Observation,2026-04-01
p-smoker,tobacco_cessation_counseling,2026-04-01,,171055003,SNOMEDCT,fhir:Procedure,2026-04-01
"""
ENCOUNTERS = """patient_id,encounter_id,start_date,end_date,type,code,code_system
p-screened,e1,2026-02-02,2026-02-02,office_visit,99213,CPT
p-unscreened,e2,2026-02-02,2026-02-02,telephone_visit,99441,CPT
p-young,e3,2026-02-02,2026-02-02,office_visit,99213,CPT
p-smoker,e4,2026-04-01,2026-04-01,annual_wellness_visit,G0438,HCPCS
"""
HEADER = ("patient_id,measure,measurement_period_start,measurement_period_end,"
          "ipp,denom,denex,denexcep,numer,numex,test_case_name\n")
TESTCASES = """measure,patient_id,test_case_name,series,title,description
CMS130,p-screened,NUMERPass Colonoscopy2019,NUMERPass,Colonoscopy2019,colonoscopy 7 years before
CMS130,p-unscreened,DENOMPass NoScreening,DENOMPass,NoScreening,no screening
CMS130,p-young,IPFail Age36,IPFail,Age36,too young
"""


def make_deck(tmp_path: Path, expected_rows: str) -> Path:
    deck = tmp_path / "deck"
    deck.mkdir(parents=True)
    (deck / "patients.csv").write_text(PATIENTS)
    (deck / "events.csv").write_text(EVENTS)
    (deck / "encounters.csv").write_text(ENCOUNTERS)
    (deck / "testcases.csv").write_text(TESTCASES)
    (deck / "expected.csv").write_text(HEADER + expected_rows)
    return deck


GOOD = """p-screened,CMS130,2026-01-01,2026-12-31,1,1,0,0,1,0,NUMERPass Colonoscopy2019
p-unscreened,CMS130,2026-01-01,2026-12-31,1,1,0,0,0,0,DENOMPass NoScreening
p-young,CMS130,2026-01-01,2026-12-31,0,0,0,0,0,0,IPFail Age36
p-smoker,CMS138-1,2026-01-01,2026-12-31,1,1,0,0,1,0,smoker screened
p-smoker,CMS138-2,2026-01-01,2026-12-31,1,1,0,0,1,0,smoker counseled
p-smoker,CMS138-3,2026-01-01,2026-12-31,1,1,0,0,1,0,smoker both
"""


def test_matching_deck_passes_with_one_row_per_measure_group(tmp_path):
    report = run_conformance(make_deck(tmp_path, GOOD))
    assert report.ok and report.matches == 6
    table = format_conformance(report)
    assert "CMS138-2" in table and "PASS" in table


def test_mismatch_is_listed_with_title_and_differing_populations(tmp_path):
    wrong = GOOD.replace("p-unscreened,CMS130,2026-01-01,2026-12-31,1,1,0,0,0,0",
                         "p-unscreened,CMS130,2026-01-01,2026-12-31,1,1,0,0,1,0")
    report = run_conformance(make_deck(tmp_path, wrong))
    assert not report.ok
    [bad] = report.mismatches()
    assert bad.patient_id == "p-unscreened" and bad.title == "NoScreening"
    assert bad.differences() == ["numer expected 1 got 0"]
    table = format_conformance(report)
    assert "NoScreening" in table and "numer expected 1 got 0" in table and "FAIL: 1 of 6" in table


def test_measure_filter_accepts_aliases(tmp_path):
    report = run_conformance(make_deck(tmp_path, GOOD), ["Q113"])
    assert {c.measure for c in report.cases} == {"CMS130"}
    with pytest.raises(UnknownMeasureError, match="valid ids"):
        run_conformance(make_deck(tmp_path / "x", GOOD), ["CMS999"])


def test_measurement_period_comes_from_each_row(tmp_path):
    # the same colonoscopy is 10 years before a 2030 MP: outside the 9-year lookback
    rows = "p-screened,CMS130,2030-01-01,2030-12-31,0,0,0,0,0,0,other year\n"
    report = run_conformance(make_deck(tmp_path, rows))
    assert report.ok  # p-screened has no visit in 2030: not in the IPP


def test_unknown_measure_in_deck_and_missing_patient_are_mismatches(tmp_path):
    rows = ("p-screened,CMS999,2026-01-01,2026-12-31,1,1,0,0,1,0,unknown\n"
            "p-ghost,CMS130,2026-01-01,2026-12-31,1,1,0,0,1,0,ghost\n")
    report = run_conformance(make_deck(tmp_path, rows))
    problems = sorted(c.problem for c in report.mismatches())
    assert problems[0].startswith("no measure spec for 'CMS999'")
    assert "patient not accepted" in problems[1]


def test_missing_table_and_bad_value_raise_clear_errors(tmp_path):
    deck = make_deck(tmp_path, GOOD)
    (deck / "events.csv").unlink()
    with pytest.raises(ConformanceError, match="no events table"):
        run_conformance(deck)
    deck2 = make_deck(tmp_path / "b", GOOD.replace(",1,1,0,0,1,0,NUMERPass", ",1,yes,0,0,1,0,NUMERPass"))
    with pytest.raises(ConformanceError, match="denom must be 0 or 1"):
        run_conformance(deck2)


def test_cli_command_exit_codes(tmp_path):
    app = typer.Typer()
    app.command()(conformance_cmd)
    runner = CliRunner()
    ok = runner.invoke(app, [str(make_deck(tmp_path / "ok", GOOD))])
    assert ok.exit_code == 0 and "PASS" in ok.output
    bad_rows = GOOD.replace("p-young,CMS130,2026-01-01,2026-12-31,0,0,0,0,0,0",
                            "p-young,CMS130,2026-01-01,2026-12-31,1,1,0,0,0,0")
    bad = runner.invoke(app, [str(make_deck(tmp_path / "bad", bad_rows)), "--measures", "CMS130"])
    assert bad.exit_code == 1 and "Age36" in bad.output
    missing = runner.invoke(app, [str(tmp_path / "nope")])
    assert missing.exit_code == 2
