"""The common exclusions shared by most measures (shared/docs/measures-reference.md).

``qm.common_exclusions.v1`` is met when any enabled exclusion applies:

* hospice: hospice care overlapping the MP (``hospice`` evidence or a ``hospice_encounter``);
* palliative: palliative care overlapping the MP (``palliative_care`` evidence or a
  ``palliative_care_encounter``);
* frailty with advanced illness, age >= 66 at the end of the MP: frailty overlapping the MP
  (``frailty`` evidence or a ``frailty_encounter``) and either advanced illness starting in
  the year before the MP through its end, or a dementia medication overlapping that window.
  ``frailty: cbp`` is the CBP / CMS165 variant: ages 66-80 need both, 81+ frailty alone;
* nursing home: age >= 66 and the most recent ``housing_status`` on or before the end of the
  MP is ``nursing_home``;
* death in the MP (HEDIS only: ``death`` evidence), off unless ``death: true``.

Note mentions of hospice or palliative care without their own date take the note's date
(a state documented in a note holds on that day).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from engine.criteria.base import CriterionResult, PatientContext, start_range, unique
from engine.criteria.evidence_rules import EvidenceParams, encounters_matching, match_evidence
from engine.criteria.registry import RuleParams, register
from engine.periods import Interval, Window

__all__ = ["CommonExclusionParams"]

_MP = Window.model_validate({"from": "mp_start", "to": "mp_end"})
_PRIOR_YEAR_TO_END = Window.model_validate({"from": "mp_start - 1y", "to": "mp_end"})


class CommonExclusionParams(RuleParams):
    hospice: bool = True
    palliative: bool = True
    frailty: Literal["standard", "cbp", "none"] = "standard"
    nursing_home: bool = True
    death: bool = False
    min_age: int = 66  # frailty and nursing-home exclusions apply from this age


def _describe(p: CommonExclusionParams) -> str:
    parts = []
    if p.hospice:
        parts.append("hospice care in the MP")
    if p.palliative:
        parts.append("palliative care in the MP")
    if p.frailty == "standard":
        parts.append(f"age {p.min_age}+ with frailty and advanced illness")
    elif p.frailty == "cbp":
        parts.append(f"age {p.min_age}-80 with frailty and advanced illness, or 81+ with frailty")
    if p.nursing_home:
        parts.append(f"age {p.min_age}+ living long-term in a nursing home")
    if p.death:
        parts.append("died in the MP")
    return "common exclusions: " + "; ".join(parts)


@lru_cache(maxsize=64)
def _params(elements: tuple[str, ...], window: Window, timing: str) -> EvidenceParams:
    return EvidenceParams(elements=list(elements), window=window, timing=timing,  # type: ignore[arg-type]
                          date_fallback="note_date", undated="ignore", statuses=["affirmed"])


def _any_evidence(ctx: PatientContext, elements: list[str], window: Window,
                  timing: str = "overlaps") -> CriterionResult:
    if not any(ctx.evidence_by_element.get(e) for e in elements):
        return CriterionResult(False)
    return match_evidence(ctx, _params(tuple(elements), window, timing))


def _encounter_ids(ctx: PatientContext, types: list[str], window: Window) -> tuple[str, ...]:
    return tuple(f"encounter:{e.encounter_id}"
                 for e in encounters_matching(ctx, types, window.resolve(ctx.period)))


def _state(ctx: PatientContext, element: str, encounter_type: str) -> tuple[str, ...]:
    found = _any_evidence(ctx, [element], _MP)
    return found.evidence_ids + _encounter_ids(ctx, [encounter_type], _MP)


def _frail(ctx: PatientContext, variant: str, min_age: int) -> tuple[str, ...]:
    age = ctx.age("mp_end")
    if variant == "none" or age < min_age:
        return ()
    frailty = _state(ctx, "frailty", "frailty_encounter")
    if not frailty:
        return ()
    if variant == "cbp" and age >= 81:
        return frailty
    illness = _any_evidence(ctx, ["advanced_illness"], _PRIOR_YEAR_TO_END, "starts").evidence_ids
    dementia = _any_evidence(ctx, ["dementia_medication"], _PRIOR_YEAR_TO_END).evidence_ids
    if illness or dementia:
        return frailty + illness + dementia
    return ()


def _nursing_home(ctx: PatientContext, min_age: int) -> tuple[str, ...]:
    if ctx.age("mp_end") < min_age:
        return ()
    upto = Interval(None, ctx.period.end)
    dated = []
    for ev in ctx.items(["housing_status"]):
        span = start_range(ev, "note_date")
        if ev.status == "affirmed" and span is not None and span.overlaps(upto):
            dated.append((span.start, ev))
    if not dated:
        return ()
    latest = max(d for d, _ in dated)
    chosen = [ev for d, ev in dated if d == latest and str(ev.value).lower() == "nursing_home"]
    return tuple(ev.evidence_id for ev in chosen)


@register("qm.common_exclusions.v1", CommonExclusionParams, describe=_describe)
def common_exclusions(ctx: PatientContext, p: CommonExclusionParams) -> CriterionResult:
    ids: list[str] = []
    if p.hospice:
        ids.extend(_state(ctx, "hospice", "hospice_encounter"))
    if p.palliative:
        ids.extend(_state(ctx, "palliative_care", "palliative_care_encounter"))
    ids.extend(_frail(ctx, p.frailty, p.min_age))
    if p.nursing_home:
        ids.extend(_nursing_home(ctx, p.min_age))
    if p.death:
        ids.extend(_any_evidence(ctx, ["death"], _MP).evidence_ids)
    return CriterionResult(bool(ids), unique(ids))
