"""Select evidence by element, status, timing and window, recording why nothing qualified.

``qm.evidence.v1`` is the building block most criteria of every spec use, HEDIS and eCQM alike;
the programs differ in its parameters (window, timing, sources, whether a result is needed),
not in code. ``qm.age.v1`` checks the patient's age.

When no evidence qualifies, the result's findings say why, from the same record for every
measure: ``evidence_too_old`` (only before the window), ``declined`` / ``only_ordered`` (a
declined, ordered or planned mention), ``undated_evidence`` (undated, or an imprecise date
straddling the window, under the undated policy), else ``no_evidence``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext, UndatedPolicy, unique
from engine.criteria.dating import DateFallback, Place, Timing, latest_day, note_range, place
from engine.criteria.registry import ElementId, RuleParams, register
from engine.periods import DateExpr, Interval, Window, age_in_months, parse_date_expr
from engine.records import Evidence, Status

__all__ = [
    "FROM_NOTES_FLAG",
    "NEAR_MISS",
    "AgeParams",
    "EvidenceParams",
    "Selection",
    "describe_window",
    "match_evidence",
    "near_miss_findings",
    "notes_allowed",
    "select",
    "undated_finding",
    "value_strings",
]

NEAR_MISS = {"declined": GapReason.DECLINED, "ordered": GapReason.ONLY_ORDERED,
             "planned": GapReason.ONLY_ORDERED}
FROM_NOTES_FLAG = "denominator_from_notes"


def value_strings(value: Any) -> list[str]:
    """Lower-cased text forms of an evidence value (lists and mappings are flattened)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [s for v in value for s in value_strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in value_strings(v)]
    text = str(value).strip().lower()
    return [text] if text else []


def notes_allowed(ctx: PatientContext, from_notes: str) -> bool:
    """May note evidence count here? Not for a HEDIS denominator run ``structured_only``."""
    return from_notes != "flag" or ctx.options.hedis_denominators != "structured_only"


def undated_finding(ev: Evidence, where: Place, policy: str, findings: list[Finding], flags: list[str]) -> bool:
    """Apply the undated policy to an undated or uncertain item; True when it counts."""
    if policy == "count":
        return True
    if policy == "review":
        findings.append(Finding(GapReason.UNDATED_EVIDENCE, ev.evidence_id))
        flags.append(f"{'undated' if where == Place.UNDATED else 'imprecise_date'}:{ev.evidence_id}")
    return False


def near_miss_findings(ctx: PatientContext, elements: Iterable[str], window: Interval,
                       statuses: Sequence[str] = tuple(NEAR_MISS)) -> list[Finding]:
    """Declined, ordered or planned mentions from the window's start through the later of its
    end and the MP's end (or undated, dated by their note): they explain an open gap."""
    return _near_misses(ctx, [ev for ev in ctx.items(elements) if ev.status in statuses], window)


def _near_misses(ctx: PatientContext, items: Sequence[Evidence], window: Interval) -> list[Finding]:
    if not items:
        return []
    end = ctx.period.end if window.end is None else max(window.end, ctx.period.end)
    near = Interval(window.start, end)
    found = []
    for ev in items:
        days = (ev.event_date, ev.event_date) if ev.origin == "structured" else note_range(ev, "note_date")
        if days is None or Interval(days[0], days[1]).overlaps(near):
            found.append(Finding(NEAR_MISS[ev.status], ev.evidence_id))
    return found


class EvidenceParams(RuleParams):
    elements: list[ElementId] = Field(min_length=1)
    window: Window | None = None  # None: at any time
    timing: Timing = "overlaps"
    statuses: list[Status] | None = None  # None: the spec's count_statuses (default affirmed)
    undated: UndatedPolicy | None = None  # None: the spec's undated policy
    # an undated note mention: "element" = dated on the note's date when the vocabulary says the
    # element is dated by the visit; "note_date" = always; "none" = never
    date_fallback: DateFallback = "element"
    value_in: list[str] | None = None  # only evidence whose value is one of these
    requires_value: bool = False  # structured evidence counts only with a result (a lab screen)
    min_age_on_event: int | None = None  # patient at least this old on the event date
    sources: list[str] = Field(default_factory=list)  # structured evidence only from these sources (prefix)
    exclude_sources: list[str] = Field(default_factory=list)
    # declined mentions of these related elements also explain a gap as `declined`, e.g.
    # "Tobacco: declines cessation counseling" read as a declined tobacco_use mention
    declined_from: list[ElementId] = Field(default_factory=list)
    # a HEDIS denominator event: "flag" = note evidence counts with the review flag
    # denominator_from_notes (none under the job option hedis_denominators: structured_only)
    from_notes: Literal["count", "flag"] = "count"

    @field_validator("value_in")
    @classmethod
    def _lower(cls, v: list[str] | None) -> list[str] | None:
        return [s.lower() for s in v] if v is not None else None


_TIMING_WORDS = {"starts": "starting", "ends": "ending", "during": "wholly", "overlaps": "",
                 "on_or_before": ""}


def describe_window(window: Window | None, timing: str = "overlaps") -> str:
    if timing == "on_or_before":
        return f"on or before {window.end}" if window is not None and window.end else "at any time"
    if window is None:
        return "at any time"
    words = _TIMING_WORDS.get(timing, "")
    return f"{words} {window.describe()}".strip()


def _describe_evidence(p: EvidenceParams) -> str:
    parts = [" or ".join(e.replace("_", " ") for e in p.elements)]
    if p.statuses and p.statuses != ["affirmed"]:
        parts.insert(0, "/".join(p.statuses))
    if p.requires_value:
        parts.append("with a result")
    parts.append(describe_window(p.window, p.timing))
    if p.value_in:
        parts.append(f"with value {' or '.join(p.value_in)}")
    if p.min_age_on_event is not None:
        parts.append(f"at age {p.min_age_on_event}+ on the test date")
    if p.sources:
        parts.append(f"(structured records from {', '.join(p.sources)})")
    if p.exclude_sources:
        parts.append(f"(not from {', '.join(p.exclude_sources)})")
    if p.date_fallback == "note_date":
        parts.append("(undated note mentions take the note date)")
    if p.declined_from:
        parts.append(f"(a declined {' or '.join(e.replace('_', ' ') for e in p.declined_from)} "
                     "mention counts as declined)")
    if p.from_notes == "flag":
        parts.append("(found only in notes: counted with the review flag denominator_from_notes, "
                     "or not at all when the job takes HEDIS denominators from structured data only)")
    if p.undated:
        parts.append(f"[undated: {p.undated}]")
    return " ".join(parts)


class Selection:
    """What :func:`select` found: the qualifying items, and why the others did not qualify."""

    __slots__ = ("findings", "flags", "hits")

    def __init__(self) -> None:
        self.hits: list[Evidence] = []
        self.findings: list[Finding] = []
        self.flags: list[str] = []


def _structured_ok(ev: Evidence, sources: Sequence[str], exclude: Sequence[str]) -> bool:
    if ev.origin != "structured":
        return True
    src = ev.source or ""
    if sources and not any(src.startswith(s) for s in sources):
        return False
    return not any(src.startswith(s) for s in exclude)


def select(ctx: PatientContext, p: EvidenceParams, window: Interval | None = None,
           include_notes: bool = True) -> Selection:
    """The items of ``p`` that qualify against ``window`` (default: the params' window)."""
    window = ctx.window(p.window) if window is None else window
    counted = set(p.statuses) if p.statuses is not None else ctx.count_statuses
    policy = p.undated or ctx.undated_policy
    out = Selection()
    near: list[Evidence] = []
    for ev in ctx.items(p.elements):
        if not include_notes and ev.origin != "structured":
            continue
        if not _structured_ok(ev, p.sources, p.exclude_sources):
            continue
        if ev.status not in counted:
            if ev.status in NEAR_MISS:
                near.append(ev)
            continue
        if p.value_in is not None and not set(value_strings(ev.value)) & set(p.value_in):
            continue
        if p.requires_value and ev.origin == "structured" and not value_strings(ev.value):
            out.findings.append(Finding(GapReason.ONLY_ORDERED, ev.evidence_id))  # done, no result yet
            continue
        where = place(ev, p.timing, window, p.date_fallback)
        if where in (Place.UNDATED, Place.UNCERTAIN):
            if undated_finding(ev, where, policy, out.findings, out.flags):
                out.hits.append(ev)
            continue
        if p.min_age_on_event is not None:
            day = latest_day(ev, p.date_fallback) or _last_possible_day(ev, p.date_fallback)
            if day is None or ctx.age_on(day) < p.min_age_on_event:
                continue
        if where == Place.IN:
            out.hits.append(ev)
        elif where == Place.BEFORE:
            out.findings.append(Finding(GapReason.EVIDENCE_TOO_OLD, ev.evidence_id))
    if not out.hits:
        out.findings.extend(_near_misses(ctx, near, window))
        if p.declined_from:
            out.findings.extend(near_miss_findings(ctx, p.declined_from, window, ("declined",)))
    return out


def _last_possible_day(ev: Evidence, fallback: DateFallback) -> date | None:
    found = note_range(ev, fallback) if ev.origin != "structured" else None
    return found[1] if found is not None else None


def match_evidence(ctx: PatientContext, p: EvidenceParams) -> CriterionResult:
    if p.from_notes == "flag":
        structured = select(ctx, p, include_notes=False)
        if structured.hits:
            return CriterionResult(True, unique([e.evidence_id for e in structured.hits]))
        if not notes_allowed(ctx, p.from_notes):
            return _unmet(structured)
        found = select(ctx, p)
        if found.hits:
            return CriterionResult(True, unique([e.evidence_id for e in found.hits]), (), (FROM_NOTES_FLAG,))
        return _unmet(found)
    found = select(ctx, p)
    if found.hits:
        return CriterionResult(True, unique([e.evidence_id for e in found.hits]))
    return _unmet(found)


def _unmet(found: Selection) -> CriterionResult:
    findings = found.findings or [Finding(GapReason.NO_EVIDENCE)]
    return CriterionResult(False, (), tuple(dict.fromkeys(findings)), unique(found.flags))


register("qm.evidence.v1", EvidenceParams, describe=_describe_evidence)(match_evidence)


class AgeParams(RuleParams):
    min: int | None = None
    max: int | None = None
    min_months: int | None = Field(None, ge=0)  # e.g. 6: "6 months and older"
    at: Literal["mp_start", "mp_end"] = "mp_end"
    # a date that overrides ``at``, e.g. "mp_start + 3m - 1d" or "episode_start" (the index
    # event). Not "on": YAML reads a bare on as true.
    as_of: DateExpr | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _parse_on(cls, value: object) -> DateExpr | None:
        if value is None or isinstance(value, DateExpr):
            return value
        return parse_date_expr(str(value))


def _describe_age(p: AgeParams) -> str:
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
    if p.as_of:
        return f"{band} on {p.as_of}"
    return f"{band} at {'the end' if p.at == 'mp_end' else 'the start'} of the measurement period"


@register("qm.age.v1", AgeParams, describe=_describe_age)
def age_in_band(ctx: PatientContext, p: AgeParams) -> CriterionResult:
    day = p.as_of.resolve(ctx.period, ctx.anchors) if p.as_of else ctx.anchor_date(p.at)
    age = ctx.age_on(day)
    met = (p.min is None or age >= p.min) and (p.max is None or age <= p.max)
    if met and p.min_months is not None:
        met = age_in_months(ctx.patient.birth_date, day) >= p.min_months
    return CriterionResult(met)
