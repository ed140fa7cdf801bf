"""Criteria anchored on an episode rather than the MP: a discharge, a positive screen.

``qm.discharge_followup.v1`` (TRC medication reconciliation): the patient's most recent
discharge (an encounter of the given types whose end date lies in the discharge window,
default January 1 - December 1 of the MP); met when the element (e.g.
``medication_reconciliation``) is documented from the discharge date through ``within_days``
days after (HEDIS: 30 days, 31 days in total). Notes saying "medications reconciled" without
their own date are dated on the note date. HEDIS counts each discharge; this engine reports
one outcome per patient, decided on the most recent discharge (earlier ones are listed in
``review_flags``).

``qm.depression_screen_followup.v1`` (DSF): the most recent standardized depression screen
in the window; negative -> met; positive -> met when a follow-up (intervention, referral or
medication) is documented on the screen date or up to ``followup_days`` days after. A screen
whose result cannot be read is not met and flagged for review.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field

from engine.criteria.base import (
    CriterionResult,
    DateFallback,
    Finding,
    GapReason,
    PatientContext,
    start_range,
    unique,
)
from engine.criteria.evidence_rules import encounters_matching, value_strings
from engine.criteria.registry import ElementId, RuleParams, register
from engine.periods import Interval, Window
from engine.records import Evidence

__all__ = ["screen_result"]

_MP = {"from": "mp_start", "to": "mp_end"}


def _dated(ctx: PatientContext, elements: list[str], fallback: DateFallback,
           statuses: frozenset[str]) -> tuple[list[tuple[date, Evidence]], list[Evidence]]:
    dated: list[tuple[date, Evidence]] = []
    undated: list[Evidence] = []
    for ev in ctx.items(elements):
        if ev.status not in statuses:
            continue
        span = start_range(ev, fallback)
        if span is None or span.start is None:
            undated.append(ev)
        else:
            dated.append((span.start, ev))
    return dated, undated


def _undated_findings(ctx: PatientContext, undated: list[Evidence]
                      ) -> tuple[list[Finding], list[str]]:
    if ctx.undated_policy != "review":
        return [], []
    return ([Finding(GapReason.UNDATED_EVIDENCE, e.evidence_id) for e in undated],
            [f"undated:{e.evidence_id}" for e in undated])


class DischargeParams(RuleParams):
    discharge_types: list[str] = Field(default_factory=lambda: ["inpatient"], min_length=1)
    discharge_window: Window = Window.model_validate({"from": "mp_start", "to": "mp_start + 11m"})
    elements: list[ElementId] = Field(default_factory=lambda: ["medication_reconciliation"], min_length=1)
    within_days: int = Field(30, ge=0)
    date_fallback: DateFallback = "note_date"


def _describe_discharge(p: DischargeParams) -> str:
    return (f"{' or '.join(e.replace('_', ' ') for e in p.elements)} documented from the most recent "
            f"{'/'.join(p.discharge_types)} discharge ({p.discharge_window.describe()}) through "
            f"{p.within_days} days after")


@register("qm.discharge_followup.v1", DischargeParams, describe=_describe_discharge)
def discharge_followup(ctx: PatientContext, p: DischargeParams) -> CriterionResult:
    stays = encounters_matching(ctx, p.discharge_types, p.discharge_window.resolve(ctx.period), "ends")
    if not stays:
        return CriterionResult(False, (), (Finding(GapReason.NO_EVIDENCE),))
    last = max(stays, key=lambda e: (e.end_date or e.start_date, e.encounter_id))
    discharged = last.end_date or last.start_date
    window = Interval(discharged, discharged + timedelta(days=p.within_days))
    earlier = tuple(f"earlier_discharge:{e.encounter_id}" for e in stays if e is not last)
    dated, undated = _dated(ctx, p.elements, p.date_fallback, ctx.count_statuses)
    hits = [ev for d, ev in dated if window.contains(d)]
    if hits:
        return CriterionResult(True, unique([f"encounter:{last.encounter_id}"] +
                                            [e.evidence_id for e in hits]), (), earlier)
    findings, flags = _undated_findings(ctx, undated)
    for ev in ctx.items(p.elements):
        if ev.status == "declined":
            findings.append(Finding(GapReason.DECLINED, ev.evidence_id))
    return CriterionResult(False, (f"encounter:{last.encounter_id}",),
                           tuple(findings) or (Finding(GapReason.NO_EVIDENCE),),
                           tuple(flags) + earlier)


# Positive-screen cut-offs of the common instruments (total score at or above = positive).
_CUTOFFS: dict[str, float] = {
    "phq-9": 10, "phq9": 10, "phq-a": 10, "phqa": 10, "phq-2": 3, "phq2": 3, "bdi": 20,
    "bdi-ii": 20, "ces-d": 16, "cesd": 16, "epds": 10, "gds": 5, "gds-15": 5, "psc-17": 15,
}
_SCORE = re.compile(r"(\d+(?:\.\d+)?)")


def screen_result(value: Any) -> Literal["positive", "negative"] | None:
    """``positive``/``negative`` from a coded result or an instrument and score; None if unreadable."""
    if isinstance(value, dict):
        instrument = str(value.get("instrument", "")).lower().replace(" ", "")
        result = value.get("result")
        if result is not None:
            return screen_result(result)
        score = value.get("score")
        if instrument in _CUTOFFS and score is not None:
            try:
                return "positive" if float(score) >= _CUTOFFS[instrument] else "negative"
            except (TypeError, ValueError):
                return None
        return None
    texts = value_strings(value)
    joined = " ".join(texts)
    if re.search(r"\bpositive\b|\bpos\b", joined):
        return "positive"
    if re.search(r"\bnegative\b|\bneg\b", joined):
        return "negative"
    for text in texts:
        compact = text.replace(" ", "")
        for instrument, cutoff in sorted(_CUTOFFS.items(), key=lambda kv: -len(kv[0])):
            if compact.startswith(instrument):
                m = _SCORE.search(compact[len(instrument):].lstrip(":=").replace("score", ""))
                if m:
                    return "positive" if float(m.group(1)) >= cutoff else "negative"
    return None


class ScreenFollowupParams(RuleParams):
    screen_elements: list[ElementId] = Field(default_factory=lambda: ["depression_screening"], min_length=1)
    followup_elements: list[ElementId] = Field(default_factory=lambda: [
        "depression_followup_adult", "depression_followup_adolescent",
        "depression_referral_adult", "depression_referral_adolescent",
        "depression_medication_adult", "depression_medication_adolescent"], min_length=1)
    window: Window = Window.model_validate(_MP)
    followup_days: int = Field(2, ge=0)
    date_fallback: DateFallback = "note_date"


def _describe_screen(p: ScreenFollowupParams) -> str:
    return (f"most recent standardized depression screen {p.window.describe()} is negative, or it is "
            f"positive with a follow-up plan on that date or up to {p.followup_days} days after")


@register("qm.depression_screen_followup.v1", ScreenFollowupParams, describe=_describe_screen)
def depression_screen_followup(ctx: PatientContext, p: ScreenFollowupParams) -> CriterionResult:
    window = p.window.resolve(ctx.period)
    dated, undated = _dated(ctx, p.screen_elements, p.date_fallback, ctx.count_statuses)
    in_window = [(d, ev) for d, ev in dated if window.contains(d)]
    if not in_window:
        findings, flags = _undated_findings(ctx, undated)
        for ev in ctx.items(p.screen_elements):
            if ev.status in ("declined", "ordered", "planned"):
                reason = GapReason.DECLINED if ev.status == "declined" else GapReason.ONLY_ORDERED
                findings.append(Finding(reason, ev.evidence_id))
        return CriterionResult(False, (), tuple(findings) or (Finding(GapReason.NO_EVIDENCE),),
                               tuple(flags))
    latest = max(d for d, _ in in_window)
    screens = [ev for d, ev in in_window if d == latest]
    results = {ev.evidence_id: screen_result(ev.value) for ev in screens}
    screen_ids = tuple(sorted(results))
    if "negative" in results.values():
        return CriterionResult(True, tuple(i for i in screen_ids if results[i] == "negative"))
    if "positive" not in results.values():
        return CriterionResult(False, screen_ids, (Finding(GapReason.NO_EVIDENCE, screen_ids[0]),),
                               tuple(f"screen_result_unreadable:{i}" for i in screen_ids))
    follow_window = Interval(latest, latest + timedelta(days=p.followup_days))
    followed, _ = _dated(ctx, p.followup_elements, p.date_fallback, ctx.count_statuses)
    hits = [ev.evidence_id for d, ev in followed if follow_window.contains(d)]
    if hits:
        return CriterionResult(True, unique(list(screen_ids) + hits))
    return CriterionResult(False, screen_ids,
                           tuple(Finding(GapReason.NO_EVIDENCE, i) for i in screen_ids),
                           ("positive_screen_without_followup",))
