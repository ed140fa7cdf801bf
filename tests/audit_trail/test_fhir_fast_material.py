"""The FHIR material of a partition (engine.fhir_report.fhir_material) equals the slow path on a varied
run: every report and Bundle line equal to the dicts :class:`_Builder` builds, encoded whole
(``_reference_lines``), and the summary counts equal to a plain count of every outcome. The run has
patient ids kept as they are and ids that need a hash (a tilde, a slash, a space, a non-ASCII letter,
invalid characters at both ends, over 64 characters), patients with and without a name, an MRN, a provider
or a clinic, a patient missing from the patients file, outcomes given out of order, multi-group measures,
episodes, inverse measures, every population combination the calculator makes, a measure version that
differs for the first patient, and quoted spans with quotes, backslashes, tabs, line breaks and non-ASCII
text."""

from __future__ import annotations

import json
import random
from datetime import date
from typing import Any

from engine.calculator import MeasureOutcome
from engine.fhir_report import _POPULATION_NAMES, _fast_lines, _reference_lines, fhir_material
from engine.gaps import GapReason
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.records import Encounter, Evidence, Patient
from engine.run_data import RunData
from engine.spec import load_specs

MEASURES = ("AIS-E", "BCS-E", "CMS122", "CMS138", "COL-E", "GSD-POOR", "TRC-MRP", "TSC")
FLAGS = (
    PopulationFlags(),
    PopulationFlags(ipp=True),
    PopulationFlags(ipp=True, denom=True),
    PopulationFlags(ipp=True, denom=True, numer=True),
    PopulationFlags(ipp=True, denom=True, denex=True),
    PopulationFlags(ipp=True, denom=True, denexcep=True),
    PopulationFlags(ipp=True, denom=True, denexcep=True, numer=True),
    PopulationFlags(ipp=True, denom=True, numer=True, numex=True),
)
# Notes written for this test: quotes inside quotes, a backslash, a tab, line breaks, non-ASCII letters.
NOTES = (
    'Pt states "my sister said \\"get the scope\\" so I did" - colonoscopy 03/2019, clean.\nPlan: recall 2029.',
    "Mammogram: patient refuses\t(\"not this year\"); path C:\\scans\\2026 reviewed.\r\nA1c 9.4 %, poorly controlled.",
    "Tabagisme : ancien fumeur, arrêt en 2015 ; conseils d’arrêt réitérés.\nRéconciliation médicamenteuse faite.",
    "HbA1c 6.8% — improved. Influenza vaccine given today (lot «FLU-26»).\n\nFollow up in 3 months.",
)
PHRASES = ("colonoscopy 03/2019", 'refuses\t("not this year")', "A1c 9.4 %", "arrêt en 2015",
           "Réconciliation médicamenteuse faite", "HbA1c 6.8%", "Influenza vaccine given today (lot «FLU-26»)")
PATIENT_IDS = ("pt-001", "p-mts-0042~3", "clinic/7 pt 19", "zoë.ångström", "PT.0009", "x" * 70,
               "mrn_000123", "pt-011", "pt-012", "pt-013", "pt-014", "pt-015", "pt-016", "~pt.~")
CLINICS = ("north-clinic", "Clinique Saint-Éloi", "east clinic #2", None)


def _varied_run(seed: int = 7) -> RunData:
    rng = random.Random(seed)
    specs = load_specs()
    patients: dict[str, Patient] = {}
    evidence: dict[str, Evidence] = {}
    encounters: list[Encounter] = []
    outcomes: list[MeasureOutcome] = []
    for n, pid in enumerate(PATIENT_IDS):
        if n != 5:  # the long id has no patients row
            patients[pid] = Patient(patient_id=pid, birth_date=date(1940 + 3 * n, 1 + n % 12, 1 + n), sex="FMU"[n % 3],
                                    clinic_id=CLINICS[n % len(CLINICS)], provider_id=None if n % 3 else f"dr-{n}",
                                    name=None if n % 4 == 1 else f"Patient «{n}» O'Neil \"Jr\"",
                                    mrn=None if n % 2 else f"MRN\\{n:04d}")
        note_ids = []
        for k, text in enumerate(NOTES):
            if (n + k) % 2:
                continue
            note_id = f"note~{n}-{k}"
            note_ids.append(note_id)
            for phrase in PHRASES:
                start = text.find(phrase)
                if start < 0:
                    continue
                end = start + len(phrase)
                assert text[start:end] == phrase
                ev_id = f"{note_id}:{start}-{end}:el{k}"
                evidence[ev_id] = Evidence(
                    evidence_id=ev_id, note_id=note_id, patient_id=pid, element=f"el{k}",
                    status=rng.choice(("affirmed", "negated", "declined")), start=start, end=end, span=phrase,
                    section=rng.choice(("", "plan", "history")), note_date=date(2026, 1 + k, 10),
                    event_date=rng.choice((None, date(2019, 3, 1), date(2026, 5, 2))),
                    date_precision=rng.choice(("day", "month", "year")), value=rng.choice((None, 9.4, "6.8%")),
                    source=f"rule:el{k}.lexicon")
        structured = f"fhir:Immunization:{pid}:1"
        evidence[structured] = Evidence(evidence_id=structured, note_id=None, patient_id=pid,
                                        element="influenza_vaccine", status="affirmed",
                                        event_date=date(2025, 10, 1 + n), date_precision="day",
                                        source="fhir:Immunization", origin="structured", code="141", code_system="CVX")
        episodes = [f"enc~{n}-{e}" if n % 2 else f"enc-{n}-{e}" for e in range(n % 3 + 1)]
        encounters += [Encounter(patient_id=pid, encounter_id=e, start_date=date(2026, 2 + i, 3),
                                 end_date=None if i == 2 else date(2026, 2 + i, 6), types=("inpatient",))
                       for i, e in enumerate(episodes)]
        mine = [e for e in evidence.values() if e.patient_id == pid]
        for measure_id in MEASURES:
            spec = specs[measure_id]
            for group in spec.groups:
                for episode in episodes if measure_id == "TRC-MRP" else [""]:
                    flags = FLAGS[rng.randrange(len(FLAGS))] if rng.random() < 0.8 else FLAGS[0]
                    gap = flags.denom and not flags.denex and not flags.denexcep and not flags.numer
                    ids = tuple(rng.sample([e.evidence_id for e in mine], k=min(len(mine), rng.randrange(3))))
                    extra = (f"encounter:{episode}",) if episode and rng.random() < 0.5 else ()
                    unknown = ("note~9-9:1-2:gone",) if rng.random() < 0.1 else ()
                    outcomes.append(MeasureOutcome(
                        patient_id=pid, measure_id=measure_id, group=group.id, populations=flags,
                        measure_version=spec.version + ("-draft" if n == 4 and measure_id == "BCS-E" else ""),
                        measure_title=spec.title, inverse=spec.inverse,
                        group_title=group.title or "", episode=episode, gap_open=gap,
                        gap_reason=rng.choice(list(GapReason)) if gap else None,
                        gap_action=rng.choice(("Order it", "Revisit \"shared\" decision\\making")) if gap else "",
                        numer_evidence_ids=ids + extra if flags.numer else (),
                        denex_evidence_ids=ids if flags.denex else (),
                        denexcep_evidence_ids=unknown + ids if flags.denexcep else (),
                        gap_evidence_ids=ids + unknown if gap else (),
                        valid_through=rng.choice((None, date(2027, 6, 30), date(2030, 12, 31)))
                        if flags.numer else None,
                        prospective_gap=bool(flags.numer and rng.random() < 0.3)))
    rng.shuffle(outcomes)
    return RunData(job="varied ~ run", period=MeasurementPeriod.calendar_year(2026),
                   specs={m: specs[m] for m in MEASURES}, patients=patients, outcomes=outcomes,
                   evidence=evidence, encounters=tuple(encounters))


def _reference_summary(run: RunData) -> dict[str, Any]:
    """The summary counts of every outcome, one at a time, in patient order (how 9885bf2 counted them)."""
    def clinic(pid: str) -> str:
        p = run.patients.get(pid)
        return p.clinic_id if p and p.clinic_id else "unassigned"

    per_mc: dict[Any, Any] = {}
    per_m: dict[Any, Any] = {}
    for o in sorted(run.outcomes, key=lambda o: (o.patient_id, o.measure_id, o.group, o.episode)):
        for table, key in ((per_mc, (o.measure_id, clinic(o.patient_id))), (per_m, o.measure_id)):
            first, groups = table.setdefault(key, (o, {}))
            counts = groups.setdefault(o.group, dict.fromkeys(_POPULATION_NAMES, 0))
            for name in _POPULATION_NAMES:
                counts[name] += getattr(o.populations, name)

    def entry(found: Any) -> list[Any]:
        return [found[0].measure_version, found[0].inverse, list(found[1].items())]

    return {"measure_clinic": [[m, c, *entry(f)] for (m, c), f in sorted(per_mc.items())],
            "measure": [[m, *entry(f)] for m, f in sorted(per_m.items())]}


def test_fast_lines_equal_the_reference_on_a_varied_run() -> None:
    run = _varied_run()
    fast, slow = list(_fast_lines(run)), list(_reference_lines(run))
    assert len(slow) == len(PATIENT_IDS)
    for got, want in zip(fast, slow, strict=True):
        assert got == want, want[0]
    text = "\n".join(line for _, reports, bundle in slow for line in (*reports, bundle or ""))
    resources = [json.loads(b)["entry"] for _, _, b in slow if b is not None]
    kinds = {e["resource"]["resourceType"] for entries in resources for e in entries}
    assert kinds >= {"Composition", "MeasureReport", "DetectedIssue", "Patient", "Organization", "DocumentReference",
                     "Encounter", "Immunization"}
    assert '\\"not this year\\"' in text and "\\\\scans" not in text  # spans quoted, no other note text
    assert "prospective-gap" in text and '"code":"decrease"' in text and "gap-pt-001-TRC-MRP-1-enc-0-0" in text
    reports = [json.loads(line) for _, lines, _ in slow for line in lines]
    assert {r["subject"]["reference"] for r in reports} >= {"Patient/pt-001", "Patient/PT.0009"}
    assert any(r["subject"]["reference"].startswith("Patient/p-mts-0042-3-") for r in reports)  # hashed id
    assert any(r["id"].startswith("p-mts-0042-3-TRC-MRP-") for r in reports)


def test_fhir_material_equals_the_reference_lines_and_counts_for_several_seeds() -> None:
    for seed in (1, 2, 3):
        run = _varied_run(seed)
        material = fhir_material(run)
        want_individual, want_bundle = [], []
        for n, (patient_id, lines, bundle) in enumerate(_reference_lines(run)):
            want_individual += [([patient_id, n], line) for line in lines]
            if bundle is not None:
                want_bundle.append(([patient_id, n], bundle))
        assert material.streams["fhir_individual"] == want_individual
        assert material.streams["fhir_bundle"] == want_bundle
        assert material.encoded == {"fhir_individual", "fhir_bundle"}
        got = json.loads(json.dumps(material.counts["fhir_summary"]))
        assert got == json.loads(json.dumps(_reference_summary(run)))
        assert material.counts["fhir_summary"] == _reference_summary(run)
