"""``qm_context``: medspaCy's ConText, applied only to the sentences that hold a target.

ConText matches modifiers over the whole document and then compares every pair of modifiers
to fix their scopes (``ConTextGraph.update_scopes`` is quadratic). A modifier can only reach
targets of its own sentence, so modifiers of sentences without targets are dropped before the
graph is built, and the graph's pairwise steps (``update_scopes``: modifier x modifier;
``apply_modifiers``: target x modifier) run per group of target sentences instead of over the
whole note, so a long note costs time linear in its length: same result, a fraction of the work.
Everything else is medspaCy's ``ConText``.
"""

from __future__ import annotations

from bisect import bisect_right

from medspacy.common.util import prune_overlapping_matches
from medspacy.context import ConText
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from spacy.tokens import Doc, Span

__all__ = ["TargetSentenceConText", "near_windows", "prune_keeping_ties"]


def prune_keeping_ties(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """medspaCy's "longest match wins", except that rules matching the very same tokens all stay.

    medspaCy keeps one of two rules with the same span ("was negative" is a negation for conditions
    and a past event for tests; "should" is hypothetical and planned), chosen by the hash of an
    internal rule number, so adding any rule could flip it. Keeping all of them lets each rule's
    allowed/excluded types apply and the status precedence decide, deterministically.
    """
    spans = sorted({(start, end) for _, start, end in matches})
    kept = {(start, end) for _, start, end in prune_overlapping_matches([(0, s, e) for s, e in spans])}
    return sorted((m for m in matches if (m[1], m[2]) in kept), key=lambda m: (m[1], m[2], m[0]))


def near_windows(matches: list[tuple[int, int, int]], windows: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """The matches of every chain of overlapping matches that holds one starting in a window (sorted, disjoint
    [start, end) token ranges): :func:`prune_keeping_ties` of them keeps, of the matches starting in a window, the
    very ones it keeps of all (medspaCy's pruning compares overlapping neighbours only, so it never reaches across
    a point no match crosses), and it prunes only a few matches instead of the whole note's."""
    starts = [w[0] for w in windows]

    def in_window(token_i: int) -> bool:
        k = bisect_right(starts, token_i) - 1
        return k >= 0 and token_i < windows[k][1]

    kept: set[tuple[int, int]] = set()
    chain: list[tuple[int, int]] = []
    reach = 0
    hit = False
    for start, end in sorted({(start, end) for _, start, end in matches}):
        if chain and start >= reach:  # no match crosses ``start``: the chain before it is closed
            if hit:
                kept.update(chain)
            chain, hit = [], False
        chain.append((start, end))
        reach = end if len(chain) == 1 else max(reach, end)
        hit = hit or in_window(start)
    if hit:
        kept.update(chain)
    return [m for m in matches if (m[1], m[2]) in kept]


class TargetSentenceConText(ConText):
    """ConText restricted to sentences containing a target (``doc.ents``)."""

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        spans = list(doc.ents)
        graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
        graph.targets = spans
        graph.modifiers = []
        graph.edges = []
        if spans:
            windows = sorted({(s.sent.start, s.sent.end) for s in spans})
            starts = [w[0] for w in windows]
            matcher = self._ConText__matcher  # medspaCy keeps its matcher name-mangled
            matcher._prune = False  # pruned below, keeping rules that match the same tokens
            modifiers: list[ConTextModifier] = []
            for match_id, start, end in prune_keeping_ties(near_windows(matcher(doc), windows)):
                k = bisect_right(starts, start) - 1
                if k < 0 or start >= windows[k][1]:
                    continue  # no target in this modifier's sentence
                rule = matcher.rule_map[self.nlp.vocab[match_id].text]
                modifiers.append(ConTextModifier(rule, start, end, doc, max_scope=self.max_scope))
            if self.max_scope:  # scopes cross sentences: one graph over the note, as medspaCy does
                graph.modifiers = modifiers
                graph.update_scopes()
                graph.apply_modifiers()
            else:
                graph.modifiers, graph.edges = self._apply_by_sentence(spans, windows, modifiers)
            for target, modifier in graph.edges:
                target._.modifiers += (modifier,)
            if self.context_attributes_mapping:
                self.set_context_attributes(graph.edges)
        doc._.context_graph = graph
        return doc

    def _apply_by_sentence(
        self, spans: list[Span], windows: list[tuple[int, int]], modifiers: list[ConTextModifier]
    ) -> tuple[list[ConTextModifier], list[tuple[Span, ConTextModifier]]]:
        """``update_scopes`` + ``apply_modifiers`` per group of overlapping target sentences.

        A modifier's scope lies inside its own sentence, so modifiers of different groups never
        limit each other and never reach each other's targets: the edges are those of one graph
        over the note, in the same order (modifiers by position).
        """
        groups: list[list[int]] = []  # merged [start, end) token ranges of overlapping windows
        for lo, hi in windows:
            if groups and lo < groups[-1][1]:
                groups[-1][1] = max(groups[-1][1], hi)
            else:
                groups.append([lo, hi])
        group_starts = [g[0] for g in groups]
        targets_of: list[list[Span]] = [[] for _ in groups]
        for span in spans:
            targets_of[bisect_right(group_starts, span.sent.start) - 1].append(span)
        modifiers_of: list[list[ConTextModifier]] = [[] for _ in groups]
        for modifier in modifiers:
            modifiers_of[bisect_right(group_starts, modifier.modifier_span[0]) - 1].append(modifier)
        # medspaCy's prune_on_modifier_overlap drops a modifier whose first or last token lies in a
        # target of the note (its ``tuple_overlaps``), after scopes were updated with it: the same
        # test, by position (entities are sorted and do not overlap)
        pruned: set[int] = set()
        if self.prune_on_target_overlap:
            target_starts = [s.start for s in spans]
            target_ends = [s.end for s in spans]

            def in_target(token_i: int) -> bool:
                k = bisect_right(target_starts, token_i) - 1
                return k >= 0 and token_i < target_ends[k]

            for modifier in modifiers:
                m_start, m_end = modifier.modifier_span
                if in_target(m_start) or in_target(m_end - 1):
                    pruned.add(id(modifier))
        kept: list[ConTextModifier] = []
        edges: list[tuple[Span, ConTextModifier]] = []
        for targets, group_modifiers in zip(targets_of, modifiers_of, strict=True):
            if not group_modifiers:
                continue
            sub = ConTextGraph(prune_on_modifier_overlap=False)
            sub.targets = targets
            sub.modifiers = group_modifiers
            sub.update_scopes()
            sub.modifiers = [m for m in group_modifiers if id(m) not in pruned]
            sub.apply_modifiers()
            kept.extend(sub.modifiers)
            edges.extend(sub.edges)
        return kept, edges
