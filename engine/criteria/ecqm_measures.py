"""eCQM criteria specific to one CMS measure (the shared ones are in ``engine.criteria.ecqm``).

* CMS124: hrHPV test counts only when the patient was 30+ on the test date.
* CMS165: most recent day with a reading outside inpatient/ED stays; lowest systolic and
  lowest diastolic of that day; controlled when < 140 and < 90.
* CMS122: most recent HbA1c/GMI in the MP, lowest of its day; poor control when none,
  no result, or > 9.0 (a coded, non-numeric result is neither).
* CMS131: retinal exam, autonomous exam and the per-eye severity findings.
* CMS2: screening 14 days before a visit, follow-up at the visit or within 2 days after,
  bipolar exclusion, not-done exception.
* CMS138: most recent tobacco status in the MP and cessation intervention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field

from engine.criteria.base import CriterionResult, PatientContext
from engine.criteria.ecqm import (
    affirmed,
    during,
    encounter_interval,
    is_condition,
    latest_day,
    latest_in,
    mp_interval,
    overlapping,
    qualifying_encounters,
    result,
    starts_in,
)
from engine.criteria.episode_rules import screen_result
from engine.criteria.registry import ElementId, RuleParams, register
from engine.criteria.value_rules import bp_readings
from engine.periods import Interval, Window
from engine.records import Encounter, Evidence

__all__ = [
    "blood_pressure_controlled",
    "depression_screening",
    "diabetic_eye_exam",
    "glycemic_poor_control",
    "hpv_test_age",
    "tobacco_cessation",
    "tobacco_status",
]


def _window(spec: dict[str, str | None]) -> Window:
    return Window.model_validate(spec)


def _has_value(ev: Evidence) -> bool:
    if ev.origin != "structured":
        return True  # affirmed note evidence documents a result (evidence-elements.md)
    return ev.value is not None and str(ev.value).strip() != ""


# --------------------------------------------------------------------------- CMS124 HPV


class HpvParams(RuleParams):
    elements: tuple[ElementId, ...] = ("hpv_test",)
    window: Window = Field(default_factory=lambda: _window({"from": "mp_start - 4y", "to": "mp_end"}))
    min_age_on_test: int = 30


@register("ecqm.test_at_age.v1", HpvParams,
          describe=lambda p: f"{'/'.join(p.elements)} with a result {p.window.describe()}, "
                             f"patient {p.min_age_on_test}+ on the test date")
def hpv_test_age(ctx: PatientContext, params: HpvParams) -> CriterionResult:
    """A test with a result in the window taken when the patient was old enough (CMS124 hrHPV)."""
    window = params.window.resolve(ctx.period)
    found = []
    for ev in affirmed(ctx, params.elements):
        day = latest_day(ev)
        if day is None or not _has_value(ev) or not latest_in(ev, window):
            continue
        if ctx.age_on(day) >= params.min_age_on_test:
            found.append(ev)
    return result(bool(found), found)


# --------------------------------------------------------------------------- CMS165 blood pressure

class BpParams(RuleParams):
    systolic_below: float = 140
    diastolic_below: float = 90
    disqualifying_encounters: tuple[str, ...] = ("inpatient", "emergency_department")


@register("ecqm.bp_controlled.v1", BpParams,
          describe=lambda p: f"most recent BP day in the MP: lowest systolic < {p.systolic_below:g} and "
                             f"lowest diastolic < {p.diastolic_below:g} (not during "
                             f"{'/'.join(p.disqualifying_encounters)})")
def blood_pressure_controlled(ctx: PatientContext, params: BpParams) -> CriterionResult:
    """CMS165 numerator: lowest systolic and diastolic of the most recent reading day."""
    mp = mp_interval(ctx.period)
    stays = [encounter_interval(e) for e in ctx.encounters
             if set(params.disqualifying_encounters).intersection(e.types)]
    by_day: dict[date, list[tuple[Evidence, tuple[float, float]]]] = {}
    for ev in affirmed(ctx, ("blood_pressure",)):
        day = latest_day(ev)
        if day is None or not mp.contains(day) or any(s.contains(day) for s in stays):
            continue
        for reading in bp_readings(ev.value):
            by_day.setdefault(day, []).append((ev, reading))
    if not by_day:
        return CriterionResult(met=False)
    readings = by_day[max(by_day)]
    systolic = min(r[0] for _, r in readings)
    diastolic = min(r[1] for _, r in readings)
    met = systolic < params.systolic_below and diastolic < params.diastolic_below
    return CriterionResult(met=met, evidence_ids=tuple(dict.fromkeys(ev.evidence_id for ev, _ in readings)))


# --------------------------------------------------------------------------- CMS122 glycemic status


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        nums = [n for n in (_numeric(v) for v in value) if n is not None]
        return min(nums) if nums else None
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


class GlycemicParams(RuleParams):
    elements: tuple[ElementId, ...] = ("hba1c", "glucose_management_indicator")
    above: float = 9.0


@register("ecqm.glycemic_poor_control.v1", GlycemicParams,
          describe=lambda p: f"no {'/'.join(p.elements)} in the MP, or the most recent has no result "
                             f"or is > {p.above:g}%")
def glycemic_poor_control(ctx: PatientContext, params: GlycemicParams) -> CriterionResult:
    """CMS122 numerator (inverse measure).

    The most recent day with a test in the MP; its lowest reading, a reading without a
    numeric value sorting first (CQL ``sort by value`` puts nulls first). Met when there is
    no test, the reading has no result, or its value is above the threshold. A coded,
    non-numeric result is neither "no result" nor above the threshold.
    """
    mp = mp_interval(ctx.period)
    tests = [(latest_day(ev), ev) for ev in affirmed(ctx, params.elements)]
    tests = [(d, ev) for d, ev in tests if d is not None and latest_in(ev, mp)]
    if not tests:
        return CriterionResult(met=True)
    last = max(d for d, _ in tests)
    same_day = [ev for d, ev in tests if d == last]
    # nulls first; stable on evidence id order
    chosen = sorted(same_day, key=lambda ev: (_numeric(ev.value) is not None, _numeric(ev.value) or 0.0))[0]
    if ev_value_missing(chosen):
        return result(True, [chosen])
    number = _numeric(chosen.value)
    return result(number is not None and number > params.above, [chosen])


def ev_value_missing(ev: Evidence) -> bool:
    return ev.value is None or (isinstance(ev.value, str) and ev.value.strip() == "")


# --------------------------------------------------------------------------- CMS131 eye exam


class EyeExamParams(RuleParams):
    pass


def _year_before(ctx: PatientContext) -> Interval:
    return _window({"from": "mp_start - 1y", "to": "mp_end - 1y"}).resolve(ctx.period)


@register("ecqm.diabetic_eye_exam.v1", EyeExamParams,
          describe=lambda p: "retinal exam (MP, or MP and year before without retinopathy), autonomous "
                             "eye exam, or per-eye retinopathy findings")
def diabetic_eye_exam(ctx: PatientContext, params: EyeExamParams) -> CriterionResult:
    """CMS131 numerator.

    * with diabetic retinopathy overlapping the MP: a retinal exam during the MP;
      without it: a retinal exam during the MP or the year before;
    * an autonomous (AI-read) eye exam during the MP;
    * per eye (``retinopathy_severity_left``/``_right``): a severity finding in the MP for
      both eyes, or for one eye with "no apparent retinopathy" for the other in the year
      before, or "no apparent retinopathy" for both eyes in the year before.
    """
    mp = mp_interval(ctx.period)
    prior = _year_before(ctx)
    retinopathy = [ev for ev in affirmed(ctx, ("diabetic_retinopathy",)) if overlapping(ev, mp)]
    exam_window = mp if retinopathy else Interval(prior.start, mp.end)
    exams = [ev for ev in affirmed(ctx, ("retinal_eye_exam",)) if during(ev, exam_window)]
    if exams:
        return result(True, exams)
    auto = [ev for ev in affirmed(ctx, ("autonomous_eye_exam",)) if during(ev, mp)]
    if auto:
        return result(True, auto)

    def eye(element: str) -> tuple[list[Evidence], list[Evidence]]:
        items = affirmed(ctx, (element,))
        severity = [ev for ev in items if _has_value(ev) and during(ev, mp)]
        no_ret = [ev for ev in items if str(ev.value or "").strip().lower() == "no_apparent_retinopathy"
                  and during(ev, prior)]
        return severity, no_ret

    left_sev, left_none = eye("retinopathy_severity_left")
    right_sev, right_none = eye("retinopathy_severity_right")
    for a, b in ((left_sev, right_sev), (left_sev, right_none), (right_sev, left_none),
                 (left_none, right_none)):
        if a and b:
            return result(True, a[:1] + b[:1])
    return CriterionResult(met=False)


# --------------------------------------------------------------------------- CMS2 depression

ADOLESCENT_TOOL = "73831-0"
ADULT_TOOL = "73832-8"
CMS2_VISITS = ("depression_screening_encounter", "physical_therapy_evaluation", "telephone_visit")


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


def _screenings(ctx: PatientContext, tool: str, visits: Sequence[Encounter]) -> list[Evidence]:
    """Screenings with a result of ``tool`` from 14 days before to the start of a visit."""
    out = []
    for ev in affirmed(ctx, ("depression_screening",)):
        if ev.event_date is None or not _has_value(ev):
            continue
        if (ev.origin == "structured" or ev.code) and _tool_of(ev) != tool:
            continue
        if any(v.start_date - timedelta(days=14) <= ev.event_date <= v.start_date for v in visits):
            out.append(ev)
    return out


def _most_recent(items: Iterable[Evidence]) -> Evidence | None:
    ordered = sorted(items, key=lambda ev: (ev.event_date or ev.note_date or date.min, ev.evidence_id))
    return ordered[-1] if ordered else None


class DepressionParams(RuleParams):
    visit_tags: tuple[str, ...] = CMS2_VISITS
    followup_days: int = 2
    lookback_days: int = 14


def _followed_up(ctx: PatientContext, tool: str, screen: Evidence, visits: Sequence[Encounter],
                 params: DepressionParams) -> list[Evidence]:
    """Follow-up for a positive ``tool`` screen (CMS2 "...Positive and Follow Up Provided").

    For a visit whose start is at most 14 days after the screen: a follow-up intervention
    starting during the visit, or a referral or medication ordered on the visit's last day
    up to ``followup_days`` after. A medication also needs its supply period to overlap the
    visit and run past it (CQL ``medicationRequestPeriod() overlaps after``; an unknown
    supply length gives no period). Everything must fall in the MP.
    """
    mp = mp_interval(ctx.period)
    procedures = affirmed(ctx, (f"depression_followup_{tool}",))
    referrals = affirmed(ctx, (f"depression_referral_{tool}",))
    medications = affirmed(ctx, (f"depression_medication_{tool}",))
    found: list[Evidence] = []
    for visit in visits:
        if screen.event_date is None:
            continue
        if not (visit.start_date - timedelta(days=params.lookback_days) <= screen.event_date
                <= visit.start_date):
            continue
        v = encounter_interval(visit)
        assert v.start is not None and v.end is not None
        after = Interval(v.end, v.end + timedelta(days=params.followup_days))
        for ev in procedures:
            if ev.event_date is not None and v.contains(ev.event_date) and mp.contains(ev.event_date):
                found.append(ev)
        for ev in referrals:
            if ev.event_date is not None and after.contains(ev.event_date) and mp.contains(ev.event_date):
                found.append(ev)
        for ev in medications:
            if ev.event_date is None or not after.contains(ev.event_date) or not mp.contains(ev.event_date):
                continue
            if ev.origin == "structured":
                if ev.end_date is None:  # unknown supply: no medication period
                    continue
                if not (ev.event_date <= v.end and ev.end_date >= v.start and ev.end_date > v.end):
                    continue
            found.append(ev)
    return found


@register("ecqm.depression_screening.v1", DepressionParams,
          describe=lambda p: "age-appropriate depression screening negative, or positive with follow-up")
def depression_screening(ctx: PatientContext, params: DepressionParams) -> CriterionResult:
    """CMS2 numerator: the most recent age-appropriate screen (adolescent tool 12-16, adult
    tool 18+, either at 17; age at the start of the MP) is negative, or positive with a
    follow-up (see :func:`_followed_up`)."""
    visits = qualifying_encounters(ctx, params.visit_tags)
    if not visits:
        return CriterionResult(met=False)
    for tool in _tools_for_age(ctx.age("mp_start")):
        screen = _most_recent(_screenings(ctx, tool, visits))
        if screen is None:
            continue
        value = screen_result(screen.value)  # coded ("positive") or instrument + score (notes)
        if value == "negative":
            return result(True, [screen])
        if value == "positive":
            follow = _followed_up(ctx, tool, screen, visits, params)
            if follow:
                return result(True, [screen, *follow])
    return CriterionResult(met=False)


@register("ecqm.depression_screening_not_done.v1", DepressionParams,
          describe=lambda p: "screening not done for a medical or patient reason at a visit, "
                             "and no screening")
def depression_screening_not_done(ctx: PatientContext, params: DepressionParams) -> CriterionResult:
    """CMS2 exception: for a tool (adolescent or adult), a not-done record with a medical or
    patient reason dated during a qualifying visit, and no screening with that tool."""
    visits = qualifying_encounters(ctx, params.visit_tags)
    reasons = {"medical_reason", "patient_declined"}
    for tool in ("adolescent", "adult"):
        not_done = [
            ev for ev in affirmed(ctx, ("depression_screening_not_done",))
            if ev.event_date is not None
            and str(ev.value or "").strip().lower() in reasons
            and (_tool_of(ev) in (tool, None))
            and any(encounter_interval(v).contains(ev.event_date) for v in visits)
        ]
        if not_done and not _screenings(ctx, tool, visits):
            return result(True, not_done)
    return CriterionResult(met=False)


class BipolarParams(RuleParams):
    visit_tags: tuple[str, ...] = CMS2_VISITS
    exclude_sources: tuple[str, ...] = ("fhir:Condition:encounter-diagnosis",)


@register("ecqm.condition_before_visit.v1", BipolarParams,
          describe=lambda p: "bipolar disorder on the problem list starting before a qualifying visit")
def bipolar_before_visit(ctx: PatientContext, params: BipolarParams) -> CriterionResult:
    """CMS2 exclusion: bipolar disorder (problem list or health concern, not an encounter
    diagnosis) starting before the day a qualifying visit starts."""
    visits = qualifying_encounters(ctx, params.visit_tags)
    found = [
        ev for ev in affirmed(ctx, ("bipolar_disorder",))
        if ev.event_date is not None
        and not (ev.origin == "structured" and (ev.source or "") in params.exclude_sources)
        and any(ev.event_date < v.start_date for v in visits)
    ]
    return result(bool(found), found)


# --------------------------------------------------------------------------- CMS138 tobacco

USER_VALUES = ("current",)
NON_USER_VALUES = ("never", "former")


def most_recent_tobacco_status(ctx: PatientContext) -> Evidence | None:
    """The most recent tobacco status (by start) whose interval lies during the MP."""
    mp = mp_interval(ctx.period)
    items = [ev for ev in affirmed(ctx, ("tobacco_use",)) if during(ev, mp)]
    return _most_recent(items)


class TobaccoStatusParams(RuleParams):
    status: Literal["documented", "user", "non_user"] = "documented"


@register("ecqm.tobacco_status.v1", TobaccoStatusParams,
          describe=lambda p: f"most recent tobacco status in the MP: {p.status.replace('_', ' ')}")
def tobacco_status(ctx: PatientContext, params: TobaccoStatusParams) -> CriterionResult:
    last = most_recent_tobacco_status(ctx)
    if last is None:
        return CriterionResult(met=False)
    value = str(last.value or "").strip().lower()
    allowed = {"documented": USER_VALUES + NON_USER_VALUES, "user": USER_VALUES,
               "non_user": NON_USER_VALUES}[params.status]
    return result(value in allowed, [last])


class CessationParams(RuleParams):
    elements: tuple[ElementId, ...] = ("tobacco_cessation_counseling", "tobacco_cessation_medication")
    window: Window = Field(default_factory=lambda: _window({"from": "mp_start - 6m", "to": "mp_end"}))


@register("ecqm.tobacco_cessation.v1", CessationParams,
          describe=lambda p: f"cessation counseling or pharmacotherapy {p.window.describe()}")
def tobacco_cessation(ctx: PatientContext, params: CessationParams) -> CriterionResult:
    """CMS138: counseling performed during the window (a Z71.6 counseling condition starting
    in it), or pharmacotherapy ordered in it (or active wholly within it)."""
    window = params.window.resolve(ctx.period)
    found = []
    for ev in affirmed(ctx, params.elements):
        if ev.origin == "structured" and (ev.source or "").startswith("fhir:Procedure"):
            ok = during(ev, window)
        elif ev.origin == "structured" and is_condition(ev):
            ok = starts_in(ev, window)
        else:
            ok = starts_in(ev, window) or during(ev, window)
        if ok:
            found.append(ev)
    return result(bool(found), found)
