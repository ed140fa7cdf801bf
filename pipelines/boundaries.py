"""``qm_heading_boundaries``: sentence starts the rule-based sentencizer misses.

Transcribed notes turn line breaks into commas ("...Allegra.,ALLERGIES: , She has...") and
templated visit notes put headings and bullets on their own lines. A heading, the text after a
heading, a new line and a bullet each start a sentence, so that negation, family and plan scopes
stop at them. Only ``token.is_sent_start`` changes; the text is never altered. A windowed Doc without a
window (``pipelines.prefilter``: filler alone) has none of them and is left as it is.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import compress

import numpy
from spacy.attrs import IS_SPACE, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["HeadingBoundaries"]

_NOT_A_START = numpy.uint64(2**64 - 1)  # SENT_START -1 in the uint64 array of Doc.to_array

_BULLETS = {"•", "*", "-", "●", "▪", "·", "o"}
_HEADING_JOINERS = {"&", "/", "AND", "OF", "THE", "FOR", "(", ")", "-"}


@lru_cache(maxsize=4096)  # the words before a colon repeat from note to note ("HISTORY", "PLAN", "OF")
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
        # the tokens besides whitespace that :meth:`predict` reads (a string's hash is the same in every vocabulary)
        strings = nlp.vocab.strings
        self._colons = frozenset({strings.add(":"), strings.add(":,")})
        self._comma = strings.add(",")
        self._bullets = frozenset(strings.add(b) for b in _BULLETS)

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
        """The tokens that start a sentence: the first word of a new line, a heading in capitals and the text after
        it, a word after a transcribed line break (".,Next"), a bullet.

        Only whitespace tokens holding a line break, ":", ",", and bullets can mark a start: each kind is found in
        the token array with ``map`` and ``compress`` (a loop in C), and only those tokens and their neighbours are
        read as text (a token's own trailing whitespace is one space or none, never a line break)."""
        starts: set[int] = set()
        n = len(doc)
        strings = doc.vocab.strings
        values = doc.to_array([ORTH, IS_SPACE, SPACY])
        orths = values[:, 0].tolist()
        is_space = values[:, 1].tolist()
        trailing = values[:, 2].tolist()
        positions = range(n)

        def text(k: int) -> str:
            return strings[orths[k]]

        # new lines: the next token that is not whitespace starts a sentence
        lines = {orth for orth in set(compress(orths, is_space)) if "\n" in strings[orth]}
        for i in compress(positions, map(lines.__contains__, orths)):
            j = i + 1
            while j < n and is_space[j]:
                j += 1
            if j < n:
                starts.add(j)
        for i in compress(positions, map(self._colons.__contains__, orths)):
            if i == 0:
                continue
            # walk back over the capitalised heading words
            words = []
            k = i - 1
            while k >= 0:
                word = text(k)
                if not _is_heading_word(word):
                    break
                words.append(word)
                k -= 1
            head_start = k + 1
            if head_start == i:
                continue
            # the heading's text: its words and the spaces between them
            heading_chars = sum(map(len, words)) + sum(trailing[head_start:i]) - trailing[i - 1]
            if heading_chars >= self.min_heading_chars and words[-1].isupper():
                prev = text(k) if k >= 0 else None
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
                while j < n and (is_space[j] or orths[j] == self._comma):
                    j += 1
                if j < n:
                    starts.add(j)
        for i in compress(positions, map(self._comma.__eq__, orths)):
            if (
                i + 1 < n
                and i > 0
                and not trailing[i]
                and text(i + 1)[:1].isupper()
                and text(i - 1) in {".", ":", "?", "!"}
            ):
                starts.add(i + 1)  # ".,Next" : a transcribed line break
        for i in compress(positions, map(self._bullets.__contains__, orths)):
            if i == 0 or is_space[i - 1] or "\n" in text(i - 1):
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
