"""ConText matches its phrase and token rules near the target sentences only: the same modifiers as matching the Doc.

``TargetSentenceConText._near_matches`` runs the phrase and token rules on the target sentences widened by twice the
longest match, and the whole Doc again when a chain of overlapping matches comes near an edge. Every target must
get the very modifiers (rule, category, tokens, scope) of the plain path, where medspaCy's matcher reads the whole
Doc; timing is benchmarks/context_bench.py's, not a test's.
"""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language
from spacy.matcher import Matcher

from pipelines.token_gate import RuleGatedMatcher, token_columns

# several targets per sentence, each status ConText gives, between sentences no rule can match
PARAGRAPHS = (
    "HEALTH MAINTENANCE: She has never had a colonoscopy or a mammogram, and she denies any pap smear.  ",
    "The patient walks two miles most mornings and volunteers at the library on weekends with a friend.  ",
    "FAMILY HISTORY: Her father was treated for colon cancer and her sister has diabetes and hypertension.  ",
    "She keeps a vegetable garden behind the house and cooks most of her own meals from it in summer.  ",
    "PAST HISTORY: Prior colonoscopy in 2017 and a flu shot last fall; hysterectomy years ago for fibroids.  ",
    "Her grandson drives her to church on Sundays and she reads two novels a month from the library.  ",
    "ASSESSMENT: Possible diabetes, A1c pending; if the A1c is above 6.5 we would start metformin and retest.  ",
    "She enjoys crossword puzzles, watches the evening news, and calls her brother in Ohio every week.  ",
    "PLAN: Will order a screening mammogram and a colonoscopy, and she was offered a pneumonia vaccine but "
    "declined it today.\n",
)


class _CountingMatcher:
    """medspaCy's matcher, counting the calls that read the whole Doc."""

    def __init__(self, matcher: Any) -> None:
        self.matcher = matcher
        self.whole_doc_calls = 0

    def __call__(self, doc: Any) -> Any:
        self.whole_doc_calls += 1
        return self.matcher(doc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.matcher, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("matcher", "whole_doc_calls"):
            object.__setattr__(self, name, value)
        else:  # ConText sets ``_prune`` on its matcher
            setattr(self.matcher, name, value)


def _modifiers(doc: Any) -> list[tuple[Any, ...]]:
    return [
        (ent.start, ent.end, ent.label_,
         tuple((m.rule._rule_id, m.category, *m.modifier_span, *m.scope_span) for m in ent._.modifiers))
        for ent in doc.ents
    ]


def _run(nlp: Language, text: str) -> Any:
    return nlp(nlp.make_doc(text))


@pytest.fixture(scope="module")
def full_nlp() -> Language:
    """Whole-note mode: the text between target sentences is there to skip (windowed mode has cut most of it)."""
    from pipelines.build import build_nlp

    return build_nlp({"mode": "full"})


def _compare(nlp: Language, monkeypatch: pytest.MonkeyPatch, text: str) -> tuple[list[Any], int]:
    context = nlp.get_pipe("qm_context")
    counting = _CountingMatcher(context._ConText__matcher)
    with monkeypatch.context() as patch:
        patch.setattr(context, "_ConText__matcher", counting)
        near = _modifiers(_run(nlp, text))
        near_calls = counting.whole_doc_calls
        patch.setattr(context, "restrict_matching", False)
        whole = _modifiers(_run(nlp, text))
    assert counting.whole_doc_calls == near_calls + 1
    assert near == whole
    return near, near_calls


@pytest.mark.parametrize("copies", [1, 3])
def test_target_context_near_matching_gives_the_whole_doc_modifiers(
    full_nlp: Language, monkeypatch: pytest.MonkeyPatch, copies: int
) -> None:
    near, whole_doc_calls = _compare(full_nlp, monkeypatch, "".join(PARAGRAPHS) * copies)
    assert whole_doc_calls == 0  # the near path ran, without falling back to the whole Doc
    categories = {m[1] for _, _, _, mods in near for m in mods}
    assert {"NEGATED_EXISTENCE", "FAMILY", "HISTORICAL", "HYPOTHETICAL", "POSSIBLE_EXISTENCE", "DECLINED"} <= categories
    assert len([ent for ent in near if ent[3]]) >= 8 * copies, near


def test_target_context_near_matching_windowed(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windowed mode (the default): the same modifiers whichever path ran."""
    near, _ = _compare(nlp, monkeypatch, "".join(PARAGRAPHS) * 2)
    assert any(mods for _, _, _, mods in near)


def test_target_context_near_matching_statuses(extract) -> None:
    """The statuses the modifiers give on the same text (guards the comparison above against an empty one)."""
    status = {(e.element, e.status) for e in extract("".join(PARAGRAPHS))}
    assert ("colonoscopy", "negated") in status
    assert ("mammogram", "negated") in status
    assert ("colorectal_cancer", "family") in status or ("diabetes", "family") in status
    assert ("colonoscopy", "affirmed") in status
    assert ("pneumococcal_vaccine", "declined") in status


def test_rule_gated_matcher_within_gives_the_whole_docs_matches_inside() -> None:
    import spacy

    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    matcher.add("TALKED", [[{"LOWER": {"IN": ["talked", "spoke"]}}, {"LOWER": {"IN": ["to", "with", "her"]}, "OP": "*"},
                           {"LOWER": {"IN": ["about", "regarding"]}}]])
    matcher.add("NEVER", [[{"LOWER": {"IN": ["never", "not"]}, "OP": "+"}, {"LOWER": {"IN": ["returned", "mailed"]}}]])
    split = RuleGatedMatcher(matcher, nlp.vocab)
    doc = nlp.make_doc(
        "We talked with her about the stool test kit. She has not returned it. Then we spoke to her about the "
        "flu shot, which she had not not mailed records of. I talked about nothing else."
    )
    columns = token_columns(doc)
    whole = sorted(matcher(doc))
    assert sorted(split.match(doc, columns)) == whole
    for within in ([(0, 12)], [(10, 16), (20, 31)], [(3, 9), (12, 40)], [(0, len(doc))]):
        inside = sorted(m for m in whole if any(lo <= m[1] and m[2] <= hi for lo, hi in within))
        assert sorted(split.match(doc, columns, within)) == inside, within
    longest = split.longest_match(columns)
    assert longest is not None and max(end - start for _, start, end in whole) <= longest


def test_sentence_bounds_are_spacys_sentences(nlp: Language, full_nlp: Language) -> None:
    """Every token's sentence, looked up, is ``doc[i].sent`` (windowed and whole-note Docs), and a modifier built
    from the lookup gets medspaCy's scope."""
    from medspacy.context.context_modifier import ConTextModifier

    from pipelines.target_context import SentenceBounds

    context = full_nlp.get_pipe("qm_context")
    rules = list(context._ConText__matcher.rule_map.values())
    directions = {(rule.direction, rule.max_scope is None): rule for rule in rules}
    for pipeline in (nlp, full_nlp):
        doc = _run(pipeline, "".join(PARAGRAPHS) * 2)
        bounds = SentenceBounds.of(doc)
        assert bounds is not None
        for i in range(len(doc)):
            sent = doc[i].sent
            assert bounds.around(i) == (sent.start, sent.end), i
            for rule in directions.values():
                looked_up = ConTextModifier(rule, i, i + 1, bounds)
                built = ConTextModifier(rule, i, i + 1, doc)
                assert looked_up.scope_span == built.scope_span
    assert {"FORWARD", "BACKWARD", "BIDIRECTIONAL"} <= {direction for direction, _ in directions}
