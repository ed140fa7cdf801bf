"""Records that cross module boundaries: notes, patients, structured events, encounters, evidence.

These are the contract between the layers of the engine (see README "Architecture"):

    notes -> (pipelines) -> Evidence -> (engine) -> measure outcomes -> (engine.report) -> reports

Everything here is plain pydantic, with no NLP imports, so the engine and the
evaluation code can use it without loading spaCy.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DateOrder",
    "DatePrecision",
    "DecidedBy",
    "Encounter",
    "Evidence",
    "Note",
    "Patient",
    "STATUSES",
    "Status",
    "StructuredEvent",
    "evidence_sort_key",
]

Status = Literal[
    "affirmed", "negated", "declined", "ordered", "planned", "hypothetical", "uncertain", "family"
]
STATUSES: tuple[str, ...] = (
    "affirmed", "negated", "declined", "ordered", "planned", "hypothetical", "uncertain", "family"
)
DatePrecision = Literal["year", "month", "day"]
DateOrder = Literal["mdy", "dmy"]
DecidedBy = Literal["rules", "model", "both"]
ProductLine = Literal["commercial", "medicare", "medicaid", "aco"]


class Note(BaseModel):
    """One clinical note, as the input contract defines it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    note_id: str = Field(min_length=1)
    patient_id: str = Field(min_length=1)
    note_date: date
    text: str = Field(min_length=1)
    note_type: str | None = None
    title: str | None = None
    encounter_id: str | None = None
    provider_id: str | None = None
    clinic_id: str | None = None
    # how this note writes numeric dates: "mdy" (03/04/25 = March 4) or "dmy" (4 March); None = the
    # job's setting (pipeline option date_order, default mdy)
    date_order: DateOrder | None = None


class Patient(BaseModel):
    """One patient. ``name`` and ``mrn`` (the clinic's medical record number) are optional:
    clinic worklists show them when the patients file has them, else the patient id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    patient_id: str = Field(min_length=1)
    birth_date: date
    sex: Literal["F", "M", "U"]
    clinic_id: str | None = None
    provider_id: str | None = None
    product_line: ProductLine | None = None
    name: str | None = None
    mrn: str | None = None


class StructuredEvent(BaseModel):
    """A coded event from claims/EHR data (docs: shared/docs/structured-input.md)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    patient_id: str = Field(min_length=1)
    element: str = Field(min_length=1)
    event_date: date
    end_date: date | None = None  # None: ongoing (open interval)
    value: str | None = None
    code: str | None = None
    code_system: str | None = None
    source: str | None = None


class Encounter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    patient_id: str = Field(min_length=1)
    encounter_id: str = Field(min_length=1)
    start_date: date
    end_date: date | None = None
    types: tuple[str, ...] = ()  # the `type` column split on "|"
    code: str | None = None
    code_system: str | None = None


class Evidence(BaseModel):
    """One evidence item: an element found in a note (or a structured event), with provenance.

    For note evidence ``start``/``end`` are character offsets into the original note
    text and ``text[start:end] == span`` always holds. ``context`` is the sentence (or, in
    telegraphic notes, the line) around the span, cut from the original text and capped in
    length, and ``context_start`` its offset in the note, so
    ``context[start - context_start:end - context_start] == span``; both are None for
    structured evidence (and in evidence files written before they existed).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence_id: str  # deterministic: "<note_id>:<start>-<end>:<element>" or "<source>:<patient>:<n>"
    note_id: str | None  # None for structured events
    patient_id: str
    element: str
    status: Status
    start: int | None = None
    end: int | None = None
    span: str | None = None
    context: str | None = None
    context_start: int | None = None
    section: str | None = None
    event_date: date | None = None
    date_precision: DatePrecision | None = None
    end_date: date | None = None  # structured intervals only
    note_date: date | None = None
    value: Any = None
    source: str  # "rule:<id>", "model:<name>" or "fhir:<Resource>..." for structured data
    modifiers: tuple[str, ...] = ()  # ids of the ConText / section rules that set the status
    pipeline_version: str | None = None
    origin: Literal["note", "structured"] = "note"
    code: str | None = None
    code_system: str | None = None
    # the learned second reader (pipelines.status_model), note evidence only: who decided the status
    # ("rules", "model" or "both" when they agree), the model's own status and its probability, and
    # review flags ("readers_disagree" when the rules and the model read the span differently)
    decided_by: DecidedBy | None = None
    model_status: Status | None = None
    model_probability: float | None = None
    review_flags: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The evidence.jsonl row: JSON-safe, stable key order."""
        return self.model_dump(mode="json")


def evidence_sort_key(e: Evidence) -> tuple[str, str, int, int, str, str]:
    """The deterministic order of evidence (``evidence.jsonl``, the partitions): patient, note, offsets,
    element, id. Here, not in pipelines/, so that measure tasks sort without importing spaCy."""
    return (e.patient_id, e.note_id or "", e.start or -1, e.end or -1, e.element, e.evidence_id)
