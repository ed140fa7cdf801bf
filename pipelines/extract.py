"""Notes -> evidence: the public entry points the engine, the CLI and the Ray job call.

``extract_notes`` tokenizes each note, attaches the note date and title to the Doc (relative
dates and procedure notes need them), runs ``nlp.pipe`` and converts ``doc._.qm_evidence``
rows into ``engine.records.Evidence``. Offsets always index the original note text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from engine.records import Evidence, Note

from .context import sentence_around
from .rules import ELEMENTS, supplemental_elements

__all__ = [
    "GUIDELINE_ELEMENTS",
    "SUPPLEMENTAL_ELEMENTS",
    "doc_to_evidence",
    "extract_note",
    "extract_notes",
    "is_supplemental",
    "make_doc",
]

GUIDELINE_ELEMENTS: tuple[str, ...] = ELEMENTS
"""The 27 elements of docs/evidence-elements.md: what ``qae extract`` writes and chart review scores."""
SUPPLEMENTAL_ELEMENTS: tuple[str, ...] = supplemental_elements()
"""Elements the measures need beyond those (tobacco cessation counseling / medication, depression
follow-up ``_adult`` / ``_adolescent``, ``td_tdap_vaccine``, ``zoster_vaccine``): extracted only with
``include_supplemental=True``."""


def is_supplemental(element: str) -> bool:
    """Whether an element is supplemental (not one of the 27 guideline elements)."""
    return element in SUPPLEMENTAL_ELEMENTS


def make_doc(nlp: Language, note: Note) -> Doc:
    """Tokenize a note (its normalized view, see ``pipelines.normalize``) and attach its metadata:
    note date, title, note type, date order. The facts derived from them and the text (eye-care or
    pediatric note, stated age) are the ``qm_note_profile`` component's."""
    doc = nlp.make_doc(note.text)
    doc._.qm_note_date = note.note_date
    doc._.qm_note_title = note.title or ""
    doc._.qm_note_type = note.note_type
    doc._.qm_date_order = note.date_order
    return doc


def doc_to_evidence(note: Note, doc: Doc, include_supplemental: bool = False) -> list[Evidence]:
    """Evidence records of one processed Doc, ordered by (start, end, element); supplemental
    elements only when ``include_supplemental``. Offsets index the original ``note.text``."""
    from . import PIPELINE_VERSION

    out: dict[str, Evidence] = {}
    text_map = doc._.qm_text_map  # offsets of the normalized text -> the original note text
    model = doc._.qm_status_model  # the status model's name-version, when one read the spans
    for row in doc._.qm_evidence or ():
        start, end, element = row["start"], row["end"], row["element"]
        if text_map is not None:
            start, end = text_map.to_source(start, end)
        if not include_supplemental and element in SUPPLEMENTAL_ELEMENTS:
            continue
        evidence_id = f"{note.note_id}:{start}-{end}:{element}"
        if evidence_id in out:
            continue
        context, context_start = sentence_around(note.text, start, end)
        out[evidence_id] = Evidence(
            evidence_id=evidence_id,
            note_id=note.note_id,
            patient_id=note.patient_id,
            element=element,
            status=row["status"],
            start=start,
            end=end,
            span=note.text[start:end],
            context=context,
            context_start=context_start,
            section=row["section"],
            event_date=row["event_date"],
            date_precision=row["date_precision"],
            note_date=note.note_date,
            value=_json_value(row["value"]),
            source=f"rule:{row['source']}",
            modifiers=tuple(row["modifiers"]),
            pipeline_version=PIPELINE_VERSION if model is None else f"{PIPELINE_VERSION}+{model}",
            origin="note",
            decided_by=row.get("decided_by", "rules"),
            model_status=row.get("model_status"),
            model_probability=row.get("model_probability"),
            review_flags=("readers_disagree",) if row.get("readers_disagree") else (),
        )
    return sorted(out.values(), key=lambda e: (e.start or 0, e.end or 0, e.element))


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def extract_note(nlp: Language, note: Note, include_supplemental: bool = False) -> list[Evidence]:
    """Evidence of a single note: the 27 guideline elements, plus the supplemental ones
    (``SUPPLEMENTAL_ELEMENTS``) when ``include_supplemental`` (the measure job needs them)."""
    doc = nlp(make_doc(nlp, note))
    try:
        return doc_to_evidence(note, doc, include_supplemental)
    finally:
        _release(doc)


def _release(doc: Doc) -> None:
    """Drop the Doc's extension values: the ConText graph and modifiers point back at the Doc, and
    such cycles wait for a full garbage collection, rare in a long-lived worker, so a batch job's
    memory grew by about 4 KB per note until one came."""
    doc.user_data.clear()


def extract_notes(
    nlp: Language, notes: Iterable[Note], batch_size: int = 64, include_supplemental: bool = False
) -> Iterator[tuple[Note, list[Evidence]]]:
    """Evidence of many notes with ``nlp.pipe``; yields (note, evidence) in input order.
    ``include_supplemental`` as in :func:`extract_note`."""
    pending: list[Note] = []

    def docs() -> Iterator[Doc]:
        for note in notes:
            pending.append(note)
            yield make_doc(nlp, note)

    for doc in nlp.pipe(docs(), batch_size=batch_size):
        note = pending.pop(0)
        evidence = doc_to_evidence(note, doc, include_supplemental)
        _release(doc)
        yield note, evidence
