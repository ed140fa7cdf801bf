"""The bundled demo data (data/demo/) follows the input contract and its answer key is usable.

Reads the files through the same readers as ``qae run`` (qae.inputs), so anything the job would
quarantine fails here first.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from qae.inputs import read_encounters, read_events, read_notes, read_patients

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
MP_END = date(2026, 12, 31)
EXPECTED = {"closed", "open", "excluded", "excepted", "not_in_population"}
REASONS = {"no_evidence", "evidence_too_old", "only_ordered", "declined", "not_controlled",
           "undated_evidence"}
MEASURES = {"COL-E", "BCS-E", "CCS", "CBP", "GSD-POOR", "GSD-CONTROL", "EED", "DSF-E", "TSC", "TRC-MRP",
            "ACP", "AIS-E", "CMS159", "CMS139"}
# eCQM twins listed only where the same facts give a different outcome (the contrast is the point)
CONTRASTS = {"CMS130", "CMS2"}


def _age(birth: date) -> int:
    return MP_END.year - birth.year - ((MP_END.month, MP_END.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def patients():
    result = read_patients(DEMO / "patients.csv")
    assert result.quarantine == [], [q.reason for q in result.quarantine]
    return {p.patient_id: p for p in result.records}


@pytest.fixture(scope="module")
def notes(patients):
    result = read_notes(DEMO / "notes.jsonl", known_patients=set(patients))
    assert result.quarantine == [], [(q.record_id, q.reason) for q in result.quarantine]
    return result.records


@pytest.fixture(scope="module")
def scenarios():
    with open(DEMO / "scenarios.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_demo_patients_span_three_clinics_and_the_age_bands(patients):
    assert 55 <= len(patients) <= 80
    assert {p.clinic_id for p in patients.values()} == {"clinic-north", "clinic-riverside", "clinic-eastgate"}
    assert {p.product_line for p in patients.values()} == {"commercial", "medicare", "medicaid", "aco"}
    ages = {_age(p.birth_date) for p in patients.values()}
    # both sides of each age-band edge are present (COL-E 45/46 and 75/76, BCS 41/42 and 74/75 ...)
    for edge in (45, 46, 75, 76, 41, 65, 85 + 4):
        assert edge in ages, f"no demo patient aged {edge} at the end of 2026"
    assert min(ages) <= 13 and max(ages) >= 85


def test_demo_notes_follow_the_input_contract(notes, patients):
    assert 140 <= len(notes) <= 190
    ids = [n.note_id for n in notes]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    assert all(n.patient_id in patients for n in notes)
    years = Counter(n.note_date.year for n in notes)
    assert years[2026] > 0.8 * len(notes) and (years[2024] + years[2025]) > 0
    assert all(n.note_type and n.title for n in notes)
    # the raw file carries only contract keys
    allowed = {"note_id", "patient_id", "note_date", "note_type", "title", "text", "encounter_id",
               "provider_id", "clinic_id"}
    for line in (DEMO / "notes.jsonl").read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) <= allowed


def test_demo_note_encounters_exist_for_the_same_patient(notes, patients):
    encounters = read_encounters(DEMO / "encounters.csv", known_patients=set(patients))
    assert encounters.quarantine == []
    by_id = {e.encounter_id: e for e in encounters.records}
    assert len(by_id) == len(encounters.records), "duplicate encounter_id"
    for note in notes:
        if note.encounter_id:
            assert by_id[note.encounter_id].patient_id == note.patient_id, note.note_id
    visit_tags = {"office_visit", "annual_wellness_visit", "telephone_visit", "preventive_established_18_up",
                  "preventive_established_0_17"}
    with_visit = {e.patient_id for e in encounters.records
                  if e.start_date.year == 2026 and visit_tags & set(e.types)}
    seen_2026 = {n.patient_id for n in notes if n.note_date.year == 2026}
    assert seen_2026 <= with_visit, f"seen in 2026 without a 2026 visit: {sorted(seen_2026 - with_visit)}"
    assert {"inpatient", "emergency_department", "hospice_encounter"} <= {
        t for e in encounters.records for t in e.types}


def test_demo_events_are_valid_and_some_patients_are_structured_only(patients, notes):
    events = read_events(DEMO / "events.csv", known_patients=set(patients))
    assert events.quarantine == []
    elements = Counter(e.element for e in events.records)
    for element in ("colonoscopy", "hba1c", "mammogram", "hospice", "diabetes", "medication_reconciliation"):
        assert elements[element] > 0, f"no structured {element} event"
    hba1c = [e for e in events.records if e.element == "hba1c"]
    assert all(e.code == "4548-4" and float(e.value) > 0 for e in hba1c)
    note_text = {}
    for n in notes:
        note_text[n.patient_id] = note_text.get(n.patient_id, "") + n.text.lower()
    structured_only_colonoscopy = [e.patient_id for e in events.records if e.element == "colonoscopy"
                                   and "colonoscopy" not in note_text.get(e.patient_id, "")]
    assert structured_only_colonoscopy, "expected a patient whose colonoscopy is known only from claims"


def test_demo_scenarios_reference_patients_and_valid_outcomes(scenarios, patients):
    assert scenarios
    keys = [(s["patient_id"], s["measure_id"], s["group"], s["episode"]) for s in scenarios]
    assert len(keys) == len(set(keys)), "one expected outcome per patient, measure, group and episode"
    for s in scenarios:
        where = f"{s['patient_id']} {s['measure_id']} {s['group']} {s['episode']}"
        assert s["patient_id"] in patients, where
        assert s["measure_id"] in MEASURES | CONTRASTS, where
        assert s["group"], where
        assert s["expected"] in EXPECTED, where
        assert (s["expected"] == "open") == bool(s["reason"]), where
        if s["reason"]:
            assert s["reason"] in REASONS, where
        assert s["note"].strip(), where


def test_demo_scenarios_cover_every_measure_and_gap_reason(scenarios):
    by_measure: dict[str, set[str]] = {}
    for s in scenarios:
        by_measure.setdefault(s["measure_id"], set()).add(s["expected"])
    for measure in MEASURES:
        assert {"closed", "open"} <= by_measure.get(measure, set()), (
            f"{measure} lacks a closed or an open case")
    assert {s["reason"] for s in scenarios if s["reason"]} == REASONS
    col = [s for s in scenarios if s["measure_id"] == "COL-E"]
    assert {s["reason"] for s in col if s["reason"]} == REASONS - {"not_controlled"}
    assert {"excluded", "not_in_population"} <= {s["expected"] for s in col}


def test_demo_sex_and_age_bands_agree_with_population_claims(scenarios, patients):
    """Where the key says 'not_in_population' for an age/sex reason, the demographics agree."""
    bands = {"COL-E": (46, 75, None), "BCS-E": (42, 74, "F"), "CCS": (24, 64, "F"), "CBP": (18, 85, None),
             "GSD-POOR": (18, 75, None), "GSD-CONTROL": (18, 75, None), "EED": (18, 75, None)}
    for s in scenarios:
        if s["measure_id"] not in bands or s["expected"] == "not_in_population":
            continue
        low, high, sex = bands[s["measure_id"]]
        p = patients[s["patient_id"]]
        assert low <= _age(p.birth_date) <= high, f"{s['patient_id']} {s['measure_id']} age outside band"
        assert sex is None or p.sex == sex, f"{s['patient_id']} {s['measure_id']} wrong sex"


def test_demo_files_are_what_the_builder_writes():
    spec = importlib.util.spec_from_file_location("build_demo", DEMO / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = module.render(module.CASES)
    for name, content in files.items():
        assert (DEMO / name).read_text(encoding="utf-8") == content, (
            f"data/demo/{name} is stale: run .venv/bin/python data/demo/build_demo.py")
