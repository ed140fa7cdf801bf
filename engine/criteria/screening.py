"""Depression screening and follow-up, one building block for CMS2 and HEDIS DSF-E.

``qm.depression_screening.v1`` finds standardized screens with a result, then checks what
``require`` asks:

* ``negative_or_followed_up`` (CMS2): the most recent screen is negative, or positive with a
  follow-up;
* ``screened`` (DSF-E screening rate): a screen with a result;
* ``positive`` (DSF-E follow-up rate denominator): a positive screen;
* ``followed_up`` (DSF-E follow-up rate numerator): the *first* positive screen was followed up.

Where screens count: with ``visit_types`` (CMS2) from ``lookback_days`` before to the start of a
qualifying visit during the MP; without, in ``window`` (DSF-E: January 1 - December 1). With
``tool_by_age`` (CMS2) the adolescent tool (LOINC 73831-0) counts for ages 12-16, the adult tool
(73832-8) for 18+, either at 17 (age at the MP start); uncoded note screens fit either, and
follow-up elements must be those of the tool's age group (``_adult`` / ``_adolescent``).

Follow-up: ``followup_from: visit`` (CMS2) a follow-up intervention during the visit, or a
referral or medication up to ``followup_days`` after it ends (a structured medication needs a
known supply overlapping the visit and running past it, CQL ``medicationRequestPeriod() overlaps
after``); ``followup_from: screen`` (DSF-E) any follow-up element, or an encounter of
``followup_encounter_types``, from the screen date through ``followup_days`` after it.

Positive screens: PHQ-9/PHQ-A >= 10, PHQ-2 >= 3, BDI-II >= 20, CES-D >= 16, EPDS >= 10,
GDS-15 >= 5, or a coded ``positive``; a screen whose result cannot be read is not met and flagged
``screen_result_unreadable`` for review.

Also here: ``qm.screening_not_done.v1`` (CMS2 exception) and ``qm.condition_before_visit.v1``
(CMS2 bipolar exclusion).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext, unique
from engine.criteria.dating import DateFallback, Place, day_of, place
from engine.criteria.encounters import check_tags, encounter_interval, encounters_matching
from engine.criteria.registry import ElementId, RuleParams, register
from engine.criteria.select import near_miss_findings, undated_finding, value_strings
from engine.periods import Interval, Window
from engine.records import Encounter, Evidence

__all__ = ["ADOLESCENT_TOOL", "ADULT_TOOL", "ScreeningParams", "screen_result"]

ADOLESCENT_TOOL = "73831-0"
ADULT_TOOL = "73832-8"
_MP = {"from": "mp_start", "to": "mp_end"}
_MEDICATION_SOURCE = "fhir:MedicationRequest"

# Positive-screen cut-offs of the common instruments (total score at or above = positive).
_CUTOFFS: dict[str, float] = {
    "phq-9": 10, "phq9": 10, "phq-a": 10, "phqa": 10, "phq-9m": 10, "phq-2": 3, "phq2": 3, "bdi": 20,
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


def _tools_for_age(age: int) -> tuple[str, ...]:
    if age >= 18:
        return ("adult",)
    if age == 17:
        return ("adolescent", "adult")
    return ("adolescent",)


def _tool_of(ev: Evidence) -> str | None:
    """``adolescent``/``adult`` from the LOINC code; None (any tool) for uncoded note evidence."""
    if ev.code == ADOLESCENT_TOOL:
        return "adolescent"
    if ev.code == ADULT_TOOL:
        return "adult"
    return None


_FOLLOWUP = ["depression_followup_adult", "depression_followup_adolescent"]
_AFTER = ["depression_referral_adult", "depression_referral_adolescent", "depression_medication_adult",
          "depression_medication_adolescent"]


class ScreeningParams(RuleParams):
    screen_elements: list[ElementId] = Field(default_factory=lambda: ["depression_screening"], min_length=1)
    require: Literal["negative_or_followed_up", "screened", "positive", "followed_up"] = "negative_or_followed_up"
    visit_types: list[str] = Field(default_factory=list)  # CMS2: screens tied to a qualifying visit
    lookback_days: int = Field(14, ge=0)
    window: Window = Window.model_validate(_MP)  # without visit_types: screens dated in this window
    tool_by_age: bool = False
    # follow-up: interventions during the visit (or from the screen date), and referrals or
    # medications up to followup_days after the visit (or any of them from the screen date)
    followup_elements: list[ElementId] = Field(default_factory=lambda: list(_FOLLOWUP))
    followup_after_elements: list[ElementId] = Field(default_factory=lambda: list(_AFTER))
    followup_encounter_types: list[str] = Field(default_factory=list)
    followup_from: Literal["visit", "screen"] = "visit"
    followup_days: int = Field(2, ge=0)
    date_fallback: DateFallback = "element"

    @field_validator("visit_types", "followup_encounter_types")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return check_tags(v)


def _describe(p: ScreeningParams) -> str:
    where = (f"from {p.lookback_days} days before to the start of a visit ({', '.join(p.visit_types)}) during "
             "the MP" if p.visit_types else p.window.describe())
    tool = "; the tool must suit the age (adolescent 12-16, adult 18+, either at 17)" if p.tool_by_age else ""
    anchor = "the visit ends" if p.followup_from == "visit" else "the screen"
    visits_too = (", or a " + " / ".join(t.replace("_", " ") for t in p.followup_encounter_types) + " visit"
                  if p.followup_encounter_types else "")
    when = "visit" if p.followup_from == "visit" else "screen date"
    follow = (f"a follow-up (intervention, referral, antidepressant{visits_too}) on the {when} or up to "
              f"{p.followup_days} days after {anchor}")
    text = {
        "negative_or_followed_up": f"the most recent standardized depression screen {where} is negative, or "
                                   f"positive with {follow}",
        "screened": f"a standardized depression screen with a result {where}",
        "positive": f"a positive standardized depression screen {where}",
        "followed_up": f"the first positive depression screen {where} was followed by {follow}",
    }[p.require]
    return text + tool


def _screens(ctx: PatientContext, p: ScreeningParams, visits: Sequence[Encounter], window: Interval,
             tool: str | None, findings: list[Finding], flags: list[str]) -> list[tuple[date, Evidence]]:
    """Screens with a result that count (visit-anchored or in the window), by day."""
    out = []
    for ev in ctx.items(p.screen_elements):
        if ev.status not in ctx.count_statuses:
            continue
        if ev.origin == "structured" and not value_strings(ev.value):
            continue
        if tool is not None and (ev.origin == "structured" or ev.code) and _tool_of(ev) != tool:
            continue
        day = day_of(ev, p.date_fallback)
        if day is None:
            where = place(ev, "starts", window, p.date_fallback)
            if where in (Place.UNDATED, Place.UNCERTAIN):
                undated_finding(ev, where, ctx.undated_policy, findings, flags)
            elif where == Place.BEFORE:
                findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
            continue
        if p.visit_types:
            lookback = timedelta(days=p.lookback_days)
            ok = any(v.start_date - lookback <= day <= v.start_date for v in visits)
        else:
            ok = window.contains(day)
        if ok:
            out.append((day, ev))
        elif window.start is not None and day < window.start:
            findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
    return sorted(out, key=lambda pair: (pair[0], pair[1].evidence_id))


def _suffix_ok(element: str, tool: str | None) -> bool:
    return tool is None or element.endswith(f"_{tool}")


def _followups(ctx: PatientContext, p: ScreeningParams, screen_day: date, visits: Sequence[Encounter],
               tool: str | None) -> list[str]:
    """Evidence ids of the follow-up of a positive screen (see the module docstring)."""
    mp = ctx.mp
    during = [ev for ev in ctx.items([e for e in p.followup_elements if _suffix_ok(e, tool)])
              if ev.status in ctx.count_statuses]
    after = [ev for ev in ctx.items([e for e in p.followup_after_elements if _suffix_ok(e, tool)])
             if ev.status in ctx.count_statuses]
    found: list[str] = []
    if p.followup_from == "screen":
        span = Interval(screen_day, screen_day + timedelta(days=p.followup_days))
        for ev in during + after:
            day = day_of(ev, p.date_fallback)
            if day is not None and span.contains(day):
                found.append(ev.evidence_id)
        found += [f"encounter:{e.encounter_id}"
                  for e in encounters_matching(ctx, p.followup_encounter_types, span, "starts")]
        return found
    for visit in visits:
        if not (visit.start_date - timedelta(days=p.lookback_days) <= screen_day <= visit.start_date):
            continue
        v = encounter_interval(visit)
        assert v.start is not None and v.end is not None
        later = Interval(v.end, v.end + timedelta(days=p.followup_days))
        for ev in during:
            day = day_of(ev, p.date_fallback)
            if day is not None and v.contains(day) and mp.contains(day):
                found.append(ev.evidence_id)
        for ev in after:
            day = day_of(ev, p.date_fallback)
            if day is None or not later.contains(day) or not mp.contains(day):
                continue
            if ev.origin == "structured" and (ev.source or "").startswith(_MEDICATION_SOURCE):
                if ev.end_date is None:  # unknown supply: no medication period
                    continue
                if not (day <= v.end and ev.end_date >= v.start and ev.end_date > v.end):
                    continue
            found.append(ev.evidence_id)
    return found


def _no_screen(ctx: PatientContext, p: ScreeningParams, window: Interval, findings: list[Finding],
               flags: list[str]) -> CriterionResult:
    findings = findings + near_miss_findings(ctx, p.screen_elements, window)
    return CriterionResult(False, (), tuple(dict.fromkeys(findings)) or (Finding(GapReason.NO_EVIDENCE),),
                           unique(flags))


def _not_followed(ctx: PatientContext, p: ScreeningParams, screen: Evidence) -> CriterionResult:
    declined = near_miss_findings(ctx, p.followup_elements + p.followup_after_elements,
                                  Interval(screen.event_date or screen.note_date, None), ("declined",))
    return CriterionResult(False, (screen.evidence_id,),
                           (*declined, Finding(GapReason.NO_EVIDENCE, screen.evidence_id)),
                           ("positive_screen_without_followup",))


@register("qm.depression_screening.v1", ScreeningParams, describe=_describe)
def depression_screening(ctx: PatientContext, p: ScreeningParams) -> CriterionResult:
    window = ctx.window(p.window)
    visits = encounters_matching(ctx, p.visit_types, ctx.mp, "during") if p.visit_types else []
    if p.visit_types and not visits:
        return CriterionResult(False, (), (Finding(GapReason.NO_EVIDENCE),))
    tools: Sequence[str | None] = _tools_for_age(ctx.age("mp_start")) if p.tool_by_age else (None,)
    findings: list[Finding] = []
    flags: list[str] = []
    unmet: CriterionResult | None = None
    for tool in tools:
        screens = _screens(ctx, p, visits, window, tool, findings, flags)
        if not screens:
            continue
        results = [(day, ev, screen_result(ev.value)) for day, ev in screens]
        if p.require == "screened":
            read = [ev for _, ev, r in results if r is not None]
            if read:
                return CriterionResult(True, (read[0].evidence_id,))
            unmet = _unreadable([ev for _, ev, _ in results])
            continue
        if p.require in ("positive", "followed_up"):
            positive = [(day, ev) for day, ev, r in results if r == "positive"]
            if not positive:
                continue
            day, first = positive[0]
            if p.require == "positive":
                return CriterionResult(True, (first.evidence_id,))
            follow = _followups(ctx, p, day, visits, tool)
            if follow:
                return CriterionResult(True, unique([first.evidence_id, *follow]))
            unmet = _not_followed(ctx, p, first)
            continue
        day, last, result = results[-1]
        if result == "negative":
            return CriterionResult(True, (last.evidence_id,))
        if result == "positive":
            follow = _followups(ctx, p, day, visits, tool)
            if follow:
                return CriterionResult(True, unique([last.evidence_id, *follow]))
            unmet = unmet or _not_followed(ctx, p, last)
        else:
            unmet = unmet or _unreadable([last])
    if unmet is not None:
        return unmet
    return _no_screen(ctx, p, window if not p.visit_types else ctx.mp, findings, flags)


def _unreadable(screens: Sequence[Evidence]) -> CriterionResult:
    ids = tuple(ev.evidence_id for ev in screens)
    return CriterionResult(False, ids, (Finding(GapReason.NO_EVIDENCE, ids[0]),),
                           tuple(f"screen_result_unreadable:{i}" for i in ids))


class NotDoneParams(RuleParams):
    elements: list[ElementId] = Field(default_factory=lambda: ["depression_screening_not_done"], min_length=1)
    screen_elements: list[ElementId] = Field(default_factory=lambda: ["depression_screening"], min_length=1)
    visit_types: list[str] = Field(min_length=1)
    reasons: list[str] = Field(default_factory=lambda: ["medical_reason", "patient_declined"])
    lookback_days: int = Field(14, ge=0)

    _screening: ScreeningParams = PrivateAttr()

    @field_validator("visit_types")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return check_tags(v)

    def model_post_init(self, _context: object) -> None:
        self._screening = ScreeningParams(screen_elements=self.screen_elements, visit_types=self.visit_types,
                                          lookback_days=self.lookback_days, tool_by_age=True)


@register("qm.screening_not_done.v1", NotDoneParams,
          describe=lambda p: f"screening not done for a {' or '.join(r.replace('_', ' ') for r in p.reasons)} "
                             "at a qualifying visit, and no screening")
def screening_not_done(ctx: PatientContext, p: NotDoneParams) -> CriterionResult:
    """CMS2 exception: for a tool (adolescent or adult), a not-done record with a reason dated
    during a qualifying visit, and no screening with that tool."""
    visits = encounters_matching(ctx, p.visit_types, ctx.mp, "during")
    reasons = {r.lower() for r in p.reasons}
    screening = p._screening
    for tool in ("adolescent", "adult"):
        not_done = [
            ev for ev in ctx.items(p.elements)
            if ev.status in ctx.count_statuses and ev.event_date is not None
            and str(ev.value or "").strip().lower() in reasons
            and _tool_of(ev) in (tool, None)
            and any(encounter_interval(v).contains(ev.event_date) for v in visits)
        ]
        if not_done and not _screens(ctx, screening, visits, ctx.mp, tool, [], []):
            return CriterionResult(True, unique([ev.evidence_id for ev in not_done]))
    return CriterionResult(False)


class BeforeVisitParams(RuleParams):
    elements: list[ElementId] = Field(min_length=1)
    visit_types: list[str] = Field(min_length=1)
    exclude_sources: list[str] = Field(default_factory=list)

    @field_validator("visit_types")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return check_tags(v)


@register("qm.condition_before_visit.v1", BeforeVisitParams,
          describe=lambda p: f"{' or '.join(e.replace('_', ' ') for e in p.elements)} starting before a "
                             f"qualifying visit ({', '.join(p.visit_types)})"
                             + (f", not from {', '.join(p.exclude_sources)}" if p.exclude_sources else ""))
def condition_before_visit(ctx: PatientContext, p: BeforeVisitParams) -> CriterionResult:
    """CMS2 exclusion: bipolar disorder (problem list or health concern, not an encounter
    diagnosis) starting before the day a qualifying visit starts."""
    visits = encounters_matching(ctx, p.visit_types, ctx.mp, "during")
    found = [
        ev for ev in ctx.items(p.elements)
        if ev.status in ctx.count_statuses
        and (start := day_of(ev, "element") if ev.origin != "structured" else ev.event_date) is not None
        and not (ev.origin == "structured" and (ev.source or "") in p.exclude_sources)
        and any(start < v.start_date for v in visits)
    ]
    return CriterionResult(bool(found), unique([ev.evidence_id for ev in found]))
