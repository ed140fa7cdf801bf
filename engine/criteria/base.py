"""What every criteria function gets and returns: the patient context and the result.

A criteria function is ``fn(ctx: PatientContext, params) -> CriterionResult``: pure, no I/O.

Dates of evidence (:func:`evidence_interval`):

* structured events are intervals ``event_date..end_date``; an empty ``end_date`` is an
  ongoing condition or medication (open-ended), per shared/docs/structured-input.md;
* note evidence is dated by ``event_date`` at its ``date_precision``: a year-precision date
  covers the whole year and a month-precision date the whole month. HEDIS medical-record
  rule "a year alone suffices": such evidence satisfies a window when *any* day of that
  year (month) lies inside the window, and it is "too old" only when the whole year (month)
  lies before the window;
* note evidence without ``event_date`` is *undated*; a criterion may choose
  ``date_fallback: note_date`` (a state documented in a note holds on the note's date:
  hospice enrollment, tobacco status, "medications reconciled") and otherwise the undated
  policy decides (``count``, ``ignore`` or ``review``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Literal

from engine.periods import Interval, MeasurementPeriod, age_in_months, age_in_years
from engine.records import Encounter, Evidence, Patient

__all__ = [
    "AgeAnchor",
    "CriterionResult",
    "DateFallback",
    "Finding",
    "GapReason",
    "PatientContext",
    "Timing",
    "UndatedPolicy",
    "evidence_interval",
    "start_range",
]

UndatedPolicy = Literal["count", "ignore", "review"]
DateFallback = Literal["none", "note_date"]
Timing = Literal["overlaps", "starts"]
AgeAnchor = Literal["mp_start", "mp_end"]


class GapReason(str, Enum):
    """Why a care gap is open (display text and clinic action live in engine.gaps)."""

    NOT_CONTROLLED = "not_controlled"
    UNDATED_EVIDENCE = "undated_evidence"
    DECLINED = "declined"
    ONLY_ORDERED = "only_ordered"
    EVIDENCE_TOO_OLD = "evidence_too_old"
    NO_EVIDENCE = "no_evidence"


@dataclass(frozen=True)
class Finding:
    """A reason a criterion was not satisfied (or, for inverse measures, why it was)."""

    reason: GapReason
    evidence_id: str | None = None


@dataclass(frozen=True)
class CriterionResult:
    met: bool
    evidence_ids: tuple[str, ...] = ()  # evidence that decided the result
    findings: tuple[Finding, ...] = ()  # gap reasons with the evidence behind them
    flags: tuple[str, ...] = ()  # review flags, e.g. "undated:<evidence_id>"


@dataclass(frozen=True)
class PatientContext:
    """One patient's data for one measure evaluation (built once per patient)."""

    patient: Patient
    period: MeasurementPeriod
    evidence_by_element: Mapping[str, tuple[Evidence, ...]]
    encounters: tuple[Encounter, ...] = ()
    undated_policy: UndatedPolicy = "review"
    count_statuses: frozenset[str] = field(default_factory=lambda: frozenset({"affirmed"}))

    def items(self, elements: Iterable[str]) -> list[Evidence]:
        out: list[Evidence] = []
        for element in elements:
            out.extend(self.evidence_by_element.get(element, ()))
        return sorted(out, key=lambda e: e.evidence_id)

    def anchor_date(self, anchor: AgeAnchor) -> date:
        return self.period.start if anchor == "mp_start" else self.period.end

    def age(self, anchor: AgeAnchor = "mp_end") -> int:
        return age_in_years(self.patient.birth_date, self.anchor_date(anchor))

    def age_months(self, anchor: AgeAnchor = "mp_end") -> int:
        return age_in_months(self.patient.birth_date, self.anchor_date(anchor))

    def age_on(self, day: date) -> int:
        return age_in_years(self.patient.birth_date, day)

    def with_overrides(self, *, undated_policy: UndatedPolicy | None = None) -> PatientContext:
        if undated_policy is None or undated_policy == self.undated_policy:
            return self
        return PatientContext(self.patient, self.period, self.evidence_by_element, self.encounters,
                              undated_policy, self.count_statuses)


def _precision_range(day: date, precision: str | None) -> tuple[date, date]:
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == "month":
        return date(day.year, day.month, 1), date(day.year, day.month,
                                                  calendar.monthrange(day.year, day.month)[1])
    return day, day


def evidence_interval(ev: Evidence, date_fallback: DateFallback = "none") -> Interval | None:
    """The days the evidence covers, or None when undated (see module docstring)."""
    if ev.event_date is None:
        if date_fallback == "note_date" and ev.note_date is not None:
            return Interval(ev.note_date, ev.note_date)
        return None
    if ev.origin == "structured":
        return Interval(ev.event_date, ev.end_date)
    lo, hi = _precision_range(ev.event_date, ev.date_precision)
    if ev.end_date is not None and ev.end_date > hi:
        hi = ev.end_date
    return Interval(lo, hi)


def start_range(ev: Evidence, date_fallback: DateFallback = "none") -> Interval | None:
    """The days on which the evidence may have *started* (its date at its precision)."""
    if ev.event_date is None:
        if date_fallback == "note_date" and ev.note_date is not None:
            return Interval(ev.note_date, ev.note_date)
        return None
    if ev.origin == "structured":
        return Interval(ev.event_date, ev.event_date)
    lo, hi = _precision_range(ev.event_date, ev.date_precision)
    return Interval(lo, hi)


def sort_key_latest(ev: Evidence, interval: Interval) -> tuple[date, str]:
    return (interval.start or date.min, ev.evidence_id)


def unique(ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
