"""Shared fixtures: one built pipeline per test session (building takes a few seconds)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from spacy.language import Language

from engine.records import Evidence, Note
from pipelines.extract import extract_note

NOTE_DATE = date(2026, 6, 15)


@pytest.fixture(scope="session")
def nlp(shared_nlp: Language) -> Language:
    return shared_nlp


@pytest.fixture(scope="session")
def extract(nlp: Language) -> Callable[..., list[Evidence]]:
    """extract("text", title=..., note_type=...) -> evidence, with span integrity checked."""

    def run(text: str, title: str | None = None, note_type: str | None = None) -> list[Evidence]:
        note = Note(
            note_id="t-1", patient_id="p-1", note_date=NOTE_DATE, text=text, title=title, note_type=note_type
        )
        items = extract_note(nlp, note)
        for e in items:
            assert text[e.start : e.end] == e.span, e
            assert e.evidence_id == f"t-1:{e.start}-{e.end}:{e.element}"
        return items

    return run


@pytest.fixture(scope="session")
def read(nlp: Language) -> Callable[..., list[Evidence]]:
    """read(text, order="mdy", note_date=NOTE_DATE, title=None) -> evidence (span integrity checked)."""

    def run(text: str, order: str = "mdy", note_date: date = NOTE_DATE, title: str | None = None) -> list[Evidence]:
        note = Note(note_id="t-1", patient_id="p-1", note_date=note_date, text=text, date_order=order, title=title)
        items = extract_note(nlp, note)
        for e in items:
            assert text[e.start : e.end] == e.span, e
        return items

    return run


def statuses(items: list[Evidence], element: str) -> list[str]:
    return [e.status for e in items if e.element == element]


def affirmed(items: list[Evidence], element: str) -> list[Evidence]:
    return [e for e in items if e.element == element and e.status == "affirmed"]
