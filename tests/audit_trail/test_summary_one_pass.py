"""The quality summary's rows by clinic and by provider come from one pass over the outcomes
(engine.quality_summary._both_summaries): the rows, their field order and their values are those of the
former two passes, one per grouping (kept here as the reference), on the demo run and on a run with a
patient missing from the patients file, one without provider or clinic, and multi-group measures."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.calculator import MeasureOutcome
from engine.gaps import GapReason
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.quality_summary import ALL_CLINICS, _both_summaries, _empty
from engine.records import Patient
from engine.run_data import RunData
from engine.spec import load_specs
from engine.worklist import NO_PROVIDER, UNASSIGNED, short_id


def _reference_rows(run: RunData, by_provider: bool) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    seen: set[tuple[str, str, str, str]] = set()
    measures: dict[str, MeasureOutcome] = {}
    labels = [short_id(o, run) for o in run.outcomes]
    for o, label in zip(run.outcomes, labels, strict=True):
        measures.setdefault(label, o)
    units = {((p.clinic_id or UNASSIGNED), (p.provider_id or NO_PROVIDER) if by_provider else "")
             for p in run.patients.values()}
    for o, label in zip(run.outcomes, labels, strict=True):
        p = run.patients.get(o.patient_id)
        unit = ((p.clinic_id if p else None) or UNASSIGNED,
                ((p.provider_id if p else None) or NO_PROVIDER) if by_provider else "")
        units.add(unit)
        for u in (unit, (ALL_CLINICS, "")):
            key = (*u, label)
            row = rows.get(key)
            if row is None:
                row = rows[key] = _empty(u, label, o, run)
            if (*key, o.patient_id) not in seen:
                seen.add((*key, o.patient_id))
                row["patients"] += 1
            for k, v in o.populations.as_ints().items():
                row[k] += v
            row["open_gaps"] += int(o.gap_open and o.gap_reason is not None)
            row["reopening"] += int(o.prospective_gap)
    for clinic, provider in units:
        for label, o in measures.items():
            if (clinic, provider, label) not in rows:
                rows[clinic, provider, label] = _empty((clinic, provider), label, o, run)
    for row in rows.values():
        row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
        row["met"] = row["numer"] - row["numex"]
        row["rate"] = round(row["met"] / row["eligible"], 4) if row["eligible"] > 0 else None
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0] == ALL_CLINICS, k[0], k[1], k[2]))]


def _same(run: RunData) -> None:
    got = _both_summaries(run)
    for by_provider in (False, True):
        want = _reference_rows(run, by_provider)
        assert [list(r.items()) for r in got[by_provider]] == [list(r.items()) for r in want], by_provider


def test_one_pass_equals_a_pass_per_grouping_on_the_demo_run(demo_run: RunData) -> None:
    _same(demo_run)


def test_one_pass_equals_a_pass_per_grouping_with_odd_patients() -> None:
    specs = load_specs()
    patients = {
        "pt-ana": Patient(patient_id="pt-ana", birth_date=date(1964, 5, 1), sex="F", clinic_id="Clinique Éloi",
                          provider_id="dr-ruiz"),
        "pt-ben": Patient(patient_id="pt-ben", birth_date=date(1957, 8, 19), sex="M", clinic_id="Clinique Éloi",
                          provider_id=None),
        "pt-cy": Patient(patient_id="pt-cy", birth_date=date(1970, 2, 2), sex="U"),
        "pt-dee": Patient(patient_id="pt-dee", birth_date=date(1949, 12, 12), sex="F", clinic_id="clinic-west",
                          provider_id="dr-ruiz"),  # no outcome: zero rows for its clinic
    }

    def out(pid: str, mid: str, flags: PopulationFlags, group: str = "1", **kw: object) -> MeasureOutcome:
        spec = specs[mid]
        return MeasureOutcome(patient_id=pid, measure_id=mid, group=group, populations=flags,
                              measure_version=spec.version, measure_title=spec.title, inverse=spec.inverse, **kw)

    full = PopulationFlags(ipp=True, denom=True, numer=True)
    open_ = PopulationFlags(ipp=True, denom=True)
    outcomes = [
        out("pt-ana", "COL-E", full, prospective_gap=True), out("pt-ben", "COL-E", open_, gap_open=True,
                                                                   gap_reason=GapReason.NO_EVIDENCE),
        out("pt-cy", "COL-E", open_, gap_open=True), out("pt-zed", "COL-E", full),  # pt-zed: not in patients
        out("pt-ana", "TSC", full, group="1"), out("pt-ana", "TSC", open_, group="2", gap_open=True,
                                                   gap_reason=GapReason.DECLINED),
        out("pt-ben", "GSD-POOR", PopulationFlags(ipp=True, denom=True, denex=True)),
        out("pt-li", "TRC-MRP", full, episode="e1"), out("pt-li", "TRC-MRP", open_, episode="e2"),
    ]
    run = RunData(job="summary", period=MeasurementPeriod.calendar_year(2026),
                  specs={m: specs[m] for m in {o.measure_id for o in outcomes}}, patients=patients,
                  outcomes=sorted(outcomes, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode)),
                  evidence={})
    _same(run)
    by_clinic = _both_summaries(run)[0]
    col = next(r for r in by_clinic if r["clinic"] == ALL_CLINICS and r["measure"] == "COL-E")
    assert (col["patients"], col["denom"], col["numer"], col["open_gaps"], col["reopening"]) == (4, 4, 2, 1, 1)
    trc = next(r for r in by_clinic if r["clinic"] == UNASSIGNED and r["measure"] == "TRC-MRP")
    assert (trc["patients"], trc["denom"], trc["rate"]) == (1, 2, 0.5)
