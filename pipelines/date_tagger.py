"""``qm_dates``: store the date expressions of the text on ``doc._.qm_dates`` (see pipelines.dates)."""

from __future__ import annotations

import re
from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc

from .dates import ANCHOR_REACH, DATE_ORDERS, DateMention, find_dates
from .prefilter import source_text

__all__ = ["DateTagger"]

_LABEL_END = re.compile(r"[ \t]*:[ \t]*(?:\n|$)|[ \t]*:(?=[ \t]*\S)")
# a sentence that counts a date from an earlier one ("two days later", "the following day")
_COUNTS_FROM = re.compile(r"\blater\b|\b(?:following|next|same)\s+day\b", re.I)
_SPACE = re.compile(r"\s")


def _lead(text: str, base: int) -> int:
    """Where to start reading dates so that every anchor within ``ANCHOR_REACH`` of a window starting at ``base`` is
    read whole: twice that far back, at a space (a date cut there ends too far back to be an anchor)."""
    back = base - 2 * ANCHOR_REACH
    if back <= 0:
        return 0
    m = _SPACE.search(text, back, base)
    return m.end() if m else base


class DateTagger:
    """Find absolute and relative dates; resolution against the note date happens per evidence.

    ``date_order`` says how numeric dates are written, "mdy" (03/04/25 is March 4) or "dmy"
    (4 March); a note's own order (``doc._.qm_date_order``, from its ``date_order`` field) wins.
    """

    def __init__(self, nlp: Language, name: str = "qm_dates", *, date_order: str = "mdy"):
        if date_order not in DATE_ORDERS:
            raise ValueError(f"qm_dates: date_order is {date_order!r}; choose one of {DATE_ORDERS}.")
        self.name = name
        self.date_order = date_order

    def __call__(self, doc: Doc) -> Doc:
        doc._.qm_dates = self.predict(doc)
        return doc

    def predict(self, doc: Doc) -> list[DateMention]:
        """Dates of the sentences that hold a target (only those can date evidence)."""
        ents = doc.ents  # a new Span per entity on every read: read once
        if not ents:
            return []
        order = doc._.qm_date_order or self.date_order
        text = source_text(doc)  # windowed: the whole text (a label's line may run past its window)
        if not doc.has_annotation("SENT_START"):
            return find_dates(text, order)
        out: list[DateMention] = []
        windows: dict[int, int] = {}  # sentence start -> where its dates may end
        for e in ents:
            sent = e.sent
            stop = sent.end_char
            if _LABEL_END.match(text, e.end_char):  # a label ending its sentence ("DRS:"): its line holds the answer
                line_end = text.find("\n", stop)
                stop = max(stop, len(text) if line_end < 0 else line_end)
            windows[sent.start_char] = max(windows.get(sent.start_char, 0), stop)
        for base in sorted(windows):
            # a date counted from an earlier one ("two days later") is read with the text before it; only the dates of
            # the window itself are kept
            lead = _lead(text, base) if _COUNTS_FROM.search(text, base, windows[base]) else base
            for m in find_dates(text[lead : windows[base]], order):
                if m.start + lead >= base:
                    out.append(replace(m, start=m.start + lead, end=m.end + lead))
        return sorted(set(out), key=lambda d: (d.start, d.end))
