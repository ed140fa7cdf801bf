"""``qm_heading_boundaries``: sentence starts the rule-based sentencizer misses.

Transcribed notes turn line breaks into commas ("...Allegra.,ALLERGIES: , She has...") and
templated visit notes put headings and bullets on their own lines. A heading, the text after a
heading, a new line and a bullet each start a sentence, so that negation, family and plan scopes
stop at them. Only ``token.is_sent_start`` changes; the text is never altered. A windowed Doc without a
window (``pipelines.prefilter``: filler alone) has none of them and is left as it is.
"""

from __future__ import annotations

import numpy
from spacy.attrs import IS_SPACE, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["HeadingBoundaries"]

_NOT_A_START = numpy.uint64(2**64 - 1)  # SENT_START -1 in the uint64 array of Doc.to_array

_BULLETS = {"•", "*", "-", "●", "▪", "·", "o"}
_HEADING_JOINERS = {"&", "/", "AND", "OF", "THE", "FOR", "(", ")", "-"}


def _is_heading_word(text: str) -> bool:
    """A capitalised word without digits ("PLAN", "HISTORY"); "PHQ-2" or "A1C" are not headings."""
    return (
        text.isupper() and any(c.isalpha() for c in text) and not any(c.isdigit() for c in text)
    ) or text in _HEADING_JOINERS


class HeadingBoundaries:
    """Mark sentence starts at headings ("PLAN:", "FAMILY HISTORY"), new lines and bullets."""

    def __init__(self, nlp: Language, name: str = "qm_heading_boundaries", *, min_heading_chars: int = 2):
        self.name = name
        self.min_heading_chars = min_heading_chars
        self._marks = (":", ":,", ",", *sorted(_BULLETS))  # the tokens besides whitespace that :meth:`predict` reads

    def __call__(self, doc: Doc) -> Doc:
        if doc._.qm_windows == []:
            return doc  # a windowed Doc without a window is filler alone: no heading, bullet or "?" to read
        starts = self.predict(doc)
        self.set_annotations(doc, starts)
        self.join_query_prefixes(doc)
        return doc

    @staticmethod
    def join_query_prefixes(doc: Doc) -> None:
        """A "?" written onto the next word ("?HTN - for ABPM", "?DM") queries that word: it starts the
        sentence the word is in instead of ending the one before."""
        marks = numpy.flatnonzero(doc.to_array(ORTH) == doc.vocab.strings.add("?"))
        n = len(doc)
        values = None
        for i in marks.tolist():
            token = doc[i]
            if (
                i + 1 < n
                and not token.whitespace_
                and doc[i + 1].text[:1].isalnum()
                and (i == 0 or doc[i - 1].whitespace_ or doc[i - 1].is_space)
            ):
                if values is None:
                    values = doc.to_array([SENT_START])
                values[i + 1] = _NOT_A_START
                values[i] = 1
        if values is not None:  # one array write (the Token.is_sent_start setter scans the whole Doc)
            doc.from_array([SENT_START], values)

    def predict(self, doc: Doc) -> set[int]:
        starts: set[int] = set()
        n = len(doc)
        # only whitespace tokens and the punctuation below can mark a start: find them in one array pass
        # (a token's own trailing whitespace is one space or none, never a line break); texts are read
        # from the array, not from Token objects
        strings = doc.vocab.strings
        marks = {strings.add(m) for m in self._marks}
        values = doc.to_array([ORTH, IS_SPACE, SPACY]).tolist()
        candidates = [i for i, (orth, space, _) in enumerate(values) if space or orth in marks]
        if not candidates:
            return starts
        texts = [strings[orth] for orth, _, _ in values]
        is_space = [space for _, space, _ in values]
        trailing = [spacy for _, _, spacy in values]
        for i in candidates:
            text = texts[i]
            # new lines: the next token that is not whitespace starts a sentence
            if is_space[i] and "\n" in text:
                j = i + 1
                while j < n and is_space[j]:
                    j += 1
                if j < n:
                    starts.add(j)
            if text in (":", ":,") and i > 0:
                # walk back over the capitalised heading words
                k = i - 1
                while k >= 0 and _is_heading_word(texts[k]):
                    k -= 1
                head_start = k + 1
                # the heading's text: its words and the spaces between them
                heading_chars = sum(len(texts[m]) + trailing[m] for m in range(head_start, i)) - trailing[i - 1]
                if head_start < i and heading_chars >= self.min_heading_chars and texts[head_start].isupper():
                    prev = texts[k] if k >= 0 else None
                    if (
                        prev is None
                        or prev in {",", ".", ";", ":"}
                        or "\n" in prev
                        or is_space[k]
                        or prev.endswith((",", "."))
                    ):
                        starts.add(head_start)
                    # the text after the heading starts a sentence too
                    j = i + 1
                    while j < n and (is_space[j] or texts[j] == ","):
                        j += 1
                    if j < n:
                        starts.add(j)
            if (
                text == ","
                and i + 1 < n
                and not trailing[i]
                and texts[i + 1][:1].isupper()
                and i > 0
                and texts[i - 1] in {".", ":", "?", "!"}
            ):
                starts.add(i + 1)  # ".,Next" : a transcribed line break
            if text in _BULLETS and (i == 0 or "\n" in texts[i - 1] or is_space[i - 1]):
                starts.add(i)
        return starts

    def set_annotations(self, doc: Doc, starts: set[int]) -> None:
        # one array write: the ``Token.is_sent_start`` setter scans the whole Doc on every call
        # (``has_annotation("DEP")``), which made long notes quadratic
        marks = [i for i in starts if 0 < i < len(doc)]
        if not marks:
            return
        values = doc.to_array([SENT_START])
        values[marks] = 1
        doc.from_array([SENT_START], values)
