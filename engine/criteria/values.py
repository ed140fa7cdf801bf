"""The most recent value: tobacco status, blood pressure, HbA1c/GMI, a depression score.

All four take the most recent *day* with a result in the window, decide on that day's values,
and, when there is none, say why (``evidence_too_old``, ``undated_evidence``, ``declined``,
``only_ordered`` or ``no_evidence``); a result off target gives ``not_controlled``.

* ``qm.latest_value.v1``: the most recent status (tobacco: current / former / never) is one of
  ``value_in``. Several statuses that day: with ``same_day_order`` the first present decides
  (``current`` before ``former`` before ``never``); without it the last recorded one does.
* ``qm.latest_bp_controlled.v1`` (CBP / CMS165): on the most recent day with a reading, the
  lowest systolic and the lowest diastolic (they may come from different readings); controlled
  when systolic < 140 and diastolic < 90. Readings on a day inside an inpatient stay or an ED
  visit do not count. ``not_before`` (HEDIS CBP): only readings on or after the day the
  denominator's diagnoses reach their count (the second hypertension diagnosis).
* ``qm.latest_hba1c.v1`` (GSD / CMS122): the most recent HbA1c or GMI, the lowest of its day.
  ``comparison: above, threshold: 9.0, missing_is_met: true`` is the inverse poor-control
  numerator (also met with no test, or a test without a result). A coded, non-numeric result
  is neither above nor below. ``missing_sorts_first`` (CMS122, CQL ``sort by value`` puts nulls
  first): a test without a result on the most recent day decides that day.
* ``qm.latest_score.v1`` (CMS159): the most recent PHQ-9 score in the window is below a
  threshold (remission) or at most a fraction of the episode's index score (response).

Structured results count on their last day (CQL ``effective.latest()``); note results on their
day (or the note's date when the element is dated by the visit). A note result dated only to a
month or year has no day: it is reviewed as undated (``imprecise_date`` flag) unless it lies
wholly before the window (too old).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext, UndatedPolicy, unique
from engine.criteria.counts import DistinctDatesParams, nth_date
from engine.criteria.dating import DateFallback, Place, latest_day, note_range, place, start_day
from engine.criteria.encounters import check_tags, encounter_interval
from engine.criteria.registry import ElementId, RuleParams, register
from engine.criteria.select import near_miss_findings, undated_finding, value_strings
from engine.periods import Interval, Window
from engine.records import Evidence

__all__ = ["a1c_values", "bp_readings", "score_of"]

_MP = {"from": "mp_start", "to": "mp_end"}
_BP = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")


def bp_readings(value: Any) -> list[tuple[int, int]]:
    """Readings from ``"128/76"``, ``[128, 76]``, ``[[128, 76], [132, 80]]`` or
    ``{"systolic": 128, "diastolic": 76}``; other shapes are skipped."""
    if value is None:
        return []
    if isinstance(value, str):
        out = []
        for part in value.replace(";", ",").split(","):
            m = _BP.match(part)
            if m:
                out.append((int(m.group(1)), int(m.group(2))))
        return out
    if isinstance(value, dict):
        sys_, dia = value.get("systolic"), value.get("diastolic")
        return [(int(sys_), int(dia))] if sys_ is not None and dia is not None else []
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(isinstance(v, int | float) for v in value):
            return [(int(value[0]), int(value[1]))]
        return [r for v in value for r in bp_readings(v)]
    return []


A1cKind = Literal["numeric", "coded", "no_result"]


def a1c_values(value: Any) -> tuple[A1cKind, list[float]]:
    """Classify a result: numbers (percent), a coded answer (e.g. ``SNOMEDCT:...``) or none."""
    if value is None:
        return "no_result", []
    if isinstance(value, bool):
        return "coded", []
    if isinstance(value, int | float):
        return "numeric", [float(value)]
    if isinstance(value, list | tuple):
        nums = [n for v in value for n in a1c_values(v)[1]]
        if nums:
            return "numeric", nums
        return ("coded", []) if any(a1c_values(v)[0] == "coded" for v in value) else ("no_result", [])
    text = str(value).strip().rstrip("%").strip()
    if not text:
        return "no_result", []
    try:
        return "numeric", [float(text)]
    except ValueError:
        return "coded", []


# --------------------------------------------------------------------------- the most recent day


class _Days:
    """Results by day in the window, and why other items do not count."""

    def __init__(self) -> None:
        self.by_day: dict[date, list[Evidence]] = {}
        self.findings: list[Finding] = []
        self.flags: list[str] = []

    def missing(self, ctx: PatientContext, elements: Sequence[str], window: Interval) -> tuple[
            tuple[Finding, ...], tuple[str, ...]]:
        """Why there is no result: older results, undated ones, declined / ordered mentions."""
        findings = self.findings + near_miss_findings(ctx, elements, window)
        return tuple(dict.fromkeys(findings)) or (Finding(GapReason.NO_EVIDENCE),), unique(self.flags)


def _result_days(ctx: PatientContext, elements: Sequence[str], window: Interval, fallback: DateFallback,
                 policy: str, stays: Sequence[Interval] = ()) -> _Days:
    out = _Days()
    for ev in ctx.items(elements):
        if ev.status not in ctx.count_statuses:
            continue
        day = latest_day(ev, fallback)
        if day is None:
            span = note_range(ev, fallback) if ev.origin != "structured" else None
            where = Place.UNDATED if span is None else place(ev, "overlaps", window, fallback)
            if where == Place.BEFORE:
                out.findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
            elif where != Place.AFTER:
                undated_finding(ev, Place.UNDATED if span is None else Place.UNCERTAIN, policy,
                                out.findings, out.flags)
            continue
        if window.start is not None and day < window.start:
            out.findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
            continue
        if not window.contains(day) or any(s.contains(day) for s in stays):
            continue
        out.by_day.setdefault(day, []).append(ev)
    return out


# --------------------------------------------------------------------------- status (tobacco)


class LatestValueParams(RuleParams):
    elements: list[ElementId] = Field(min_length=1)
    window: Window = Window.model_validate(_MP)
    value_in: list[str] = Field(min_length=1)
    timing: Literal["overlaps", "during"] = "overlaps"
    date_fallback: DateFallback = "element"
    undated: UndatedPolicy | None = None
    same_day_order: list[str] | None = None

    @field_validator("value_in", "same_day_order")
    @classmethod
    def _lower(cls, v: list[str] | None) -> list[str] | None:
        return [s.lower() for s in v] if v is not None else None


def _describe_latest(p: LatestValueParams) -> str:
    text = (f"the most recent {' or '.join(e.replace('_', ' ') for e in p.elements)} "
            f"{p.window.describe()} is {' or '.join(p.value_in)}")
    if p.same_day_order:
        text += f" (several values that day: {' > '.join(p.same_day_order)}, the first present decides)"
    else:
        text += " (several values that day: the last recorded decides)"
    return text


@register("qm.latest_value.v1", LatestValueParams, describe=_describe_latest)
def latest_value_in(ctx: PatientContext, p: LatestValueParams) -> CriterionResult:
    window = ctx.window(p.window)
    policy = p.undated or ctx.undated_policy
    dated: list[tuple[date, Evidence]] = []
    days = _Days()
    for ev in ctx.items(p.elements):
        if ev.status not in ctx.count_statuses:
            continue
        where = place(ev, p.timing, window, p.date_fallback)
        if where in (Place.UNDATED, Place.UNCERTAIN):
            undated_finding(ev, where, policy, days.findings, days.flags)
        elif where == Place.BEFORE:
            days.findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
        elif where == Place.IN:
            day = start_day(ev, p.date_fallback)
            if day is not None:
                dated.append((day, ev))
    if not dated:
        findings, flags = days.missing(ctx, p.elements, window)
        return CriterionResult(False, (), findings, flags)
    latest = max(d for d, _ in dated)
    same_day = [ev for d, ev in dated if d == latest]
    if p.same_day_order:
        present = {v for ev in same_day for v in value_strings(ev.value)}
        decided = next((v for v in p.same_day_order if v in present), None)
        if decided is not None:
            same_day = [ev for ev in same_day if decided in value_strings(ev.value)]
    else:
        same_day = same_day[-1:]
    chosen = [ev for ev in same_day if set(value_strings(ev.value)) & set(p.value_in)]
    if chosen:
        return CriterionResult(True, unique([e.evidence_id for e in chosen]))
    # a different value is a fact, not a gap reason: other criteria explain the gap
    return CriterionResult(False, unique([e.evidence_id for e in same_day]))


# --------------------------------------------------------------------------- blood pressure


class BpParams(RuleParams):
    elements: list[ElementId] = Field(default_factory=lambda: ["blood_pressure"], min_length=1)
    window: Window = Window.model_validate(_MP)
    systolic_below: float = 140
    diastolic_below: float = 90
    exclude_encounter_types: list[str] = Field(default_factory=lambda: ["inpatient", "emergency_department"])
    date_fallback: DateFallback = "element"
    undated: UndatedPolicy | None = None
    not_before: DistinctDatesParams | None = None

    @field_validator("exclude_encounter_types")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return check_tags(v)


def _describe_bp(p: BpParams) -> str:
    text = (f"blood pressure controlled (< {p.systolic_below:g}/{p.diastolic_below:g}): on the most recent "
            f"date {p.window.describe()} with a reading, the lowest systolic and the lowest diastolic of that "
            f"date; readings during {' or '.join(t.replace('_', ' ') for t in p.exclude_encounter_types)} "
            "stays do not count; no reading = not controlled")
    if p.not_before is not None:
        n = p.not_before.min_count
        text += (f"; only readings on or after the {'second' if n == 2 else f'#{n}'} "
                 f"{' or '.join(e.replace('_', ' ') for e in p.not_before.elements)} diagnosis date")
    return text


@register("qm.latest_bp_controlled.v1", BpParams, describe=_describe_bp)
def latest_bp_controlled(ctx: PatientContext, p: BpParams) -> CriterionResult:
    window = ctx.window(p.window)
    if p.not_before is not None:
        anchor = nth_date(ctx, p.not_before)
        if anchor is not None and (window.start is None or anchor > window.start):
            window = Interval(anchor, window.end)
    wanted = set(p.exclude_encounter_types)
    stays = [encounter_interval(e) for e in ctx.encounters if wanted.intersection(e.types)]
    days = _result_days(ctx, p.elements, window, p.date_fallback, p.undated or ctx.undated_policy, stays)
    readings: dict[date, list[tuple[int, int, str]]] = {}
    for day, items in days.by_day.items():
        for ev in items:
            for sys_, dia in bp_readings(ev.value):
                readings.setdefault(day, []).append((sys_, dia, ev.evidence_id))
    if not readings:
        findings, flags = days.missing(ctx, p.elements, window)
        return CriterionResult(False, (), findings, flags)
    latest = readings[max(readings)]
    low_sys = min(r[0] for r in latest)
    low_dia = min(r[1] for r in latest)
    ids = unique(sorted(r[2] for r in latest))
    if low_sys < p.systolic_below and low_dia < p.diastolic_below:
        return CriterionResult(True, ids)
    return CriterionResult(False, ids, tuple(Finding(GapReason.NOT_CONTROLLED, i) for i in ids))


# --------------------------------------------------------------------------- HbA1c / GMI


class A1cParams(RuleParams):
    elements: list[ElementId] = Field(default_factory=lambda: ["hba1c", "glucose_management_indicator"],
                                      min_length=1)
    window: Window = Window.model_validate(_MP)
    comparison: Literal["above", "below"]
    threshold: float
    missing_is_met: bool = False  # inverse poor-control: no test / no result counts as met
    missing_sorts_first: bool = False  # CMS122: a same-day test without a result decides the day
    date_fallback: DateFallback = "element"
    undated: UndatedPolicy | None = None


def _describe_a1c(p: A1cParams) -> str:
    sign = ">" if p.comparison == "above" else "<"
    text = (f"most recent HbA1c/GMI {p.window.describe()} (lowest of that date) is {sign} "
            f"{p.threshold:g}%")
    if p.missing_is_met:
        text += "; no test, or a test with no result, also counts (inverse measure)"
    if p.missing_sorts_first:
        text += "; a test without a result on that date decides it"
    return text


def _numeric(value: Any) -> float | None:
    kind, nums = a1c_values(value)
    return min(nums) if kind == "numeric" else None


@register("qm.latest_hba1c.v1", A1cParams, describe=_describe_a1c)
def latest_hba1c(ctx: PatientContext, p: A1cParams) -> CriterionResult:
    window = ctx.window(p.window)
    days = _result_days(ctx, p.elements, window, p.date_fallback, p.undated or ctx.undated_policy)
    if not days.by_day:
        findings, flags = days.missing(ctx, p.elements, window)
        return CriterionResult(p.missing_is_met, (), findings, flags)
    latest = days.by_day[max(days.by_day)]
    if p.missing_sorts_first:  # CQL: nulls (and coded answers) first, then the lowest value
        latest = sorted(latest, key=lambda ev: (_numeric(ev.value) is not None, _numeric(ev.value) or 0.0))[:1]
    ids = unique([e.evidence_id for e in latest])
    kinds = [a1c_values(e.value) for e in latest]
    numbers = [n for _, nums in kinds for n in nums]
    if numbers:
        low = min(numbers)
        met = low > p.threshold if p.comparison == "above" else low < p.threshold
        off_target = met if p.comparison == "above" else not met
    elif any(kind == "coded" for kind, _ in kinds):
        met, off_target = False, p.comparison == "below"
    else:  # tests without a result: done (or drawn) but not resulted
        return CriterionResult(p.missing_is_met, ids, tuple(Finding(GapReason.ONLY_ORDERED, i) for i in ids))
    findings = tuple(Finding(GapReason.NOT_CONTROLLED, i) for i in ids) if off_target else ()
    return CriterionResult(met, ids, findings)


# --------------------------------------------------------------------------- a score (PHQ-9)

PHQ9_CODES = frozenset({"44261-6", "89204-2"})  # PHQ-9 total score, PHQ-9 modified for teens


def score_of(ev: Evidence, instruments: Sequence[str]) -> float | None:
    """The total score of one of ``instruments`` (``{"instrument": "PHQ-9", "score": 14}`` from
    notes; a number with a PHQ-9 LOINC code, or none, from structured data)."""
    wanted = {i.lower().replace(" ", "") for i in instruments}
    value = ev.value
    if isinstance(value, dict):
        name = str(value.get("instrument", "")).lower().replace(" ", "")
        score = value.get("score")
        if name in wanted and isinstance(score, int | float) and not isinstance(score, bool):
            return float(score)
        return None
    if ev.origin == "structured" and (ev.code is None or ev.code in PHQ9_CODES):
        kind, nums = a1c_values(value)
        return nums[0] if kind == "numeric" and len(nums) == 1 else None
    return None


class ScoreParams(RuleParams):
    elements: list[ElementId] = Field(default_factory=lambda: ["depression_screening"], min_length=1)
    instruments: list[str] = Field(default_factory=lambda: ["PHQ-9", "PHQ-9M", "PHQ-A"], min_length=1)
    window: Window = Window.model_validate(_MP)
    below: float | None = None  # remission: most recent score below this
    at_most_fraction_of_episode: float | None = Field(None, gt=0, lt=1)  # response: <= fraction x index
    date_fallback: DateFallback = "element"


def _describe_score(p: ScoreParams) -> str:
    target = []
    if p.below is not None:
        target.append(f"below {p.below:g}")
    if p.at_most_fraction_of_episode is not None:
        target.append(f"at most {p.at_most_fraction_of_episode:.0%} of the index score")
    return (f"the most recent {'/'.join(p.instruments)} score {p.window.describe()} (the lowest of that date) "
            f"is {' or '.join(target)}")


@register("qm.latest_score.v1", ScoreParams, describe=_describe_score)
def latest_score(ctx: PatientContext, p: ScoreParams) -> CriterionResult:
    window = ctx.window(p.window)
    days = _result_days(ctx, p.elements, window, p.date_fallback, ctx.undated_policy)
    scored = {d: [(s, ev) for ev in items if (s := score_of(ev, p.instruments)) is not None]
              for d, items in days.by_day.items()}
    scored = {d: v for d, v in scored.items() if v}
    if not scored:
        findings, flags = days.missing(ctx, p.elements, window)
        return CriterionResult(False, (), findings, flags)
    score, best = min(scored[max(scored)], key=lambda pair: (pair[0], pair[1].evidence_id))
    index = ctx.episode.value if ctx.episode is not None else None
    met = (p.below is not None and score < p.below) or (
        p.at_most_fraction_of_episode is not None and isinstance(index, int | float)
        and score <= p.at_most_fraction_of_episode * index)
    if met:
        return CriterionResult(True, (best.evidence_id,))
    return CriterionResult(False, (best.evidence_id,), (Finding(GapReason.NOT_CONTROLLED, best.evidence_id),))
