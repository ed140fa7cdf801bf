"""Age strata: COL-E/CMS130 46-49 and 50-75, BCS-E/CMS125 42-51 and 52-74, in outcomes.csv (last
column), in the summary (counts per stratum) and in ``qae measures show``."""

import csv
from datetime import date
from pathlib import Path

import pytest

from engine.calculator import calculate
from engine.catalogue import describe
from engine.errors import SpecError
from engine.report import OUTCOME_COLUMNS, write_reports
from engine.spec import load_specs, resolve_measures

COLO = "PSH: colonoscopy 2021 - 2 small tubular adenomas removed, repeat in 5 yrs.\n"


def test_stratum_edges_at_the_end_of_the_mp(kit) -> None:
    pts = [kit.patient("a49", date(1977, 1, 1)),   # 49 on Dec 31 2026
           kit.patient("a50", date(1976, 12, 31)),  # turns 50 on Dec 31 2026
           kit.patient("a46", date(1980, 12, 31)),  # 46 on Dec 31
           kit.patient("a45", date(1981, 1, 1)),   # 45: not in the IPP, no stratum
           kit.patient("a75", date(1951, 1, 1))]
    out = kit.run(["COL-E"], pts)
    assert {p: out["COL-E", p, "1"].stratum for p in ("a49", "a50", "a46", "a45", "a75")} == {
        "a49": "46-49", "a50": "50-75", "a46": "46-49", "a45": "", "a75": "50-75"}


def test_breast_strata_and_measures_without_strata(kit) -> None:
    pts = [kit.patient("w51", date(1975, 6, 1)), kit.patient("w52", date(1974, 6, 1))]
    out = kit.run(["BCS-E", "CMS125", "CBP"], pts)
    assert out["BCS-E", "w51", "1"].stratum == "42-51" and out["BCS-E", "w52", "1"].stratum == "52-74"
    assert out["CMS125", "w52", "1"].stratum == ""  # CMS125 needs a visit: not in the IPP
    assert out["CBP", "w52", "1"].stratum == ""


def test_outcomes_csv_has_stratum_then_the_dates_and_summary_counts_per_stratum(kit, tmp_path: Path) -> None:
    pts = [kit.patient("y1", date(1978, 3, 3), clinic="east"),
           kit.patient("y2", date(1979, 3, 3), clinic="east"),
           kit.patient("o1", date(1960, 3, 3), clinic="east")]
    ev = [kit.note_ev("y1", "n-y1", COLO, "colonoscopy 2021", "colonoscopy",
                      event_date=date(2021, 1, 1), precision="year")]
    specs = resolve_measures(["COL-E"], kit.SPECS)
    outcomes = calculate(specs, pts, ev, [], kit.MP)
    summary = write_reports(outcomes, pts, ev, tmp_path)
    with (tmp_path / "outcomes.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = {r["patient_id"]: r for r in reader}
    assert reader.fieldnames[-4:] == ["stratum", "due_date", "valid_through", "prospective_gap"]
    assert tuple(reader.fieldnames) == OUTCOME_COLUMNS
    assert rows["y1"]["valid_through"] == "2030-12-31" and rows["y1"]["due_date"] == ""
    assert rows["y2"]["due_date"] == "2026-12-31" and rows["y2"]["valid_through"] == ""
    assert reader.fieldnames[:10] == ["patient_id", "measure_id", "group", "episode", "ipp", "denom", "denex",
                                      "denexcep", "numer", "numex"]
    assert [rows[p]["stratum"] for p in ("y1", "y2", "o1")] == ["46-49", "46-49", "50-75"]
    strata = summary["measures"]["COL-E"]["strata"]
    assert strata["46-49"]["denom"] == 2 and strata["46-49"]["numer"] == 1
    assert strata["46-49"]["rate"] == 0.5 and strata["46-49"]["open_gaps"] == 1
    assert strata["50-75"] == {"ipp": 1, "denom": 1, "denex": 0, "denexcep": 0, "numer": 0,
                               "numex": 0, "open_gaps": 1, "rate": 0.0}
    assert "strata" not in summary["measures"].get("CBP", {})


def test_show_lists_the_strata(kit) -> None:
    assert "age stratum (age at the end of the measurement period): aged 46-49; aged 50-75" in \
        describe(kit.SPECS["COL-E"])
    assert "aged 42-51; aged 52-74" in describe(kit.SPECS["CMS125"])
    assert "stratum" not in describe(kit.SPECS["CBP"])


@pytest.mark.parametrize("strata, field_msg", [
    ('[{id: "a", min: 50, max: 40}]', "below min"),
    ('[{id: "a", min: 40}, {id: "a", min: 50}]', "unique"),
    ('[{id: "a"}]', "needs min, max"),
])
def test_bad_strata_name_the_file_and_field(tmp_path: Path, strata: str, field_msg: str) -> None:
    (tmp_path / "S1.yaml").write_text(
        "id: S1\ntitle: t\nversion: '1'\nage: {min: 40, max: 75}\n"
        f"strata: {strata}\npopulations:\n  numer:\n    elements: [mammogram]\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_specs(tmp_path)
    assert "S1.yaml" in str(info.value) and "strata" in str(info.value)
    assert field_msg in str(info.value)
