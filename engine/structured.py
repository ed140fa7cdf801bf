"""Structured events (claims / EHR, shared/docs/structured-input.md) -> Evidence records.

Structured events are already decided (codes mapped to elements, cancelled or refuted
records dropped), so each becomes ``affirmed`` evidence with ``origin="structured"``.
Evidence ids are ``<source>:<patient_id>:<n>``, where ``n`` numbers the patient's events in
a content-based sort order: the same events give the same ids whatever order they came in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from engine.records import Evidence, StructuredEvent

__all__ = ["events_to_evidence"]


def _key(ev: StructuredEvent) -> tuple[str, date, date, str, str, str, str]:
    return (ev.element, ev.event_date, ev.end_date or date.max, ev.value or "", ev.code or "",
            ev.code_system or "", ev.source or "")


def events_to_evidence(events: Iterable[StructuredEvent]) -> list[Evidence]:
    """Affirmed, structured-origin evidence, sorted by patient then content (deterministic)."""
    per_patient: dict[str, list[StructuredEvent]] = defaultdict(list)
    for event in events:
        per_patient[event.patient_id].append(event)
    out: list[Evidence] = []
    for patient_id in sorted(per_patient):
        for n, ev in enumerate(sorted(per_patient[patient_id], key=_key), start=1):
            source = ev.source or "structured"
            value = ev.value if ev.value not in (None, "") else None
            out.append(Evidence(
                evidence_id=f"{source}:{patient_id}:{n}",
                note_id=None,
                patient_id=patient_id,
                element=ev.element,
                status="affirmed",
                event_date=ev.event_date,
                date_precision="day",
                end_date=ev.end_date,
                value=value,
                source=source,
                origin="structured",
                code=ev.code,
                code_system=ev.code_system,
            ))
    return out
