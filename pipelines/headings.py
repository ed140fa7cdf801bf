"""Section headings in capitals anywhere, other headings only where a heading can start.

medspaCy's sectionizer either accepts a heading anywhere or only at the start of a line. Transcribed
notes run headings together ("...day.,OPERATIONS AND PROCEDURES: , Total..."), so a heading in capitals
is a heading wherever it stands; a heading in lower or title case ("plan:", "Plan:") is one only at the
start of a line or after punctuation: in "Dx on CCM plan: T2DM, HTN" the word starts no plan section.
"""

from __future__ import annotations

from typing import Any

from medspacy.section_detection import Sectionizer
from medspacy.section_detection.util import is_start_line
from spacy.attrs import ORTH
from spacy.tokens import Doc

__all__ = ["CapitalsOrLineStartSectionizer", "HEADING_AFTER"]

# what the token before a heading ends with (its text with trailing space): a line break, only punctuation,
# or a run of spaces (templated columns; a space token stands for the extra spaces)
HEADING_AFTER = r"(?:[\n\r]\s*|^[^\w\s]+\s*|\s{2,}|^\s+)$"
_MAX_HEADING_PREFIX = 6  # capitalised or joining words a heading may start with before the listed one
_HEADING_JOINERS = frozenset({"and", "of", "the", "&", "/", "-", "or"})


class CapitalsOrLineStartSectionizer(Sectionizer):
    """medspaCy's ``Sectionizer`` whose start-of-line filter lets headings in capitals through anywhere."""

    def filter_start_lines(self, doc: Doc, matches: list[Any]) -> list[Any]:
        if not matches:
            return []
        # the words of a match, read from the token array (``doc[start:end].text`` makes a Span and a Token per word)
        strings = doc.vocab.strings
        orths = doc.to_array(ORTH).tolist()
        return [
            m
            for m in matches
            if _in_capitals("".join([strings[o] for o in orths[m[1] : m[2]]])) or self._starts_heading(doc, m[1])
        ]

    def _starts_heading(self, doc: Doc, start: int) -> bool:
        """Whether the heading at ``start``, with the capitalised and joining words right before it ("Gen Exam:",
        "Auscultation of Lungs:", "Cardiovascular / Heart:"), starts a line or follows punctuation."""
        i = start
        while i > 0 and start - i < _MAX_HEADING_PREFIX and "\n" not in doc[i - 1].whitespace_:
            word = doc[i - 1].text
            if not (word[:1].isupper() or word.lower() in _HEADING_JOINERS):
                break
            i -= 1
        return is_start_line(i, doc, self.newline_pattern)


def _in_capitals(words: str) -> bool:
    """Whether a heading's words (joined, with or without their spaces) have letters, all of them capitals."""
    if words.isascii():
        return words.isupper()  # an ASCII letter is cased: a capital, or not
    letters = [c for c in words if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)

