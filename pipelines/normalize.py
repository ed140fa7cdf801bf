"""A normalized view of note text for matching, with a map back to the original offsets.

Notes typed in EHRs and word processors carry typography the rules would otherwise have to
spell out everywhere: non-breaking and other Unicode hyphens and dashes (``PHQ‑9``,
``Non‑smoker``), curly quotes, non-breaking and thin spaces, arrows (``A1c 8.4 → 7.6``,
``↑ BP``), bullets, ``~`` for "about", ``Ø`` for "no", check marks, fractions, full-width
letters and invisible characters (soft hyphens, zero-width spaces).

:func:`normalize_text` returns the text the pipeline matches on and a :class:`TextMap` that
turns offsets into that text back into offsets into the original, so every evidence item
still quotes the original (``text[start:end] == span``). Most characters map one to one
(dashes to ``-``, curly quotes to straight ones, NBSP to a space, bullets to ``•``); a few
become words (``→`` "then", ``←`` "from", ``↑`` "increased", ``↓`` "decreased", ``~`` "about",
``Ø`` "no", ``✓`` "done"); a cross or an empty checkbox starts an item like a bullet; invisible
ones are dropped. When nothing of that kind occurs the
map is the identity and costs nothing.

The table is data a reviewer can read: ``ONE_TO_ONE``, ``WORDS`` and ``DROPPED`` below.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass

__all__ = [
    "DROPPED",
    "NormalizedText",
    "NormalizingTokenizer",
    "ONE_TO_ONE",
    "TextMap",
    "WORDS",
    "normalize_text",
]

# one character -> one character (offsets unchanged)
ONE_TO_ONE: dict[str, str] = {
    # hyphens, dashes and minus signs
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d", "-"),
    # quotes and primes
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u02bc", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    # spaces: no-break, thin, en/em, ideographic ...; line and paragraph separators
    **dict.fromkeys(
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "
    ),
    **dict.fromkeys("\u2028\u2029\u0085", "\n"),
    # bullets (the sentence splitter and heading boundaries know "•")
    **dict.fromkeys(
        "\u25e6\u25aa\u25ab\u2023\u25cf\u25cb\u25a0\u25a1\u25b6\u25ba\u27a2\u27a4\u2219\u2022\u25c6\u25c7\u2666"
        # a cross or an empty box marks an open item of a checklist ("✗ A1c - overdue (last 7.8%)",
        # "☐ Breast screen - last mammo 03/2024"), not a negation of what follows: a bullet
        "\u2717\u2718\u2610\u2612",
        "\u2022",
    ),
    # slashes and multiplication
    **dict.fromkeys("\u2044\u2215", "/"),
    "\u00d7": "x",
    # full-width ASCII (U+FF01..U+FF5E)
    **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
}
# one character -> a word or several characters (padded with spaces where it touches a word)
WORDS: dict[str, str] = {
    "\u2192": "then",  # →
    "\u21d2": "then",  # ⇒
    "\u27f6": "then",  # ⟶
    "\u2794": "then",  # ➔
    "\u279d": "then",  # ➝
    "\u279e": "then",  # ➞
    "\u2190": "from",  # ← ("8.0% ← 7.5% 08/25": up or down from an earlier value)
    "\u21d0": "from",  # ⇐
    "\u2191": "increased",  # ↑
    "\u21d1": "increased",  # ⇑
    "\u2b06": "increased",  # ⬆
    "\u2193": "decreased",  # ↓
    "\u21d3": "decreased",  # ⇓
    "\u2b07": "decreased",  # ⬇
    "~": "about",
    "\u2248": "about",  # ≈
    "\u00d8": "no",  # Ø
    "\u2205": "no",  # ∅
    "\u2713": "done",  # ✓
    "\u2714": "done",  # ✔
    "\u2611": "done",  # ☑
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u2026": "...",
}
# invisible characters: soft hyphen, zero-width space / joiners, word joiner, byte order mark
DROPPED: frozenset[str] = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")

_TRANSLATE = str.maketrans(ONE_TO_ONE)
_SPECIAL = re.compile(
    "[" + re.escape("".join(WORDS)) + re.escape("".join(DROPPED)) + "\u00b7" + "]"
)
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class TextMap:
    """Offsets of the normalized text -> offsets of the original: normalized character ``i``
    came from original characters ``[starts[i], ends[i])``."""

    starts: array
    ends: array
    source_length: int

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of a normalized ``[start, end)``."""
        n = len(self.starts)
        if start >= n:
            return self.source_length, self.source_length
        if end <= start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[min(end, n) - 1]


@dataclass(frozen=True)
class NormalizedText:
    """The text the pipeline matches on, and its map back (``None``: offsets are unchanged)."""

    text: str
    map: TextMap | None = None

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        return (start, end) if self.map is None else self.map.to_source(start, end)


def _replacement(text: str, k: int) -> str:
    ch = text[k]
    if ch in DROPPED:
        return ""
    if ch == "\u00b7":  # middle dot: a decimal point between digits ("7·2%"), else a bullet
        before = text[k - 1] if k else ""
        after = text[k + 1] if k + 1 < len(text) else ""
        return "." if before.isdigit() and after.isdigit() else "\u2022"
    word = WORDS[ch]
    if len(word) > 1 and word[0].isalpha():
        before = text[k - 1] if k else " "
        after = text[k + 1] if k + 1 < len(text) else " "
        if _WORDLIKE.match(before) or before in ".,;:)%":
            word = " " + word
        if _WORDLIKE.match(after) or after in "(":
            word = word + " "
    return word


def normalize_text(text: str) -> NormalizedText:
    """The normalized view of ``text`` (see the module docstring) and its offset map."""
    text1 = text.translate(_TRANSLATE)  # one to one: offsets unchanged
    matches = list(_SPECIAL.finditer(text1))
    if not matches:
        return NormalizedText(text1)
    pieces: list[str] = []
    starts = array("l")
    ends = array("l")
    pos = 0
    for m in matches:
        k = m.start()
        if k > pos:
            pieces.append(text1[pos:k])
            starts.extend(range(pos, k))
            ends.extend(range(pos + 1, k + 1))
        word = _replacement(text1, k)
        pieces.append(word)
        starts.extend([k] * len(word))
        ends.extend([k + 1] * len(word))
        pos = k + 1
    if pos < len(text1):
        pieces.append(text1[pos:])
        starts.extend(range(pos, len(text1)))
        ends.extend(range(pos + 1, len(text1) + 1))
    out = "".join(pieces)
    if len(out) == len(text1) and all(s == i for i, s in enumerate(starts)):
        return NormalizedText(out)  # only one-to-one replacements (e.g. a decimal middle dot)
    return NormalizedText(out, TextMap(starts, ends, len(text)))


class NormalizingTokenizer:
    """``nlp.tokenizer`` that tokenizes the normalized view of the text (``make_doc`` level).

    ``doc.text`` is the normalized text; ``doc._.qm_text_map`` holds the :class:`TextMap` back
    to the original (``None`` when offsets are unchanged). Everything else is delegated to the
    wrapped spaCy tokenizer.

    With a ``prefilter`` (``pipelines.prefilter.Prefilter``: windowed mode) only the windows where a
    rule can match are tokenized: the rest of the text becomes filler tokens of the same length, and
    ``doc._.qm_source_text`` keeps the whole normalized text, ``doc._.qm_windows`` the windows.
    """

    def __init__(self, tokenizer: object, prefilter: object | None = None) -> None:
        self.tokenizer = tokenizer
        self.prefilter = prefilter

    def whole(self, text: str) -> object:
        """The Doc of the whole text, windowed mode or not (targets given from outside, as the NegEx
        evaluation does, can stand anywhere)."""
        normalized = normalize_text(text)
        doc = self.tokenizer(normalized.text)  # type: ignore[operator]
        doc._.qm_text_map = normalized.map
        return doc

    def __call__(self, text: str) -> object:
        normalized = normalize_text(text)
        if self.prefilter is None:
            doc = self.tokenizer(normalized.text)  # type: ignore[operator]
        else:
            from .prefilter import windowed_doc

            windows = self.prefilter.windows(normalized.text)  # type: ignore[attr-defined]
            doc = windowed_doc(self.tokenizer, normalized.text, windows)
            doc._.qm_source_text = normalized.text
            doc._.qm_windows = windows
        doc._.qm_text_map = normalized.map
        return doc

    def __getattr__(self, name: str) -> object:
        if name == "tokenizer":  # not set yet (copying): no recursion
            raise AttributeError(name)
        return getattr(self.tokenizer, name)
