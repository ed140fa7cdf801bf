"""Measurement periods, date expressions relative to them, and windows.

A spec writes dates relative to the measurement period (MP) as short expressions an analyst
can read::

    mp_start                 first day of the MP (2026-01-01 for calendar 2026)
    mp_end                   last day of the MP (2026-12-31)
    mp_start - 9y            colonoscopy lookback: "in the MP or the 9 years before"
    mp_start - 2y + 9m       October 1 two years before the MP (mammogram, 27 months)
    mp_start + 6m - 1d       June 30 of the MP (hypertension diagnosed in the first 6 months)
    episode_end + 30d        30 days after the episode's end (TRC: the discharge date + 30 days)
    episode_start + 10m      10 months after an index event (CMS159: the PHQ-9 over 9)
    birth_date + 50y         the patient's 50th birthday (AIS-E zoster: doses on or after it)

Anchors: ``mp_start``, ``mp_end``; ``episode_start``, ``episode_end`` (only in measures that
define an ``episode``); ``birth_date``. Units: ``y`` years, ``m`` months, ``d`` days. A
:class:`Window` has a ``from`` and a ``to`` expression, either of which may be null
(unbounded), and both ends are inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "PATIENT_ANCHORS",
    "DateExpr",
    "Interval",
    "MeasurementPeriod",
    "Window",
    "age_in_months",
    "age_in_years",
    "parse_date_expr",
]

_ANCHORS = ("mp_start", "mp_end", "episode_start", "episode_end", "birth_date")
PATIENT_ANCHORS = ("episode_start", "episode_end", "birth_date")  # resolved per patient / episode
_TERM = re.compile(r"\s*([+-])\s*(\d+)\s*(y|m|d)\s*")


@dataclass(frozen=True)
class MeasurementPeriod:
    """The measurement period: both ends inclusive. Default for jobs: calendar 2026."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"MeasurementPeriod end {self.end.isoformat()} is before its start "
                f"{self.start.isoformat()}; give start <= end."
            )

    @classmethod
    def calendar_year(cls, year: int) -> MeasurementPeriod:
        return cls(date(year, 1, 1), date(year, 12, 31))

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class DateExpr:
    """A date relative to the measurement period (or an episode, or the birth date)."""

    anchor: str
    offsets: tuple[tuple[int, str], ...] = ()
    text: str = ""

    per_patient: bool = False  # an episode or birth-date anchor: resolved per patient

    def resolve(self, period: MeasurementPeriod, anchors: Mapping[str, date] | None = None) -> date:
        """The date for ``period``; ``anchors`` gives episode_start/episode_end/birth_date."""
        if not self.per_patient:
            return _resolve(self.anchor == "mp_start", self.offsets, period)
        found = (anchors or {}).get(self.anchor)
        if found is None:
            raise ValueError(f"date expression '{self.text}' needs '{self.anchor}', which is not known here "
                             "(episode anchors need a measure with an 'episode')")
        return _shift(found, self.offsets)

    def __str__(self) -> str:
        return self.text

    def words(self) -> str:
        """The date in plain words (MP dates as for a calendar-year MP), e.g. "June 30 of the MP",
        "October 1, 2 years before the MP", "30 days after the episode end", "the 50th birthday"."""
        if not self.per_patient:
            ref = MeasurementPeriod.calendar_year(2000)
            day = self.resolve(ref)
            if day == ref.start:
                return "the start of the MP"
            if day == ref.end:
                return "the end of the MP"
            when = f"{day:%B} {day.day}"
            years = day.year - 2000
            if years == 0:
                return f"{when} of the MP"
            if years == -1:
                return f"{when} of the year before the MP"
            if years < 0:
                return f"{when}, {-years} years before the MP"
            return f"{when}, {years} year{'s' if years > 1 else ''} after the MP"
        if self.anchor == "birth_date" and len(self.offsets) == 1 and self.offsets[0][1] == "y":
            n = self.offsets[0][0]
            suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
            return f"the {n}{suffix} birthday"
        anchor = {"episode_start": "the episode start", "episode_end": "the episode end",
                  "birth_date": "birth"}[self.anchor]
        if not self.offsets:
            return anchor
        units = {"y": "year", "m": "month", "d": "day"}
        if len({n > 0 for n, _ in self.offsets}) > 1:
            return self.text  # mixed directions: the expression itself reads best
        amount = " and ".join(f"{abs(n)} {units[u]}{'s' if abs(n) != 1 else ''}" for n, u in self.offsets)
        return f"{amount} {'after' if self.offsets[0][0] > 0 else 'before'} {anchor}"


@lru_cache(maxsize=4096)
def _resolve(from_start: bool, offsets: tuple[tuple[int, str], ...], period: MeasurementPeriod) -> date:
    """Cached: specs reuse a handful of expressions relative to the MP for every patient."""
    return _shift(period.start if from_start else period.end, offsets)


@lru_cache(maxsize=65536)
def _shift(base: date, offsets: tuple[tuple[int, str], ...]) -> date:
    """Cached: specs reuse a handful of expressions for every patient."""
    for amount, unit in offsets:
        if unit == "y":
            base = base + relativedelta(years=amount)
        elif unit == "m":
            base = base + relativedelta(months=amount)
        else:
            base = base + timedelta(days=amount)
    return base


def parse_date_expr(text: str) -> DateExpr:
    """Parse ``mp_start - 9y`` style expressions; ValueError says what is accepted."""
    raw = str(text).strip()
    anchor = next((a for a in _ANCHORS if raw.startswith(a)), None)
    if anchor is None:
        raise ValueError(
            f"date expression '{raw}' must start with one of {', '.join(_ANCHORS)} "
            "(e.g. 'mp_start - 9y', 'mp_end', 'mp_start - 2y + 9m')"
        )
    rest = raw[len(anchor):]
    offsets: list[tuple[int, str]] = []
    pos = 0
    while pos < len(rest):
        m = _TERM.match(rest, pos)
        if not m or m.end() == pos:
            raise ValueError(
                f"date expression '{raw}': cannot read '{rest[pos:].strip()}'; offsets are "
                "'+ N' or '- N' followed by y (years), m (months) or d (days)"
            )
        sign = -1 if m.group(1) == "-" else 1
        offsets.append((sign * int(m.group(2)), m.group(3)))
        pos = m.end()
    return DateExpr(anchor, tuple(offsets), raw, anchor in PATIENT_ANCHORS)


class Window(BaseModel):
    """A date window relative to the MP; ``from``/``to`` null means unbounded on that side."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              arbitrary_types_allowed=True)

    start: DateExpr | None = Field(default=None, alias="from")
    end: DateExpr | None = Field(default=None, alias="to")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, value: object) -> DateExpr | None:
        if value is None or isinstance(value, DateExpr):
            return value
        return parse_date_expr(str(value))

    def resolve(self, period: MeasurementPeriod, anchors: Mapping[str, date] | None = None) -> Interval:
        return Interval(
            self.start.resolve(period, anchors) if self.start else None,
            self.end.resolve(period, anchors) if self.end else None,
        )

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset(e.anchor for e in (self.start, self.end) if e is not None)

    @property
    def per_patient(self) -> bool:
        """True when an end is relative to the patient (birth date) or an episode."""
        return bool((self.start is not None and self.start.per_patient)
                    or (self.end is not None and self.end.per_patient))

    def describe(self) -> str:
        """Plain words, e.g. "from January 1, 9 years before the MP, through the end of the MP"."""
        if self.start and self.end:
            if str(self.start) == "mp_start" and str(self.end) == "mp_end":
                return "during the measurement period"
            return f"from {self.start.words()} through {self.end.words()}"
        if self.end:
            return f"on or before {self.end.words()}"
        if self.start:
            return f"on or after {self.start.words()}"
        return "at any time"


@dataclass(frozen=True)
class Interval:
    """Closed date interval; ``None`` on a side means open (unbounded)."""

    start: date | None
    end: date | None

    def overlaps(self, other: Interval) -> bool:
        if self.start is not None and other.end is not None and self.start > other.end:
            return False
        if self.end is not None and other.start is not None and self.end < other.start:
            return False
        return True

    def contains(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def ends_before(self, other: Interval) -> bool:
        """True when this interval lies wholly before ``other`` starts."""
        return other.start is not None and self.end is not None and self.end < other.start


def age_in_years(birth_date: date, on: date) -> int:
    """Completed years (CQL ``AgeInYearsAt``): a Feb 29 birthday is reached on Mar 1 in other years."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def age_in_months(birth_date: date, on: date) -> int:
    """Completed months (CQL ``AgeInMonthsAt``)."""
    return (on.year - birth_date.year) * 12 + on.month - birth_date.month - (on.day < birth_date.day)
