"""Windowed extraction: find in the raw text where a rule could match and run spaCy only there.

Most of a note's words can never be evidence, yet tokenizing and matching every word of every
note is what an extraction run spends its time on. The :class:`Prefilter` is generated from the
rule files (never a second hand-written list): one Aho-Corasick automaton holds an *anchor* token
of every target rule and every section heading rule (the longest token of the phrase: a phrase
match always contains it verbatim), and the blood pressure reading expression of ``values.yaml``
finds the readings. Around every hit it cuts a *window* reaching from the sentence start before
the hit to the sentence start after it (a line start, or a word after ``". "`` that spaCy's
sentencizer always splits at); a note with no target's hit gets no window at all (headings only place
targets). The scans stay cheap: the automata read the text with its spaces taken out in one C pass, the
reading expression starts with a digit, and a hit's sentence is found from the full stops nearest to it.

:func:`windowed_doc` then tokenizes only the windows (joined, in one tokenizer call) and builds the
Doc from their tokens with the text between them as a few filler tokens of the same length (an
``x``, runs of spaces, a line break: :func:`blank_outside` gives that text), so the tokenizer never
reads the filler, every offset stays that of the note, and the tokens, sentences, targets,
modifiers and section headings inside the windows are those of the whole note.
``qm_window_boundaries`` marks the window edges as sentence starts (they are sentence starts in the
whole note), and the components that read text beyond a sentence (dates, blood
pressure cues, the evidence rows' context checks) read the whole normalized text from
``doc._.qm_source_text``. The full pipeline (``pipeline: {mode: full}``) stays the reference;
a test checks that both give the same evidence.
"""

from __future__ import annotations

import bisect
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ahocorasick
import numpy
from spacy.attrs import IDX, ORTH, SPACY
from spacy.tokens import Doc

__all__ = [
    "FILLER",
    "Prefilter",
    "blank_outside",
    "pattern_keys",
    "phrase_key",
    "phrase_keys",
    "source_text",
    "windowed_doc",
]

FILLER = "x"  # the one visible character of a blanked stretch: it ends the window before it as a sentence
HEADING_WORDS_BEFORE = 8  # the sectionizer looks at most 7 tokens back from a heading (headings.py)
# a sentence start spaCy's sentencizer always makes: a word of letters, its full stop, one space, a capital
# a word's full stop (a token of its own unless the word is an abbreviation) and what follows it: one space and
# a capital (the capital's word starts a sentence), or more spaces (the extra spaces, a token, start it)
_SENTENCE_CUT = re.compile(r"(?<![^\s(])([A-Za-z][a-z]+)(\.)(?: (?=[A-Z])| (?P<spaces> +)(?=\S))")
_LINE_START = re.compile(r"\n[ \t\r\n]*(?=\S)")
_CAPITALS = re.compile(r"[^a-z]*[A-Z][^a-z]*")
# a stretch whose every space stands alone between two other characters that are not whitespace
_LONE_SPACES = re.compile(r"(?:[^ ]*\S (?=\S))*[^ ]+")
# from a position, the rest of its word and the whitespace after it: the next word's start
_NEXT_WORD = re.compile(r"\S*\s*")
# read backwards (over the reversed text) from a position: the start of its word, or of the
# HEADING_WORDS_BEFORE-th word before it that no line break separates from it
_OWN_WORD = re.compile(r"\S*")
_WORDS_BEFORE = re.compile(r"\S*(?:[^\S\n]+\S+){0,%d}" % HEADING_WORDS_BEFORE)


def source_text(doc: Any) -> str:
    """The whole normalized text of a Doc: ``doc.text`` unless the Doc was windowed, whose own text is
    blank outside its windows. Read it once per Doc (``Doc.text`` joins all tokens on every access)."""
    text = doc._.qm_source_text
    return doc.text if text is None else text


class Prefilter:
    """Where the rules can match in a normalized text: :meth:`windows` gives the ``[start, end)``
    character windows spaCy has to see.

    Keys are phrases as their tokens joined without spaces (``phrase_key``): a phrase matcher match is
    a run of tokens with at most one space between two of them, so the text with those single spaces
    taken out holds the key. ``lower_keys`` are looked up in the lower-cased text (rules matched on
    ``LOWER``), ``cased_keys`` as written (``ORTH``: abbreviations, section headings);
    ``expressions``: regular expressions whose matches are evidence too (blood pressure readings);
    ``abbreviations``: words that keep their full stop as one token ("Dr.", "Jan."), where no sentence ends;
    ``heading_keys``: section headings (as written), which need only a small window (:meth:`windows`).
    """

    def __init__(
        self,
        lower_keys: Iterable[str],
        cased_keys: Iterable[str],
        expressions: Sequence[re.Pattern[str]],
        abbreviations: Iterable[str],
        heading_keys: Iterable[str] = (),
    ) -> None:
        lower = {k.lower() for k in lower_keys if k}
        cased = {k: True for k in heading_keys if k}
        cased.update({k: False for k in cased_keys if k})  # a key of a target rule too is a target's
        if not lower and not cased:
            raise ValueError("the prefilter got no keys: the target rules are empty")
        # one automaton, read over the lower-cased text: a lower key's hit is a hit; a cased key's lower-cased
        # form is a candidate, a hit where the text as written holds the key (:meth:`hits`). An ASCII text's
        # lower-cased form keeps every character where it is, so a cased key standing in an ASCII text always
        # shows there; other texts (and cased keys that are not ASCII) are read as written by ``self.cased``.
        # values: (length, whether a lower key, {cased key as written: heading} or None), flat for a cheap unpacking
        forms: dict[str, dict[str, bool]] = {}
        for key, heading in sorted(cased.items()):
            if key.isascii():
                forms.setdefault(key.lower(), {})[key] = heading
        self.lower = _automaton({k: (len(k), k in lower, forms.get(k)) for k in sorted(lower | set(forms))})
        self.cased = _automaton({k: (len(k), heading) for k, heading in cased.items()})
        self.expressions = tuple(expressions)
        self.abbreviations = frozenset(abbreviations)

    def __contains__(self, key: str) -> bool:
        lower = self.lower.get(key, None) if self.lower is not None else None
        return (lower is not None and lower[1]) or (self.cased is not None and key in self.cased)

    def hits(self, text: str) -> list[tuple[int, int, bool]]:
        """``(start, end, heading)`` of every key standing as possible tokens (``heading``: a section
        heading's key only), and of every expression match.

        The automata read the text with all its spaces taken out (``str.replace``, one pass in C); a key found
        there stands in the text with single spaces between two words (what :meth:`hits` promises) unless its
        stretch of the text holds a space next to another space or to other whitespace, which is checked on
        the few stretches that hold a space at all."""
        squeezed = text.replace(" ", "")
        if len(squeezed) < len(text):
            # squeezed offset of the first character after each removed space: a space's own offset minus
            # the spaces before it
            codes = numpy.frombuffer(text.encode("utf-32-le"), dtype=numpy.uint32)
            gaps = numpy.flatnonzero(codes == 32)
            after_gap = (gaps - numpy.arange(len(gaps))).tolist()
        else:
            after_gap = []
        lowered = squeezed.lower()
        one_pass = squeezed.isascii()
        n = len(text)
        # the kind of every character, for the check that a key does not go on into a longer word or number:
        # one C pass over an ASCII text (``bytes.translate``); a text beyond ASCII asks ``str`` at each boundary
        kinds = text.encode("ascii").translate(_KINDS) if text.isascii() else None
        lone = _LONE_SPACES.fullmatch
        out: list[tuple[int, int, bool]] = []

        def stands(last: int, length: int) -> tuple[int, int] | None:
            """The ``[start, end)`` in ``text`` of a key matched at squeezed ``last - length + 1 .. last``, if it
            stands there as possible tokens."""
            start = last + 1 - length
            start += bisect_right(after_gap, start)
            end = last + 1 + bisect_right(after_gap, last)
            if end - start > length and lone(text, start, end) is None:
                return None  # two spaces, or a space by a line break, between two of its characters
            if kinds is not None:
                if start > 0 and kinds[start] and kinds[start - 1] == kinds[start]:
                    return None
                if end < n and kinds[end] and kinds[end - 1] == kinds[end]:
                    return None
                return start, end
            if start > 0 and _joined(text[start - 1], text[start]):
                return None
            if end < n and _joined(text[end - 1], text[end]):
                return None
            return start, end

        if self.lower is not None:
            for last, (length, is_lower, forms) in self.lower.iter(lowered):
                if is_lower:
                    span = stands(last, length)
                    if span is not None:
                        out.append((*span, False))
                    if not (one_pass and forms):
                        continue
                elif not one_pass:
                    continue
                heading = forms.get(squeezed[last + 1 - length : last + 1])
                if heading is not None:
                    span = stands(last, length) if not is_lower else span
                    if span is not None:
                        out.append((*span, heading))
        if not one_pass and self.cased is not None:  # a text beyond ASCII: its cased keys read as written
            for last, (length, heading) in self.cased.iter(squeezed):
                span = stands(last, length)
                if span is not None:
                    out.append((*span, heading))
        for expression in self.expressions:
            out.extend((*m.span(), False) for m in expression.finditer(text))
        return out

    def sentence_around(self, text: str, start: int, end: int, line_starts: Sequence[int]) -> tuple[int, int]:
        """The sentences of ``text`` holding ``[start, end)``: from the last sentence start that needs no
        tokenizer to find at or before ``start`` to the first one at or after ``end`` (or the end of the
        text), as :meth:`cuts` lists them over the whole text. ``line_starts``: :func:`line_starts` of the text.

        A full stop's sentence start is read at the full stop itself (:meth:`_stop_cut`), from the hit
        outwards, so the first full stop that cuts ends the search: a note written as one long line costs a
        few full stops per hit, not a scan of the whole note."""
        k = bisect.bisect_right(line_starts, start) - 1
        first = line_starts[k] if k >= 0 else 0
        j = bisect.bisect_left(line_starts, end)
        last = line_starts[j] if j < len(line_starts) else len(text)
        q = text.rfind(".", first, start + 1)
        while q >= 0:
            opens = self._stop_cut(text, q)
            if opens is not None and opens <= start:
                first = max(first, opens)  # the nearest full stop that cuts opens last (see _stop_cut)
                break
            q = text.rfind(".", first, q)
        q = text.find(".", max(first, end - 2), last)
        while 0 <= q < last - 2:
            if self._stop_cut(text, q) is not None:
                last = q + 2  # where the sentence before it ends (a capital, or the space token after it)
                break
            q = text.find(".", q + 1, last)
        return first, last

    def _stop_cut(self, text: str, q: int) -> int | None:
        """Whether the full stop ``text[q]`` cuts a sentence (``_SENTENCE_CUT`` matches with it: it ends a word
        of letters that is no abbreviation and one space and a capital follow, or more spaces and a word),
        and where the next sentence starts: ``q + 2`` (the capital) or ``q`` (the full stop, a token of its
        own, starts the sentence of the space token after it); ``q + 2`` is where the window before ends."""
        n = len(text)
        if q + 2 >= n or text[q + 1] != " ":
            return None
        after = text[q + 2]
        if "A" <= after <= "Z":
            opens = q + 2
        elif after == " ":
            k = q + 3
            while k < n and text[k] == " ":
                k += 1
            if k >= n or text[k].isspace():
                return None
            opens = q
        else:
            return None
        r = q  # the start of the lower-case letters before the full stop
        while r > 0 and "a" <= text[r - 1] <= "z":
            r -= 1
        if r < q and r > 0 and "A" <= text[r - 1] <= "Z":
            word = r - 1
        elif q - r >= 2:
            word = r
        else:
            return None
        if word > 0 and not (text[word - 1].isspace() or text[word - 1] == "("):
            return None
        if text[word : q + 1] in self.abbreviations:
            return None
        return opens

    def cuts(self, text: str) -> tuple[list[int], list[int]]:
        """Every sentence start of :meth:`sentence_around` in the whole text, as (where a window may start,
        where one may end)."""
        starts = line_starts(text)
        ends = list(starts)
        for m in _SENTENCE_CUT.finditer(text):
            if m.group(1) + "." in self.abbreviations:
                continue
            if m.group("spaces") is None:
                starts.append(m.end())
                ends.append(m.end())
            else:
                starts.append(m.start(2))
                ends.append(m.start("spaces"))
        starts.sort()
        ends.sort()
        return starts, ends

    def windows(self, text: str) -> list[tuple[int, int]]:
        """The merged windows of ``text``: a target's from the cut at or before its hit to the first cut
        after it (its whole sentences, :meth:`sentence_around`); a section heading's from its word (in
        capitals) or from ``HEADING_WORDS_BEFORE`` words before it (what the sectionizer reads to accept a
        heading in lower case), or its line start, to the next word after it (the section body's first token).
        A text without a target's hit has no window (its headings would only place targets it does not have)."""
        hits = self.hits(text)
        targets = sorted((start, end) for start, end, heading in hits if not heading)
        if not targets:
            return []  # no target can match: a section heading alone is no evidence, nothing to tokenize
        lines = line_starts(text)
        spans = [self.sentence_around(text, *targets[0], lines)]
        for start, end in targets[1:]:
            first, last = spans[-1]
            if first <= start and end <= last:
                # within the sentences of the hit before: its own lie within them (the cut at or before a
                # position and the one at or after it move with the position), it adds nothing
                continue
            spans.append(self.sentence_around(text, start, end, lines))
        reversed_text = None
        for start, end, heading in hits:
            if heading:
                if reversed_text is None:
                    reversed_text = text[::-1]
                # a heading in capitals counts anywhere; another one only where a heading can start
                words_before = _OWN_WORD if _CAPITALS.fullmatch(text, start, end) else _WORDS_BEFORE
                first = len(text) - words_before.match(reversed_text, len(text) - start).end()
                spans.append((first, _NEXT_WORD.match(text, end).end()))
        spans.sort()
        merged = [list(spans[0])]
        for start, end in spans[1:]:
            if start < merged[-1][1] + 2:  # overlapping, touching, or one character apart (no room for filler)
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [(a, b) for a, b in merged]


def line_starts(text: str) -> list[int]:
    """0 and the first character of every line that has one (after a line break and blank space)."""
    return [0, *(m.end() for m in _LINE_START.finditer(text))]


def _automaton(keys: Mapping[str, Any]) -> Any:
    automaton = ahocorasick.Automaton()
    for key, value in keys.items():
        if key:
            automaton.add_word(key, value)
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return automaton


def phrase_key(tokens: Iterable[str]) -> str:
    """The key of a phrase in the prefilter: its tokens' texts joined without spaces."""
    return "".join(tokens)


# ``bytes.translate`` table of character kinds: 1 a letter, 2 a digit, 0 anything else (of ASCII)
_KINDS = bytes(1 if chr(c).isalpha() else 2 if chr(c).isdigit() else 0 for c in range(256))


def _joined(a: str, b: str) -> bool:
    """Whether two neighbouring characters always fall in one token (two letters, two digits)."""
    return (a.isalpha() and b.isalpha()) or (a.isdigit() and b.isdigit())


def blank_outside(text: str, windows: Sequence[tuple[int, int]]) -> str:
    """``text`` with every stretch outside ``windows`` replaced by :data:`FILLER` and spaces (same length)."""
    pieces = []
    pos = 0
    for start, end in windows:
        if start > pos:
            pieces.append(_filler(start - pos))
        pieces.append(text[start:end])
        pos = end
    if pos < len(text):
        pieces.append(_filler(len(text) - pos))
    return "".join(pieces)


def _filler(length: int) -> str:
    """``length`` characters of filler: an ``x`` (it ends the window before it as a sentence), spaces, and a line
    break at the end (the window after it starts a line, as a heading's check of what precedes it wants)."""
    if length < 2:
        return "\n"
    return FILLER + " " * (length - 2) + "\n"


def _filler_words(length: int) -> tuple[list[str], list[bool]]:
    """The tokens of :func:`_filler` ``(length)`` as words and trailing spaces, without the tokenizer: an
    ``x``, the spaces as runs of powers of two (a few tokens, and only a few strings in the vocabulary
    whatever the length), the line break."""
    if length < 2:
        return ["\n"], [False]
    words, spaces = [FILLER], [length > 2]
    rest = length - 3  # the spaces after the x's own trailing one
    size = 1
    runs = []
    while rest >= size:
        if rest & size:
            runs.append(" " * size)
        size <<= 1
    words.extend(reversed(runs))
    spaces.extend([False] * len(runs))
    words.append("\n")
    spaces.append(False)
    return words, spaces


def windowed_doc(tokenizer: Any, text: str, windows: Sequence[tuple[int, int]]) -> Any:
    """The Doc of ``text`` with only ``windows`` tokenized, each stretch between them as filler tokens
    (:func:`_filler_words`); ``doc.text`` equals :func:`blank_outside` ``(text, windows)``, so every offset is
    that of ``text``.

    The windows are tokenized in one call, joined: a window starts at a sentence start of the whole text
    (a word after whitespace, or a full stop after a word) and ends after whitespace or at the end of the text,
    so no token of the joined text crosses from one window into the next, and each window's tokens are those
    of the whole text."""
    if not windows:
        words, spaces = _filler_words(len(text))
        return Doc(tokenizer.vocab, words=words, spaces=spaces)
    joined = tokenizer("".join([text[a:b] for a, b in windows]))
    values = joined.to_array([ORTH, SPACY, IDX])
    orths = values[:, 0].tolist()
    trailing = values[:, 1].astype(bool).tolist()
    # where each window's tokens start in the joined Doc
    offsets = numpy.cumsum([0] + [b - a for a, b in windows[:-1]])
    firsts = numpy.searchsorted(values[:, 2], offsets).tolist() + [len(orths)]
    words: list[Any] = []
    spaces: list[bool] = []
    pos = 0
    for k, (start, end) in enumerate(windows):
        if start > pos:
            filler, gaps = _filler_words(start - pos)
            words.extend(filler)
            spaces.extend(gaps)
        words.extend(orths[firsts[k] : firsts[k + 1]])
        spaces.extend(trailing[firsts[k] : firsts[k + 1]])
        pos = end
    if pos < len(text):
        filler, gaps = _filler_words(len(text) - pos)
        words.extend(filler)
        spaces.extend(gaps)
    return Doc(tokenizer.vocab, words=words, spaces=spaces)


def phrase_keys(phrases: Iterable[str], tokenizer: Any) -> set[str]:
    """The keys (:func:`phrase_key`) of phrases, tokenized by ``tokenizer`` as the phrase matcher does."""
    return {phrase_key(t.text for t in doc) for doc in tokenizer.pipe(phrases) if len(doc)}


def pattern_keys(pattern: Sequence[Mapping[str, Any]]) -> set[str]:
    """Keys of a spaCy token pattern: the values of its most selective required token (LOWER, ORTH,
    TEXT or NORM, a string or an ``IN`` list: the longest shortest value, then the fewest values).
    A pattern without one cannot be prefiltered: ValueError."""
    best: set[str] | None = None
    for token in pattern:
        if token.get("OP") in ("?", "*", "!"):
            continue
        for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
            value = token.get(attr)
            if isinstance(value, str):
                values = {value.lower()}
            elif isinstance(value, Mapping) and isinstance(value.get("IN"), list):
                values = {str(v).lower() for v in value["IN"]}
            else:
                continue
            if best is None or (-min(map(len, values)), len(values)) < (-min(map(len, best)), len(best)):
                best = values
    if best is None:
        raise ValueError(f"token pattern {pattern!r} has no required word the prefilter could look for")
    return best
