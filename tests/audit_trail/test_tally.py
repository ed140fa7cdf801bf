"""The report summaries read one tally of the outcomes (engine/tally.py) instead of a walk each: the HTML
audit's summaries (``engine.report.summarize_tally``), the care-gap summary and the quality summary give
the dicts, in the same key order, that their walks over the outcomes give (``summarize`` of a clinic's
outcomes is the reference here; the care-gap and quality summaries have theirs in
test_worklist_files_fast_paths.py and test_summary_one_pass.py)."""

from __future__ import annotations

import json
from datetime import date

from engine.calculator import OUTCOME_ORDER, MeasureOutcome, calculate
from engine.gaps import GapReason
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.records import Evidence, Patient
from engine.report import summarize, summarize_tally
from engine.run_data import RunData
from engine.spec import load_specs
from engine.tally import UNASSIGNED, tally


def _same(a: object, b: object) -> None:
    assert json.dumps(a) == json.dumps(b)  # values and every dict's key order


def _per_clinic(run: RunData) -> None:
    clinic_of = {pid: p.clinic_id or UNASSIGNED for pid, p in run.patients.items()}
    by_clinic: dict[str, list[MeasureOutcome]] = {}
    for o in run.outcomes:
        by_clinic.setdefault(clinic_of.get(o.patient_id, UNASSIGNED), []).append(o)
    assert run.tally.clinics() == sorted(by_clinic)
    for clinic, outcomes in by_clinic.items():
        _same(summarize_tally(run.tally, clinic), summarize(outcomes))
    _same(summarize_tally(run.tally), summarize(run.outcomes))


def test_tally_summaries_equal_summarize_on_the_demo_run(demo_run: RunData) -> None:
    assert demo_run.tally is demo_run.tally  # taken once
    _per_clinic(demo_run)


def _evidence(pid: str, note: str, text: str, quote: str, element: str, **kw: object) -> Evidence:
    start = text.index(quote)
    end = start + len(quote)
    assert text[start:end] == quote
    return Evidence(evidence_id=f"{note}:{start}-{end}:{element}", patient_id=pid, note_id=note, element=element,
                    status="affirmed", span=quote, start=start, end=end, note_date=date(2026, 11, 3),
                    source="rule:test", origin="note", **kw)


def test_tally_summaries_with_strata_groups_and_patients_missing() -> None:
    specs = load_specs()
    period = MeasurementPeriod(date(2026, 1, 1), date(2026, 12, 31))
    patients = [
        Patient(patient_id="pt-ines", birth_date=date(1968, 3, 9), sex="F", clinic_id="Eastside", provider_id="dr-oko"),
        Patient(patient_id="pt-jon", birth_date=date(1956, 11, 2), sex="M", clinic_id="Eastside", provider_id="dr-lee"),
        Patient(patient_id="pt-kai", birth_date=date(2011, 6, 30), sex="M", clinic_id="Westgate"),
        Patient(patient_id="pt-lu", birth_date=date(1979, 1, 15), sex="F"),
    ]
    text = "Screening colonoscopy in 2021 was normal. She quit smoking in 2015. Flu shot given 10/2026."
    evidence = [
        _evidence("pt-ines", "n-ines", text, "colonoscopy", "colonoscopy", event_date=date(2021, 1, 1),
                  date_precision="year"),
        _evidence("pt-jon", "n-jon", text, "quit smoking", "tobacco_use", value="former"),
        _evidence("pt-kai", "n-kai", text, "Flu shot", "influenza_vaccine", event_date=date(2026, 10, 1),
                  date_precision="month"),
    ]
    outcomes = calculate(list(specs.values()), patients, evidence, [], period)
    stray = [  # a patient the patients file does not name, with a stratum and a gap; a closed gap
        MeasureOutcome(patient_id="pt-zed", measure_id="COL-E", group="1", measure_version="v", stratum="46-49",
                       populations=PopulationFlags(ipp=True, denom=True), gap_open=True,
                       gap_reason=GapReason.NO_EVIDENCE, gap_action="Order a FIT"),
        MeasureOutcome(patient_id="pt-zed", measure_id="COL-E", group="1", measure_version="v", episode="e2",
                       populations=PopulationFlags(ipp=True, denom=True, numer=True), closed_by="note",
                       stratum="46-49", prospective_gap=True),
    ]
    ordered = sorted(outcomes + stray, key=OUTCOME_ORDER)
    run = RunData(job="t", period=period, specs=specs, patients={p.patient_id: p for p in patients},
                  outcomes=ordered, evidence={e.evidence_id: e for e in evidence})
    assert any(o.stratum for o in ordered) and any(o.populations.ipp for o in ordered)
    assert {k[0] for k in run.tally.cells} == {"Eastside", "Westgate", UNASSIGNED}
    _per_clinic(run)
    cells = tally(ordered, run.patients).cells
    assert sum(c.rows for c in cells.values()) == len(ordered)
    assert sum(len(c.patients) for k, c in cells.items() if k[2:] == ("COL-E", "1")) == 5


def test_noted_outcomes_hold_every_outcome_a_report_lists(demo_run: RunData) -> None:
    """The outcomes the audit, the care-gap lists and the worklists read (``Tally.noted``) are, in order, all
    those in a population or with a gap, a stratum, review flags or evidence ids; the others have nothing a
    report lists."""
    noted = demo_run.tally.noted
    ids = {id(o) for o in noted}
    assert [o for o in demo_run.outcomes if id(o) in ids] == noted and 0 < len(noted) < len(demo_run.outcomes)
    for o in demo_run.outcomes:
        if id(o) in ids:
            continue
        p = o.populations
        assert not (p.ipp or p.denom or p.denex or p.denexcep or p.numer or p.numex)
        assert not (o.gap_open or o.prospective_gap or o.review_flags or o.closed_by or o.stratum)
        assert not (o.numer_evidence_ids or o.denex_evidence_ids or o.denexcep_evidence_ids or o.gap_evidence_ids)
    assert sum(demo_run.tally.rows(c) for c in demo_run.tally.clinics()) == len(demo_run.outcomes)
