"""The section a mention is in: the section of the heading before it, unless an indented heading's scope or
a family history has ended before the mention.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from spacy.tokens import Doc

from .mention_dates import DocIndex
from .status import FAMILY_SECTIONS

__all__ = ["section_of"]


def section_of(
    doc: Doc,
    idx: DocIndex,
    starts: list[int],
    token_i: int,
    ends: dict[int, int] | None = None,
    sections: list[Any] | None = None,
) -> tuple[str | None, str | None]:
    """The section category and section rule id of token ``token_i`` ((None, None) outside any section): those
    of the last heading before it (``starts``: the headings' first tokens), unless an indented heading's scope
    (cached per section in ``ends``) or a family history (an unlisted heading since) has ended before it.
    ``sections``: ``doc._.sections``, when the caller has read it."""
    if sections is None:
        sections = doc._.sections or []
    k = bisect.bisect_right(starts, token_i) - 1
    if k < 0:
        return None, None
    section = sections[k]
    if ends is not None:
        if k not in ends:
            ends[k] = _indented_heading_end(idx.text, doc[section.title_start].idx)
        if doc[token_i].idx >= ends[k]:
            return None, None  # "   Their plan: ..." under a bullet: the next, less indented item has left it
    rule = getattr(section, "rule", None)
    rule_id = (rule.metadata or {}).get("id") if rule is not None else None
    if section.category in FAMILY_SECTIONS and _unlisted_heading_between(
        idx, doc[section.body_start].idx if section.body_start < len(doc) else len(idx.text), doc[token_i].idx
    ):
        return None, None  # "FH: Non-contributory,SOCH: He smokes": the family section has ended
    return section.category, rule_id


# a heading in capitals followed by a colon at the start of a line or transcribed line (",SOCH: ,")
_CAPS_HEADING = re.compile(r"(?:^|(?<=[\n,.]))[ \t]*(?P<h>[A-Z][A-Z]+(?:[ /&][A-Z]+){0,4})[ \t]*:")
# sub-labels of a family history ("MOTHER: diabetes") do not end it
_RELATIVE_LABELS = frozenset(
    "MOTHER FATHER MOM DAD SISTER SISTERS BROTHER BROTHERS SIBLING SIBLINGS SON SONS DAUGHTER DAUGHTERS "
    "PARENTS GRANDMOTHER GRANDFATHER GRANDPARENTS AUNT UNCLE COUSIN MATERNAL PATERNAL CHILDREN".split()
)


def _unlisted_heading_between(idx: DocIndex, start_char: int, end_char: int) -> bool:
    """Whether a heading the section rules do not list ("SOCH:", "HABITS AND EXPOSURES:") starts
    between ``start_char`` and ``end_char``. A relative's label ("MOTHER:") or a label that is
    itself a mention ("DIABETES: mother") does not count."""
    if end_char <= start_char:
        return False
    ents = idx.ent_chars
    for m in _CAPS_HEADING.finditer(idx.text, start_char, end_char):
        words = set(re.split(r"[ /&]", m.group("h")))
        if words & _RELATIVE_LABELS:
            continue
        s, e = m.span("h")
        if any(a < e and s < b for a, b in ents):
            continue
        return True
    return False


_LINE_INDENT = re.compile(r"\n([ \t]*)(?=\S)")
_LEAD_SPACE = re.compile(r"[ \t]*")


def _indented_heading_end(text: str, heading_start: int) -> int:
    """Where the section of a heading on an indented line ends: at the first later line that is less indented
    ("• Letter from eye clinic:\n   Their plan: f/u 6 mo\n• Colonoscopy 10/2026 ..."). A heading on a line
    that is not indented is not limited (its end is the end of the text)."""
    line_start = text.rfind("\n", 0, heading_start) + 1
    lead = _LEAD_SPACE.match(text, line_start).group()
    if not lead or line_start == 0:
        return len(text)  # a heading at the start of its line (or of the note)
    indent = len(lead.expandtabs(4))
    for m in _LINE_INDENT.finditer(text, heading_start):
        if len(m.group(1).expandtabs(4)) < indent:
            return m.start() + 1
    return len(text)
