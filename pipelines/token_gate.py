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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spacy.attrs import LOWER, ORTH
from spacy.matcher import Matcher
from spacy.tokens import Doc

__all__ = ["GatedMatcher", "RuleGatedMatcher", "gate_token_patterns", "required_word_sets", "required_words"]

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
    its patterns need (see the module docstring); anything else is the wrapped matcher's."""

    def __init__(self, matcher: Matcher, vocab: Any, patterns: Iterable[Sequence[Mapping[str, Any]]]) -> None:
        self.matcher = matcher
        lower: set[int] = set()
        orth: set[int] = set()
        self.gated = True
        for pattern in patterns:
            needed = required_words(pattern)
            if needed is None:
                self.gated = False
                break
            attr, words = needed
            (lower if attr == "LOWER" else orth).update(vocab.strings.add(w) for w in words)
        self.lower = frozenset(lower)
        self.orth = frozenset(orth)

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
        return self.matcher(doclike, *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.gated = False  # patterns added after the gate was built: run on every Doc
        self.matcher.add(*args, **kwargs)


class RuleGatedMatcher(_MatcherProxy):
    """A spaCy ``Matcher`` split into one matcher per rule, each run only on a Doc holding a word of every
    required token of one of its patterns (:func:`required_word_sets`): a Doc with "not" but without any of
    the words a rule needs after it does not run that rule. The matches are those of the whole matcher,
    grouped by rule: for a reader that orders them itself (ConText sorts its modifiers by position). A rule
    with a callback or a greedy setting, or patterns added later, fall back to the whole matcher."""

    def __init__(self, matcher: Matcher, vocab: Any) -> None:
        self.matcher = matcher
        self.rules: list[tuple[list[list[tuple[int, frozenset[int]]]], Matcher]] | None = []
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
            self.rules.append((needs, sub))

    def __call__(self, doclike: Any, *args: Any, **kwargs: Any) -> Any:
        if self.rules is None or args or kwargs or not isinstance(doclike, Doc):
            return self.matcher(doclike, *args, **kwargs)
        if not len(doclike):
            return []
        present = {LOWER: set(doclike.to_array(LOWER).tolist()), ORTH: set(doclike.to_array(ORTH).tolist())}
        matches = []
        for needs, sub in self.rules:
            if any(all(not words.isdisjoint(present[attr]) for attr, words in pattern) for pattern in needs):
                matches.extend(sub(doclike))
        return matches

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rules = None  # patterns added after the split: the whole matcher
        self.matcher.add(*args, **kwargs)


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
