"""``qm_note_profile``: the note-level facts the evidence rows need, from one cheap pass over the whole text.

An eye-care note (its title or eye-specialist findings), the title's own elements (a procedure note
documents its procedure), a pediatric note, the patient's stated age. The note's metadata (title,
note type) come from ``pipelines.extract.make_doc``; ``nlp(text)`` alone profiles a note without any.
The text read is the whole normalized note (``doc._.qm_source_text`` in windowed mode).

Each fact is computed when it is first read, then kept on the Doc: the evidence rows read one only for
a mention that needs it (an element read differently in an eye-care, a child's or an adolescent's note),
and most notes of a windowed run have no target at all (nothing to profile for them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .note_facts import is_eye_care_note, is_pediatric, stated_age_years, title_elements
from .prefilter import source_text

__all__ = ["NOTE_FACTS", "NoteProfile", "register_note_facts"]

# where a profiled Doc keeps its facts once read (``doc.user_data``); absent: the component did not run
_FACTS_KEY = "qm_note_profile"


def _eye_care(doc: Doc) -> bool:
    return is_eye_care_note(source_text(doc), doc._.qm_note_type, doc._.qm_note_title or None)


def _title_elements(doc: Doc) -> frozenset[str]:
    elements = title_elements(doc._.qm_note_title or None, doc._.qm_note_type)
    return elements | ({"retinal_eye_exam"} if doc._.qm_eye_care else set())


def _pediatric(doc: Doc) -> bool:
    return is_pediatric(source_text(doc), doc._.qm_note_type, doc._.qm_note_title or None)


def _age_years(doc: Doc) -> int | None:
    return stated_age_years(source_text(doc))


# fact -> (how it is computed from the Doc, its value on a Doc the component did not profile)
NOTE_FACTS: dict[str, tuple[Callable[[Doc], Any], Any]] = {
    "qm_eye_care": (_eye_care, False),
    "qm_title_elements": (_title_elements, frozenset()),
    "qm_pediatric": (_pediatric, False),
    "qm_age_years": (_age_years, None),
}


def _getter(name: str) -> Callable[[Doc], Any]:
    compute, default = NOTE_FACTS[name]

    def get(doc: Doc) -> Any:
        facts = doc.user_data.get(_FACTS_KEY)
        if facts is None:
            return default
        if name not in facts:
            facts[name] = compute(doc)
        return facts[name]

    return get


def _setter(name: str) -> Callable[[Doc, Any], None]:
    def set_(doc: Doc, value: Any) -> None:
        doc.user_data.setdefault(_FACTS_KEY, {})[name] = value

    return set_


def register_note_facts() -> None:
    """The four ``Doc`` extensions of the profile, read lazily (idempotent)."""
    for name in NOTE_FACTS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, getter=_getter(name), setter=_setter(name))


class NoteProfile:
    """Profile the Doc: ``qm_eye_care``, ``qm_title_elements``, ``qm_pediatric`` and ``qm_age_years``, each
    computed from the Doc (its whole text, title and note type) when first read."""

    def __init__(self, nlp: Language, name: str = "qm_note_profile"):
        self.name = name
        register_note_facts()

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data[_FACTS_KEY] = {}
        return doc
