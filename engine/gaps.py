"""Care-gap reasons: the enum, the display text, the default clinic action, and the choice.

When several reasons apply (e.g. an old colonoscopy and a declined FIT this year), the gap
shows the most actionable one, in this order: ``not_controlled`` > ``undated_evidence`` >
``declined`` > ``only_ordered`` > ``evidence_too_old`` > ``no_evidence``. A spec may
override the action text per reason (``gap_actions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.criteria.base import Finding, GapReason

__all__ = ["GAP_ACTION", "GAP_DISPLAY", "REASON_ORDER", "GapReason", "choose_reason", "gap_action"]

REASON_ORDER: tuple[GapReason, ...] = (
    GapReason.NOT_CONTROLLED,
    GapReason.UNDATED_EVIDENCE,
    GapReason.DECLINED,
    GapReason.ONLY_ORDERED,
    GapReason.EVIDENCE_TOO_OLD,
    GapReason.NO_EVIDENCE,
)

GAP_DISPLAY: dict[GapReason, str] = {
    GapReason.NO_EVIDENCE: "No documentation of the required service or result was found",
    GapReason.EVIDENCE_TOO_OLD: "The service was documented but before the measure's lookback window",
    GapReason.ONLY_ORDERED: "The service was ordered, scheduled or recommended but not documented as done",
    GapReason.DECLINED: "The patient declined or refused the service",
    GapReason.NOT_CONTROLLED: "The most recent result is not within the measure's target",
    GapReason.UNDATED_EVIDENCE: "The service is documented without a date; a reviewer must confirm when",
}

GAP_ACTION: dict[GapReason, str] = {
    GapReason.NO_EVIDENCE: "Offer or order the service, or obtain outside records and document the date",
    GapReason.EVIDENCE_TOO_OLD: "The last service is out of date: offer it again",
    GapReason.ONLY_ORDERED: "Follow up the open order: confirm completion and document the result and date",
    GapReason.DECLINED: (
        "Revisit shared decision-making; offer an alternative; document an exception if one applies"
    ),
    GapReason.NOT_CONTROLLED: "Schedule follow-up to adjust treatment and recheck at the next visit",
    GapReason.UNDATED_EVIDENCE: "Chart review: find and document the date of the service (a year suffices)",
}


def choose_reason(findings: Iterable[Finding]) -> tuple[GapReason, tuple[str, ...]]:
    """The most actionable reason and the evidence ids behind it (no findings: no_evidence)."""
    found = list(findings)
    for reason in REASON_ORDER:
        ids = tuple(dict.fromkeys(f.evidence_id for f in found if f.reason == reason and f.evidence_id))
        if any(f.reason == reason for f in found):
            return reason, ids
    return GapReason.NO_EVIDENCE, ()


def gap_action(reason: GapReason, overrides: Mapping[GapReason, str] | None = None) -> str:
    if overrides and reason in overrides:
        return overrides[reason]
    return GAP_ACTION[reason]
