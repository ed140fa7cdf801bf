"""The status of a mention from its ConText modifiers and its section: one pure function.

Precedence (first that applies):
1. ``family``        a FAMILY modifier, or the mention sits in a family-history section
2. ``negated``       NEGATED_EXISTENCE
3. ``declined``      DECLINED
4. ``ordered``       ORDERED, unless a PAST_EVENT cue says it was done ("had", "last", "s/p"),
                     or the element is an order itself (ORDER_IS_EVIDENCE: cessation medication,
                     depression follow-up)
5. ``planned``       PLANNED (same exceptions; PLAN_IS_EVIDENCE: a depression follow-up plan)
6. ``hypothetical``  HYPOTHETICAL (conditions, goals, thresholds)
7. ``uncertain``     POSSIBLE_EXISTENCE
8. ``planned``       a test, vaccine or service named in a plan section with no past-event cue
9. ``affirmed``      otherwise (HISTORICAL is affirmed: a past event counts)
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.elements import load_vocabulary

__all__ = [
    "ACTION_ELEMENTS",
    "FAMILY_SECTIONS",
    "ORDER_IS_EVIDENCE",
    "PLAN_IS_EVIDENCE",
    "PLAN_SECTIONS",
    "status_of",
]

# element facts come from the element vocabulary (measures/elements.yaml), not from lists here
_VOCABULARY = load_vocabulary()
# a test, vaccine or service named in a plan section is planned (planned_in_plan_section)
ACTION_ELEMENTS = frozenset(e.id for e in _VOCABULARY if e.planned_in_plan_section)
# a documented follow-up plan is the evidence: "will refer to behavioral health" is a follow-up plan
PLAN_IS_EVIDENCE = frozenset(e.id for e in _VOCABULARY if "planned" in e.plan_or_order_counts)
# an order is the evidence: "Chantix ordered" is cessation pharmacotherapy (CMS138 "ordered")
ORDER_IS_EVIDENCE = frozenset(e.id for e in _VOCABULARY if "ordered" in e.plan_or_order_counts)
FAMILY_SECTIONS = frozenset({"family_history"})
PLAN_SECTIONS = frozenset({"plan", "assessment_and_plan"})
# a family member named as a surrogate decision maker is about the patient's own care planning
NEVER_FAMILY = frozenset(e.id for e in _VOCABULARY if e.never_family)


def status_of(element: str, categories: Iterable[str], section: str | None) -> tuple[str, str | None]:
    """Return (status, reason) where reason is "section:<category>" when the section decided it."""
    cats = {c.upper() for c in categories}
    past = "PAST_EVENT" in cats
    if element not in NEVER_FAMILY:
        if "FAMILY" in cats:
            return "family", None
        if section in FAMILY_SECTIONS:
            return "family", f"section:{section}"
    if "NEGATED_EXISTENCE" in cats:
        return "negated", None
    if "DECLINED" in cats:
        return "declined", None
    if "ORDERED" in cats and not past and element not in ORDER_IS_EVIDENCE:
        return "ordered", None
    if "PLANNED" in cats and not past and element not in PLAN_IS_EVIDENCE:
        return "planned", None
    if "HYPOTHETICAL" in cats:
        return "hypothetical", None
    if "POSSIBLE_EXISTENCE" in cats:
        return "uncertain", None
    if element in ACTION_ELEMENTS and section in PLAN_SECTIONS and not past:
        return "planned", f"section:{section}"
    return "affirmed", None
