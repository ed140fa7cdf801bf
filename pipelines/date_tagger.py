"""``qm_dates``: store the date expressions of the text on ``doc._.qm_dates`` (see pipelines.dates)."""

from __future__ import annotations

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
        return find_dates(doc.text)
