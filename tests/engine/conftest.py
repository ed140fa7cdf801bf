"""Hand-built evidence for engine tests: spans are cut from realistic note snippets."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.records import Encounter, Evidence, Patient, StructuredEvent
from engine.spec import MeasurementPeriod, load_specs

MP = MeasurementPeriod.calendar_year(2026)
SPECS = load_specs()


def patient(pid: str, born: date, sex: str = "F", clinic: str | None = "clinic-a") -> Patient:
    return Patient(patient_id=pid, birth_date=born, sex=sex, clinic_id=clinic)  # type: ignore[arg-type]


def note_ev(pid: str, note_id: str, text: str, phrase: str, element: str, *,
            status: str = "affirmed", event_date: date | None = None,
            precision: str | None = None, note_date: date = date(2026, 3, 10),
            value: Any = None, occurrence: int = 0) -> Evidence:
    """Evidence whose span is the ``occurrence``-th ``phrase`` in ``text`` (offsets checked)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    end = start + len(phrase)
    assert text[start:end] == phrase
    return Evidence(
        evidence_id=f"{note_id}:{start}-{end}:{element}", note_id=note_id, patient_id=pid,
        element=element, status=status, start=start, end=end, span=phrase,  # type: ignore[arg-type]
        event_date=event_date, date_precision=(precision or ("day" if event_date else None)),  # type: ignore[arg-type]
        note_date=note_date, value=value, source="rule:test", origin="note",
    )


def event(pid: str, element: str, day: date, *, end: date | None | str = "same",
          value: str | None = None, source: str = "fhir:Procedure") -> StructuredEvent:
    return StructuredEvent(patient_id=pid, element=element, event_date=day,
                           end_date=day if end == "same" else end,  # type: ignore[arg-type]
                           value=value, source=source)


def encounter(pid: str, eid: str, start: date, end: date | None = None, *types: str) -> Encounter:
    return Encounter(patient_id=pid, encounter_id=eid, start_date=start, end_date=end or start,
                     types=tuple(types) or ("office_visit",))


def run(measure_ids: list[str], patients: list[Patient], evidence: list[Evidence] = (),  # type: ignore[assignment]
        events: list[StructuredEvent] = (), encounters: list[Encounter] = (),  # type: ignore[assignment]
        period: MeasurementPeriod = MP) -> dict[tuple[str, str, str], Any]:
    """Calculate and index outcomes by (measure id, patient id, group)."""
    from engine.calculator import calculate
    from engine.spec import resolve_measures
    from engine.structured import events_to_evidence

    specs = resolve_measures(measure_ids, SPECS)
    all_evidence = list(evidence) + events_to_evidence(events)
    outcomes = calculate(specs, patients, all_evidence, list(encounters), period)
    return {(o.measure_id, o.patient_id, o.group): o for o in outcomes}


class Kit:
    """Helpers handed to tests through the ``kit`` fixture (tests run in importlib mode)."""

    MP = MP
    SPECS = SPECS
    patient = staticmethod(patient)
    note_ev = staticmethod(note_ev)
    event = staticmethod(event)
    encounter = staticmethod(encounter)
    run = staticmethod(run)


@pytest.fixture
def kit() -> Kit:
    return Kit()
