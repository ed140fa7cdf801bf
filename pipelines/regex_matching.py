"""Regex rules read the Doc's text once, not once per rule.

medspaCy's ``RegexMatcher`` (the path of rules whose ``pattern`` is a regular expression) rebuilds
``doc.text_with_ws`` for every pattern of every Doc: with a dozen regex rules that cost more than all
the token matching. :class:`OneTextRegexMatcher` is the same matcher reading the text once per call;
:func:`read_text_once` switches the regex matcher inside a medspaCy target matcher or ConText to it.
Matches, their order and the callbacks are unchanged.
"""

from __future__ import annotations

from typing import Any

from medspacy.common.regex_matcher import RegexMatcher
from medspacy.common.util import get_token_for_char
from spacy.tokens import Doc

__all__ = ["OneTextRegexMatcher", "read_text_once"]


class OneTextRegexMatcher(RegexMatcher):
    """medspaCy's ``RegexMatcher``, reading ``doc.text_with_ws`` once per Doc."""

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        matches: list[tuple[int, int, int]] = []
        if not self._patterns:
            return matches
        text = doc.text_with_ws
        for match_id, patterns in self._patterns.items():
            on_match = self._callbacks[match_id]
            for pattern in patterns:
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
