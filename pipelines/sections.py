"""``qm_sections``: section headings and ``doc._.sections``, with medSpaCy's section matcher, and nothing else.

medSpaCy's ``Sectionizer`` also writes ``token._.section`` on every token of the note (one Python object
per token), which nothing downstream reads: the evidence rows look up a target's section in
``doc._.sections`` by position. :class:`SectionsOnly` is that sectionizer (same rules, same matcher,
same start-of-line filter: :class:`pipelines.headings.CapitalsOrLineStartSectionizer`, same parents and
scopes) with the per-token step left out: ``doc._.sections`` is built exactly as medSpaCy builds it.
Options that need the per-token step (``span_attrs``, ``apply_sentence_boundary``) run medSpaCy's own
code. A windowed Doc without a window (no target's key in the note: ``pipelines.prefilter``) is filler alone,
where no heading stands: it gets the one untitled section that no match gives, without running the matcher.
"""

from __future__ import annotations

from typing import Any

from medspacy.section_detection import Section
from spacy.language import Language
from spacy.tokens import Doc

from .headings import HEADING_AFTER, CapitalsOrLineStartSectionizer

__all__ = ["SectionsOnly"]


class SectionsOnly(CapitalsOrLineStartSectionizer):
    """Set ``doc._.sections`` from the section rules (headings matched as written: ``ORTH``)."""

    def __init__(self, nlp: Language, name: str = "qm_sections") -> None:
        super().__init__(
            nlp,
            name=name,
            rules=None,
            phrase_matcher_attr="ORTH",  # "PLAN:" is a heading, "plan" in a sentence is not
            require_start_line=True,  # see CapitalsOrLineStartSectionizer: capitals anywhere, others at a line start
            newline_pattern=HEADING_AFTER,
            span_attrs=None,
        )

    def __call__(self, doc: Doc) -> Doc:
        if self.assertion_attributes_mapping or self._apply_sentence_boundary:
            return super().__call__(doc)  # they read the sections of tokens
        if doc._.qm_windows == []:
            # a windowed Doc without a window is filler alone, where no heading stands: what no match gives
            doc._.sections = self._sections(doc, [], {})
            return doc
        matcher = self._Sectionizer__matcher  # medSpaCy keeps it name-mangled
        matches: list[Any] = matcher(doc)
        if self.require_start_line:
            matches = self.filter_start_lines(doc, matches)
        if self.require_end_line:
            matches = self.filter_end_lines(doc, matches)
        if self._parent_sections:
            matches = self.set_parent_sections(matches)
        doc._.sections = self._sections(doc, matches, matcher.rule_map)
        return doc

    def _sections(self, doc: Doc, matches: list[Any], rule_map: dict[str, Any]) -> list[Section]:
        """``Sectionizer.__call__``'s section list: untitled text before the first heading, then each heading's
        section up to the next heading (or its rule's ``max_scope`` / ``max_section_length``)."""
        n = len(doc)
        if not matches:
            return [Section(None, 0, 0, 0, n)]
        sections: list[Section] = []
        if matches[0][1] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][1]))
        strings = self.nlp.vocab.strings
        for i, match in enumerate(matches):
            match_id, start, end = match[:3]
            parent = sections[match[3]] if len(match) == 4 and match[3] is not None else None
            rule = rule_map[strings[match_id]]
            body_end = matches[i + 1][1] if i + 1 < len(matches) else n
            limit = rule.max_scope if rule.max_scope is not None else self.max_section_length
            if limit is not None:
                body_end = min(end + limit, body_end)
            sections.append(Section(rule.category, start, end, end, body_end, parent, rule))
        return sections
