"""Builders of hand-made eCQM patients for the criteria tests (no shared deck needed)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from engine.criteria.base import PatientContext
from engine.periods import MeasurementPeriod
from engine.records import Encounter, Evidence, Patient

MP_2026 = MeasurementPeriod(date(2026, 1, 1), date(2026, 12, 31))


def d(text: str) -> date:
    return date.fromisoformat(text)


class PatientBuilder:
    """Collects structured events and encounters of one patient, then builds the context."""

    def __init__(self, birth: str = "1960-06-15", sex: str = "F") -> None:
        self.patient = Patient(patient_id="p1", birth_date=d(birth), sex=sex)  # type: ignore[arg-type]
        self.evidence: list[Evidence] = []
        self.encounters: list[Encounter] = []

    def event(self, element: str, start: str, end: str | None = "same", value: Any = None,
              source: str = "fhir:Observation", code: str | None = None,
              status: str = "affirmed") -> PatientBuilder:
        """A structured event; ``end='same'`` makes a point event, ``end=None`` an ongoing one."""
        n = len(self.evidence)
        self.evidence.append(Evidence(
            evidence_id=f"test:p1:{n:03d}", note_id=None, patient_id="p1", element=element,
            status=status, event_date=d(start),  # type: ignore[arg-type]
            end_date=d(start) if end == "same" else (d(end) if end else None),
            value=value, source=source, origin="structured", code=code,
        ))
        return self

    def condition(self, element: str, start: str, end: str | None = None,
                  category: str = "problem-list-item") -> PatientBuilder:
        return self.event(element, start, end, source=f"fhir:Condition:{category}")

    def note(self, element: str, day: str | None, value: Any = None, precision: str = "day",
             status: str = "affirmed") -> PatientBuilder:
        n = len(self.evidence)
        self.evidence.append(Evidence(
            evidence_id=f"n1:{n}-{n + 5}:{element}", note_id="n1", patient_id="p1", element=element,
            status=status, start=n, end=n + 5, span="x" * 5,  # type: ignore[arg-type]
            event_date=d(day) if day else None, date_precision=precision if day else None,  # type: ignore[arg-type]
            note_date=d("2026-06-15"), value=value, source="rule:test", origin="note",
        ))
        return self

    def visit(self, start: str, end: str | None = None, *tags: str) -> PatientBuilder:
        n = len(self.encounters)
        self.encounters.append(Encounter(
            patient_id="p1", encounter_id=f"e{n}", start_date=d(start), end_date=d(end or start),
            types=tuple(tags or ("office_visit",)),
        ))
        return self

    def ctx(self, period: MeasurementPeriod = MP_2026) -> PatientContext:
        by: dict[str, list[Evidence]] = defaultdict(list)
        for ev in self.evidence:
            by[ev.element].append(ev)
        return PatientContext(self.patient, period, {k: tuple(v) for k, v in by.items()},
                              tuple(self.encounters))


@pytest.fixture
def patient() -> type[PatientBuilder]:
    """``patient(birth='1960-06-15', sex='F')`` -> a builder; ``.ctx()`` gives the context."""
    return PatientBuilder
