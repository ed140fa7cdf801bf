"""Criteria anchored on an episode rather than the MP: a discharge.

``qm.discharge_followup.v1`` (TRC medication reconciliation): the patient's most recent
discharge (an encounter of the given types whose end date lies in the discharge window,
default January 1 - December 1 of the MP); met when the element (e.g.
``medication_reconciliation``) is documented from the discharge date through ``within_days``
days after (HEDIS: 30 days, 31 days in total).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext, unique
from engine.criteria.dating import DateFallback, day_of
from engine.criteria.encounters import encounters_matching
from engine.criteria.registry import ElementId, RuleParams, register
from engine.periods import Interval, Window


class DischargeParams(RuleParams):
    discharge_types: list[str] = Field(default_factory=lambda: ["inpatient"], min_length=1)
    discharge_window: Window = Window.model_validate({"from": "mp_start", "to": "mp_start + 11m"})
    elements: list[ElementId] = Field(default_factory=lambda: ["medication_reconciliation"], min_length=1)
    within_days: int = Field(30, ge=0)
    date_fallback: DateFallback = "note_date"


@register("qm.discharge_followup.v1", DischargeParams,
          describe=lambda p: f"{' or '.join(e.replace('_', ' ') for e in p.elements)} documented from the most "
                             f"recent {'/'.join(p.discharge_types)} discharge ({p.discharge_window.describe()}) "
                             f"through {p.within_days} days after")
def discharge_followup(ctx: PatientContext, p: DischargeParams) -> CriterionResult:
    stays = encounters_matching(ctx, p.discharge_types, ctx.window(p.discharge_window), "ends")
    if not stays:
        return CriterionResult(False, (), (Finding(GapReason.NO_EVIDENCE),))
    last = max(stays, key=lambda e: (e.end_date or e.start_date, e.encounter_id))
    discharged = last.end_date or last.start_date
    window = Interval(discharged, discharged + timedelta(days=p.within_days))
    earlier = tuple(f"earlier_discharge:{e.encounter_id}" for e in stays if e is not last)
    hits = [ev for ev in ctx.items(p.elements) if ev.status in ctx.count_statuses
            and (d := day_of(ev, p.date_fallback)) is not None and window.contains(d)]
    if hits:
        return CriterionResult(True, unique([f"encounter:{last.encounter_id}"] + [e.evidence_id for e in hits]),
                               (), earlier)
    return CriterionResult(False, (f"encounter:{last.encounter_id}",), (Finding(GapReason.NO_EVIDENCE),), earlier)
