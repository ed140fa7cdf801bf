"""General criteria: evidence of an element in a window, age, qualifying encounters, latest value.

Registered names: ``qm.evidence.v1``, ``qm.age.v1``, ``qm.encounter.v1``, ``qm.latest_value.v1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, field_validator

from engine.criteria.base import (
    AgeAnchor,
    CriterionResult,
    DateFallback,
    Finding,
    GapReason,
    PatientContext,
    Timing,
    UndatedPolicy,
    evidence_interval,
    start_range,
    unique,
)
from engine.criteria.registry import ElementId, RuleParams, register
from engine.periods import DateExpr, Interval, Window, age_in_months, parse_date_expr
from engine.records import Evidence, Status

__all__ = ["EncounterParams", "EvidenceParams", "match_evidence", "value_strings"]

_WHOLE_MP = {"from": "mp_start", "to": "mp_end"}
_NEAR_MISS = {"declined": GapReason.DECLINED, "ordered": GapReason.ONLY_ORDERED,
              "planned": GapReason.ONLY_ORDERED}


def value_strings(value: Any) -> list[str]:
    """Lower-cased text forms of an evidence value (lists are flattened)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [s for v in value for s in value_strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in value_strings(v)]
    text = str(value).strip().lower()
    return [text] if text else []


class EvidenceParams(RuleParams):
    elements: list[ElementId] = Field(min_length=1)
    window: Window | None = None  # None: at any time
    timing: Timing = "overlaps"  # overlaps: the event's interval shares a day; starts: begins inside
    statuses: list[Status] | None = None  # None: the spec's count_statuses (default affirmed)
    undated: UndatedPolicy | None = None  # None: the spec's undated policy
    date_fallback: DateFallback = "none"
    value_in: list[str] | None = None  # only evidence whose value is one of these
    requires_value: bool = False  # only evidence with a (non-empty) value, e.g. a lab result
    min_age_on_event: int | None = None  # patient at least this old on the event date
    # declined mentions of these related elements also explain a gap as `declined`, e.g.
    # "Tobacco: declines cessation counseling" read as a declined tobacco_use mention
    declined_from: list[ElementId] = Field(default_factory=list)

    @field_validator("value_in")
    @classmethod
    def _lower(cls, v: list[str] | None) -> list[str] | None:
        return [s.lower() for s in v] if v is not None else None


def _describe_evidence(p: EvidenceParams) -> str:
    what = " or ".join(e.replace("_", " ") for e in p.elements)
    parts = [what]
    if p.statuses and p.statuses != ["affirmed"]:
        parts.insert(0, "/".join(p.statuses))
    parts.append(p.window.describe() if p.window else "at any time")
    if p.timing == "starts" and p.window:
        parts.append("(starting in that window)")
    if p.value_in:
        parts.append(f"with value {' or '.join(p.value_in)}")
    if p.requires_value:
        parts.append("with a result")
    if p.min_age_on_event is not None:
        parts.append(f"at age {p.min_age_on_event}+ on the test date")
    if p.date_fallback == "note_date":
        parts.append("(undated note mentions take the note date)")
    if p.declined_from:
        parts.append(f"(a declined {' or '.join(e.replace('_', ' ') for e in p.declined_from)} "
                     "mention counts as declined)")
    if p.undated:
        parts.append(f"[undated: {p.undated}]")
    return " ".join(parts)


def match_evidence(ctx: PatientContext, p: EvidenceParams) -> CriterionResult:
    window = p.window.resolve(ctx.period) if p.window else Interval(None, None)
    counted = set(p.statuses) if p.statuses is not None else set(ctx.count_statuses)
    policy = p.undated or ctx.undated_policy
    hits: list[Evidence] = []
    findings: list[Finding] = []
    flags: list[str] = []
    for ev in ctx.items(p.elements):
        if ev.status in counted:
            if p.value_in is not None and not set(value_strings(ev.value)) & set(p.value_in):
                continue
            if p.requires_value and not value_strings(ev.value):
                continue
            span = (start_range if p.timing == "starts" else evidence_interval)(ev, p.date_fallback)
            if span is None:
                if policy == "count":
                    hits.append(ev)
                elif policy == "review":
                    findings.append(Finding(GapReason.UNDATED_EVIDENCE, ev.evidence_id))
                    flags.append(f"undated:{ev.evidence_id}")
                continue
            if p.min_age_on_event is not None and ev.event_date is not None:
                if ctx.age_on(span.end or ev.event_date) < p.min_age_on_event:
                    continue
            if span.overlaps(window):
                hits.append(ev)
            elif span.ends_before(window):
                findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
        elif ev.status in _NEAR_MISS:
            span = evidence_interval(ev, "note_date")
            if span is None or span.overlaps(Interval(window.start, ctx.period.end)):
                findings.append(Finding(_NEAR_MISS[ev.status], ev.evidence_id))
    for ev in ctx.items(p.declined_from):
        if ev.status == "declined":
            span = evidence_interval(ev, "note_date")
            if span is None or span.overlaps(Interval(window.start, ctx.period.end)):
                findings.append(Finding(GapReason.DECLINED, ev.evidence_id))
    if hits:
        return CriterionResult(True, unique([e.evidence_id for e in hits]))
    if not findings:
        findings.append(Finding(GapReason.NO_EVIDENCE))
    return CriterionResult(False, (), tuple(findings), tuple(flags))


register("qm.evidence.v1", EvidenceParams, describe=_describe_evidence)(match_evidence)


class AgeParams(RuleParams):
    min: int | None = None
    max: int | None = None
    min_months: int | None = Field(None, ge=0)  # e.g. 6: "6 months and older"
    at: AgeAnchor = "mp_end"
    # a date relative to the MP that overrides ``at``, e.g. "mp_start + 3m - 1d" (March 31 of
    # the MP, the last day of the flu season). Not "on": YAML reads a bare on as true.
    as_of: DateExpr | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _parse_on(cls, value: object) -> DateExpr | None:
        if value is None or isinstance(value, DateExpr):
            return value
        return parse_date_expr(str(value))


def _describe_age(p: AgeParams) -> str:
    when = f"on {p.as_of}" if p.as_of else f"at {'the end' if p.at == 'mp_end' else 'the start'}"
    if p.min is not None and p.max is not None:
        band = f"aged {p.min} to {p.max}"
    elif p.min is not None:
        band = f"aged {p.min} or older"
    elif p.max is not None:
        band = f"aged {p.max} or younger"
    else:
        band = ""
    if p.min_months is not None:
        band = f"{band} and " if band else ""
        band += f"{p.min_months} months or older"
    return f"{band} {when} of the measurement period" if not p.as_of else f"{band} {when}"


@register("qm.age.v1", AgeParams, describe=_describe_age)
def age_in_band(ctx: PatientContext, p: AgeParams) -> CriterionResult:
    day = p.as_of.resolve(ctx.period) if p.as_of else ctx.anchor_date(p.at)
    age = ctx.age_on(day)
    met = (p.min is None or age >= p.min) and (p.max is None or age <= p.max)
    if met and p.min_months is not None:
        met = age_in_months(ctx.patient.birth_date, day) >= p.min_months
    return CriterionResult(met)


class EncounterParams(RuleParams):
    types: list[str] = Field(min_length=1)  # encounter type tags (structured-input.md)
    window: Window = Window.model_validate(_WHOLE_MP)
    timing: Literal["overlaps", "starts", "ends"] = "overlaps"
    min_count: int = Field(1, ge=1)


def _describe_encounter(p: EncounterParams) -> str:
    count = "a" if p.min_count == 1 else f"{p.min_count}"
    verb = {"overlaps": "", "starts": " starting", "ends": " ending"}[p.timing]
    return (f"{count} encounter(s) of type {' or '.join(p.types)}{verb} {p.window.describe()}")


def encounters_matching(ctx: PatientContext, types: Iterable[str], window: Interval,
                        timing: str = "overlaps") -> list[Any]:
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
        else:
            ok = Interval(enc.start_date, enc.end_date or enc.start_date).overlaps(window)
        if ok:
            out.append(enc)
    return sorted(out, key=lambda e: (e.start_date, e.encounter_id))


@register("qm.encounter.v1", EncounterParams, describe=_describe_encounter)
def has_encounter(ctx: PatientContext, p: EncounterParams) -> CriterionResult:
    found = encounters_matching(ctx, p.types, p.window.resolve(ctx.period), p.timing)
    met = len(found) >= p.min_count
    return CriterionResult(met, tuple(f"encounter:{e.encounter_id}" for e in found) if met else ())


class LatestValueParams(RuleParams):
    elements: list[ElementId] = Field(min_length=1)
    window: Window = Window.model_validate(_WHOLE_MP)
    value_in: list[str] = Field(min_length=1)
    date_fallback: DateFallback = "none"
    undated: UndatedPolicy | None = None
    # When the most recent date holds several values, the first of these present decides
    # (e.g. [current, former, never]: a patient documented as current on the latest day is a
    # user even if another mention that day reads former). None: any value of that day counts.
    same_day_order: list[str] | None = None

    @field_validator("value_in", "same_day_order")
    @classmethod
    def _lower(cls, v: list[str] | None) -> list[str] | None:
        return [s.lower() for s in v] if v is not None else None


def _describe_latest(p: LatestValueParams) -> str:
    text = (f"the most recent {' or '.join(e.replace('_', ' ') for e in p.elements)} "
            f"{p.window.describe()} is {' or '.join(p.value_in)}")
    if p.same_day_order:
        text += f" (several values on that day: {' > '.join(p.same_day_order)}, first present decides)"
    return text


@register("qm.latest_value.v1", LatestValueParams, describe=_describe_latest)
def latest_value_in(ctx: PatientContext, p: LatestValueParams) -> CriterionResult:
    """Met when, on the most recent date with this element, the value is in value_in.

    Without ``same_day_order`` any item of that date with a value in ``value_in`` meets it;
    with it, the first value of that order present on that date is the day's value.
    """
    window = p.window.resolve(ctx.period)
    policy = p.undated or ctx.undated_policy
    dated: list[tuple[Any, Evidence]] = []
    findings: list[Finding] = []
    flags: list[str] = []
    for ev in ctx.items(p.elements):
        if ev.status not in ctx.count_statuses:
            continue
        span = start_range(ev, p.date_fallback)
        if span is None:
            if policy == "review":
                findings.append(Finding(GapReason.UNDATED_EVIDENCE, ev.evidence_id))
                flags.append(f"undated:{ev.evidence_id}")
            continue
        if span.overlaps(window):
            dated.append((span.start, ev))
        elif span.ends_before(window):
            findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
    if not dated:
        return CriterionResult(False, (), tuple(findings) or (Finding(GapReason.NO_EVIDENCE),),
                               tuple(flags))
    latest = max(d for d, _ in dated)
    same_day = [ev for d, ev in dated if d == latest]
    if p.same_day_order:
        present = {v for ev in same_day for v in value_strings(ev.value)}
        decided = next((v for v in p.same_day_order if v in present), None)
        if decided is not None:
            same_day = [ev for ev in same_day if decided in value_strings(ev.value)]
    chosen = [ev for ev in same_day if set(value_strings(ev.value)) & set(p.value_in)]
    if chosen:
        return CriterionResult(True, unique([e.evidence_id for e in chosen]))
    # a different value is a fact, not a gap reason: other criteria explain the gap
    return CriterionResult(False, unique([e.evidence_id for e in same_day]))
