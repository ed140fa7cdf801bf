"""``qm_heading_boundaries``: sentence starts the rule-based sentencizer misses.

Transcribed notes turn line breaks into commas ("...Allegra.,ALLERGIES: , She has...") and
templated visit notes put headings and bullets on their own lines. A heading, the text after a
heading, a new line and a bullet each start a sentence, so that negation, family and plan scopes
stop at them. Only ``token.is_sent_start`` changes; the text is never altered.
"""

from __future__ import annotations

import numpy
from spacy.attrs import IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Token

__all__ = ["HeadingBoundaries"]

_NOT_A_START = numpy.uint64(2**64 - 1)  # SENT_START -1 in the uint64 array of Doc.to_array

_BULLETS = {"•", "*", "-", "●", "▪", "·", "o"}
_HEADING_JOINERS = {"&", "/", "AND", "OF", "THE", "FOR", "(", ")", "-"}


def _is_heading_word(token: Token) -> bool:
    """A capitalised word without digits ("PLAN", "HISTORY"); "PHQ-2" or "A1C" are not headings."""
    text = token.text
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
        # (a token's own trailing whitespace is one space or none, never a line break)
        strings = doc.vocab.strings
        values = doc.to_array([ORTH, IS_SPACE])
        marks = [strings.add(m) for m in self._marks]
        candidates = numpy.flatnonzero(values[:, 1] | numpy.isin(values[:, 0], marks)).tolist()
        for i in candidates:
            token = doc[i]
            # new lines: the next token that is not whitespace starts a sentence
            if token.is_space and "\n" in token.text:
                j = i + 1
                while j < n and doc[j].is_space:
                    j += 1
                if j < n:
                    starts.add(j)
            if token.text in (":", ":,") and i > 0:
                # walk back over the capitalised heading words
                k = i - 1
                while k >= 0 and _is_heading_word(doc[k]):
                    k -= 1
                head_start = k + 1
                heading_chars = doc[head_start:i].text if head_start < i else ""
                if (
                    head_start < i
                    and len(heading_chars) >= self.min_heading_chars
                    and doc[head_start].text.isupper()
                ):
                    prev = doc[k] if k >= 0 else None
                    if (
                        prev is None
                        or prev.text in {",", ".", ";", ":"}
                        or "\n" in prev.text_with_ws
                        or prev.is_space
                        or prev.text.endswith((",", "."))
                    ):
                        starts.add(head_start)
                    # the text after the heading starts a sentence too
                    j = i + 1
                    while j < n and (doc[j].is_space or doc[j].text == ","):
                        j += 1
                    if j < n:
                        starts.add(j)
            if (
                token.text == ","
                and i + 1 < n
                and not token.whitespace_
                and doc[i + 1].text[:1].isupper()
                and i > 0
                and doc[i - 1].text in {".", ":", "?", "!"}
            ):
                starts.add(i + 1)  # ".,Next" : a transcribed line break
            if token.text in _BULLETS and (i == 0 or "\n" in doc[i - 1].text_with_ws or doc[i - 1].is_space):
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
