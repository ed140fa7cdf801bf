"""Token patterns run only on Docs holding a word every match of them needs.

spaCy's ``Matcher`` tries every token pattern at every token: each ``{"LOWER": {"IN": [...]}}`` test is a
Python call per token, so a handful of token rules cost more than tens of thousands of phrase rules, on
every note, although most notes hold none of their words. :class:`GatedMatcher` wraps the ``Matcher``
inside a medspaCy ``TargetMatcher`` or ``ConText`` (:func:`gate_token_patterns`): each pattern has a
required token whose ``LOWER`` or ``ORTH`` must be one of a few words (the token with the rarest words:
the longest shortest word, as the prefilter picks its keys); a Doc holding none of those words for any
pattern gets no match, so the ``Matcher`` is not run on it, and otherwise it runs as before. Matches,
their order and callbacks are unchanged. A pattern without such a token (``NORM`` or ``REGEX`` only)
switches the gate off.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spacy.attrs import LOWER, ORTH
from spacy.matcher import Matcher
from spacy.tokens import Doc

__all__ = [
    "GatedMatcher",
    "RuleGatedMatcher",
    "gate_token_patterns",
    "length_plan",
    "required_word_sets",
    "required_words",
]

_REQUIRED_OPS = (None, "+", "1")  # a token the pattern cannot skip


def required_words(pattern: Sequence[Mapping[str, Any]]) -> tuple[str, frozenset[str]] | None:
    """``(attr, words)`` of the required token of a token pattern with the rarest words, its ``attr``
    "LOWER" or "ORTH" ("TEXT" is ``ORTH``): every match holds a token whose ``attr`` is one of ``words``.
    None when no required token names its words that way."""
    best: tuple[str, frozenset[str]] | None = None
    for token in pattern:
        if token.get("OP") not in _REQUIRED_OPS:
            continue
        for attr in ("LOWER", "ORTH", "TEXT"):
            value = token.get(attr)
            if isinstance(value, str):
                words = frozenset([value])
            elif isinstance(value, Mapping) and set(value) == {"IN"} and isinstance(value["IN"], list):
                words = frozenset(str(v) for v in value["IN"])
            else:
                continue
            if best is None or _rarer(words, best[1]):
                best = ("ORTH" if attr == "TEXT" else attr, words)
    return best


def required_word_sets(pattern: Sequence[Mapping[str, Any]]) -> list[tuple[str, frozenset[str]]]:
    """``(attr, words)`` of every required token of a token pattern that names its words (``LOWER``, ``ORTH``,
    ``TEXT`` as ``ORTH``): every match holds a token of each."""
    out = []
    for token in pattern:
        if token.get("OP") not in _REQUIRED_OPS:
            continue
        for attr in ("LOWER", "ORTH", "TEXT"):
            value = token.get(attr)
            if isinstance(value, str):
                out.append(("ORTH" if attr == "TEXT" else attr, frozenset([value])))
            elif isinstance(value, Mapping) and set(value) == {"IN"} and isinstance(value["IN"], list):
                out.append(("ORTH" if attr == "TEXT" else attr, frozenset(str(v) for v in value["IN"])))
    return out


def _rarer(words: frozenset[str], than: frozenset[str]) -> bool:
    """Longer words are rarer: the longest shortest word first, then the fewest words (as the prefilter's keys)."""
    return (-min(map(len, words), default=0), len(words)) < (-min(map(len, than), default=0), len(than))


class _MatcherProxy:
    """What a gated matcher passes on to the spaCy ``Matcher`` it wraps (``self.matcher``)."""

    matcher: Matcher

    def __len__(self) -> int:
        return len(self.matcher)

    def __getattr__(self, name: str) -> Any:
        if name == "matcher":  # not set yet (copying): no recursion
            raise AttributeError(name)
        return getattr(self.matcher, name)


class GatedMatcher(_MatcherProxy):
    """A spaCy ``Matcher`` that returns no matches, without running, on a Doc holding none of the words
    its patterns need (see the module docstring); anything else is the wrapped matcher's.

    Where every pattern's matches are bounded in length on a Doc (:func:`length_plan`) and no rule has a callback
    or a greedy setting, it runs only on the stretches around the rarest required word of each pattern that can
    match (as :class:`RuleGatedMatcher`), each stretch one token longer than its last possible match: the matches
    and their order are those of the whole Doc (spaCy emits a match at its last token or the one after, so the
    stretches' matches come out as on the whole Doc, stretch after stretch)."""

    def __init__(self, matcher: Matcher, vocab: Any, patterns: Iterable[Sequence[Mapping[str, Any]]]) -> None:
        self.matcher = matcher
        lower: set[int] = set()
        orth: set[int] = set()
        self.gated = True
        patterns = list(patterns)
        for pattern in patterns:
            needed = required_words(pattern)
            if needed is None:
                self.gated = False
                break
            attr, words = needed
            (lower if attr == "LOWER" else orth).update(vocab.strings.add(w) for w in words)
        self.lower = frozenset(lower)
        self.orth = frozenset(orth)
        self.needs: list[_Needs] = [
            [(LOWER if attr == "LOWER" else ORTH, frozenset(vocab.strings.add(w) for w in words))
             for attr, words in required_word_sets(pattern)]
            for pattern in patterns
        ]
        self.plans = [length_plan(pattern, vocab.strings) for pattern in patterns]
        self.stretched = self.gated and isinstance(matcher, Matcher) and all(
            matcher.get(key)[0] is None and matcher._filter.get(key) is None for key in matcher._patterns
        )

    def may_match(self, doc: Doc) -> bool:
        """Whether ``doc`` holds a word one of the patterns needs (always true with the gate off)."""
        if not self.gated:
            return True
        return any(
            words and not words.isdisjoint(doc.to_array(attr).tolist())
            for attr, words in ((LOWER, self.lower), (ORTH, self.orth))
        )

    def __call__(self, doclike: Any, *args: Any, **kwargs: Any) -> Any:
        doc = doclike.doc if not isinstance(doclike, Doc) else doclike
        if not args and not kwargs and len(doc) and not self.may_match(doc):
            return []
        if self.stretched and not args and not kwargs and isinstance(doclike, Doc) and len(doclike):
            columns = {LOWER: doclike.to_array(LOWER).tolist(), ORTH: doclike.to_array(ORTH).tolist()}
            present = {attr: set(column) for attr, column in columns.items()}
            stretches = _stretches(self.needs, self.plans, columns, present, pad=1)
            if stretches is not None:
                matches = []
                for lo, hi in stretches:
                    matches.extend((key, lo + start, lo + end) for key, start, end in self.matcher(doclike[lo:hi]))
                return matches
        return self.matcher(doclike, *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.gated = self.stretched = False  # patterns added after the gate was built: run on every Doc
        self.matcher.add(*args, **kwargs)


class RuleGatedMatcher(_MatcherProxy):
    """A spaCy ``Matcher`` split into one matcher per rule, each run only on a Doc holding a word of every
    required token of one of its patterns (:func:`required_word_sets`): a Doc with "not" but without any of
    the words a rule needs after it does not run that rule. The matches are those of the whole matcher,
    grouped by rule: for a reader that orders them itself (ConText sorts its modifiers by position). A rule
    with a callback or a greedy setting, or patterns added later, fall back to the whole matcher.

    A rule whose matches are at most ``n`` tokens long on this Doc (:func:`length_plan`: its tokens, a repeated
    one as long as the Doc's longest run of its words) runs only on the stretches within ``n`` tokens of its
    rarest required word in the Doc (every match holds one such word): the same matches, read from a few
    tokens instead of the whole Doc."""

    def __init__(self, matcher: Matcher, vocab: Any) -> None:
        self.matcher = matcher
        self.rules: list[tuple[list[_Needs], list[_Plan | None], Matcher]] | None = []
        strings = vocab.strings
        for key in matcher._patterns:
            on_match, patterns = matcher.get(key)
            if on_match is not None or matcher._filter.get(key) is not None:
                self.rules = None
                break
            sub = Matcher(vocab)
            sub.add(strings[key], patterns)
            needs = [
                [(LOWER if attr == "LOWER" else ORTH, frozenset(strings.add(w) for w in words))
                 for attr, words in required_word_sets(pattern)]
                for pattern in patterns
            ]
            self.rules.append((needs, [length_plan(pattern, strings) for pattern in patterns], sub))

    def __call__(self, doclike: Any, *args: Any, **kwargs: Any) -> Any:
        if self.rules is None or args or kwargs or not isinstance(doclike, Doc):
            return self.matcher(doclike, *args, **kwargs)
        if not len(doclike):
            return []
        return self.match(doclike, token_columns(doclike))

    def match(self, doc: Doc, columns: _Columns, within: list[tuple[int, int]] | None = None) -> list[_Match]:
        """The matches of every rule on ``doc`` (its :func:`token_columns`), grouped by rule; with ``within``
        (sorted, disjoint [start, end) token ranges), only those that lie whole inside one of the ranges: the
        whole Doc's matches inside them, read from their tokens alone (spaCy's ``Matcher`` reads no token
        outside the span it is given)."""
        if self.rules is None:
            found = self.matcher(doc)
            if within is None:
                return found
            return [m for m in found if _inside(within, m[1], m[2])]
        matches: list[_Match] = []
        for needs, plans, sub in self.rules:
            stretches = _stretches(needs, plans, columns, columns.present, within=within)
            if stretches is None:
                stretches = [(0, len(doc))] if within is None else within
            for lo, hi in stretches:
                if lo == 0 and hi == len(doc):
                    matches.extend(sub(doc))
                else:
                    matches.extend((key, lo + start, lo + end) for key, start, end in sub(doc[lo:hi]))
        return matches

    def longest_match(self, columns: _Columns) -> int | None:
        """The most tokens a match of any rule can take on the Doc of ``columns`` (:func:`length_plan`, a repeated
        token as long as the Doc's longest run of its words; 0 without token rules); None when one is unbounded
        or a rule has a callback (whose matches this cannot place)."""
        if self.rules is None:
            return None
        longest = 0
        for needs, plans, _sub in self.rules:
            for pattern_needs, plan in zip(needs, plans, strict=True):
                if not all(not words.isdisjoint(columns.present[attr]) for attr, words in pattern_needs):
                    continue  # a required word is missing: no match of this pattern
                if plan is None:
                    return None
                longest = max(longest, _plan_length(plan, columns))
        return longest

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rules = None  # patterns added after the split: the whole matcher
        self.matcher.add(*args, **kwargs)


_Needs = list[tuple[int, frozenset[int]]]
_Plan = list[int | tuple[int, frozenset[int]]]
_Match = tuple[int, int, int]


class _Columns(dict[int, list[int]]):
    """A Doc's ``LOWER`` and ``ORTH`` columns (``columns[LOWER]``), with the set of values of each (``present``)."""

    present: dict[int, set[int]]
    runs: dict[tuple[int, frozenset[int]], int]  # the longest run of some words (_plan_length)


def token_columns(doc: Doc) -> _Columns:
    """The ``LOWER`` and ``ORTH`` value of every token of ``doc``, read once for all the rules."""
    columns = _Columns({LOWER: doc.to_array(LOWER).tolist(), ORTH: doc.to_array(ORTH).tolist()})
    columns.present = {attr: set(column) for attr, column in columns.items()}
    columns.runs = {}
    return columns


def _inside(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether token range [start, end) lies whole inside one of ``ranges`` (sorted, disjoint)."""
    k = bisect.bisect_right(ranges, (start, _AFTER_ANY)) - 1
    return k >= 0 and end <= ranges[k][1]


_AFTER_ANY = 1 << 62  # sorts after every token index
_FIXED_OPS = (None, "1", "?", "!")  # a token that takes at most one token of the Doc
_COUNT_OP = re.compile(r"\{(\d*)(,?)(\d*)\}")


def length_plan(pattern: Sequence[Mapping[str, Any]], strings: Any) -> _Plan | None:
    """How long a match of a token pattern can be: per token, the most tokens it takes (an int), or for a repeated
    token (``+``, ``*``, ``{n,}``) that names its words, ``(attr, words)``: as many as the longest run of those
    words in a Doc. None when a repeated token names no words (a match can be any length)."""
    plan: _Plan = []
    for token in pattern:
        op = token.get("OP")
        if op in _FIXED_OPS:
            plan.append(1)
            continue
        count = _COUNT_OP.fullmatch(op) if isinstance(op, str) else None
        if count is not None and (count.group(3) or (count.group(1) and not count.group(2))):
            plan.append(int(count.group(3) or count.group(1)))  # "{n}", "{n,m}", "{,m}"
            continue
        if op not in ("+", "*") and count is None:
            return None  # an operator this does not know
        words = _token_words(token)
        if words is None:
            return None
        attr, names = words
        plan.append((LOWER if attr == "LOWER" else ORTH, frozenset(strings.add(w) for w in names)))
    return plan


def _token_words(token: Mapping[str, Any]) -> tuple[str, frozenset[str]] | None:
    for attr in ("LOWER", "ORTH", "TEXT"):
        value = token.get(attr)
        if isinstance(value, str):
            return ("ORTH" if attr == "TEXT" else attr), frozenset([value])
        if isinstance(value, Mapping) and set(value) == {"IN"} and isinstance(value["IN"], list):
            return ("ORTH" if attr == "TEXT" else attr), frozenset(str(v) for v in value["IN"])
    return None


def _longest_run(column: list[int], words: frozenset[int]) -> int:
    longest = run = 0
    for value in column:
        if value in words:
            run += 1
            if run > longest:
                longest = run
        else:
            run = 0
    return longest


def _plan_length(plan: _Plan, columns: dict[int, list[int]]) -> int:
    """The most tokens a match of a pattern of :func:`length_plan` ``plan`` can take on the Doc of ``columns``
    (the longest runs are kept on a :class:`_Columns`, read once per Doc for all the rules)."""
    runs = columns.runs if isinstance(columns, _Columns) else {}
    length = 0
    for step in plan:
        if isinstance(step, int):
            length += step
            continue
        run = runs.get(step)
        if run is None:
            run = runs[step] = _longest_run(columns[step[0]], step[1])
        length += run
    return length


def _stretches(
    needs: list[_Needs],
    plans: list[_Plan | None],
    columns: dict[int, list[int]],
    present: dict[int, set[int]],
    pad: int = 0,
    within: list[tuple[int, int]] | None = None,
) -> list[tuple[int, int]] | None:
    """The merged [start, end) token stretches of a Doc that hold every match of some patterns (and ``pad`` tokens
    more after each): empty when no pattern has all its required words, None when one needs the whole Doc (no
    required word, no length) or the stretches cover it. ``within`` (sorted, disjoint [start, end) token ranges):
    only the matches that lie whole inside one of them, each stretch cut to its range (None: all of ``within``)."""
    size = len(columns[LOWER])
    spans: list[tuple[int, int]] = []
    for pattern_needs, plan in zip(needs, plans, strict=True):
        if not all(not words.isdisjoint(present[attr]) for attr, words in pattern_needs):
            continue  # a required word is missing: no match of this pattern
        if plan is None or not pattern_needs:
            return None
        length = _plan_length(plan, columns)
        attr, words = min(pattern_needs, key=lambda need: sum(map(need[1].__contains__, columns[need[0]])))
        column = columns[attr]
        if within is None:
            spans.extend(
                (max(0, i - length + 1), min(size, i + length + pad))
                for i, value in enumerate(column)
                if value in words
            )
            continue
        for lo, hi in within:  # every match inside [lo, hi) holds one of ``words`` inside it too
            spans.extend(
                (max(lo, i - length + 1), min(hi, i + length + pad))
                for i in range(lo, hi)
                if column[i] in words
            )
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    if merged == [(0, size)]:
        return None
    return merged


def gate_token_patterns(component: Any, per_rule: bool = False) -> None:
    """Gate the token patterns of a built medspaCy ``TargetMatcher`` or ``ConText`` (:class:`GatedMatcher`);
    call it after the rules are added. ``per_rule``: split them by rule (:class:`RuleGatedMatcher`), for a
    component that orders the matches itself."""
    for owner in ("_TargetMatcher__matcher", "_ConText__matcher"):
        medspacy_matcher = getattr(component, owner, None)
        if medspacy_matcher is not None:
            matcher = medspacy_matcher._MedspacyMatcher__matcher  # medSpaCy keeps it name-mangled
            if isinstance(matcher, Matcher):
                patterns = [p for key in matcher._patterns for p in matcher.get(key)[1]]
                vocab = component.nlp.vocab
                medspacy_matcher._MedspacyMatcher__matcher = (
                    RuleGatedMatcher(matcher, vocab) if per_rule else GatedMatcher(matcher, vocab, patterns)
                )
            return
    raise TypeError(f"gate_token_patterns: {type(component).__name__} has no medSpaCy matcher to gate.")
