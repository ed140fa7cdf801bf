"""Count distinct dates: ``qm.distinct_dates.v1``.

HEDIS rules that need "two visits with the diagnosis on different dates" (CBP's hypertension,
the frailty and advanced-illness exclusions, ACP's population) or "two doses at least 28 days
apart" (AIS-E zoster) count the distinct dates of qualifying evidence (and, optionally,
encounters of given types) in a window:

* structured evidence is dated by its start; with ``visit_types`` it counts only on a day with
  an encounter of those types (a diagnosis made at a visit, shared/docs/structured-input.md);
  problem-list entries are kept out with ``exclude_sources``;
* note evidence is dated by its day (or its note's date when the element is dated by the visit);
  an imprecise or missing date cannot be counted and goes to the undated policy;
* ``single_date_within``: one date inside an encounter of these types is enough (one inpatient
  stay with an advanced-illness diagnosis);
* ``from_notes: flag``: a HEDIS denominator event. Structured dates alone must reach the count;
  if they do not, any qualifying note mention puts the patient in with the review flag
  ``denominator_from_notes`` (none when the job takes HEDIS denominators structured-only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from pydantic import Field, field_validator

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext, UndatedPolicy, unique
from engine.criteria.dating import DateFallback, Place, day_of, note_range, place
from engine.criteria.encounters import check_tags, encounter_interval, encounters_matching
from engine.criteria.registry import ElementId, RuleParams, register
from engine.criteria.select import FROM_NOTES_FLAG, near_miss_findings, notes_allowed, undated_finding
from engine.periods import Interval, Window
from engine.records import Evidence, Status

__all__ = ["DistinctDatesParams", "Dates", "count_dates", "dates_of", "nth_date"]

_MP = {"from": "mp_start", "to": "mp_end"}


class DistinctDatesParams(RuleParams):
    elements: list[ElementId] = Field(default_factory=list)
    encounter_types: list[str] = Field(default_factory=list)  # encounters that are themselves indications
    window: Window = Window.model_validate(_MP)
    min_count: int = Field(2, ge=1)
    min_days_apart: int = Field(1, ge=1)  # 1: different dates; 28: doses four weeks apart
    statuses: list[Status] | None = None
    date_fallback: DateFallback = "element"
    undated: UndatedPolicy | None = None
    sources: list[str] = Field(default_factory=list)
    exclude_sources: list[str] = Field(default_factory=list)
    visit_types: list[str] = Field(default_factory=list)
    single_date_within: list[str] = Field(default_factory=list)
    from_notes: Literal["count", "flag"] = "count"

    @field_validator("encounter_types", "visit_types", "single_date_within")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return check_tags(v)


def _describe(p: DistinctDatesParams) -> str:
    what = " or ".join(e.replace("_", " ") for e in p.elements)
    if p.encounter_types:
        what = " or ".join(x for x in (what, " or ".join(t.replace("_", " ") for t in p.encounter_types)
                                       + " encounters") if x)
    apart = "different dates" if p.min_days_apart == 1 else f"dates at least {p.min_days_apart} days apart"
    text = f"{what} on at least {p.min_count} {apart} {p.window.describe()}"
    if p.visit_types:
        text += f" (coded records count on a day with a {' / '.join(t.replace('_', ' ') for t in p.visit_types)})"
    if p.exclude_sources:
        text += f" (not from {', '.join(p.exclude_sources)})"
    if p.single_date_within:
        text += f", or on one date during a {' / '.join(p.single_date_within)} stay"
    if p.from_notes == "flag":
        text += ("; found only in notes: counted with the review flag denominator_from_notes (not at all "
                 "when the job takes HEDIS denominators from structured data only)")
    return text


@dataclass
class Dates:
    """Qualifying days with the evidence behind each, and why other items did not count."""

    days: dict[date, list[str]] = field(default_factory=lambda: defaultdict(list))
    origins: dict[date, set[str]] = field(default_factory=lambda: defaultdict(set))
    findings: list[Finding] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def dates_of(ctx: PatientContext, p: DistinctDatesParams, include_notes: bool = True) -> Dates:
    window = ctx.window(p.window)
    counted = set(p.statuses) if p.statuses is not None else ctx.count_statuses
    policy = p.undated or ctx.undated_policy
    visits = [encounter_interval(e) for e in encounters_matching(ctx, p.visit_types, Interval(None, None))] \
        if p.visit_types else []
    out = Dates()
    imprecise: list[tuple[Evidence, Place]] = []  # month/year-dated note mentions, decided after the loop
    for ev in ctx.items(p.elements):
        if ev.status not in counted:
            continue
        if ev.origin == "structured":
            src = ev.source or ""
            if p.sources and not any(src.startswith(s) for s in p.sources):
                continue
            if any(src.startswith(s) for s in p.exclude_sources):
                continue
        elif not include_notes:
            continue
        where = place(ev, "starts", window, p.date_fallback)
        day = day_of(ev, p.date_fallback)
        if where in (Place.UNDATED, Place.UNCERTAIN) or day is None:
            imprecise.append((ev, Place.UNDATED if where == Place.UNDATED else Place.UNCERTAIN))
            continue
        if where == Place.BEFORE:
            out.findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
            continue
        if where != Place.IN:
            continue
        if ev.origin == "structured" and p.visit_types and not any(v.contains(day) for v in visits):
            continue
        out.days[day].append(ev.evidence_id)
        out.origins[day].add(ev.origin)
    for enc in encounters_matching(ctx, p.encounter_types, window, "starts") if p.encounter_types else ():
        out.days[enc.start_date].append(f"encounter:{enc.encounter_id}")
        out.origins[enc.start_date].add("structured")
    for ev, where in imprecise:
        # "Shingrix dose 1 given 10/2025" beside the registry's dose of 2025-10-03 is that dose, not a
        # second one of unknown day: a month- or year-dated mention whose range holds a counted day of
        # the same element adds nothing and needs no review. Otherwise it goes to the undated policy.
        span = note_range(ev, p.date_fallback) if ev.origin == "note" else None
        if span is not None and any(span[0] <= d <= span[1] for d in out.days):
            continue
        undated_finding(ev, where, policy, out.findings, out.flags)
    return out


def _chosen_days(days: list[date], p: DistinctDatesParams, ctx: PatientContext) -> list[date]:
    """Days spaced at least ``min_days_apart`` (greedy from the first), or one day inside a stay."""
    if p.single_date_within:
        stays = [encounter_interval(e) for e in encounters_matching(ctx, p.single_date_within, Interval(None, None))]
        for day in days:
            if any(s.contains(day) for s in stays):
                return [day]
    chosen: list[date] = []
    for day in days:
        if not chosen or day >= chosen[-1] + timedelta(days=p.min_days_apart):
            chosen.append(day)
    return chosen


def count_dates(ctx: PatientContext, p: DistinctDatesParams) -> tuple[CriterionResult, date | None]:
    """The result, and the anchor day: the day the count was reached (the second diagnosis)."""
    structured_only = p.from_notes == "flag" or not notes_allowed(ctx, p.from_notes)
    found = dates_of(ctx, p, include_notes=not structured_only)
    chosen = _chosen_days(sorted(found.days), p, ctx)
    enough = len(chosen) >= p.min_count or (len(chosen) == 1 and p.single_date_within
                                            and _in_stay(chosen[0], p, ctx))
    if enough:
        anchor = chosen[min(p.min_count, len(chosen)) - 1]
        ids = unique([i for d in sorted(found.days) if d <= anchor for i in found.days[d]])
        return CriterionResult(True, ids), anchor
    if p.from_notes == "flag" and notes_allowed(ctx, p.from_notes):
        everything = dates_of(ctx, p)
        if any("note" in everything.origins[d] for d in everything.days):
            days = sorted(everything.days)
            every = _chosen_days(days, p, ctx)
            anchor = every[p.min_count - 1] if len(every) >= p.min_count else days[-1]
            ids = unique([i for d in days for i in everything.days[d]])
            return CriterionResult(True, ids, (), (FROM_NOTES_FLAG,)), anchor
    findings = list(found.findings) + near_miss_findings(ctx, p.elements, ctx.window(p.window))
    if not findings:
        ids = unique([i for d in sorted(found.days) for i in found.days[d]])
        findings = [Finding(GapReason.NO_EVIDENCE, i) for i in ids] or [Finding(GapReason.NO_EVIDENCE)]
    return CriterionResult(False, (), tuple(dict.fromkeys(findings)), unique(found.flags)), None


def _in_stay(day: date, p: DistinctDatesParams, ctx: PatientContext) -> bool:
    stays = [encounter_interval(e) for e in encounters_matching(ctx, p.single_date_within, Interval(None, None))]
    return any(s.contains(day) for s in stays)


def nth_date(ctx: PatientContext, p: DistinctDatesParams) -> date | None:
    """The day the count is reached (e.g. the second hypertension diagnosis), or None."""
    return count_dates(ctx, p)[1]


@register("qm.distinct_dates.v1", DistinctDatesParams, describe=_describe)
def distinct_dates(ctx: PatientContext, p: DistinctDatesParams) -> CriterionResult:
    return count_dates(ctx, p)[0]
