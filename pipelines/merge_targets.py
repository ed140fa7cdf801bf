"""``qm_merge_targets``: one set of target spans from the two target matchers, longest first.

The case-sensitive matcher (abbreviations: "CRC", "PHQ", "DM") writes to a span group; the
case-insensitive one writes ``doc.ents`` (or, with ``first_group``, a span group too). medspaCy keeps
whichever entity came first when two overlap, so "CRC" would beat the trap phrase "CRC screening"
and "PHQ" would beat "PHQ-A". Here overlapping spans are resolved by length
(``spacy.util.filter_spans``): the longest wins.

``first_group``: the spans of the case-insensitive matcher, in match order. medspaCy's "ents" output
adds them one by one (``doc.ents += (span,)``, skipping a span whose tokens are taken), which
rebuilds the entity list per span: quadratic in a long note. The same first-come selection is made
here in one pass and ``doc.ents`` is set once.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

__all__ = ["MergeTargets", "first_come"]


def first_come(spans: list[Span]) -> list[Span]:
    """The spans ``doc.ents += (span,)`` would keep, added in order: a span overlapping one kept
    before it is skipped."""
    taken: set[int] = set()
    kept = []
    for span in spans:
        tokens = range(span.start, span.end)
        if any(i in taken for i in tokens):
            continue
        taken.update(tokens)
        kept.append(span)
    return kept


class MergeTargets:
    """Merge ``doc.spans[group]`` into ``doc.ents``; overlaps keep the longest span."""

    def __init__(self, nlp: Language, name: str = "qm_merge_targets", *, group: str = "qm_cased_targets",
                 first_group: str | None = None):
        self.name = name
        self.group = group
        self.first_group = first_group

    def __call__(self, doc: Doc) -> Doc:
        if self.first_group is not None:
            first = first_come(list(doc.spans.get(self.first_group, [])))
            if self.first_group in doc.spans:
                del doc.spans[self.first_group]
        else:
            first = list(doc.ents)
        extra = list(doc.spans.get(self.group, []))
        if extra:
            doc.ents = sorted(filter_spans(first + extra), key=lambda s: s.start)
        elif first and self.first_group is not None:
            doc.ents = sorted(first, key=lambda s: s.start)
        return doc
