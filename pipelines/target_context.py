"""``qm_context``: medspaCy's ConText, applied only to the sentences that hold a target.

ConText matches modifiers over the whole document and then compares every pair of modifiers
to fix their scopes (``ConTextGraph.update_scopes`` is quadratic). A modifier can only reach
targets of its own sentence, so modifiers of sentences without targets are dropped before the
graph is built: same result, a fraction of the work. Everything else is medspaCy's ``ConText``.
"""

from __future__ import annotations

from bisect import bisect_right

from medspacy.common.util import prune_overlapping_matches
from medspacy.context import ConText
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from spacy.tokens import Doc

__all__ = ["TargetSentenceConText", "prune_keeping_ties"]


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


class TargetSentenceConText(ConText):
    """ConText restricted to sentences containing a target (``doc.ents``)."""

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        spans = list(doc.ents)
        graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
        graph.targets = spans
        graph.modifiers = []
        if spans:
            windows = sorted({(s.sent.start, s.sent.end) for s in spans})
            starts = [w[0] for w in windows]
            matcher = self._ConText__matcher  # medspaCy keeps its matcher name-mangled
            matcher._prune = False  # pruned below, keeping rules that match the same tokens
            for match_id, start, end in prune_keeping_ties(matcher(doc)):
                k = bisect_right(starts, start) - 1
                if k < 0 or start >= windows[k][1]:
                    continue  # no target in this modifier's sentence
                rule = matcher.rule_map[self.nlp.vocab[match_id].text]
                graph.modifiers.append(ConTextModifier(rule, start, end, doc, max_scope=self.max_scope))
            graph.update_scopes()
            graph.apply_modifiers()
            for target, modifier in graph.edges:
                target._.modifiers += (modifier,)
            if self.context_attributes_mapping:
                self.set_context_attributes(graph.edges)
        else:
            graph.edges = []
        doc._.context_graph = graph
        return doc
