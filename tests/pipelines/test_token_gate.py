"""Token patterns are skipped only on Docs that hold none of the words every match of them needs."""

from __future__ import annotations

import spacy
from spacy.attrs import LOWER, ORTH
from spacy.matcher import Matcher

from pipelines.token_gate import GatedMatcher, required_words

# "seen by her eye doctor", "2 ppd": a required word each (the rarest of the pattern's required tokens)
SEEN_BY_EYE = [
    {"LOWER": {"IN": ["seen", "saw", "evaluated"]}},
    {"LOWER": {"IN": ["by", "at"]}},
    {"LOWER": {"IN": ["her", "his", "the"]}, "OP": "?"},
    {"LOWER": {"IN": ["eye", "retina"]}},
    {"LOWER": {"IN": ["doctor", "specialist"]}, "OP": "?"},
]
PACKS = [{"LOWER": {"IN": ["1", "2", "3"]}}, {"ORTH": "-", "OP": "?"}, {"TEXT": "PPD"}]


def test_required_words_pick_the_rarest_required_token() -> None:
    assert required_words(SEEN_BY_EYE) == ("LOWER", frozenset({"eye", "retina"}))  # 3 letters, fewer words
    assert required_words(PACKS) == ("ORTH", frozenset({"PPD"}))
    assert required_words([{"LOWER": {"REGEX": "^ey"}}, {"IS_DIGIT": True}]) is None
    assert required_words([{"LOWER": "never", "OP": "?"}]) is None  # an optional token is not required


def test_same_matches_and_no_run_without_the_words() -> None:
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    matcher.add("eye_visit", [SEEN_BY_EYE])
    matcher.add("packs", [PACKS])
    gated = GatedMatcher(matcher, nlp.vocab, [SEEN_BY_EYE, PACKS])
    texts = (
        "She was seen by her eye doctor in March and smokes 1-PPD.",
        "Evaluated at the retina specialist last year.",
        "Smokes 2 ppd (lower case: not the ORTH the rule asks for), eye strain after screens.",
        "Knee sprain, ice and rest.",
    )
    for text in texts:
        doc = nlp(text)
        assert gated(doc) == matcher(doc)
    assert [len(gated(nlp(t))) for t in texts] == [3, 2, 0, 0]  # with and without the optional last word
    assert not gated.may_match(nlp(texts[3])) and gated.may_match(nlp(texts[2]))  # "eye" is there, no match

    class Exploding:
        def __call__(self, doc):
            raise AssertionError("the matcher ran on a Doc none of its patterns can match")

    skipping = GatedMatcher(Exploding(), nlp.vocab, [SEEN_BY_EYE, PACKS])  # type: ignore[arg-type]
    assert skipping(nlp(texts[3])) == []


def test_a_pattern_without_required_words_or_added_later_turns_the_gate_off() -> None:
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    digits = [{"IS_DIGIT": True}, {"LOWER": "mg", "OP": "?"}]
    matcher.add("digits", [digits])
    assert not GatedMatcher(matcher, nlp.vocab, [digits]).gated
    gated = GatedMatcher(Matcher(nlp.vocab), nlp.vocab, [PACKS])
    gated.add("digits", [digits])
    doc = nlp("took 500 mg")
    assert gated.may_match(doc) and len(gated(doc)) == 2  # "500", "500 mg"


def test_rule_gated_matcher_runs_a_rule_only_with_every_word_it_needs() -> None:
    """Split by rule, each gated on all its required tokens: the same matches (ConText sorts them), and a rule whose
    second required word is missing does not run although its first is there."""
    from pipelines.token_gate import RuleGatedMatcher, required_word_sets

    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    matcher.add("eye_visit", [SEEN_BY_EYE])
    matcher.add("packs", [PACKS])
    split = RuleGatedMatcher(matcher, nlp.vocab)
    assert [attr for attr, _ in required_word_sets(SEEN_BY_EYE)] == ["LOWER", "LOWER", "LOWER"]
    texts = (
        "She was seen by her eye doctor in March and smokes 1-PPD.",
        "Evaluated at the retina specialist last year.",
        "Seen by physio for knee pain; eye strain after screens.",  # "seen", "by", "eye" but never in a row
        "Smokes 2 ppd, lower case.",
        "Knee sprain, ice and rest.",
    )
    for text in texts:
        doc = nlp(text)
        assert sorted(split(doc)) == sorted(matcher(doc))
    doc = nlp(texts[0])
    found = {nlp.vocab.strings[m] for m, _, _ in split(doc)}
    assert found == {"eye_visit", "packs"}
    assert [doc[s:e].text for _, s, e in split(doc) if nlp.vocab.strings[_] == "packs"] == ["1-PPD"]

    # a Doc holding "seen" and "eye" but no "by"/"at": the eye rule's gate stays shut
    no_by = nlp("Seen today; eye strain after screens, smokes 3 PPD.")
    present = set(no_by.to_array("LOWER").tolist())
    eye_needs = split.rules[0][0][0]
    assert not all(not words.isdisjoint(present) for _, words in eye_needs)
    assert {nlp.vocab.strings[m] for m, _, _ in split(no_by)} == {"packs"}


def test_context_rules_are_split_in_the_pipeline(nlp) -> None:
    from pipelines.token_gate import RuleGatedMatcher

    context = nlp.get_pipe("qm_context")
    assert isinstance(context._ConText__matcher._MedspacyMatcher__matcher, RuleGatedMatcher)
    doc = nlp("Flu shot: patient talked to us about it, has not had it yet.")
    assert any(e.label_ == "influenza_vaccine" for e in doc.ents)


# a long note in the style of a clinic letter: the patterns' words recur far apart, with runs of a repeated word
STRETCH_NOTE = (
    "Seen by the eye doctor in March; retinal exam normal. She has not not returned it yet and we talked with her "
    "family about the kit. Smokes 1 - PPD, down from 2 PPD last year. Plan: repeat in 2 - 3 weeks, or within a "
    "few months if the sugars stay high. Evaluated at the retina specialist again; she had never used them. "
    "Lives with her elderly mother and two dogs near the clinic. Follow-up in six weeks with labs. "
    "Talked to the patient and the daughter regarding the screening choices; has had done the stool card. "
) * 3


def _stretch_patterns() -> dict[str, list]:
    return {
        "eye_visit": [SEEN_BY_EYE],
        "packs": [PACKS],
        "not_returned": [[
            {"LOWER": {"IN": ["she", "he"]}, "OP": "?"},
            {"LOWER": {"IN": ["never", "not", "has", "had"]}, "OP": "+"},
            {"LOWER": "yet", "OP": "?"},
            {"LOWER": {"IN": ["returned", "used", "done"]}},
            {"LOWER": {"IN": ["it", "them", "the"]}, "OP": "?"},
        ]],
        "talked": [[
            {"LOWER": {"IN": ["talked", "spoke"]}},
            {"LOWER": {"IN": ["to", "with", "her", "the", "patient", "and", "daughter", "family"]}, "OP": "*"},
            {"LOWER": {"IN": ["about", "regarding"]}},
        ]],
        "in_weeks": [[
            {"LOWER": {"IN": ["in", "within"]}},
            {"LOWER": {"IN": ["2", "six", "a", "few"]}, "OP": "?"},
            {"ORTH": "-", "OP": "?"},
            {"LOWER": {"IN": ["3", "few"]}, "OP": "{0,1}"},
            {"LOWER": {"IN": ["weeks", "months"]}},
        ]],
        "in_weeks_too": [[{"LOWER": {"IN": ["in", "within"]}}, {}, {"LOWER": {"IN": ["weeks", "months"]}}]],
        "lives_with": [[
            {"LOWER": "lives"}, {"LOWER": "with"}, {"OP": "?"}, {"OP": "?"}, {"LOWER": {"IN": ["mother", "dogs"]}},
        ]],
    }


def test_length_plan_bounds_repeats_by_their_words() -> None:
    from pipelines.token_gate import length_plan

    nlp = spacy.blank("en")
    strings = nlp.vocab.strings
    assert length_plan(SEEN_BY_EYE, strings) == [1, 1, 1, 1, 1]
    plan = length_plan(_stretch_patterns()["not_returned"][0], strings)
    repeated = frozenset(strings.add(w) for w in ("never", "not", "has", "had"))
    assert plan is not None and plan[0] == 1 and plan[1] == (LOWER, repeated)  # as long as the Doc's longest run
    assert length_plan([{"LOWER": "in"}, {"OP": "{2,4}"}, {"LOWER": "weeks"}], strings) == [1, 4, 1]
    assert length_plan([{"LOWER": "in"}, {"OP": "*"}, {"LOWER": "weeks"}], strings) is None  # any length


def test_stretches_give_the_whole_docs_matches_in_the_same_order() -> None:
    """Token patterns run on the stretches around their rarest required word find the matches of the whole Doc,
    in the order spaCy gives them there (the target matcher's pruning keeps the first of two equal spans)."""
    from pipelines.token_gate import RuleGatedMatcher, _stretches

    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    patterns = _stretch_patterns()
    for key, value in patterns.items():
        matcher.add(key, value)
    flat = [p for value in patterns.values() for p in value]
    gated = GatedMatcher(matcher, nlp.vocab, flat)
    split = RuleGatedMatcher(matcher, nlp.vocab)
    assert gated.stretched
    for text in (STRETCH_NOTE, STRETCH_NOTE.upper(), STRETCH_NOTE[:400], "Knee sprain, ice and rest. " * 40):
        doc = nlp(text)
        assert gated(doc) == matcher(doc)
        assert sorted(split(doc)) == sorted(matcher(doc))
    doc = nlp(STRETCH_NOTE)
    names = {nlp.vocab.strings[m] for m, _, _ in gated(doc)}
    assert names == set(patterns)  # every rule matched somewhere
    columns = {attr: doc.to_array(attr).tolist() for attr in (LOWER, ORTH)}
    stretches = _stretches(gated.needs, gated.plans, columns, {a: set(c) for a, c in columns.items()}, pad=1)
    assert stretches and sum(hi - lo for lo, hi in stretches) < len(doc)  # the Doc is not read whole


def test_stretches_fall_back_to_the_whole_doc() -> None:
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    anything_between = [{"LOWER": "in"}, {"OP": "*"}, {"LOWER": "weeks"}]
    matcher.add("any", [anything_between])
    gated = GatedMatcher(matcher, nlp.vocab, [anything_between])
    doc = nlp(STRETCH_NOTE)
    assert gated.stretched and gated(doc) == matcher(doc)  # no length bound: the whole Doc
    with_callback = Matcher(nlp.vocab)
    with_callback.add("packs", [PACKS], on_match=lambda *args: None)
    assert not GatedMatcher(with_callback, nlp.vocab, [PACKS]).stretched
    greedy = Matcher(nlp.vocab)
    greedy.add("packs", [PACKS], greedy="LONGEST")
    assert not GatedMatcher(greedy, nlp.vocab, [PACKS]).stretched
