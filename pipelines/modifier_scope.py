"""Which ConText modifiers reach a target mention: the clause, the refusal's own object, a bracketed aside.

medspaCy's ConText scopes a modifier by direction and distance; these narrow it where a note's punctuation
says more: a negation followed by a plan in a new clause, a refusal with its own object after a comma, a
modifier inside an aside that closed before the mention.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from spacy.tokens import Doc

__all__ = ["bracket_pairs", "bracket_scope", "declined_own_object", "enclosing", "plan_after_negation"]

_CLAUSE_BREAK = re.compile(r"[,;:\-–—]|\b(?:and|then)\b", re.I)


# words that may follow "declined" without being its object ("declined today", "declined by mom")
_NOT_AN_OBJECT = frozenset(
    "by per to today again at this that it them all both in for because due as secondary and or but "
    "then so after until since when while now currently previously yesterday once twice x".split()
)


_CLAUSE_PUNCT = frozenset({",", ";", "(", ")", "-", "--", "—", "–", ":"})


def declined_own_object(doc: Doc, modifiers: list[Any], target_end: int, label: str | None = None) -> list[Any]:
    """Drop a refusal after the mention, across a comma or into a parenthesis, that has its own object: in
    "counseled on quitting, pt declined medication" the patient declined the medication, not the counseling;
    in "CT colonography 09/2024 (pt refused repeat scope)" the repeat scope; in "PHQ-2 positive (score 4) - PHQ-9
    deferred" the second mention of the element, in a new clause, is what was deferred.
    "Colonoscopy offered, pt declined." and "Flu shot offered, declined today" keep it."""
    out = []
    for m in modifiers:
        start, end = m.modifier_span
        if m.category == "DECLINED" and start >= target_end:
            if label is not None and _same_element_between(doc, target_end, start, label):
                continue
            if end < len(doc):
                nxt = doc[end]
                between = doc[target_end:start].text
                own_clause = any(c in between for c in ",;(")
                if own_clause and nxt.is_alpha and nxt.lower_ not in _NOT_AN_OBJECT:
                    continue
        out.append(m)
    return out


def _same_element_between(doc: Doc, lo: int, hi: int, label: str) -> bool:
    """Whether another mention of ``label`` starts between tokens ``lo`` and ``hi`` after a clause break."""
    broken = False
    for tok in doc[lo:hi]:
        if tok.ent_iob_ == "B" and tok.ent_type_ == label and broken:
            return True
        if tok.text in _CLAUSE_PUNCT:
            broken = True
    return False


def plan_after_negation(doc: Doc, modifiers: list[Any], target_start: int) -> list[Any]:
    """Drop a negation followed, in a new clause, by a plan before the mention: in "Not addressed
    today - will discuss advance directives" the plan ("will discuss") decides the status. A plan in
    the negated phrase ("not able to get the flu shot") or after the mention ("No mammogram yet, will
    order") leaves the negation in place."""
    plans = [m for m in modifiers if m.category == "PLANNED" and m.modifier_span[1] <= target_start]
    if not plans:
        return modifiers

    def new_clause(neg: Any, plan: Any) -> bool:
        lo, hi = neg.modifier_span[1], plan.modifier_span[0]
        return hi > lo and bool(_CLAUSE_BREAK.search(doc[lo:hi].text))

    return [
        m
        for m in modifiers
        if not (m.category == "NEGATED_EXISTENCE" and any(new_clause(m, p) for p in plans))
    ]


def bracket_pairs(text: str) -> list[tuple[int, int]]:
    """The (open, close) offsets of the matched round brackets of a text, sorted by the opening one."""
    if "(" not in text:
        return []
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in _BRACKET.finditer(text):
        if m.group() == "(":
            stack.append(m.start())
        elif stack:
            pairs.append((stack.pop(), m.start()))
    return sorted(pairs)


_BRACKET = re.compile(r"[()]")


def enclosing(pairs: list[tuple[int, int]], opens: list[int], pos: int) -> tuple[int, int] | None:
    """The innermost bracket pair around character ``pos``."""
    k = bisect.bisect_left(opens, pos) - 1
    while k >= 0:
        if pairs[k][1] >= pos:
            return pairs[k]
        k -= 1
    return None


def bracket_scope(
    doc: Doc, modifiers: list[Any], start: int, pairs: list[tuple[int, int]], opens: list[int]
) -> list[Any]:
    """A bracketed aside keeps its words to itself: a modifier inside brackets that close before the mention
    does not reach it ("CKD 4 (not on dialysis), T2DM diet-controlled"); a modifier before the brackets a
    mention sits in does not reach it when the aside states the mention's own status ("no polyps (flex sig
    2012 normal)")."""
    if not pairs or not modifiers:
        return modifiers
    spans = {id(m): (doc[m.modifier_span[0]].idx, doc[m.modifier_span[1] - 1].idx) for m in modifiers}
    own = enclosing(pairs, opens, start)
    inside_own = own is not None and any(own[0] < s < own[1] for s, _ in spans.values())
    out = []
    for m in modifiers:
        m_start, m_last = spans[id(m)]
        around = enclosing(pairs, opens, m_start)
        if around is not None and around[1] <= start and around != own and m_last < around[1]:
            continue  # inside an aside that closed before the mention
        if own is not None and inside_own and m_start < own[0]:
            continue  # before the aside the mention is in, which has its own status words
        out.append(m)
    return out
