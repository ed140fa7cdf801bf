"""Value rules: blood pressure control and HbA1c / GMI thresholds (most recent result in the MP).

``qm.latest_bp_controlled.v1`` (CBP / CMS165): the most recent date in the window with a
reading; on that date the lowest systolic and the lowest diastolic (they may come from
different readings); controlled when systolic < 140 and diastolic < 90. Readings taken on a
day inside an inpatient stay or an ED visit (structured encounters) do not count. No
reading in the window: not controlled (gap reason ``no_evidence``).

``qm.latest_hba1c.v1`` (GSD / CMS122): the most recent HbA1c or GMI in the window; several
on that date -> the lowest numeric value. ``comparison: above, threshold: 9.0`` is the
inverse poor-control numerator: met when the value is > 9.0, or when the most recent test
has no result, or there is no test (``missing_is_met: true``). A coded, non-numeric result
is neither above nor below. ``comparison: below, threshold: 8.0`` is the control rate.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import Field

from engine.criteria.base import (
    CriterionResult,
    DateFallback,
    Finding,
    GapReason,
    PatientContext,
    UndatedPolicy,
    start_range,
    unique,
)
from engine.criteria.evidence_rules import encounters_matching
from engine.criteria.registry import ElementId, RuleParams, register
from engine.periods import Interval, Window
from engine.records import Evidence

__all__ = ["a1c_values", "bp_readings"]

_MP = {"from": "mp_start", "to": "mp_end"}
_BP = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
_NEAR_MISS = {"ordered": GapReason.ONLY_ORDERED, "planned": GapReason.ONLY_ORDERED,
              "declined": GapReason.DECLINED}


def bp_readings(value: Any) -> list[tuple[int, int]]:
    """Readings from ``"128/76"``, ``[128, 76]`` or ``[[128, 76], [132, 80]]``; others skipped."""
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


class BpParams(RuleParams):
    elements: list[ElementId] = Field(default_factory=lambda: ["blood_pressure"], min_length=1)
    window: Window = Window.model_validate(_MP)
    systolic_below: int = 140
    diastolic_below: int = 90
    exclude_encounter_types: list[str] = Field(
        default_factory=lambda: ["inpatient", "emergency_department"])
    date_fallback: DateFallback = "note_date"
    undated: UndatedPolicy | None = None


def _describe_bp(p: BpParams) -> str:
    return (f"blood pressure controlled (< {p.systolic_below}/{p.diastolic_below}): on the most "
            f"recent date {p.window.describe()} with a reading, the lowest systolic and the lowest "
            f"diastolic of that date; readings during {' or '.join(p.exclude_encounter_types)} "
            "stays do not count; no reading = not controlled")


def _dated(ctx: PatientContext, ev: Evidence, fallback: DateFallback) -> date | None:
    span = start_range(ev, fallback)
    if span is None or span.start != span.end:  # year/month precision: not a reading date
        return None
    return span.start


def _missing(ctx: PatientContext, elements: list[str], window: Interval, policy: str,
             undated: list[Evidence], too_old: list[Evidence] | None = None
             ) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Why there is no usable result in the window: undated, declined/ordered, older results."""
    findings: list[Finding] = [Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id)
                               for ev in (too_old or [])]
    flags: list[str] = []
    if policy == "review":
        for ev in undated:
            findings.append(Finding(GapReason.UNDATED_EVIDENCE, ev.evidence_id))
            flags.append(f"undated:{ev.evidence_id}")
    for ev in ctx.items(elements):
        if ev.status in _NEAR_MISS:
            span = start_range(ev, "note_date")
            if span is None or span.overlaps(window):
                findings.append(Finding(_NEAR_MISS[ev.status], ev.evidence_id))
    return tuple(findings) or (Finding(GapReason.NO_EVIDENCE),), tuple(flags)


@register("qm.latest_bp_controlled.v1", BpParams, describe=_describe_bp)
def latest_bp_controlled(ctx: PatientContext, p: BpParams) -> CriterionResult:
    window = p.window.resolve(ctx.period)
    stays = [Interval(e.start_date, e.end_date or e.start_date)
             for e in encounters_matching(ctx, p.exclude_encounter_types, window)]
    by_day: dict[date, list[tuple[int, int, str]]] = {}
    undated: list[Evidence] = []
    too_old: list[Evidence] = []
    for ev in ctx.items(p.elements):
        if ev.status not in ctx.count_statuses:
            continue
        day = _dated(ctx, ev, p.date_fallback)
        if day is None:
            undated.append(ev)
            continue
        if window.start is not None and day < window.start:
            too_old.append(ev)
        if not window.contains(day) or any(s.contains(day) for s in stays):
            continue
        for sys_, dia in bp_readings(ev.value):
            by_day.setdefault(day, []).append((sys_, dia, ev.evidence_id))
    if not by_day:
        findings, flags = _missing(ctx, p.elements, window, p.undated or ctx.undated_policy, undated,
                                   too_old)
        return CriterionResult(False, (), findings, flags)
    readings = by_day[max(by_day)]
    low_sys = min(r[0] for r in readings)
    low_dia = min(r[1] for r in readings)
    ids = unique(sorted(r[2] for r in readings))
    if low_sys < p.systolic_below and low_dia < p.diastolic_below:
        return CriterionResult(True, ids)
    return CriterionResult(False, ids, tuple(Finding(GapReason.NOT_CONTROLLED, i) for i in ids))


class A1cParams(RuleParams):
    elements: list[ElementId] = Field(
        default_factory=lambda: ["hba1c", "glucose_management_indicator"], min_length=1)
    window: Window = Window.model_validate(_MP)
    comparison: Literal["above", "below"]
    threshold: float
    missing_is_met: bool = False  # inverse poor-control: no test / no result counts as met
    date_fallback: DateFallback = "none"
    undated: UndatedPolicy | None = None


def _describe_a1c(p: A1cParams) -> str:
    sign = ">" if p.comparison == "above" else "<"
    text = (f"most recent HbA1c/GMI {p.window.describe()} (lowest of that date) is {sign} "
            f"{p.threshold:g}%")
    if p.missing_is_met:
        text += "; no test, or a test with no result, also counts (inverse measure)"
    return text


@register("qm.latest_hba1c.v1", A1cParams, describe=_describe_a1c)
def latest_hba1c(ctx: PatientContext, p: A1cParams) -> CriterionResult:
    window = p.window.resolve(ctx.period)
    by_day: dict[date, list[Evidence]] = {}
    undated: list[Evidence] = []
    too_old: list[Evidence] = []
    for ev in ctx.items(p.elements):
        if ev.status not in ctx.count_statuses:
            continue
        day = _dated(ctx, ev, p.date_fallback)
        if day is None:
            undated.append(ev)
        elif window.contains(day):
            by_day.setdefault(day, []).append(ev)
        elif window.start is not None and day < window.start:
            too_old.append(ev)
    if not by_day:
        findings, flags = _missing(ctx, p.elements, window, p.undated or ctx.undated_policy, undated,
                                   too_old)
        return CriterionResult(p.missing_is_met, (), findings, flags)
    latest = by_day[max(by_day)]
    ids = unique([e.evidence_id for e in latest])
    kinds = [a1c_values(e.value) for e in latest]
    numbers = [n for _, nums in kinds for n in nums]
    if numbers:
        low = min(numbers)
        met = low > p.threshold if p.comparison == "above" else low < p.threshold
        controlled_gap = met if p.comparison == "above" else not met
    elif any(kind == "coded" for kind, _ in kinds):
        met, controlled_gap = False, p.comparison == "below"
    else:  # tests with no result count as no result at all
        return CriterionResult(p.missing_is_met, ids,
                               tuple(Finding(GapReason.NO_EVIDENCE, i) for i in ids))
    findings = tuple(Finding(GapReason.NOT_CONTROLLED, i) for i in ids) if controlled_gap else ()
    return CriterionResult(met, ids, findings)
