"""Where an evidence item lies in time: the one rule set every criteria function uses.

Structured events (shared/docs/structured-input.md) are intervals ``event_date..end_date``; an
empty ``end_date`` is ongoing (a condition still active), except a medication order with no
supply length, which has no medication period at all (CQL ``medicationRequestPeriod()`` is
null) and so overlaps nothing.

Note evidence is one event dated by ``event_date`` at its ``date_precision``: a day, or a whole
month or year the event lies somewhere in. A note that gives no date leaves it undated, unless
the element holds on the visit's date (``dated_by_visit`` in measures/elements.yaml, or a
criterion's ``date_fallback: note_date``): then it is dated on the note's date.

Timings (a criterion's ``timing`` against its window):

========== =============================================================================
overlaps   the interval shares a day with the window (a note event: its day is in it)
starts     the start day is in the window
ends       the last day (CQL ``effective.latest()``) is in the window
during     the whole interval lies in the window (CQL ``during``; an ongoing condition never)
on_or_before  a condition's start, or a procedure's end, is on or before the window's ``to``
========== =============================================================================

A note event dated only to a month or a year is *in* the window when every day of that month
or year is, *before* or *after* it when none is, and *uncertain* when it straddles a window
edge (a mammogram "2024" for a window starting October 1, 2024): uncertain evidence is treated
like undated evidence, under the measure's undated policy (``imprecise_date:<id>`` flag).
"""

from __future__ import annotations

import calendar
from datetime import date
from enum import Enum
from typing import Literal

from engine.elements import load_vocabulary
from engine.periods import Interval
from engine.records import Evidence

__all__ = [
    "DateFallback",
    "Place",
    "Timing",
    "day_of",
    "falls_back_to_note_date",
    "is_condition",
    "latest_day",
    "note_range",
    "place",
    "start_day",
]

DateFallback = Literal["element", "note_date", "none"]
Timing = Literal["overlaps", "starts", "ends", "during", "on_or_before"]

CONDITION_SOURCE = "fhir:Condition"
MEDICATION_SOURCE = "fhir:MedicationRequest"


class Place(str, Enum):
    """Where an item lies against a window for a timing."""

    IN = "in"
    BEFORE = "before"  # wholly before the window starts (too old)
    AFTER = "after"  # after the window, or a structured interval that does not qualify
    UNCERTAIN = "uncertain"  # an imprecise note date straddling a window edge
    UNDATED = "undated"  # no date (and the element is not dated by the visit)
    NO_PERIOD = "no_period"  # a structured medication order without a supply period


def falls_back_to_note_date(ev: Evidence, fallback: DateFallback) -> bool:
    if fallback == "note_date":
        return True
    if fallback == "element":
        return load_vocabulary().dated_by_visit(ev.element)
    return False


def is_condition(ev: Evidence) -> bool:
    """A condition (problem list / encounter diagnosis) is dated by its onset."""
    return (ev.source or "").startswith(CONDITION_SOURCE)


def _precision_range(day: date, precision: str | None) -> tuple[date, date]:
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == "month":
        return date(day.year, day.month, 1), date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day, day


def note_range(ev: Evidence, fallback: DateFallback = "element") -> tuple[date, date] | None:
    """The days a note event may lie on (one day, a month or a year), or None when undated."""
    if ev.event_date is None:
        if ev.note_date is not None and falls_back_to_note_date(ev, fallback):
            return ev.note_date, ev.note_date
        return None
    return _precision_range(ev.event_date, ev.date_precision)


def latest_day(ev: Evidence, fallback: DateFallback = "element") -> date | None:
    """The day a result counts on: a structured interval's last day (CQL ``latest()``); a note
    event's day. None when undated or dated only to a month or year."""
    if ev.origin == "structured":
        return ev.end_date or ev.event_date
    found = note_range(ev, fallback)
    return found[0] if found is not None and found[0] == found[1] else None


def start_day(ev: Evidence, fallback: DateFallback = "element") -> date | None:
    """The day an item starts (a note event at month/year precision: its first possible day)."""
    if ev.origin == "structured":
        return ev.event_date
    found = note_range(ev, fallback)
    return found[0] if found is not None else None


def day_of(ev: Evidence, fallback: DateFallback = "element") -> date | None:
    """A precise single day for a note event, the start day for a structured one."""
    if ev.origin == "structured":
        return ev.event_date
    found = note_range(ev, fallback)
    return found[0] if found is not None and found[0] == found[1] else None


def _day_against(day: date, window: Interval) -> Place:
    if window.start is not None and day < window.start:
        return Place.BEFORE
    if window.end is not None and day > window.end:
        return Place.AFTER
    return Place.IN


def _range_against(lo: date, hi: date, window: Interval) -> Place:
    if lo == hi:
        return _day_against(lo, window)
    if window.start is not None and hi < window.start:
        return Place.BEFORE
    if window.end is not None and lo > window.end:
        return Place.AFTER
    if (window.start is None or lo >= window.start) and (window.end is None or hi <= window.end):
        return Place.IN
    return Place.UNCERTAIN


def _structured(ev: Evidence, timing: Timing, window: Interval) -> Place:
    start = ev.event_date
    if timing == "starts":
        return _day_against(start, window)
    if timing == "ends":
        return _day_against(ev.end_date or start, window)
    if timing == "on_or_before":
        day = start if is_condition(ev) else (ev.end_date or start)
        return Place.IN if window.end is None or day <= window.end else Place.AFTER
    if timing == "during":
        end = ev.end_date if ev.end_date is not None else (None if is_condition(ev) else start)
        if end is None:
            return Place.AFTER  # an ongoing condition is never wholly inside a window
        if window.start is not None and end < window.start:
            return Place.BEFORE
        inside = (window.start is None or start >= window.start) and (window.end is None or end <= window.end)
        return Place.IN if inside else Place.AFTER
    # overlaps
    if ev.end_date is None and (ev.source or "").startswith(MEDICATION_SOURCE):
        return Place.NO_PERIOD
    if Interval(start, ev.end_date).overlaps(window):
        return Place.IN
    if ev.end_date is not None and window.start is not None and ev.end_date < window.start:
        return Place.BEFORE
    return Place.AFTER


def place(ev: Evidence, timing: Timing, window: Interval, fallback: DateFallback = "element") -> Place:
    """Where ``ev`` lies against ``window`` for ``timing`` (see the module docstring)."""
    if ev.origin == "structured":
        if ev.event_date is None:
            return Place.UNDATED
        return _structured(ev, timing, window)
    found = note_range(ev, fallback)
    if found is None:
        return Place.UNDATED
    lo, hi = found
    if timing == "on_or_before":
        if window.end is None or hi <= window.end:
            return Place.IN
        return Place.AFTER if lo > window.end else Place.UNCERTAIN
    return _range_against(lo, hi, window)
