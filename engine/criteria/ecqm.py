"""eCQM criteria shared by the CMS measures: qualifying visits, intervals, common exclusions.

Each function is pure over the patient context (patient, evidence, encounters, measurement
period) and registered under ``ecqm.<name>.v1`` for the ``measures/CMS*.yaml`` specs. The
rules follow the published 2026 eCQM logic (CQL of CMSxxxv14 and its shared libraries
AdultOutpatientEncounters, Hospice, PalliativeCare, AdvancedIllnessandFrailty), as
summarised in shared/docs/measures-reference.md "eCQM details":

* an encounter qualifies when one of its type tags is listed and its period lies *during*
  the measurement period (MP);
* "overlaps" means the event interval ``event_date..end_date`` (open-ended when
  ``end_date`` is empty) shares a day with the window;
* "on or before the end of the MP": a condition by its start, a procedure by its end;
* a structured medication order without a supply period (empty ``end_date``) has no
  medication period (CQL ``medicationRequestPeriod()`` is null), so it overlaps nothing.

Evidence from notes is accepted where the element means the same thing; its date is the
day (or, at year/month precision, any day of the year/month) the note gives. Undated note
evidence of a state (``STATE_ELEMENTS``: hospice, a diagnosis, tobacco status, a BP reading)
holds on the note's date; undated tests and procedures never satisfy a dated criterion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from pydantic import Field

from engine.criteria.base import CriterionResult, PatientContext, evidence_interval, start_range
from engine.criteria.registry import ElementId, RuleParams, register
from engine.periods import Interval, MeasurementPeriod, Window
from engine.records import Encounter, Evidence

__all__ = [
    "ENCOUNTER_TAGS",
    "advanced_illness_frailty",
    "affirmed",
    "during",
    "encounter_interval",
    "has_hospice",
    "interval_of",
    "has_palliative_care",
    "latest_day",
    "latest_in",
    "nursing_home",
    "on_or_before",
    "overlapping",
    "qualifying_encounters",
    "starts_in",
]

# Encounter type tags of shared/docs/structured-input.md (the `type` column).
ENCOUNTER_TAGS: frozenset[str] = frozenset({
    "office_visit", "annual_wellness_visit", "preventive_established_18_up",
    "preventive_initial_18_up", "preventive_established_0_17", "preventive_initial_0_17",
    "preventive_group_counseling", "preventive_individual_counseling", "home_healthcare",
    "virtual_encounter", "telephone_visit", "nutrition_services", "ophthalmological_services",
    "occupational_therapy_evaluation", "physical_therapy_evaluation", "psych_diagnostic_evaluation",
    "psych_psychotherapy", "psychoanalysis", "speech_hearing_evaluation",
    "health_behavior_assessment", "health_behavior_intervention", "preventive_unlisted",
    "postoperative_followup", "medical_nutrition_therapy", "depression_screening_encounter",
    "inpatient", "emergency_department", "hospice_encounter", "palliative_care_encounter",
    "frailty_encounter", "esrd_monthly_outpatient", "other",
})

CONDITION_SOURCE = "fhir:Condition"
MEDICATION_SOURCE = "fhir:MedicationRequest"

# Elements that state a condition or status: a note documenting one without its own date
# documents it on the note's date (the engine's ``date_fallback: note_date``). Tests and
# procedures are never dated by the note that mentions them.
STATE_ELEMENTS: frozenset[str] = frozenset({
    "hospice", "palliative_care", "frailty", "advanced_illness", "housing_status", "diabetes",
    "hypertension", "pregnancy", "esrd", "bipolar_disorder", "tobacco_use", "blood_pressure",
    "diabetic_retinopathy", "bilateral_absence_of_eyes",
})

# A hospice assessment (LOINC 45755-6) counts only when answered "yes".
_HOSPICE_YES = frozenset({"yes", "snomedct:373066001"})


# --------------------------------------------------------------------------- evidence helpers


def affirmed(ctx: PatientContext, elements: Iterable[str]) -> list[Evidence]:
    """Evidence of ``elements`` whose status counts (affirmed), in evidence-id order."""
    return [ev for ev in ctx.items(elements) if ev.status in ctx.count_statuses]


def is_condition(ev: Evidence) -> bool:
    """A condition (problem list / encounter diagnosis) is dated by its prevalence start."""
    return (ev.source or "").startswith(CONDITION_SOURCE)


def interval_of(ev: Evidence) -> Interval | None:
    """The evidence interval; None when undated, or for a structured medication order
    without a supply period (CQL ``medicationRequestPeriod()`` is null then)."""
    if ev.origin == "structured" and ev.end_date is None and (ev.source or "").startswith(MEDICATION_SOURCE):
        return None
    if ev.origin != "structured" and ev.element in STATE_ELEMENTS:
        return evidence_interval(ev, "note_date")
    return evidence_interval(ev)


def _start_range(ev: Evidence) -> Interval | None:
    return start_range(ev, "note_date" if ev.origin != "structured" and ev.element in STATE_ELEMENTS
                       else "none")


def encounter_interval(enc: Encounter) -> Interval:
    return Interval(enc.start_date, enc.end_date or enc.start_date)


def latest_day(ev: Evidence) -> date | None:
    """CQL ``effective.latest()``: the last day of a structured interval; None when undated.

    Open-ended structured intervals (no ``end_date``) fall back to their start. Note
    evidence at year/month precision gives its last possible day.
    """
    if ev.origin == "structured":
        return ev.end_date or ev.event_date
    iv = interval_of(ev)
    return iv.end if iv is not None else None


def latest_in(ev: Evidence, window: Interval) -> bool:
    """The event ends (``latest()``) in the window; note evidence: any day of its date in it."""
    if ev.origin != "structured":
        iv = interval_of(ev)
        return iv is not None and iv.overlaps(window)
    day = latest_day(ev)
    return day is not None and window.contains(day)


def during(ev: Evidence, window: Interval) -> bool:
    """The whole event interval lies in the window (CQL ``during``); open-ended never does."""
    if ev.origin != "structured":
        return latest_in(ev, window)
    if ev.event_date is None:
        return False
    end = ev.end_date if ev.end_date is not None else (ev.event_date if not is_condition(ev) else None)
    return end is not None and window.contains(ev.event_date) and window.contains(end)


def overlapping(ev: Evidence, window: Interval) -> bool:
    iv = interval_of(ev)
    return iv is not None and iv.overlaps(window)


def starts_in(ev: Evidence, window: Interval) -> bool:
    iv = _start_range(ev)
    return iv is not None and iv.overlaps(window)


def on_or_before(ev: Evidence, day: date) -> bool:
    """Condition starts, or procedure ends, on or before ``day`` (CMS exclusion history rule)."""
    if ev.origin != "structured":
        iv = _start_range(ev)
        return iv is not None and iv.start is not None and iv.start <= day
    if ev.event_date is None:
        return False
    if is_condition(ev):
        return ev.event_date <= day
    return (ev.end_date or ev.event_date) <= day


def mp_interval(period: MeasurementPeriod) -> Interval:
    return Interval(period.start, period.end)


def result(met: bool, items: Sequence[Evidence] = (), encounters: Sequence[Encounter] = ()
           ) -> CriterionResult:
    """A result whose evidence ids (when met) are the items and ``encounter:<id>`` of encounters."""
    if not met:
        return CriterionResult(met=False)
    ids = [ev.evidence_id for ev in items] + [f"encounter:{e.encounter_id}" for e in encounters]
    return CriterionResult(met=True, evidence_ids=tuple(dict.fromkeys(ids)))


# --------------------------------------------------------------------------- encounters


def qualifying_encounters(ctx: PatientContext, tags: Iterable[str]) -> list[Encounter]:
    """Encounters with one of ``tags`` whose period lies during the MP, in date order."""
    wanted = set(tags)
    mp = mp_interval(ctx.period)
    found = [
        enc for enc in ctx.encounters
        if wanted.intersection(enc.types)
        and mp.contains(enc.start_date) and mp.contains(enc.end_date or enc.start_date)
    ]
    return sorted(found, key=lambda e: (e.start_date, e.end_date or e.start_date, e.encounter_id))


def _check_tags(tags: Sequence[str]) -> Sequence[str]:
    unknown = sorted(set(tags) - ENCOUNTER_TAGS)
    if unknown:
        raise ValueError(
            f"unknown encounter tag(s) {', '.join(unknown)}; valid tags (structured-input.md): "
            f"{', '.join(sorted(ENCOUNTER_TAGS))}"
        )
    return tags


class EncounterParams(RuleParams):
    tags: tuple[str, ...] = Field(min_length=1)
    min_count: int = Field(default=1, ge=1)

    def model_post_init(self, _ctx: object) -> None:
        _check_tags(self.tags)


@register("ecqm.qualifying_encounter.v1", EncounterParams,
          describe=lambda p: f"at least {p.min_count} visit(s) during the MP of: {', '.join(p.tags)}")
def qualifying_encounter(ctx: PatientContext, params: EncounterParams) -> CriterionResult:
    """At least ``min_count`` distinct qualifying encounters during the MP."""
    found = qualifying_encounters(ctx, params.tags)
    return result(len(found) >= params.min_count, (), found)


# --------------------------------------------------------------------------- generic event rules


class EventParams(RuleParams):
    elements: tuple[ElementId, ...] = Field(min_length=1)
    timing: Literal["overlaps", "during", "latest_in", "starts_in", "on_or_before"] = "overlaps"
    window: Window = Field(default_factory=lambda: Window.model_validate({"from": "mp_start",
                                                                           "to": "mp_end"}))
    require_value: bool = False  # structured lab results count only with a result
    sources: tuple[str, ...] = ()  # structured events only from these sources (prefix match)


_TIMINGS = {
    "overlaps": overlapping,
    "during": during,
    "latest_in": latest_in,
    "starts_in": starts_in,
}


def select_events(ctx: PatientContext, params: EventParams) -> list[Evidence]:
    """The evidence of ``params.elements`` meeting the timing, value and source rules."""
    window = params.window.resolve(ctx.period)
    out: list[Evidence] = []
    for ev in affirmed(ctx, params.elements):
        if ev.origin == "structured":
            if params.sources and not any((ev.source or "").startswith(s) for s in params.sources):
                continue
            if params.require_value and (ev.value is None or str(ev.value).strip() == ""):
                continue
        if params.timing == "on_or_before":
            ok = window.end is not None and on_or_before(ev, window.end)
        else:
            ok = _TIMINGS[params.timing](ev, window)
        if ok:
            out.append(ev)
    return out


def _describe_event(p: EventParams) -> str:
    return f"{' or '.join(p.elements)} ({p.timing.replace('_', ' ')} {p.window.describe()})"


@register("ecqm.event.v1", EventParams, describe=_describe_event)
def event(ctx: PatientContext, params: EventParams) -> CriterionResult:
    """Any evidence of the elements with the given timing against a window (default: the MP).

    ``timing``: ``overlaps`` (interval shares a day), ``during`` (interval inside),
    ``latest_in`` (the interval's end inside: CQL ``effective.latest()``), ``starts_in``,
    ``on_or_before`` (condition start / procedure end on or before the window's ``to``).
    """
    found = select_events(ctx, params)
    return result(bool(found), found)


class BothSidesParams(RuleParams):
    left: tuple[ElementId, ...] = ("unilateral_mastectomy_left",)
    right: tuple[ElementId, ...] = ("unilateral_mastectomy_right",)


@register("ecqm.both_sides_on_or_before_mp_end.v1", BothSidesParams,
          describe=lambda p: f"{'/'.join(p.left)} and {'/'.join(p.right)} on or before the end of the MP")
def both_sides(ctx: PatientContext, params: BothSidesParams) -> CriterionResult:
    """A left and a right one-sided event (procedure or status), each on or before MP end."""
    end = ctx.period.end
    left = [ev for ev in affirmed(ctx, params.left) if on_or_before(ev, end)]
    right = [ev for ev in affirmed(ctx, params.right) if on_or_before(ev, end)]
    return result(bool(left and right), left[:1] + right[:1])


# --------------------------------------------------------------------------- shared exclusions


def has_hospice(ctx: PatientContext) -> list[Evidence]:
    """Hospice (enrolment, encounter, order, discharge to hospice, diagnosis, or an assessment
    answered yes) overlapping the MP."""
    mp = mp_interval(ctx.period)
    return [ev for ev in affirmed(ctx, ("hospice",)) if overlapping(ev, mp) and _hospice_answer_ok(ev)]


def _hospice_answer_ok(ev: Evidence) -> bool:
    if ev.origin != "structured" or (ev.source or "") != "fhir:Observation":
        return True
    return str(ev.value or "").strip().lower() in _HOSPICE_YES


def has_palliative_care(ctx: PatientContext) -> list[Evidence]:
    mp = mp_interval(ctx.period)
    return [ev for ev in affirmed(ctx, ("palliative_care",)) if overlapping(ev, mp)]


def _encounters_overlapping(ctx: PatientContext, tag: str) -> list[Encounter]:
    mp = mp_interval(ctx.period)
    return [enc for enc in ctx.encounters if tag in enc.types and encounter_interval(enc).overlaps(mp)]


class NoParams(RuleParams):
    pass


@register("ecqm.hospice.v1", NoParams, describe=lambda p: "hospice care overlapping the MP")
def hospice(ctx: PatientContext, params: NoParams) -> CriterionResult:
    found, encs = has_hospice(ctx), _encounters_overlapping(ctx, "hospice_encounter")
    return result(bool(found or encs), found, encs)


@register("ecqm.palliative_care.v1", NoParams, describe=lambda p: "palliative care overlapping the MP")
def palliative_care(ctx: PatientContext, params: NoParams) -> CriterionResult:
    found, encs = has_palliative_care(ctx), _encounters_overlapping(ctx, "palliative_care_encounter")
    return result(bool(found or encs), found, encs)


# Frailty recorded as "medical equipment used" counts when the observation *ends* in the MP
# (AdvancedIllnessandFrailty: "EquipmentUsed.effective ends during day of MP").
_ENDS_DURING_SOURCES = ("fhir:Observation:medical-equipment-used",)


def frailty_in_mp(ctx: PatientContext) -> list[Evidence]:
    mp = mp_interval(ctx.period)
    out = []
    for ev in affirmed(ctx, ("frailty",)):
        if ev.origin == "structured" and (ev.source or "") in _ENDS_DURING_SOURCES:
            ok = latest_in(ev, mp)
        else:
            ok = overlapping(ev, mp)
        if ok:
            out.append(ev)
    return out


def advanced_illness_or_dementia_meds(ctx: PatientContext) -> list[Evidence]:
    """Advanced illness starting in the year before the MP through its end, or a dementia
    medication overlapping that two-year window."""
    window = Interval(Window.model_validate({"from": "mp_start - 1y"}).resolve(ctx.period).start,
                      ctx.period.end)
    illness = [ev for ev in affirmed(ctx, ("advanced_illness",)) if starts_in(ev, window)]
    meds = [ev for ev in affirmed(ctx, ("dementia_medication",)) if overlapping(ev, window)]
    return illness + meds


class FrailtyParams(RuleParams):
    variant: Literal["standard", "cbp"] = "standard"  # cbp: CMS165 66-80 both, 81+ frailty alone
    min_age: int = 66


def advanced_illness_frailty(ctx: PatientContext, params: FrailtyParams) -> CriterionResult:
    age = ctx.age("mp_end")
    if age < params.min_age:
        return CriterionResult(met=False)
    frailty = frailty_in_mp(ctx)
    frail_enc = _encounters_overlapping(ctx, "frailty_encounter")
    if not (frailty or frail_enc):
        return CriterionResult(met=False)
    if params.variant == "cbp" and age >= 81:
        return result(True, frailty, frail_enc)
    illness = advanced_illness_or_dementia_meds(ctx)
    return result(bool(illness), frailty + illness, frail_enc)


register("ecqm.advanced_illness_frailty.v1", FrailtyParams,
         describe=lambda p: ("age 66-80 with frailty and advanced illness, or 81+ with frailty"
                             if p.variant == "cbp" else
                             f"age {p.min_age}+ with frailty and advanced illness or dementia medication"),
         )(advanced_illness_frailty)


class NursingHomeParams(RuleParams):
    min_age: int = 66
    value: str = "nursing_home"


def nursing_home(ctx: PatientContext, params: NursingHomeParams) -> CriterionResult:
    """Age 66+ and the most recent housing status ending on or before MP end is nursing home."""
    if ctx.age("mp_end") < params.min_age:
        return CriterionResult(met=False)
    dated = [(latest_day(ev), ev) for ev in affirmed(ctx, ("housing_status",))]
    dated = [(d, ev) for d, ev in dated if d is not None and d <= ctx.period.end]
    if not dated:
        return CriterionResult(met=False)
    dated.sort(key=lambda pair: (pair[0], pair[1].evidence_id))
    last = dated[-1][1]
    return result(str(last.value or "").strip().lower() == params.value, [last])


register("ecqm.nursing_home.v1", NursingHomeParams,
         describe=lambda p: f"age {p.min_age}+ whose most recent housing status is long-term nursing home",
         )(nursing_home)


class EncounterHistoryParams(RuleParams):
    tags: tuple[str, ...] = Field(min_length=1)

    def model_post_init(self, _ctx: object) -> None:
        _check_tags(self.tags)


@register("ecqm.encounter_on_or_before_mp_end.v1", EncounterHistoryParams,
          describe=lambda p: f"a {'/'.join(p.tags)} encounter starting on or before the end of the MP")
def encounter_on_or_before_mp_end(ctx: PatientContext, params: EncounterHistoryParams) -> CriterionResult:
    """An encounter of the tags starting on or before MP end (CMS165 ESRD monthly services)."""
    wanted = set(params.tags)
    found = [e for e in ctx.encounters if wanted.intersection(e.types) and e.start_date <= ctx.period.end]
    return result(bool(found), (), found)
