"""``qm_window_boundaries``: in windowed mode, every window starts a sentence and so does the filler after it.

A window reaches from one sentence start of the whole note to another (``pipelines.prefilter``), so
marking its edges keeps the sentences inside it those of the whole note; the filler after a window
becomes a sentence of its own that no rule matches. A Doc that was not windowed is left alone.
"""

from __future__ import annotations

import bisect

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["WindowBoundaries"]


class WindowBoundaries:
    """Mark the first token of each window and of the filler after it as sentence starts."""

    def __init__(self, nlp: Language, name: str = "qm_window_boundaries"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        windows = doc._.qm_windows
        if not windows or len(doc) < 2:
            return doc
        values = doc.to_array([SENT_START])
        starts = doc.to_array("IDX").tolist()  # character offset of every token, ascending
        for edge in {c for w in windows for c in w}:
            i = bisect.bisect_left(starts, edge)
            if 0 < i < len(starts) and starts[i] == edge:
                values[i] = 1
        doc.from_array([SENT_START], values)
        return doc
