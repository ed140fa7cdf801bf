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
from typing import Any

import numpy
from medspacy.common.util import prune_overlapping_matches
from medspacy.context import ConText, ConTextRule
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from spacy.attrs import SENT_START
from spacy.tokens import Doc, Span

from .token_gate import RuleGatedMatcher, token_columns

__all__ = ["SentenceBounds", "TargetSentenceConText", "near_windows", "prune_keeping_ties"]


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


class SentenceBounds:
    """The sentences of a Doc as token ranges: ``around(i)`` is ``(doc[i].sent.start, doc[i].sent.end)`` read from
    the sentence starts (spaCy's ``Span.sent`` walks the tokens and builds a Span every time). ``bounds[i].sent``
    gives the same as an object with ``start`` and ``end``: what ``ConTextModifier`` reads of ``doc[i].sent`` to
    set its scope. :meth:`of` is None for a Doc whose sentences come from hooks or are not set (use the Doc)."""

    def __init__(self, starts: list[int], size: int) -> None:
        self.starts = starts  # the tokens that start a sentence, sorted (``sent_start == 1``)
        self.size = size

    @classmethod
    def of(cls, doc: Doc) -> SentenceBounds | None:
        if doc.user_hooks.get("sents") or doc.user_span_hooks.get("sent") or doc.user_token_hooks.get("sent"):
            return None
        if not doc.has_annotation("SENT_START"):
            return None
        return cls(numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist(), len(doc))

    def around(self, i: int) -> tuple[int, int]:
        """``Span.sent`` of a span starting at token ``i``: back to a sentence start (or the Doc's), on to the
        next one after ``i`` (or the Doc's end)."""
        k = bisect_right(self.starts, i)
        return (self.starts[k - 1] if k else 0), (self.starts[k] if k < len(self.starts) else self.size)

    def __getitem__(self, i: int) -> _Sentence:
        return _Sentence(*self.around(i))


class _Sentence:
    """A sentence's token range, as a token (``.sent``) and as its sentence (``.start``, ``.end``)."""

    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    @property
    def sent(self) -> _Sentence:
        return self


class _Measured:
    """A tokenizer that notes the longest Doc it made (medspaCy's matcher tokenizes every phrase rule with it)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.longest = 0

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        self.longest = max(self.longest, len(doc))
        return doc


class TargetSentenceConText(ConText):
    """ConText restricted to sentences containing a target (``doc.ents``)."""

    restrict_matching = True  # phrase and token rules read near the target sentences only (_near_matches)

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        spans = list(doc.ents)
        graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
        graph.targets = spans
        graph.modifiers = []
        graph.edges = []
        if spans:
            sentences = SentenceBounds.of(doc)
            if sentences is None:
                windows = sorted({(s.sent.start, s.sent.end) for s in spans})
            else:
                windows = sorted({sentences.around(s.start) for s in spans})
            starts = [w[0] for w in windows]
            scope_source: Any = doc if sentences is None or self.max_scope else sentences
            matcher = self._ConText__matcher  # medspaCy keeps its matcher name-mangled
            matcher._prune = False  # pruned below, keeping rules that match the same tokens
            modifiers: list[ConTextModifier] = []
            for match_id, start, end in prune_keeping_ties(self._near_matches(doc, windows)):
                k = bisect_right(starts, start) - 1
                if k < 0 or start >= windows[k][1]:
                    continue  # no target in this modifier's sentence
                rule = matcher.rule_map[self.nlp.vocab.strings[match_id]]
                # medspaCy sets the scope from the sentence ``doc[start].sent``: looked up, not built as a Span
                modifiers.append(ConTextModifier(rule, start, end, scope_source, max_scope=self.max_scope))
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

    def add(self, rules: Any) -> None:
        """medspaCy's ``add``, noting the longest phrase rule in tokens (as medspaCy's matcher tokenizes it) and
        whether a rule has a callback: what :meth:`_near_matches` needs to match near the targets only."""
        matcher = self._ConText__matcher
        rules = [rules] if isinstance(rules, ConTextRule) else list(rules)
        measured = _Measured(matcher.nlp)
        matcher.nlp = measured
        try:
            super().add(rules)
        finally:
            matcher.nlp = measured.tokenizer
        self._longest_phrase = max(getattr(self, "_longest_phrase", 0), measured.longest)
        self._callbacks = getattr(self, "_callbacks", False) or any(
            r.on_match is not None for r in rules if r.pattern is None or isinstance(r.pattern, list)
        )

    def _near_matches(self, doc: Doc, windows: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        """:func:`near_windows` of the matches of medspaCy's matcher on ``doc``, the phrase and token rules read
        only near the target sentences ``windows``.

        Every match is at most ``n`` tokens long (the longest phrase rule; a token rule's :func:`length_plan` on
        this Doc), so the phrase and token rules run on the windows widened by ``2n`` tokens on each side, which
        hold every match starting in a window and every match overlapping one; regular expressions, whose
        matches have no bound in tokens, still read the whole text. A match missed that way lies outside the
        widened windows or crosses their edge, so it can only overlap a match that comes within ``n`` tokens of
        an edge: when a chain of overlapping matches :func:`near_windows` keeps does, the whole Doc is matched
        again, as medspaCy does. The chains kept, and so the modifiers, are the whole Doc's.
        """
        matcher = self._ConText__matcher
        if not self.restrict_matching or getattr(self, "_callbacks", True):
            return near_windows(matcher(doc), windows)
        token_matcher = matcher._MedspacyMatcher__matcher
        if not isinstance(token_matcher, RuleGatedMatcher) or token_matcher.rules is None:
            return near_windows(matcher(doc), windows)
        columns = token_columns(doc)
        longest_token = token_matcher.longest_match(columns)
        if longest_token is None:
            return near_windows(matcher(doc), windows)
        reach = max(self._longest_phrase, longest_token, 1)
        size = len(doc)
        within: list[tuple[int, int]] = []  # the widened windows, merged when they touch
        for lo, hi in windows:
            lo, hi = max(0, lo - 2 * reach), min(size, hi + 2 * reach)
            if within and lo <= within[-1][1]:
                within[-1] = (within[-1][0], max(within[-1][1], hi))
            else:
                within.append((lo, hi))
        if within == [(0, size)]:
            return near_windows(matcher(doc), windows)
        phrase_matcher = matcher._MedspacyMatcher__phrase_matcher
        matches = token_matcher.match(doc, columns, within)
        for lo, hi in within:
            matches += phrase_matcher(doc[lo:hi])  # a phrase matcher gives a Span's matches in Doc offsets
        matches += matcher._MedspacyMatcher__regex_matcher(doc)
        near = near_windows(matches, windows)
        starts = [lo for lo, _ in within]
        for _, start, end in near:
            k = bisect_right(starts, start) - 1
            lo, hi = within[k] if k >= 0 else (size, size)
            if (lo > 0 and start < lo + reach) or (hi < size and end > hi - reach):
                return near_windows(matcher(doc), windows)  # a chain reaches an edge: the whole Doc
        return near

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
            targets_of[bisect_right(group_starts, span.start) - 1].append(span)  # its sentence's group
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
