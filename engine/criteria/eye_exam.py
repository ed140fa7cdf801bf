"""Diabetic eye exam (EED / CMS131): ``qm.eye_exam.v1``, one rule with the programs' difference
as a parameter.

Met by any of:

* a retinal or dilated eye exam by an eye-care professional during the MP;
* an exam in the year before the MP, as ``prior_year`` says:
  ``without_retinopathy_diagnosis`` (CMS131): when the patient has no diabetic retinopathy
  overlapping the MP; ``documented_negative`` (HEDIS EED): only an exam whose result is
  documented as negative for retinopathy (its value is one of ``negative_values``; an exam with
  no result stated does not count for the prior year);
* an autonomous (AI-read) eye exam during the MP;
* per eye (``retinopathy_severity_left`` / ``_right``): a severity finding in the MP for both
  eyes, or for one eye with "no apparent retinopathy" for the other in the year before, or "no
  apparent retinopathy" for both eyes in the year before.

Not met: the gap reason comes from the exam mentions (an exam only before the counted window is
``evidence_too_old``; a referral is ``only_ordered``; a declined exam ``declined``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr, field_validator

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext, unique
from engine.criteria.dating import DateFallback, Place, place
from engine.criteria.registry import ElementId, RuleParams, register
from engine.criteria.select import EvidenceParams, select, value_strings
from engine.periods import Interval, Window
from engine.records import Evidence

__all__ = ["EyeExamParams"]

_MP = Window.model_validate({"from": "mp_start", "to": "mp_end"})
_PRIOR = Window.model_validate({"from": "mp_start - 1y", "to": "mp_end - 1y"})
NO_RETINOPATHY = "no_apparent_retinopathy"


class EyeExamParams(RuleParams):
    exam_elements: list[ElementId] = Field(default_factory=lambda: ["retinal_eye_exam"], min_length=1)
    autonomous_elements: list[ElementId] = Field(default_factory=lambda: ["autonomous_eye_exam"])
    retinopathy_elements: list[ElementId] = Field(default_factory=lambda: ["diabetic_retinopathy"])
    prior_year: Literal["without_retinopathy_diagnosis", "documented_negative"] = "without_retinopathy_diagnosis"
    negative_values: list[str] = Field(default_factory=lambda: [
        "negative", NO_RETINOPATHY, "no retinopathy", "no_retinopathy", "no diabetic retinopathy", "normal"])
    date_fallback: DateFallback = "element"

    _why: EvidenceParams = PrivateAttr()  # the exam mentions that explain an open gap

    @field_validator("negative_values")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [s.lower() for s in v]

    def model_post_init(self, _context: object) -> None:
        self._why = EvidenceParams(elements=self.exam_elements + self.autonomous_elements, window=_MP,
                                   timing="during", date_fallback=self.date_fallback)


def _describe(p: EyeExamParams) -> str:
    prior = ("in the year before when no diabetic retinopathy overlaps the MP"
             if p.prior_year == "without_retinopathy_diagnosis"
             else "in the year before only when documented negative for retinopathy")
    fallback = "; an exam mentioned without a date takes the note's date" if p.date_fallback == "note_date" else ""
    return (f"retinal or dilated eye exam by an eye-care professional in the MP, or {prior}; an autonomous "
            f"(AI-read) exam in the MP; or per-eye findings (severity for both eyes in the MP, or one eye in "
            f"the MP and no apparent retinopathy for the other the year before, or no apparent retinopathy for "
            f"both eyes the year before){fallback}")


def _during(ctx: PatientContext, elements: list[str], window: Interval, fallback: DateFallback) -> list[Evidence]:
    return [ev for ev in ctx.items(elements) if ev.status in ctx.count_statuses
            and place(ev, "during", window, fallback) == Place.IN]


def _per_eye(ctx: PatientContext, mp: Interval, prior: Interval) -> list[Evidence]:
    def eye(element: str) -> tuple[list[Evidence], list[Evidence]]:
        items = [ev for ev in ctx.items([element]) if ev.status in ctx.count_statuses]
        severity = [ev for ev in items if (ev.origin != "structured" or value_strings(ev.value))
                    and place(ev, "during", mp) == Place.IN]
        none = [ev for ev in items if NO_RETINOPATHY in value_strings(ev.value)
                and place(ev, "during", prior) == Place.IN]
        return severity, none

    left_sev, left_none = eye("retinopathy_severity_left")
    right_sev, right_none = eye("retinopathy_severity_right")
    for a, b in ((left_sev, right_sev), (left_sev, right_none), (right_sev, left_none), (left_none, right_none)):
        if a and b:
            return a[:1] + b[:1]
    return []


@register("qm.eye_exam.v1", EyeExamParams, describe=_describe)
def eye_exam(ctx: PatientContext, p: EyeExamParams) -> CriterionResult:
    mp, prior = ctx.mp, ctx.window(_PRIOR)
    flags: list[str] = []
    exams = _during(ctx, p.exam_elements, mp, p.date_fallback)
    if not exams:
        # none during the MP: exams during the year before through the MP's end started before it
        earlier = _during(ctx, p.exam_elements, Interval(prior.start, mp.end), p.date_fallback)
        if p.prior_year == "without_retinopathy_diagnosis":
            retinopathy = [ev for ev in ctx.items(p.retinopathy_elements)
                           if ev.status in ctx.count_statuses and place(ev, "overlaps", mp) == Place.IN]
            exams = [] if retinopathy else earlier
        else:
            negative = set(p.negative_values)
            exams = [ev for ev in earlier if set(value_strings(ev.value)) & negative]
            flags = [f"prior_year_exam_without_negative_result:{ev.evidence_id}" for ev in earlier
                     if ev not in exams]
    if exams:
        return CriterionResult(True, unique([ev.evidence_id for ev in exams]))
    auto = _during(ctx, p.autonomous_elements, mp, p.date_fallback)
    if auto:
        return CriterionResult(True, unique([ev.evidence_id for ev in auto]))
    eyes = _per_eye(ctx, mp, prior)
    if eyes:
        return CriterionResult(True, unique([ev.evidence_id for ev in eyes]))
    why = select(ctx, p._why)
    findings = why.findings or [Finding(GapReason.NO_EVIDENCE)]
    return CriterionResult(False, (), tuple(dict.fromkeys(findings)), unique(why.flags + flags))
