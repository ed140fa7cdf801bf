"""pipelines.phrase_sets: a rule's phrases added under one key (build_nlp's start-up path) match as medSpaCy's
own ``add`` of one rule per phrase does, on the shipped rules and on notes written for this test."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import spacy
from spacy.language import Language

import pipelines.build as build_module
from engine.records import Note
from pipelines.extract import extract_note
from pipelines.normalize import NormalizingTokenizer
from pipelines.phrase_sets import PhraseSet, PhraseTokens, add_rule_sets, flatten, medspacy_matcher
from pipelines.rules import load_context_rules, load_section_rules, target_rule_sets

# notes written for this test: plenty of target phrases, typography the normalizer rewrites, and phrases two
# rules of the file share ("diabetic retinal screening", "diabetic screening", "Pneumovax 20")
NOTES = [
    "Problem list: T2DM, HTN (well controlled).  Diabetic retinal screening done 03/2026 at the eye clinic, "
    "no retinopathy. Diabetic screening labs ordered. A1c 7.4% on 2/2/2026 → 6.9% today. BP 132/84.",
    "Preventive care: Pneumovax 20 given today in L deltoid; flu shot declined. Colonoscopy 2019 normal, "
    "repeat due 2029. Mammogram ordered. Pap smear with HPV co-test 2024 negative.",
    "SOCIAL HISTORY: Former smoker, quit ~10 years ago, 20 pack-years. Counseled on smoking cessation "
    "anyway; wife still smokes. PHQ‑9 score 12, started sertraline 50 mg, referred to behavioral health.",
    "Hx of TAH-BSO for fibroids. s/p bilateral mastectomy 2015. Advance directive on file; DNR discussed "
    "with daughter. Medication reconciliation completed with the patient's pill bottles.",
    "Pt denies falls in the past 12 months. Fall risk screening negative. Td booster 2020, Shingrix series "
    "complete. Not pregnant, LMP 2 weeks ago. No hospice or palliative care involvement.",
]


def _reference_add(component: Any, sets: list[PhraseSet], **_: Any) -> None:
    component.add(flatten(sets))  # medSpaCy's own add: one rule and one key per phrase


@pytest.fixture(scope="module")
def reference_nlp() -> Language:
    """The default pipeline with medSpaCy adding every phrase rule itself."""
    original = build_module.add_rule_sets
    build_module.add_rule_sets = _reference_add
    try:
        return build_module.build_nlp()
    finally:
        build_module.add_rule_sets = original


def _note(text: str) -> Note:
    return Note(note_id="n-1", patient_id="p-1", note_date=date(2026, 6, 15), text=text)


@pytest.mark.parametrize("text", NOTES)
def test_phrase_sets_give_the_targets_and_evidence_of_one_rule_per_phrase(
    shared_nlp: Language, reference_nlp: Language, text: str
) -> None:
    fast, reference = shared_nlp(text), reference_nlp(text)

    def targets(doc: Any) -> list[tuple[int, int, str, str]]:
        return [(e.start_char, e.end_char, e.label_, (e._.target_rule.metadata or {})["id"]) for e in doc.ents
                if e._.target_rule is not None]

    assert targets(fast) == targets(reference)
    assert len(targets(fast)) >= 4
    got = [e.model_dump() for e in extract_note(shared_nlp, _note(text), True)]
    assert got == [e.model_dump() for e in extract_note(reference_nlp, _note(text), True)]


def test_a_phrase_two_rules_share_keeps_the_rule_medspacy_chose(shared_nlp: Language,
                                                                 reference_nlp: Language) -> None:
    text = "Diabetic screening and diabetic retinal screening were both discussed at the visit."
    for nlp in (shared_nlp, reference_nlp):
        assert [e.text for e in nlp(text).ents][:2] == ["Diabetic screening", "diabetic retinal screening"]
    ids = [[(e._.target_rule.metadata or {})["id"] for e in nlp(text).ents] for nlp in (shared_nlp, reference_nlp)]
    assert ids[0] == ids[1]
    matcher = medspacy_matcher(shared_nlp.get_pipe("medspacy_target_matcher"))
    keys = [k for k, rule in matcher.rule_map.items() if rule.metadata["id"] == "eye.retinal_screening"]
    assert len(keys) > 1  # its own phrases under one key, the shared ones under medSpaCy's keys


def test_phrase_tokens_equal_tokenizing_the_whole_phrase(shared_nlp: Language) -> None:
    tokenizer = shared_nlp.tokenizer  # the NormalizingTokenizer, as medSpaCy's add calls it
    phrases = [p for s in target_rule_sets() if s.phrases for p in s.phrases]
    phrases += [r.literal for r in load_context_rules() if r.pattern is None]
    phrases += [r.literal for r in load_section_rules()]
    phrases += ["colonoscopy's", "a1c ~7", "pt. f/u in 3 mos.", "s/p tah-bso", "non\u2011smoker", "e.g. ct",
                "two  spaces", " leading", "trailing ", "tab\there", "\u00d8 smoking", "7\u00b72 %", "\u200b", ""]
    tokens = PhraseTokens(tokenizer)
    for phrase in phrases:
        for text, attr in ((phrase.lower(), "LOWER"), (phrase, "ORTH"), (phrase, "TEXT")):
            whole = tokenizer.whole(text)
            expected = tuple(t.lower if attr == "LOWER" else t.orth if attr == "ORTH" else t.text for t in whole)
            assert tokens.tokens(text, attr) == expected, (text, attr)


def test_add_rule_sets_without_grouping_gives_medspacys_keys() -> None:
    import medspacy  # noqa: F401  (registers medspacy_target_matcher)

    nlp = spacy.blank("en")
    nlp.tokenizer = NormalizingTokenizer(nlp.tokenizer)
    sets = [s for s in target_rule_sets() if s.rule.metadata["id"].startswith(("colonoscopy.", "mammo"))]
    grouped, plain, reference = (nlp.add_pipe("medspacy_target_matcher", name=n) for n in ("g", "p", "r"))
    add_rule_sets(grouped, sets)
    add_rule_sets(plain, sets, group=False)
    reference.add(flatten(sets))
    assert sorted(medspacy_matcher(plain).rule_map) == sorted(medspacy_matcher(reference).rule_map)
    assert len(medspacy_matcher(grouped).rule_map) < len(medspacy_matcher(reference).rule_map)
    text = "Screening colonoscopy 2021 and a bilateral screening mammogram last spring; colonoscopies x2."
    with nlp.select_pipes(enable=[]):
        doc = nlp(text)
    found = []
    for component in (grouped, plain, reference):
        component.result_type = None  # the spans, not written to the Doc
        found.append([(s.start, s.end, s.label_, s._.target_rule.metadata["id"]) for s in component(doc)])
    assert found[0] == found[1] == found[2] and len(found[0]) >= 2


def test_a_pattern_beyond_the_phrase_limit_stays_a_token_pattern() -> None:
    from pipelines.rules import pattern_phrases

    pattern = [{"LOWER": {"IN": ["mailed", "sent", "given"]}}, {"LOWER": {"IN": ["fit", "fobt"]}, "OP": "?"},
               {"LOWER": "kit"}]
    phrases, cased = pattern_phrases(pattern, limit=9)
    assert len(phrases) == 9 and not cased and "sent fobt kit" in phrases and "given kit" in phrases
    assert pattern_phrases(pattern, limit=8) is None
