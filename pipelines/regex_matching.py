"""Regex rules read the Doc's text once, not once per rule.

medspaCy's ``RegexMatcher`` (the path of rules whose ``pattern`` is a regular expression) rebuilds
``doc.text_with_ws`` for every pattern of every Doc: with a dozen regex rules that cost more than all
the token matching. :class:`OneTextRegexMatcher` is the same matcher reading the text once per call;
:func:`read_text_once` switches the regex matcher inside a medspaCy target matcher or ConText to it.
Matches, their order and the callbacks are unchanged.

It also skips a pattern on a text that lacks a literal every match of it holds (:func:`required_literals`,
read from the pattern's own parse: a run of literal characters, an alternation of literal words, a
character set), as a scan of a few thousand characters costs more than a few substring tests.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the parse ``re`` compiles from: what every match must hold
from typing import Any

from medspacy.common.regex_matcher import RegexMatcher
from medspacy.common.util import get_token_for_char
from spacy.tokens import Doc

__all__ = ["OneTextRegexMatcher", "read_text_once", "required_literals"]


def required_literals(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Sets of lower-case ASCII strings such that the text of every match of ``pattern`` holds one string of
    each set: its top-level runs of literal characters, alternations of literal words and sets of literal
    characters, in groups too. Lower case: a necessary condition with or without ``re.IGNORECASE``, on an
    ASCII text (where ignoring case is ``str.lower``)."""
    found: list[frozenset[str]] = []

    def walk(items: Any) -> None:
        run: list[str] = []
        for op, arg in list(items) + [(None, None)]:
            if op is sre_parse.LITERAL:
                run.append(chr(arg))
                continue
            if run:
                found.append(frozenset(["".join(run)]))
                run = []
            if op is sre_parse.SUBPATTERN:
                walk(arg[-1])
            elif op is sre_parse.BRANCH:
                words = [_literal(alternative) for alternative in arg[1]]
                if all(words):
                    found.append(frozenset(words))  # type: ignore[arg-type]
            elif op is sre_parse.IN and arg and all(o is sre_parse.LITERAL for o, _ in arg):
                found.append(frozenset(chr(c) for _, c in arg))

    walk(sre_parse.parse(pattern.pattern, pattern.flags))
    return tuple(frozenset(w.lower() for w in words) for words in found if all(w.isascii() for w in words))


def _literal(items: Any) -> str | None:
    """The string an all-literal sequence matches, or None (also for an empty one)."""
    if not items or any(op is not sre_parse.LITERAL for op, _ in items):
        return None
    return "".join(chr(c) for _, c in items)


class OneTextRegexMatcher(RegexMatcher):
    """medspaCy's ``RegexMatcher``, reading ``doc.text_with_ws`` once per Doc."""

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        matches: list[tuple[int, int, int]] = []
        if not self._patterns:
            return matches
        text = doc.text_with_ws
        lowered = text.lower() if text.isascii() else None  # other texts: every pattern runs
        for match_id, patterns in self._patterns.items():
            on_match = self._callbacks[match_id]
            for pattern in patterns:
                if lowered is not None and not all(
                    any(w in lowered for w in words) for words in self._required(pattern)
                ):
                    continue  # a literal every match holds is not in the text
                for re_match in pattern.finditer(text):
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
