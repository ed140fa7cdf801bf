"""Encounters by tag: ``qm.encounter.v1`` (qualifying visits, discharges, hospice stays).

Tags are those of shared/docs/structured-input.md (the encounters ``type`` column); a spec
naming another fails to load with the list of valid tags. The eCQM "a qualifying encounter
during the MP" is ``timing: during`` (the visit starts and ends in the MP).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field, field_validator

from engine.criteria.base import CriterionResult, PatientContext
from engine.criteria.registry import RuleParams, register
from engine.periods import Interval, Window
from engine.records import Encounter

__all__ = ["ENCOUNTER_TAGS", "EncounterParams", "check_tags", "encounter_interval", "encounters_matching"]

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

EncounterTiming = Literal["overlaps", "starts", "ends", "during"]


def check_tags(tags: Iterable[str]) -> list[str]:
    tags = list(tags)
    unknown = sorted(set(tags) - ENCOUNTER_TAGS)
    if unknown:
        raise ValueError(f"unknown encounter tag(s) {', '.join(unknown)}; valid tags (structured-input.md): "
                         f"{', '.join(sorted(ENCOUNTER_TAGS))}")
    return tags


def encounter_interval(enc: Encounter) -> Interval:
    return Interval(enc.start_date, enc.end_date or enc.start_date)


def encounters_matching(ctx: PatientContext, types: Iterable[str], window: Interval,
                        timing: str = "overlaps") -> list[Encounter]:
    """Encounters with one of ``types`` meeting ``timing`` against ``window``, in date order."""
    wanted = set(types)
    out = []
    for enc in ctx.encounters:
        if not wanted.intersection(enc.types):
            continue
        end = enc.end_date or enc.start_date
        if timing == "starts":
            ok = window.contains(enc.start_date)
        elif timing == "ends":
            ok = window.contains(end)
        elif timing == "during":
            ok = window.contains(enc.start_date) and window.contains(end)
        else:
            ok = Interval(enc.start_date, end).overlaps(window)
        if ok:
            out.append(enc)
    return sorted(out, key=lambda e: (e.start_date, e.end_date or e.start_date, e.encounter_id))


class EncounterParams(RuleParams):
    types: list[str] = Field(min_length=1)  # encounter type tags (structured-input.md)
    window: Window = Window.model_validate({"from": "mp_start", "to": "mp_end"})
    timing: EncounterTiming = "overlaps"
    min_count: int = Field(1, ge=1)

    @field_validator("types")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return check_tags(v)


def _describe(p: EncounterParams) -> str:
    count = "a" if p.min_count == 1 else f"at least {p.min_count}"
    kinds = " or ".join(t.replace("_", " ") for t in p.types)
    verb = {"overlaps": "", "starts": "starting ", "ends": "ending ", "during": "wholly "}[p.timing]
    return f"{count} encounter{'s' if p.min_count > 1 else ''} ({kinds}) {verb}{p.window.describe()}"


@register("qm.encounter.v1", EncounterParams, describe=_describe)
def has_encounter(ctx: PatientContext, p: EncounterParams) -> CriterionResult:
    found = encounters_matching(ctx, p.types, ctx.window(p.window), p.timing)
    met = len(found) >= p.min_count
    return CriterionResult(met, tuple(f"encounter:{e.encounter_id}" for e in found) if met else ())
