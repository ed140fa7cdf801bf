"""Long notes: the components that used to rescan the whole Doc per candidate give the same result.

ConText runs its pairwise steps per group of target sentences (pipelines/target_context.py), and
the case-insensitive target matcher's spans are chosen first-come in one pass
(pipelines/merge_targets.py). Both must keep medspaCy's results exactly; time is measured by
benchmarks/dense_note_bench.py, not here.
"""

from __future__ import annotations

from datetime import date

import pytest
from medspacy.context.context_graph import ConTextGraph

from engine.records import Note
from pipelines.extract import extract_note
from pipelines.merge_targets import first_come
from pipelines.target_context import TargetSentenceConText

PARAGRAPHS = (
    "SOCIAL HISTORY:,  Quit smoking cigarettes in 2015 after 20 pack-years; no alcohol.  ",
    "HEALTH MAINTENANCE:,  Last colonoscopy 04/2016 was clean, due again in 2026.  No mammogram on file.  ",
    "She is not sure whether she had a pap smear; will obtain outside records.  ",
    "VITALS:,  BP 152/94 on arrival, 138/86 on recheck.,  ",
    "LABS:,  HbA1c 9.1% from 01/2026.  Diabetic eye exam was declined this year.  ",
    "FAMILY HISTORY:,  Brother with colon cancer at 48; mother had breast cancer.  ",
    "PLAN:,  Flu vaccine given today in the left deltoid.  Refer for screening colonoscopy.  ",
    "Counseled for 5 minutes on staying tobacco free.  PHQ-2 negative.\n",
)


def _long_note(n_paragraphs: int) -> Note:
    text = "".join(PARAGRAPHS[i % len(PARAGRAPHS)] for i in range(n_paragraphs))
    return Note(note_id="long-1", patient_id="p1", note_date=date(2026, 5, 4), text=text)


def _one_graph(self, spans, windows, modifiers):  # medspaCy's own: one graph over the whole note
    graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
    graph.targets = spans
    graph.modifiers = modifiers
    graph.update_scopes()
    graph.apply_modifiers()
    return graph.modifiers, graph.edges


def test_context_by_sentence_gives_the_one_graph_result(nlp, monkeypatch: pytest.MonkeyPatch) -> None:
    note = _long_note(40)
    grouped = [(e.element, e.start, e.status, e.modifiers) for e in extract_note(nlp, note, True)]
    monkeypatch.setattr(TargetSentenceConText, "_apply_by_sentence", _one_graph)
    whole = [(e.element, e.start, e.status, e.modifiers) for e in extract_note(nlp, note, True)]
    assert grouped == whole
    statuses = {s for _, _, s, _ in grouped}
    assert {"affirmed", "negated", "declined", "family", "ordered"} <= statuses, statuses


def test_long_note_evidence_repeats_per_paragraph_copy(nlp) -> None:
    """A note made of 5 copies of the same 8 paragraphs yields 5 times the evidence of one copy,
    at the same offsets modulo the copy length: nothing is lost or invented as the note grows."""
    one = extract_note(nlp, _long_note(8), True)
    five = extract_note(nlp, _long_note(40), True)
    period = len(_long_note(8).text)
    assert len(five) == 5 * len(one) > 0
    assert {(e.element, e.start % period, e.status) for e in five} == {(e.element, e.start, e.status) for e in one}


def test_first_come_keeps_what_adding_ents_one_by_one_keeps(nlp) -> None:
    doc = nlp.make_doc("Screening colonoscopy and colonoscopy screening were both discussed today")
    from spacy.tokens import Span

    bounds = ((0, 2, "a"), (1, 2, "b"), (2, 4, "c"), (3, 5, "d"), (5, 6, "e"))
    spans = [Span(doc, s, e, label) for s, e, label in bounds]
    expected = []
    for span in spans:
        try:
            doc.ents += (span,)
            expected.append((span.start, span.end, span.label_))
        except ValueError:
            pass
    assert [(s.start, s.end, s.label_) for s in first_come(spans)] == expected == [(0, 2, "a"), (2, 4, "c"),
                                                                                     (5, 6, "e")]


def test_pruning_near_target_sentences_gives_the_whole_notes_result(nlp, monkeypatch: pytest.MonkeyPatch) -> None:
    """ConText prunes only the chains of overlapping modifiers that reach a target sentence: the same modifiers,
    statuses and evidence as pruning every modifier of the note."""
    import pipelines.target_context as target_context

    note = _long_note(40)
    near = [(e.element, e.start, e.status, e.modifiers) for e in extract_note(nlp, note, True)]
    monkeypatch.setattr(target_context, "near_windows", lambda matches, windows: matches)
    every = [(e.element, e.start, e.status, e.modifiers) for e in extract_note(nlp, note, True)]
    assert near == every and any(m for *_, m in near)


def test_near_windows_keeps_whole_chains_of_overlapping_matches() -> None:
    from pipelines.target_context import near_windows, prune_keeping_ties

    # (rule, start, end): a chain 3-6, 5-9, 8-12, 11-13 reaching into the window [10, 14) from outside it; 0-2 and
    # 1-3 end where the chain starts (no overlap); 20-22 alone outside
    matches = [(1, 3, 6), (2, 5, 9), (3, 8, 12), (4, 8, 12), (5, 11, 13), (6, 20, 22), (7, 0, 2), (8, 1, 3)]
    windows = [(10, 14)]
    assert sorted(near_windows(matches, windows)) == sorted(m for m in matches if m[1] >= 3 and m[1] < 20)

    def in_window(m: tuple[int, int, int]) -> bool:
        return any(a <= m[1] < b for a, b in windows)

    assert [m for m in prune_keeping_ties(near_windows(matches, windows)) if in_window(m)] == [
        m for m in prune_keeping_ties(matches) if in_window(m)
    ]
