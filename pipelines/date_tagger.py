"""``qm_dates``: store the date expressions of the text on ``doc._.qm_dates`` (see pipelines.dates)."""

from __future__ import annotations

from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc

from .dates import DateMention, find_dates

__all__ = ["DateTagger"]


class DateTagger:
    """Find absolute and relative dates; resolution against the note date happens per evidence."""

    def __init__(self, nlp: Language, name: str = "qm_dates"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.qm_dates = self.predict(doc)
        return doc

    def predict(self, doc: Doc) -> list[DateMention]:
        """Dates of the sentences that hold a target (only those can date evidence)."""
        if not doc.ents:
            return []
        if not doc.has_annotation("SENT_START"):
            return find_dates(doc.text)
        out: list[DateMention] = []
        for sent in sorted({e.sent for e in doc.ents}, key=lambda s: s.start):
            base = sent.start_char
            for m in find_dates(sent.text):
                out.append(replace(m, start=m.start + base, end=m.end + base))
        return out
