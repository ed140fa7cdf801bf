"""Date expressions in note text: absolute ("03/2019", "March 2019", "3/14/19", "2019-03-14",
"in 2019") and relative ("5 years ago", "last year", "today"), resolved against the note date.

``find_dates(text)`` is pure (no spaCy); the ``qm_dates`` component stores its result on
``doc._.qm_dates`` and ``resolve(mention, note_date)`` turns a mention into (date, precision).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = ["DateMention", "find_dates", "resolve"]

Precision = Literal["year", "month", "day"]

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "several": None,
    "few": None,
    "couple": None,
}
_NUM = r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
_YEAR = r"(?:19[4-9]\d|20[0-4]\d)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "iso",
        re.compile(
            rf"(?<![\d/\-])(?P<y>{_YEAR})-(?P<m>0?[1-9]|1[0-2])-(?P<d>0?[1-9]|[12]\d|3[01])(?![\d\-])"
        ),
    ),
    (
        "mdy",
        re.compile(
            r"(?<![\d/\-.])(?P<m>0?[1-9]|1[0-2])[/\-](?P<d>0?[1-9]|[12]\d|3[01])[/\-](?P<y>(?:19|20)\d{2}|\d{2})(?![\d/])"
        ),
    ),
    (
        "month_day_year",
        re.compile(rf"\b(?P<mon>{_MONTH_RE})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})\b", re.I),
    ),
    (
        "day_month_year",
        re.compile(rf"\b(?P<d>[0-3]?\d)\s+(?P<mon>{_MONTH_RE})\s*,?\s+(?P<y>{_YEAR})\b", re.I),
    ),
    ("month_year", re.compile(rf"\b(?P<mon>{_MONTH_RE}),?\s+(?:of\s+)?(?P<y>{_YEAR})\b", re.I)),
    ("my4", re.compile(rf"(?<![\d/\-.])(?P<m>0?[1-9]|1[0-2])/(?P<y>{_YEAR})(?![\d/])")),
    # m/yy only after a date cue ("done on 10/99"), since "2/6 murmur" or "5/5 strength" are not dates
    (
        "my2",
        re.compile(
            r"(?:\b(?:on|in|since|dated|from|of)\s+)(?P<m>0?[1-9]|1[0-2])/(?P<y>\d{2})(?![\d/])", re.I
        ),
    ),
    (
        "relative_range",
        re.compile(
            rf"\b(?:(?:about|approximately|approx\.?|around|roughly|some)\s+)?"
            rf"(?P<n>{_NUM})\s*(?:to|-|–|or)\s*(?P<n2>{_NUM})\s+(?P<unit>day|week|month|year)s?\s+(?:ago|prior|back|earlier)\b",
            re.I,
        ),
    ),
    (
        "relative",
        re.compile(
            rf"\b(?:(?:about|approximately|approx\.?|around|roughly|over|almost|nearly|some)\s+)?"
            rf"(?P<n>{_NUM}|several|a\s+few|a\s+couple\s+of|couple\s+of)\s+(?P<unit>day|week|month|year)s?\s+(?:ago|prior|back|earlier)\b",
            re.I,
        ),
    ),
    ("last_unit", re.compile(r"\b(?:last|past|previous)\s+(?P<unit>week|month|year)\b", re.I)),
    ("this_year", re.compile(r"\b(?:this|earlier\s+this)\s+(?P<unit>year|month)\b", re.I)),
    ("today", re.compile(r"\b(?:today|this\s+morning|this\s+afternoon|this\s+visit|tonight)\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    (
        "in_month",
        re.compile(
            rf"\b(?:in|on|since|during|last)\s+(?P<mon>{_MONTH_RE})(?!\s*,?\s*(?:\d|of\s+\d))\b", re.I
        ),
    ),
    (
        "year",
        re.compile(
            rf"(?<![\d/\-.$#])(?P<y>{_YEAR})(?![\d/\-]|'?s\b|\s*(?:mg|mcg|ml|cc|units?|g\b|kg|lb|calories))",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class DateMention:
    """A date expression: character offsets plus what it says, before resolution."""

    start: int
    end: int
    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    rel_n: int | None = None  # "5 years ago": 5
    rel_unit: str | None = None  # day | week | month | year
    rel_n_max: int | None = None  # "6 to 12 months ago": 12 (rel_n is 6)

    @property
    def text_span(self) -> tuple[int, int]:
        return self.start, self.end


def _year(raw: str) -> int:
    y = int(raw)
    if y < 100:
        y += 2000 if y <= 40 else 1900
    return y


def _month(raw: str) -> int:
    return _MONTHS[raw.lower().rstrip(".")[:3]]


def _valid(y: int, m: int | None, d: int | None) -> bool:
    if m is None:
        return True
    if not 1 <= m <= 12:
        return False
    return d is None or 1 <= d <= calendar.monthrange(y, m)[1]


def find_dates(text: str) -> list[DateMention]:
    """All date expressions of ``text``, non-overlapping, earliest and longest first."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span()
            if kind == "my2":  # keep the cue word out of the span
                s = m.start("m")
            if not free(s, e):
                continue
            g = m.groupdict()
            mention: DateMention | None = None
            if kind in ("iso", "mdy"):
                y, mo, d = _year(g["y"]), int(g["m"]), int(g["d"])
                if _valid(y, mo, d):
                    mention = DateMention(s, e, kind, y, mo, d)
            elif kind in ("month_day_year", "day_month_year"):
                y, mo, d = int(g["y"]), _month(g["mon"]), int(g["d"])
                if _valid(y, mo, d):
                    mention = DateMention(s, e, kind, y, mo, d)
            elif kind in ("month_year", "my4", "my2"):
                mo = _month(g["mon"]) if g.get("mon") else int(g["m"])
                mention = DateMention(s, e, kind, _year(g["y"]), mo)
            elif kind == "relative":
                n_raw = re.sub(r"\s+", " ", g["n"].lower())
                n = int(n_raw) if n_raw.isdigit() else _NUMBER_WORDS.get(n_raw)  # "a few": no date
                mention = DateMention(s, e, kind, rel_n=n, rel_unit=g["unit"].lower())
            elif kind == "relative_range":
                lo, hi = (_count(g["n"]), _count(g["n2"]))
                if lo is not None and hi is not None and lo < hi:
                    mention = DateMention(s, e, kind, rel_n=lo, rel_unit=g["unit"].lower(), rel_n_max=hi)
            elif kind == "last_unit":
                mention = DateMention(s, e, kind, rel_n=1, rel_unit=g["unit"].lower())
            elif kind == "this_year":
                mention = DateMention(s, e, kind, rel_n=0, rel_unit=g["unit"].lower())
            elif kind == "today":
                mention = DateMention(s, e, kind, rel_n=0, rel_unit="day")
            elif kind == "yesterday":
                mention = DateMention(s, e, kind, rel_n=1, rel_unit="day")
            elif kind == "in_month":
                s = m.start("mon")
                if g["mon"].lower().startswith("may") and not re.match(r"\s*(?:,|\.|$)", text[e : e + 2]):
                    continue  # "in may be" is a verb
                mention = DateMention(s, e, kind, month=_month(g["mon"]))
            elif kind == "year":
                mention = DateMention(s, e, kind, int(g["y"]))
            if mention is not None:
                found.append(mention)
                taken.append((mention.start, mention.end))
    return sorted(found, key=lambda d: (d.start, d.end))


def _count(raw: str) -> int | None:
    raw = raw.lower()
    return int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)


def _back(note_date: date, n: int, unit: str) -> tuple[date, Precision]:
    """``note_date`` minus n units, at the unit's precision."""
    if unit == "day":
        return note_date - timedelta(days=n), "day"
    if unit == "week":
        return note_date - timedelta(weeks=n), "day"
    if unit == "month":
        total = note_date.year * 12 + (note_date.month - 1) - n
        return date(total // 12, total % 12 + 1, 1), "month"
    return date(note_date.year - n, 1, 1), "year"


def resolve(mention: DateMention, note_date: date | None) -> tuple[date, Precision] | None:
    """The calendar date and precision of a mention; relative ones need ``note_date``."""
    if mention.year is not None:
        if mention.day is not None and mention.month is not None:
            return date(mention.year, mention.month, mention.day), "day"
        if mention.month is not None:
            return date(mention.year, mention.month, 1), "month"
        return date(mention.year, 1, 1), "year"
    if note_date is None:
        return None
    if mention.kind == "in_month" and mention.month is not None:
        year = note_date.year if mention.month <= note_date.month else note_date.year - 1
        return date(year, mention.month, 1), "month"
    if mention.rel_unit is None or mention.rel_n is None:
        return None
    n, unit = mention.rel_n, mention.rel_unit
    if mention.rel_n_max is not None:
        # a range ("6 to 12 months ago") is as precise as its two ends agree: the month when both fall in
        # it, else the year of its middle
        late, _ = _back(note_date, n, unit)
        early, _ = _back(note_date, mention.rel_n_max, unit)
        if (late.year, late.month) == (early.year, early.month):
            return date(late.year, late.month, 1), "month"
        middle = early + (late - early) / 2
        return date(middle.year, 1, 1), "year"
    return _back(note_date, n, unit)
