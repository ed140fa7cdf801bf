"""Regex rules read the text once and are skipped on texts lacking a literal every match of them holds."""

from __future__ import annotations

import re

import spacy
from medspacy.common.regex_matcher import RegexMatcher

from pipelines.regex_matching import OneTextRegexMatcher, required_literals

LAST_DONE = re.compile(r"\b(?:last|prior)\s+(?:(?:one|done)\s+)?(?:(?:19|20)\d\d|\d{1,2}/\d{2,4})", re.I)
BAR_DUE = re.compile(r"\|[ \t]*(?:due|overdue)(?:\s+(?:now|soon))?[ \t]*(?:\||(?=\n)|$)", re.I)
ABBREVIATION = re.compile(r"(?<![\w/])[a-z]/v\.(?!\w)", re.I)
DASH_NONE = re.compile(r"[:\-=]\s*(?:no|none|nil)\b", re.I)


def test_required_literals_of_runs_alternations_and_sets() -> None:
    assert required_literals(LAST_DONE) == (frozenset({"last", "prior"}),)  # the year or date: not all literal
    assert required_literals(ABBREVIATION) == (frozenset({"/v."}),)
    assert required_literals(BAR_DUE) == (frozenset({"|"}), frozenset({"due", "overdue"}))
    assert frozenset({":", "-", "="}) in required_literals(DASH_NONE)
    # an optional part, an empty alternative or an alternative that is not all literal requires nothing
    assert required_literals(re.compile(r"(?:ab)?c")) == (frozenset({"c"}),)
    assert required_literals(re.compile(r"x(?:a|)y|z")) == ()
    assert required_literals(re.compile(r"(?:ab|\d+)")) == ()


def test_same_matches_as_medspacy_with_and_without_the_literals() -> None:
    nlp = spacy.blank("en")
    texts = (
        "Mammogram: last done 2021, normal.  Colonoscopy | overdue |\nFlu shot | due now |\n",
        "Seen s/v. today; tetanus: none on file.  Prior 03/2019 screening was clear.\n",
        "LAST DONE 2019.  Nothing else of note.\n",
        "Knee sprain after a fall, ice and rest.\n",
        "Prévious screening—last 2020 (accented text: every pattern runs).\n",
    )
    for text in texts:
        doc = nlp(text)
        ours, theirs = OneTextRegexMatcher(nlp.vocab), RegexMatcher(nlp.vocab)
        for name, pattern in (("last", LAST_DONE), ("bar", BAR_DUE), ("sv", ABBREVIATION), ("dash", DASH_NONE)):
            for matcher in (ours, theirs):
                matcher.add(name, [pattern.pattern], on_match=None)
        assert ours(doc) == theirs(doc)
    assert len(ours(nlp(texts[0]))) == 3 and ours(nlp(texts[3])) == []
