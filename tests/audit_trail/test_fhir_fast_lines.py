"""The FHIR lines of a run are written from pieces encoded once (engine.fhir_report._Lines): byte for byte
the lines of the slow path, every MeasureReport and Bundle built as a dict and encoded whole
(``_reference_lines``), on the demo run and on a hand-built run with non-ASCII names and spans, quotes
and line breaks in quoted text, fractional scores (several TRC discharges of one patient), multi-group
measures, encounters, structured events and unknown evidence ids."""

from __future__ import annotations

import json
from datetime import date

from engine.calculator import MeasureOutcome
from engine.fhir_report import _fast_lines, _reference_lines
from engine.gaps import GapReason
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.records import Encounter, Evidence, Patient
from engine.run_data import RunData
from engine.spec import load_specs


def _lines(run: RunData, fast: bool) -> list[tuple[str, list[str], str | None]]:
    return list((_fast_lines if fast else _reference_lines)(run))


def test_fast_lines_equal_the_dicts_encoded_whole_on_the_demo_run(demo_run: RunData) -> None:
    fast, slow = _lines(demo_run, True), _lines(demo_run, False)
    assert len(slow) >= 20 and sum(b is not None for _, _, b in slow) >= 20
    for got, want in zip(fast, slow, strict=True):
        assert got == want, want[0]


NOTES = {
    "nt-zoe-1": "Bilan: coloscopie faite en 2019 → normale.\nPatient \"très\" motivée; HbA1c 7,9 % (café au lait?)",
    "nt-jose-2": "Dr. Núñez: declines mammogram again\tsays “maybe next year”. BP 148/92 today.",
    "nt-li-3": "出院 follow-up: medication reconciliation done 2026-03-12 with pharmacist Ó Briain.",
}


def _note_ev(note: str, patient: str, span: str, element: str, **kw: object) -> Evidence:
    text = NOTES[note]
    start = text.index(span)
    assert text[start:start + len(span)] == span
    return Evidence(evidence_id=f"{note}:{start}-{start + len(span)}:{element}", note_id=note, patient_id=patient,
                    element=element, status=kw.pop("status", "affirmed"), start=start, end=start + len(span),
                    span=span, section=kw.pop("section", "assessment"), note_date=date(2026, 4, 2),
                    source=f"rule:{element}.lexicon", **kw)


def _handmade_run() -> RunData:
    specs = load_specs()
    patients = {
        "zoë-ångström": Patient(patient_id="zoë-ångström", birth_date=date(1959, 10, 3), sex="F",
                                clinic_id="Clinique Saint-Éloi", provider_id="dr-émile", name="Zoë Ångström",
                                mrn="MRN-0042"),
        "pt-jose": Patient(patient_id="pt-jose", birth_date=date(1961, 1, 30), sex="M", clinic_id="clinic-north",
                           provider_id=None, name="José \"Pepe\" Núñez"),
        "pt-li": Patient(patient_id="pt-li", birth_date=date(1950, 6, 6), sex="U", clinic_id=None),
    }
    colo = _note_ev("nt-zoe-1", "zoë-ångström", "coloscopie faite en 2019", "colonoscopy",
                    event_date=date(2019, 1, 1), date_precision="year")
    a1c = _note_ev("nt-zoe-1", "zoë-ångström", "HbA1c 7,9 %", "hba1c", event_date=date(2026, 4, 2),
                   date_precision="day", value=7.9)
    declined = _note_ev("nt-jose-2", "pt-jose", "declines mammogram", "mammogram", status="declined",
                        section="")
    bp = _note_ev("nt-jose-2", "pt-jose", "BP 148/92", "bp_reading", event_date=date(2026, 4, 2),
                  date_precision="day", value={"systolic": 148, "diastolic": 92})
    recon = _note_ev("nt-li-3", "pt-li", "medication reconciliation done", "medication_reconciliation",
                     event_date=date(2026, 3, 12), date_precision="month")
    flu = Evidence(evidence_id="fhir:Immunization:zoë-ångström:7", note_id=None, patient_id="zoë-ångström",
                   element="influenza_vaccine", status="affirmed", event_date=date(2025, 10, 14),
                   date_precision="day", source="fhir:Immunization", origin="structured", code="158",
                   code_system="CVX")
    encounters = (
        Encounter(patient_id="pt-li", encounter_id="enc/li#1", start_date=date(2026, 2, 20),
                  end_date=date(2026, 2, 24), types=("inpatient",), code="99223", code_system="CPT"),
        Encounter(patient_id="pt-li", encounter_id="enc-li-2", start_date=date(2026, 9, 1),
                  end_date=date(2026, 9, 3), types=("inpatient",)),
        Encounter(patient_id="pt-li", encounter_id="enc-li-3", start_date=date(2026, 11, 5), types=()),
    )

    def out(pid: str, mid: str, flags: PopulationFlags, group: str = "1", **kw: object) -> MeasureOutcome:
        spec = specs[mid]
        title = next((g.title for g in spec.groups if g.id == group and g.title), "")
        return MeasureOutcome(patient_id=pid, measure_id=mid, group=group, populations=flags,
                              measure_version=spec.version, measure_title=spec.title, inverse=spec.inverse,
                              group_title=title, **kw)

    full = PopulationFlags(ipp=True, denom=True, numer=True)
    open_ = PopulationFlags(ipp=True, denom=True)
    outcomes = [
        out("zoë-ångström", "COL-E", full, closed_by="note", numer_evidence_ids=(colo.evidence_id,),
            valid_through=date(2028, 12, 31)),
        out("zoë-ångström", "GSD-POOR", PopulationFlags(ipp=True, denom=True), closed_by="note",
            numer_evidence_ids=(), gap_evidence_ids=(a1c.evidence_id, "nt-zoe-1:999-1000:unknown")),
        out("zoë-ångström", "AIS-E", full, group="influenza", numer_evidence_ids=(flu.evidence_id,),
            valid_through=date(2026, 6, 30), prospective_gap=True),
        out("zoë-ångström", "AIS-E", open_, group="td_tdap", gap_open=True, gap_reason=GapReason.NO_EVIDENCE,
            gap_action="Offer Td/Tdap – «rappel»"),
        out("zoë-ångström", "AIS-E", PopulationFlags(), group="zoster"),
        out("pt-jose", "BCS-E", open_, gap_open=True, gap_reason=GapReason.DECLINED,
            gap_action="Revisit shared decision-making", gap_evidence_ids=(declined.evidence_id,)),
        out("pt-jose", "CBP", PopulationFlags(ipp=True, denom=True, denexcep=True),
            denexcep_evidence_ids=(bp.evidence_id,)),
        out("pt-jose", "TSC", full, group="1", numer_evidence_ids=(declined.evidence_id,)),
        out("pt-jose", "TSC", PopulationFlags(ipp=True, denom=True, denex=True), group="2"),
        out("pt-li", "TRC-MRP", full, episode="enc/li#1",
            numer_evidence_ids=(recon.evidence_id, "encounter:enc/li#1")),
        out("pt-li", "TRC-MRP", open_, episode="enc-li-2", gap_open=True, gap_reason=GapReason.NO_EVIDENCE,
            gap_action="Reconcile medications", gap_evidence_ids=("encounter:enc-li-2",)),
        out("pt-li", "TRC-MRP", full, episode="enc-li-3", numer_evidence_ids=("encounter:enc-li-3",)),
        out("pt-li", "CMS122", PopulationFlags(ipp=True, denom=True, numer=True, numex=False)),
    ]
    evidence = {e.evidence_id: e for e in (colo, a1c, declined, bp, recon, flu)}
    return RunData(job="fast-lines ✓", period=MeasurementPeriod.calendar_year(2026),
                   specs={m: specs[m] for m in {o.measure_id for o in outcomes}}, patients=patients,
                   outcomes=sorted(outcomes, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode)),
                   evidence=evidence, encounters=encounters)


def test_fast_lines_equal_the_dicts_encoded_whole_on_non_ascii_text_and_fractions() -> None:
    run = _handmade_run()
    fast, slow = _lines(run, True), _lines(run, False)
    assert fast == slow
    assert [p for p, _, _ in slow] == ["pt-jose", "pt-li", "zoë-ångström"]
    text = "\n".join(line for _, reports, bundle in slow for line in (*reports, bundle or ""))
    assert "Zoë Ångström" in text and "“maybe next year”" not in text  # names kept as they are, no note text
    assert "coloscopie faite en 2019" in text and '\\"Pepe\\"' in text
    trc = next(json.loads(line) for line in slow[1][1] if "/Measure/TRC-MRP|" in line)
    assert trc["group"][0]["measureScore"]["value"] == 0.6667  # two of three discharges reconciled
    assert trc["group"][0]["population"][0]["count"] == 3
    bundles = [json.loads(b) for _, _, b in slow if b is not None]
    assert {e["resource"]["resourceType"] for b in bundles for e in b["entry"]} >= {
        "Composition", "MeasureReport", "DetectedIssue", "Patient", "Organization", "DocumentReference",
        "Encounter", "Immunization"}


def test_fast_lines_equal_the_dicts_when_patients_share_measures_and_gap_details() -> None:
    """Patients copied from the hand-built run (ids needing a hash, ids kept as they are), their closed gaps
    counting through different days, one of them prospective: the kept details of one outcome never
    leak into another's DetectedIssue."""
    from dataclasses import replace

    run = _handmade_run()
    outcomes, patients = list(run.outcomes), dict(run.patients)
    for n, suffix in enumerate(("copy-1", "copie n°2", "copy.3")):
        for pid, p in run.patients.items():
            patients[f"{pid}-{suffix}"] = p.model_copy(update={"patient_id": f"{pid}-{suffix}"})
        for o in run.outcomes:
            closed = o.populations.numer and not o.gap_open
            outcomes.append(replace(o, patient_id=f"{o.patient_id}-{suffix}",
                                    valid_through=date(2027 + n % 2, 12, 31) if closed else o.valid_through,
                                    prospective_gap=closed and n == 1))
    run = replace(run, patients=patients,
                  outcomes=sorted(outcomes, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode)))
    fast, slow = _lines(run, True), _lines(run, False)
    assert fast == slow and len(slow) == 12
    text = "\n".join(b for _, _, b in slow if b is not None)
    assert "prospective-gap" in text and "2028-12-31, before the end of the next measurement period" in text
