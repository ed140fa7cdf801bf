"""``qm_sections`` gives medSpaCy's sections without writing a section on every token.

The reference is medSpaCy's own ``Sectionizer.__call__`` with the same rules and the same heading filter
(``CapitalsOrLineStartSectionizer``), run on the same Doc: every section (category, title and body
token ranges, rule) must be the same, in full and windowed mode, and with a rule scope or parents.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from medspacy.section_detection import SectionRule
from spacy.language import Language

from pipelines.headings import HEADING_AFTER, CapitalsOrLineStartSectionizer
from pipelines.rules import load_section_rules
from pipelines.sections import SectionsOnly

NOTES = (
    # templated headings on their own lines
    "CHIEF COMPLAINT\nKnee pain after a fall.\n\nPAST MEDICAL HISTORY:\n- Hypertension\n- Type 2 diabetes\n\n"
    "FAMILY HISTORY: Father had a stroke at 70.\nSOCIAL HISTORY: Former smoker.\n\n"
    "PLAN:\nIce and rest. A1c next visit.\n",
    # a transcription whose line breaks became commas, a heading in capitals mid-line
    "HISTORY OF PRESENT ILLNESS: , He returns at 58 to recheck his sugars.,MEDICATIONS: , Metformin "
    "500 mg twice a day.,ALLERGIES: , None known.,ASSESSMENT AND PLAN: , Diabetes, fair control.  Colonoscopy due.\n",
    # headings in lower and title case: only at a line start count; "plan:" inside a sentence does not
    "Subjective: feeling well.\nplan: continue lisinopril.\nDx on the care plan: T2DM.\nAssessment: stable.\n",
    # no heading at all
    "Sprained right wrist while cycling. Splint applied, review in two weeks.\n",
)


def _sections(doc) -> list[tuple]:
    return [
        (s.category, s.title_start, s.title_end, s.body_start, s.body_end, (s.rule.metadata or {}).get("id")
         if s.rule is not None else None, s.parent.category if s.parent is not None else None)
        for s in doc._.sections
    ]


@contextmanager
def _whole_text(nlp: Language) -> Iterator[None]:
    """medSpaCy tokenizes a rule's phrase with ``nlp(phrase)``: without the prefilter, as ``build_nlp`` adds its rules
    (a windowed ``nlp`` tokenizes only where a target can match, and a heading alone is no target)."""
    prefilter, nlp.tokenizer.prefilter = nlp.tokenizer.prefilter, None
    try:
        with nlp.select_pipes(enable=[]):
            yield
    finally:
        nlp.tokenizer.prefilter = prefilter


def _reference(nlp: Language, rules: list[SectionRule], **options) -> CapitalsOrLineStartSectionizer:
    sectionizer = CapitalsOrLineStartSectionizer(
        nlp, name="reference", rules=None, phrase_matcher_attr="ORTH", require_start_line=True,
        newline_pattern=HEADING_AFTER, span_attrs=None, **options,
    )
    with _whole_text(nlp):
        sectionizer.add(rules)
    return sectionizer


@pytest.mark.parametrize("mode", ["full", "windowed"])
def test_same_sections_as_medspacy_and_no_token_writes(shared_nlp: Language, mode: str) -> None:
    nlp = shared_nlp  # windowed; "full": the whole note through the same components
    assert isinstance(nlp.get_pipe("qm_sections"), SectionsOnly)
    reference = _reference(nlp, load_section_rules())
    seen = set()
    for text in NOTES:
        doc = nlp(text) if mode == "windowed" else nlp(nlp.tokenizer.whole(text))
        assert (doc._.qm_windows is None) == (mode == "full")
        got = _sections(doc)
        assert all(t._.section is None for t in doc)  # nothing written per token
        reference(doc)
        assert got == _sections(doc)
        seen.update(c for c, *_ in got)
    assert {"family_history", "social_history", "plan", None} <= seen


def test_rule_scope_and_parents_as_medspacy(shared_nlp: Language) -> None:
    nlp = shared_nlp
    rules = [
        SectionRule(literal="ASSESSMENT AND PLAN", category="assessment_plan"),
        SectionRule(literal="MEDICATIONS", category="medications", parents=["assessment_plan"]),
        SectionRule(literal="ALLERGIES", category="allergies", max_scope=3),
    ]
    ours = SectionsOnly(nlp, name="scoped")
    with _whole_text(nlp):
        ours.add(rules)
    reference = _reference(nlp, rules)
    text = (
        "ALLERGIES: penicillin causes a rash and hives.\nASSESSMENT AND PLAN: stable.\nMEDICATIONS: metformin daily.\n"
    )
    doc = ours(nlp(nlp.tokenizer.whole(text)))
    got = _sections(doc)
    assert [c for c, *_ in got] == ["allergies", "assessment_plan", "medications"]
    assert got[0][4] == got[0][2] + 3  # the allergies section stops after its 3-token scope
    assert got[2][6] == "assessment_plan"  # medications found its parent
    assert got == _sections(reference(doc))
