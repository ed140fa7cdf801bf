"""Engine throughput: synthetic patients x every shipped measure; prints figures, asserts nothing.

Run: .venv/bin/python benchmarks/engine_bench.py [n_patients]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta

from engine.calculator import calculate
from engine.records import Encounter, Patient, StructuredEvent
from engine.spec import MeasurementPeriod, load_specs
from engine.structured import events_to_evidence

ELEMENTS = [("colonoscopy", None), ("mammogram", None), ("fobt", "negative"), ("hba1c", "8.2"),
            ("blood_pressure", "138/84"), ("diabetes", None), ("hypertension", None),
            ("tobacco_use", "current"), ("influenza_vaccine", None), ("cervical_cytology", "NILM")]


def synth(n: int, seed: int = 7) -> tuple[list[Patient], list[StructuredEvent], list[Encounter]]:
    rng = random.Random(seed)
    patients, events, encounters = [], [], []
    for i in range(n):
        pid = f"p{i:06d}"
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(25000))
        patients.append(Patient(patient_id=pid, birth_date=born, sex=rng.choice("FM"), clinic_id=f"c{i % 5}"))
        for _ in range(rng.randrange(3, 12)):
            element, value = rng.choice(ELEMENTS)
            day = date(2016, 1, 1) + timedelta(days=rng.randrange(4000))
            events.append(StructuredEvent(patient_id=pid, element=element, event_date=day,
                                          end_date=day, value=value, source="fhir:Observation"))
        encounters.append(Encounter(patient_id=pid, encounter_id=f"e{i}", start_date=date(2026, 3, 3),
                                    end_date=date(2026, 3, 3), types=("office_visit",)))
    return patients, events, encounters


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    specs = load_specs()
    patients, events, encounters = synth(n)
    t0 = time.perf_counter()
    evidence = events_to_evidence(events)
    t1 = time.perf_counter()
    outcomes = calculate(specs, patients, evidence, encounters, MeasurementPeriod.calendar_year(2026))
    t2 = time.perf_counter()
    print(f"patients={n} measures={len(specs)} evidence={len(evidence)} outcomes={len(outcomes)}")
    print(f"events_to_evidence: {t1 - t0:.2f}s; calculate: {t2 - t1:.2f}s "
          f"({n / (t2 - t1):.0f} patients/s, {len(outcomes) / (t2 - t1):.0f} outcomes/s, one core)")


if __name__ == "__main__":
    main()
