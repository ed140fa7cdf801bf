"""The common exclusions of shared/docs/measures-reference.md: ``qm.common_exclusions.v1``.

Met when any enabled exclusion applies (one implementation for HEDIS and the eCQMs; the
programs differ in parameters):

* hospice: hospice care overlapping the MP (``hospice`` evidence, a hospice assessment
  answered yes, or a ``hospice_encounter``);
* palliative: palliative care overlapping the MP (evidence or a ``palliative_care_encounter``);
* frailty with advanced illness, age >= ``min_age`` (66) at the end of the MP. Frailty: a
  frailty indication overlapping the MP (a medical-equipment-used record ending in it), or a
  ``frailty_encounter``; ``frailty_min_dates: 2`` (HEDIS) needs indications on two different
  dates of service in the MP, where the eCQMs accept one. Advanced illness:
  ``advanced_illness: any_diagnosis`` (eCQM) an advanced-illness diagnosis starting in the year
  before the MP through its end, or a dementia medication overlapping that window;
  ``two_visits`` (HEDIS) advanced illness on two different dates (not a problem-list entry) or
  on one date during an inpatient stay, or a dementia medication dispensed in that window.
  ``frailty: cbp`` is the CBP / CMS165 variant: ages 66-80 need both, 81+ frailty alone;
* nursing home: age >= ``min_age`` and the most recent housing status on or before the end of
  the MP is ``nursing_home``;
* death in the MP (HEDIS: members who died), off unless ``death: true``.

Note mentions of hospice or palliative care without a date of their own take the note's date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Literal

from pydantic import Field

from engine.criteria.base import CriterionResult, PatientContext, unique
from engine.criteria.dating import Place, latest_day, place
from engine.criteria.encounters import encounter_interval, encounters_matching
from engine.criteria.registry import RuleParams, register
from engine.periods import Interval, Window
from engine.records import Encounter, Evidence

__all__ = ["CommonExclusionParams"]

_PRIOR_YEAR = Window.model_validate({"from": "mp_start - 1y"})
# A hospice assessment (LOINC 45755-6) counts only when answered "yes".
_HOSPICE_YES = frozenset({"yes", "snomedct:373066001"})
# Frailty recorded as "medical equipment used" counts when the record *ends* in the MP
# (AdvancedIllnessandFrailty: "EquipmentUsed.effective ends during day of MP").
_ENDS_DURING_SOURCES = ("fhir:Observation:medical-equipment-used",)
_PROBLEM_LIST = "fhir:Condition:problem-list-item"


class CommonExclusionParams(RuleParams):
    hospice: bool = True
    palliative: bool = True
    frailty: Literal["standard", "cbp", "none"] = "standard"
    frailty_min_dates: int = Field(1, ge=1)  # HEDIS: 2 frailty indications on different dates
    advanced_illness: Literal["any_diagnosis", "two_visits"] = "any_diagnosis"
    nursing_home: bool = True
    death: bool = False
    min_age: int = 66  # frailty and nursing-home exclusions apply from this age

    def element_names(self) -> Iterator[str]:
        """The elements the enabled exclusions read (``spec_elements`` lists them; chart review asks
        about those that notes can document, hospice and palliative care)."""
        if self.hospice:
            yield "hospice"
        if self.palliative:
            yield "palliative_care"
        if self.frailty != "none":
            yield from ("frailty", "advanced_illness", "dementia_medication")
        if self.nursing_home:
            yield "housing_status"
        if self.death:
            yield "death"


def _describe(p: CommonExclusionParams) -> str:
    parts = []
    if p.hospice:
        parts.append("hospice care in the MP")
    if p.palliative:
        parts.append("palliative care in the MP")
    frail = ("frailty" if p.frailty_min_dates == 1 else
             f"frailty (indications on at least {p.frailty_min_dates} different dates in the MP)")
    illness = ("advanced illness (a diagnosis in the MP or the year before, or a dementia medication)"
               if p.advanced_illness == "any_diagnosis" else
               "advanced illness (diagnosed at two visits on different dates or during one inpatient stay, in "
               "the MP or the year before, or a dementia medication dispensed then)")
    if p.frailty == "standard":
        parts.append(f"age {p.min_age}+ with {frail} and {illness}")
    elif p.frailty == "cbp":
        parts.append(f"age {p.min_age}-80 with {frail} and {illness}, or 81+ with {frail}")
    if p.nursing_home:
        parts.append(f"age {p.min_age}+ living long-term in a nursing home")
    if p.death:
        parts.append("died in the MP")
    return "common exclusions: " + "; ".join(parts)


def _affirmed(ctx: PatientContext, element: str) -> list[Evidence]:
    return [ev for ev in ctx.items([element]) if ev.status in ctx.count_statuses]


def _overlapping(ctx: PatientContext, element: str, window: Interval) -> list[Evidence]:
    return [ev for ev in _affirmed(ctx, element) if place(ev, "overlaps", window) == Place.IN]


def _encounters(ctx: PatientContext, tag: str, window: Interval) -> list[Encounter]:
    return [e for e in ctx.encounters if tag in e.types and encounter_interval(e).overlaps(window)]


def _ids(items: Sequence[Evidence], encounters: Sequence[Encounter] = ()) -> list[str]:
    return [ev.evidence_id for ev in items] + [f"encounter:{e.encounter_id}" for e in encounters]


def _hospice(ctx: PatientContext) -> list[str]:
    found = [ev for ev in _overlapping(ctx, "hospice", ctx.mp)
             if ev.origin != "structured" or (ev.source or "") != "fhir:Observation"
             or str(ev.value or "").strip().lower() in _HOSPICE_YES]
    return _ids(found, _encounters(ctx, "hospice_encounter", ctx.mp))


def _palliative(ctx: PatientContext) -> list[str]:
    return _ids(_overlapping(ctx, "palliative_care", ctx.mp), _encounters(ctx, "palliative_care_encounter", ctx.mp))


def _frailty(ctx: PatientContext, min_dates: int) -> list[str]:
    mp = ctx.mp
    items: list[tuple[date | None, str]] = []
    for ev in _affirmed(ctx, "frailty"):
        if ev.origin == "structured" and (ev.source or "") in _ENDS_DURING_SOURCES:
            day = latest_day(ev)
            ok = day is not None and mp.contains(day)
        else:
            ok = place(ev, "overlaps", mp) == Place.IN
            day = _service_day(ev, mp)
        if ok:
            if min_dates > 1 and (ev.source or "") == _PROBLEM_LIST:
                continue  # HEDIS counts dates of service; a problem-list entry is not one
            items.append((day, ev.evidence_id))
    for enc in _encounters(ctx, "frailty_encounter", mp):
        items.append((max(enc.start_date, mp.start or enc.start_date), f"encounter:{enc.encounter_id}"))
    if min_dates > 1 and len({d for d, _ in items if d is not None}) < min_dates:
        return []
    return [i for _, i in items]


def _service_day(ev: Evidence, mp: Interval) -> date | None:
    """The day of service in the MP of an indication: its start, or its end when it started before."""
    start = latest_day(ev) if ev.origin != "structured" else ev.event_date
    if start is not None and mp.contains(start):
        return start
    end = ev.end_date if ev.origin == "structured" else None
    return end if end is not None and mp.contains(end) else None


def _advanced_illness(ctx: PatientContext, rule: str) -> list[str]:
    window = Interval(ctx.window(_PRIOR_YEAR).start, ctx.period.end)
    illness = [ev for ev in _affirmed(ctx, "advanced_illness") if place(ev, "starts", window) == Place.IN]
    if rule == "any_diagnosis":
        meds = [ev for ev in _affirmed(ctx, "dementia_medication") if place(ev, "overlaps", window) == Place.IN]
        return _ids(illness + meds)
    meds = [ev for ev in _affirmed(ctx, "dementia_medication") if place(ev, "starts", window) == Place.IN]
    visits = [ev for ev in illness if (ev.source or "") != _PROBLEM_LIST]
    days = {d for ev in visits if (d := latest_day(ev) if ev.origin != "structured" else ev.event_date)}
    stays = [encounter_interval(e) for e in encounters_matching(ctx, ["inpatient"], Interval(None, None))]
    if len(days) >= 2 or any(s.contains(d) for s in stays for d in days):
        return _ids(visits + meds)
    return _ids(meds)


def _frail_and_ill(ctx: PatientContext, p: CommonExclusionParams) -> list[str]:
    age = ctx.age("mp_end")
    if p.frailty == "none" or age < p.min_age:
        return []
    frailty = _frailty(ctx, p.frailty_min_dates)
    if not frailty:
        return []
    if p.frailty == "cbp" and age >= 81:
        return frailty
    illness = _advanced_illness(ctx, p.advanced_illness)
    return frailty + illness if illness else []


def _nursing_home(ctx: PatientContext, min_age: int) -> list[str]:
    """Age >= min_age and the most recent housing status ending on or before MP end is nursing home."""
    if ctx.age("mp_end") < min_age:
        return []
    dated = [(d, ev) for ev in _affirmed(ctx, "housing_status")
             if (d := latest_day(ev)) is not None and d <= ctx.period.end]
    if not dated:
        return []
    dated.sort(key=lambda pair: (pair[0], pair[1].evidence_id))
    last = dated[-1][1]
    return [last.evidence_id] if str(last.value or "").strip().lower() == "nursing_home" else []


@register("qm.common_exclusions.v1", CommonExclusionParams, describe=_describe)
def common_exclusions(ctx: PatientContext, p: CommonExclusionParams) -> CriterionResult:
    ids: list[str] = []
    if p.hospice:
        ids.extend(_hospice(ctx))
    if p.palliative:
        ids.extend(_palliative(ctx))
    ids.extend(_frail_and_ill(ctx, p))
    if p.nursing_home:
        ids.extend(_nursing_home(ctx, p.min_age))
    if p.death:
        ids.extend(ev.evidence_id for ev in _overlapping(ctx, "death", ctx.mp))
    return CriterionResult(bool(ids), unique(ids))
