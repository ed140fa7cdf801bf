"""`qae sample --disagree-first`: records whose deciding evidence the rules and the status model read
differently are drawn first within each stratum; without the option the draw is unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from engine.calculator import MeasureOutcome
from engine.populations import PopulationFlags
from engine.records import Patient
from engine.run_data import RunData
from engine.spec import MeasurementPeriod, load_specs
from evaluation.sampling import draw_sample, readers_disagree

SPECS = load_specs()
NUMER = PopulationFlags(ipp=True, denom=True, numer=True)
GAP = PopulationFlags(ipp=True, denom=True)


def _run(disputed: set[int]) -> RunData:
    outcomes, patients = [], {}
    for i in range(40):
        pid = f"pt-{i:03d}"
        patients[pid] = Patient(patient_id=pid, birth_date=date(1961, 1, 1), sex="M")
        flags = (f"readers_disagree:n{i}:0-11:colonoscopy",) if i in disputed else ()
        outcomes.append(MeasureOutcome(patient_id=pid, measure_id="COL-E", group="1",
                                       populations=NUMER if i % 2 else GAP, measure_version="v",
                                       closed_by="note" if i % 2 else "", review_flags=flags))
    return RunData(job="t", period=MeasurementPeriod.calendar_year(2026), specs={"COL-E": SPECS["COL-E"]},
                   patients=patients, outcomes=outcomes, evidence={})


def test_disputed_records_come_first_in_each_stratum(tmp_path: Path) -> None:
    disputed = {3, 17, 22, 36}  # two closed (odd), two open (even)
    run = _run(disputed)
    plain = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=6, seed=7)
    first = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=6, seed=7, disagree_first=True)
    assert first.disagree_first and not plain.disagree_first
    units = first.groups[0].units
    by_stratum: dict[str, list[str]] = {}
    for u in units:
        by_stratum.setdefault(u.stratum, []).append(u.patient_id)
    assert set(by_stratum["numerator"][:2]) == {"pt-003", "pt-017"}
    assert set(by_stratum["not_numerator"][:2]) == {"pt-022", "pt-036"}
    # the rest of each stratum keeps the seeded order of the plain draw
    plain_num = [u.patient_id for u in plain.groups[0].units if u.stratum == "numerator"]
    rest = by_stratum["numerator"][2:]
    assert rest == [p for p in plain_num if p not in {"pt-003", "pt-017"}][: len(rest)]


def test_readers_disagree_reads_only_its_own_flags() -> None:
    o = MeasureOutcome(patient_id="p", measure_id="COL-E", group="1", populations=GAP, measure_version="v",
                       review_flags=("undated:n1:0-5:colonoscopy", "denominator_from_notes"))
    assert not readers_disagree(o)
    assert readers_disagree(replace(o, review_flags=("readers_disagree:n1:0-5:colonoscopy",)))
