"""``qm_note_profile``: the note-level facts the evidence rows need, from one cheap pass over the whole text.

An eye-care note (its title or eye-specialist findings), the title's own elements (a procedure note
documents its procedure), a pediatric note, the patient's stated age. The note's metadata (title,
note type) come from ``pipelines.extract.make_doc``; ``nlp(text)`` alone profiles a note without any.
The text read is the whole normalized note (``doc._.qm_source_text`` in windowed mode).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from .note_facts import is_eye_care_note, is_pediatric, stated_age_years, title_elements
from .prefilter import source_text

__all__ = ["NoteProfile"]


class NoteProfile:
    """Set ``qm_eye_care``, ``qm_title_elements``, ``qm_pediatric`` and ``qm_age_years`` on the Doc."""

    def __init__(self, nlp: Language, name: str = "qm_note_profile"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = source_text(doc)
        title, note_type = doc._.qm_note_title or None, doc._.qm_note_type
        eye_care = is_eye_care_note(text, note_type, title)
        doc._.qm_eye_care = eye_care
        doc._.qm_title_elements = title_elements(title, note_type) | ({"retinal_eye_exam"} if eye_care else set())
        doc._.qm_pediatric = is_pediatric(text, note_type, title)
        doc._.qm_age_years = stated_age_years(text)
        return doc
