"""Regex rules read the Doc's text once, not once per rule.

medspaCy's ``RegexMatcher`` (the path of rules whose ``pattern`` is a regular expression) rebuilds
``doc.text_with_ws`` for every pattern of every Doc: with a dozen regex rules that cost more than all
the token matching. :class:`OneTextRegexMatcher` is the same matcher reading the text once per call;
:func:`read_text_once` switches the regex matcher inside a medspaCy target matcher or ConText to it.
Matches, their order and the callbacks are unchanged.

It also skips a pattern on a text that lacks a literal every match of it holds (:func:`required_literals`,
read from the pattern's own parse: a run of literal characters, a character set, a digit, an alternation
whose every alternative needs one), as a scan of a few thousand characters costs more than a few substring
tests. The date tagger and the note profile gate their expressions the same way (:func:`holds_literals`).

:func:`first_char_form` gives a pattern that does not start with a literal (``\\b(?:last|prior)``,
``(?:[:=]|(?<=\\w)\\?)``) a lookahead of the characters every match starts with: ``re`` then skips to those
characters in C instead of trying the whole pattern at every position (same matches, a few times faster on a
long text).
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the parse ``re`` compiles from: what every match must hold
from collections.abc import Iterator
from typing import Any

from medspacy.common.regex_matcher import RegexMatcher
from medspacy.common.util import get_token_for_char
from spacy.tokens import Doc

from .prefilter import blank_outside

__all__ = [
    "OneTextRegexMatcher",
    "doc_text",
    "first_char_form",
    "finditer_from_starts",
    "first_chars",
    "holds_literals",
    "read_text_once",
    "required_literals",
    "start_literals",
]


def required_literals(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Sets of lower-case ASCII strings such that the text of every match of ``pattern`` holds one string of
    each set: its runs of literal characters, sets of literal characters (a range of a few, a digit: ``\\d`` on
    an ASCII text), the required parts of groups and repeats, and of an alternation one set per alternative
    (each alternative's rarest, :func:`_rarest`) joined. Lower case: a necessary condition with or without
    ``re.IGNORECASE``, on an ASCII text (where ignoring case is ``str.lower`` and ``\\d`` is ``[0-9]``)."""
    found = _needs(sre_parse.parse(pattern.pattern, pattern.flags))
    return tuple(frozenset(w.lower() for w in words) for words in found if all(w.isascii() for w in words))


def holds_literals(
    needs: tuple[frozenset[str], ...],
    lowered: str | None,
    memo: dict[frozenset[str], bool] | None = None,
    by_substring: bool = False,
) -> bool:
    """Whether a lower-cased ASCII text holds a string of each set of ``needs`` (:func:`required_literals`);
    true for any other text (``lowered`` None), where the literals prove nothing. ``memo``: the answers for sets
    already tested on this text (many patterns share a set: a digit, the month names). ``by_substring``: test the
    strings one by one (``in``) instead of with one compiled alternation; faster on a whole note, where most sets
    are missing and ``str`` scans for one string faster than ``re`` for several (not on short texts)."""
    if lowered is None:
        return True
    for words in needs:
        found = None if memo is None else memo.get(words)
        if found is None:
            if by_substring:
                found = any(word in lowered for word in words)
            else:
                found = _search_of(words)(lowered) is not None
            if memo is not None:
                memo[words] = found
        if not found:
            return False
    return True


_SEARCHES: dict[frozenset[str], Any] = {}


def _search_of(words: frozenset[str]) -> Any:
    """One compiled search for any of ``words`` (a scan in C, however many words)."""
    search = _SEARCHES.get(words)
    if search is None:
        alternatives = sorted(words, key=lambda w: (-len(w), w))
        search = _SEARCHES[words] = re.compile("|".join(map(re.escape, alternatives))).search
    return search


_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT)
_DIGITS = frozenset("0123456789")
_MAX_RANGE = 10  # a character range of at most this many characters (a digit range) counts as a set of literals


def _needs(items: Any) -> list[frozenset[str]]:
    """The sets of strings every match of a parsed sequence holds one of (see :func:`required_literals`)."""
    found: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in list(items) + [(None, None)]:
        if op is sre_parse.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            found.append(frozenset(["".join(run)]))
            run = []
        if op is sre_parse.SUBPATTERN:
            found.extend(_needs(arg[-1]))
        elif op is sre_parse.ATOMIC_GROUP:
            found.extend(_needs(arg))
        elif op in _REPEATS and arg[0] >= 1:
            found.extend(_needs(arg[2]))
        elif op is sre_parse.BRANCH:
            chosen = []
            for alternative in arg[1]:
                own = _needs(alternative)
                if not own:
                    break  # an alternative that needs nothing: the alternation needs nothing
                chosen.append(_rarest(own))
            else:
                found.append(frozenset().union(*chosen))
        elif op is sre_parse.IN:
            chars = _characters(arg)
            if chars:
                found.append(chars)
    return found


def _characters(items: Any) -> frozenset[str] | None:
    """The characters a character set matches when they are few and literal (a digit, a small range), else None."""
    out: set[str] = set()
    for op, arg in items:
        if op is sre_parse.LITERAL:
            out.add(chr(arg))
        elif op is sre_parse.RANGE and arg[1] - arg[0] < _MAX_RANGE:
            out.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre_parse.CATEGORY and arg is sre_parse.CATEGORY_DIGIT:
            out.update(_DIGITS)
        else:
            return None  # a negated set, a wide range, another category
    return frozenset(out)


def _rarest(needs: list[frozenset[str]]) -> frozenset[str]:
    """Longer strings are rarer: the set with the longest shortest string, then the fewest strings."""
    return min(needs, key=lambda words: (-min(map(len, words)), len(words)))


_CATEGORY_SOURCE = {
    sre_parse.CATEGORY_DIGIT: r"\d",
    sre_parse.CATEGORY_NOT_DIGIT: r"\D",
    sre_parse.CATEGORY_SPACE: r"\s",
    sre_parse.CATEGORY_NOT_SPACE: r"\S",
    sre_parse.CATEGORY_WORD: r"\w",
    sre_parse.CATEGORY_NOT_WORD: r"\W",
}
_ZERO_WIDTH = (sre_parse.AT, sre_parse.ASSERT, sre_parse.ASSERT_NOT)


def first_chars(pattern: re.Pattern[str]) -> str | None:
    """The source of a character set (``[...]``, to compile with ``pattern``'s flags) holding the first character of
    every match of ``pattern``, read from its parse (lookarounds and ``\\b`` consume nothing: the next item counts);
    None when the pattern can match the empty string or starts with what this does not follow (``.``, a negated
    set, a back reference, a group with its own flags)."""
    try:
        parts, nullable = _first_of(sre_parse.parse(pattern.pattern, pattern.flags))
    except re.error:
        return None
    if parts is None or nullable or not parts:
        return None
    return "[" + "".join(sorted(parts)) + "]"


def _char(code: int) -> str:
    return f"\\U{code:08x}"  # unambiguous inside a set, whatever the character and the flags


def _first_of(items: Any) -> tuple[set[str] | None, bool]:
    """(the set parts the first character of a match of a parsed sequence is in, whether it can match empty)."""
    parts: set[str] = set()
    for op, arg in items:
        own, nullable = _first_of_item(op, arg)
        if own is None:
            return None, False
        parts |= own
        if not nullable:
            return parts, False
    return parts, True


def _first_of_item(op: Any, arg: Any) -> tuple[set[str] | None, bool]:
    if op is sre_parse.LITERAL:
        return {_char(arg)}, False
    if op is sre_parse.IN:
        parts: set[str] = set()
        for item_op, item in arg:
            if item_op is sre_parse.LITERAL:
                parts.add(_char(item))
            elif item_op is sre_parse.RANGE:
                parts.add(_char(item[0]) + "-" + _char(item[1]))
            elif item_op is sre_parse.CATEGORY and item in _CATEGORY_SOURCE:
                parts.add(_CATEGORY_SOURCE[item])
            else:
                return None, False  # a negated set, another category
        return parts, False
    if op in _ZERO_WIDTH:
        return set(), True
    if op is sre_parse.SUBPATTERN:
        _group, add_flags, del_flags, sub = arg
        return (None, False) if add_flags or del_flags else _first_of(sub)
    if op is sre_parse.ATOMIC_GROUP:
        return _first_of(arg)
    if op is sre_parse.BRANCH:
        parts = set()
        nullable = False
        for alternative in arg[1]:
            own, empty = _first_of(alternative)
            if own is None:
                return None, False
            parts |= own
            nullable = nullable or empty
        return parts, nullable
    if op in _REPEATS:
        low, _high, sub = arg
        own, empty = _first_of(sub)
        return (None, False) if own is None else (own, empty or low == 0)
    return None, False


_WIDE_RANGE = re.compile(r"\\U([0-9a-f]{8})-\\U([0-9a-f]{8})")


def _narrow(chars: str) -> bool:
    """Whether a first-character set is worth a lookahead: no category but digits (``\\w``, ``\\s``: most of a
    text) and no range of more than ten characters (``[a-z]``); a wide set costs more than it skips."""
    if any(c in chars for c in (r"\w", r"\W", r"\s", r"\S", r"\D")):
        return False
    return all(int(b, 16) - int(a, 16) < _MAX_RANGE for a, b in _WIDE_RANGE.findall(chars))


_FIRST_CHAR_FORMS: dict[re.Pattern[str], re.Pattern[str]] = {}


def first_char_form(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` behind a lookahead of its first characters (:func:`first_chars`): the same matches, with the
    same groups, found by a scan in C for those characters. ``pattern`` itself when it starts with a literal or a
    set (``re`` scans for those already) or its first characters are unknown."""
    form = _FIRST_CHAR_FORMS.get(pattern)
    if form is None:
        form = pattern
        items = sre_parse.parse(pattern.pattern, pattern.flags)
        chars = first_chars(pattern)
        if chars is not None and _narrow(chars) and len(items) and items[0][0] not in (sre_parse.LITERAL, sre_parse.IN):
            close = "\n)" if pattern.flags & re.VERBOSE else ")"  # a trailing comment must not swallow the ")"
            try:
                form = re.compile(f"(?={chars})(?:{pattern.pattern}{close}", pattern.flags)
            except re.error:  # global flags inside the pattern ("(?i)..."), which must come first
                form = pattern
        _FIRST_CHAR_FORMS[pattern] = form
    return form


def start_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The strings every match of ``pattern`` starts with, one of them (its first character-consuming item: a run of
    literal characters, a group or an alternation of such, after zero-width assertions), read from its parse; None
    when the first item is anything else. Under ``re.IGNORECASE`` they are lower case, to find in a lower-cased ASCII
    text."""
    try:
        found = _starts_of(sre_parse.parse(pattern.pattern, pattern.flags))
    except re.error:
        return None
    if not found or not all(w.isascii() for w in found):
        return None
    return frozenset(w.lower() for w in found) if pattern.flags & re.IGNORECASE else frozenset(found)


def _starts_of(items: Any) -> set[str] | None:
    items = list(items)
    i = 0
    while i < len(items) and items[i][0] in _ZERO_WIDTH:
        i += 1  # a lookaround or ``\\b`` consumes nothing: the match starts at what follows
    if i == len(items):
        return None
    op, arg = items[i]
    if op is sre_parse.LITERAL:
        run = []
        while i < len(items) and items[i][0] is sre_parse.LITERAL:
            run.append(chr(items[i][1]))
            i += 1
        word = "".join(run)
        if i < len(items) and items[i][0] in (sre_parse.SUBPATTERN, sre_parse.BRANCH):
            # the parse takes an alternation's common start out of it: "D" + (NAed|NA'd|eclined)
            tail = _starts_of(items[i:])
            if tail:
                return {word + rest for rest in tail}
        return {word}
    if op is sre_parse.SUBPATTERN:
        _group, add_flags, del_flags, sub = arg
        return None if add_flags or del_flags else _starts_of(sub)
    if op is sre_parse.BRANCH:
        found: set[str] = set()
        for alternative in arg[1]:
            own = _starts_of(alternative)
            if own is None:
                return None
            found |= own
        return found
    return None


def _starts_at(text: str, words: frozenset[str]) -> list[int]:
    """Every position of ``text`` where one of ``words`` starts, sorted."""
    starts: set[int] = set()
    for word in words:
        i = text.find(word)
        while i != -1:
            starts.add(i)
            i = text.find(word, i + 1)
    return sorted(starts)


def finditer_from_starts(pattern: re.Pattern[str], text: str, lowered: str | None) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, trying the pattern only where one of its :func:`start_literals` begins when they
    are all at least three characters long (few places in a note), a scan of ``text`` for each with ``str.find``
    instead of ``re`` trying the pattern at every position: the same matches (``match`` at a position sees the text
    before it, for ``\\b`` and lookbehinds, as ``finditer`` does), in the same order."""
    words = _START_LITERALS.get(pattern, False)
    if words is False:
        words = start_literals(pattern)
        if words is not None and min(map(len, words)) < _MIN_START_LITERAL:
            words = None
        _START_LITERALS[pattern] = words
    if words is None or (pattern.flags & re.IGNORECASE and lowered is None):
        yield from first_char_form(pattern).finditer(text)
        return
    end = 0
    for i in _starts_at(lowered if pattern.flags & re.IGNORECASE else text, words):
        if i < end:
            continue  # inside the last match: finditer goes on after it
        m = pattern.match(text, i)
        if m is not None:
            yield m
            end = m.end()  # never empty: a start literal is consumed


_START_LITERALS: dict[re.Pattern[str], frozenset[str] | None] = {}
_MIN_START_LITERAL = 3


def doc_text(doc: Doc) -> str:
    """``doc.text_with_ws``, without joining the tokens when the Doc was windowed (``pipelines.prefilter``): its
    text is the whole text blanked outside its windows, a few slices instead of a pass over every token."""
    windows = doc._.qm_windows if Doc.has_extension("qm_windows") else None
    source = doc._.qm_source_text if windows is not None else None
    if source is None or not len(doc):
        return doc.text_with_ws
    last = doc[-1]
    if last.idx + len(last.text_with_ws) != len(source):  # an empty text's Doc is one line break
        return doc.text_with_ws
    return blank_outside(source, windows)


class OneTextRegexMatcher(RegexMatcher):
    """medspaCy's ``RegexMatcher``, reading ``doc.text_with_ws`` once per Doc."""

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        matches: list[tuple[int, int, int]] = []
        if not self._patterns:
            return matches
        text = doc_text(doc)
        lowered = text.lower() if text.isascii() else None  # other texts: every pattern runs
        memo: dict[frozenset[str], bool] = {}
        for match_id, patterns in self._patterns.items():
            on_match = self._callbacks[match_id]
            for pattern in patterns:
                if not holds_literals(self._required(pattern), lowered, memo, by_substring=True):
                    continue  # a literal every match holds is not in the text
                for re_match in finditer_from_starts(pattern, text, lowered):
                    span = doc.char_span(re_match.start(), re_match.end())
                    if span is None:
                        start = get_token_for_char(doc, re_match.start(), resolve=self.resolve_start)
                        end = get_token_for_char(doc, re_match.end(), resolve=self.resolve_end)
                        span = doc[start.i : len(doc) if end is None else end.i]
                    if len(span):
                        matches.append((match_id, span.start, span.end))
                    if on_match is not None:
                        on_match(self, doc, len(matches) - 1, matches)
        return matches

    def _required(self, pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
        cache = self.__dict__.setdefault("_required_literals", {})
        if pattern not in cache:
            cache[pattern] = required_literals(pattern)
        return cache[pattern]


def read_text_once(component: Any) -> None:
    """Make the regex rules of a medspaCy ``TargetMatcher`` or ``ConText`` read the text once per Doc."""
    for owner in ("_TargetMatcher__matcher", "_ConText__matcher"):
        matcher = getattr(component, owner, None)
        if matcher is not None:
            regex_matcher = matcher._MedspacyMatcher__regex_matcher  # medspaCy keeps it name-mangled
            if type(regex_matcher) is RegexMatcher:
                regex_matcher.__class__ = OneTextRegexMatcher
            return
    raise TypeError(f"read_text_once: {type(component).__name__} has no medspaCy matcher to switch.")
