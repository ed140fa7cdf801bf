"""The demo, run once in-process (no Ray) for every demo test: inputs, evidence and outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@dataclass(frozen=True)
class DemoRun:
    patients: list[Any]
    encounters: list[Any]
    evidence: list[Any]
    outcomes: list[Any]


@pytest.fixture(scope="session")
def demo_data(shared_nlp) -> DemoRun:
    from engine.calculator import calculate
    from engine.spec import MeasurementPeriod, load_specs
    from engine.structured import events_to_evidence
    from pipelines.extract import extract_notes
    from qae.inputs import read_encounters, read_events, read_notes, read_patients

    patients = read_patients(DEMO / "patients.csv").records
    notes = read_notes(DEMO / "notes.jsonl").records
    events = read_events(DEMO / "events.csv").records
    encounters = read_encounters(DEMO / "encounters.csv").records
    nlp = shared_nlp
    # the job extracts the supplemental elements too (cessation, depression follow-up)
    evidence = [ev for _note, found in extract_notes(nlp, notes, include_supplemental=True) for ev in found]
    evidence.extend(events_to_evidence(events))
    outcomes = calculate(load_specs(), patients, evidence, encounters, MeasurementPeriod.calendar_year(2026))
    return DemoRun(patients, encounters, evidence, outcomes)
