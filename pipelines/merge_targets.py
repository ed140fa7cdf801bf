"""``qm_merge_targets``: one set of target spans from the two target matchers, longest first.

The case-sensitive matcher (abbreviations: "CRC", "PHQ", "DM") writes to a span group; the
case-insensitive one writes ``doc.ents``. medspaCy keeps whichever entity came first when two
overlap, so "CRC" would beat the trap phrase "CRC screening" and "PHQ" would beat "PHQ-A".
Here overlapping spans are resolved by length (``spacy.util.filter_spans``): the longest wins.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

__all__ = ["MergeTargets"]


class MergeTargets:
    """Merge ``doc.spans[group]`` into ``doc.ents``; overlaps keep the longest span."""

    def __init__(self, nlp: Language, name: str = "qm_merge_targets", *, group: str = "qm_cased_targets"):
        self.name = name
        self.group = group

    def __call__(self, doc: Doc) -> Doc:
        extra = list(doc.spans.get(self.group, []))
        if extra:
            doc.ents = sorted(filter_spans(list(doc.ents) + extra), key=lambda s: s.start)
        return doc
