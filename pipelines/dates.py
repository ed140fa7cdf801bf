"""Date expressions in note text: absolute ("03/2019", "March 2019", "3/14/19", "14.03.2025",
"2019-03-14", "25-Mar-2025", "Mar-25", "in 2019", "'19", "spring 2024") and relative ("5 years ago",
"2 yrs ago", "6/12 ago" = six months, "3/52 ago" = three weeks, "last yr", "in the spring", "today"),
resolved against the note date.

Numeric day-month dates follow ``date_order``: "mdy" (the default: 03/04/25 is March 4, 2025) or
"dmy" (4 March 2025). A date that is impossible in that order but valid in the other
("14/03/25" with "mdy") is read in the other order.

``find_dates(text, date_order)`` is pure (no spaCy); the ``qm_dates`` component stores its result
on ``doc._.qm_dates`` and ``resolve(mention, note_date)`` turns a mention into (date, precision).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

__all__ = ["ADJACENT_ONLY_KINDS", "DATE_ORDERS", "DateMention", "find_dates", "resolve"]

# dates that count only right after the mention they date (pipelines.mention_dates checks that)
ADJACENT_ONLY_KINDS = frozenset({"my2_bare", "day_month"})

DATE_ORDERS: tuple[str, ...] = ("mdy", "dmy")

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
# units as written in full or abbreviated ("2 yrs", "6 mths", "3 wks", "2y", "6mo")
_UNIT = (
    r"(?P<unit>years?|yrs?|y|months?|mos?|mths?|mnths?|m|weeks?|wks?|w|days?|dys?|d)"
)
_UNITS = {"y": "year", "m": "month", "w": "week", "d": "day"}
# fractions of the UK shorthand "6/12" (months), "3/52" (weeks), "2/7" (days)
_FRACTION_UNITS = {"12": "month", "52": "week", "7": "day"}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_NUM = r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
_YEAR = r"(?:19[4-9]\d|20[0-4]\d)"
_AGO = r"(?:ago|prior|back|earlier|previously)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "iso",
        re.compile(
            rf"(?<![\d/\-])(?P<y>{_YEAR})-(?P<m>0?[1-9]|1[0-2])-(?P<d>0?[1-9]|[12]\d|3[01])(?![\d\-])"
        ),
    ),
    (
        # day and month in the job's / note's order; the separator is the same twice
        "numeric",
        re.compile(
            r"(?<![\d/\-.])(?P<a>[0-3]?\d)(?P<sep>[/\-.])(?P<b>[0-3]?\d)(?P=sep)(?P<y>(?:19|20)\d{2}|\d{2})"
            r"(?![\d/]|\.\d)"
        ),
    ),
    (
        "day_mon_year",
        re.compile(rf"\b(?P<d>[0-3]?\d)[\-/](?P<mon>{_MONTH_RE})[\-/](?P<y>{_YEAR}|\d{{2}})\b", re.I),
    ),
    ("iso_month", re.compile(rf"(?<![\d/\-.])(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])(?![\d\-])")),
    (
        "month_day_year",
        re.compile(rf"\b(?P<mon>{_MONTH_RE})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})\b", re.I),
    ),
    (
        "day_month_year",
        re.compile(rf"\b(?P<d>[0-3]?\d)\s+(?P<mon>{_MONTH_RE})\s*,?\s+(?P<y>{_YEAR})\b", re.I),
    ),
    ("month_year", re.compile(rf"\b(?P<mon>{_MONTH_RE}),?\s+(?:of\s+)?(?P<y>{_YEAR})\b", re.I)),
    # "Mar-25", "Mar/2025", "March '25": a month and a short year joined by - / or an apostrophe
    (
        "month_year",
        re.compile(rf"\b(?P<mon>{_MONTH_RE})(?:[\-/]|\s*')(?P<y>{_YEAR}|\d{{2}})(?![\d/\-])", re.I),
    ),
    (
        "season",
        re.compile(
            rf"\b(?:(?P<rel>last|this|past|previous)\s+|(?:in|during|over)\s+(?:the\s+)?)?"
            rf"(?P<season>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?(?P<y>{_YEAR}))?\b",
            re.I,
        ),
    ),
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
            rf"(?P<n>{_NUM})\s*(?:to|-|–|or)\s*(?P<n2>(?:{_NUM})(?=\s)|\d{{1,2}})\s*{_UNIT}\.?\s+{_AGO}\b",
            re.I,
        ),
    ),
    # "6/12 ago" (six months), "3/52 ago" (three weeks), "2/7 ago" (two days)
    (
        "relative_fraction",
        re.compile(
            rf"(?<![\d/.])(?:(?:about|approximately|approx\.?|around|roughly|some)\s+)?"
            rf"(?P<n>\d{{1,2}})/(?P<den>12|52|7)\s+{_AGO}\b",
            re.I,
        ),
    ),
    (
        "relative",
        re.compile(
            rf"\b(?:(?:about|approximately|approx\.?|around|roughly|over|almost|nearly|some)\s+)?"
            rf"(?P<n>(?:{_NUM}|several|a\s+few|a\s+couple\s+of|couple\s+of)(?=\s)|\d{{1,2}})\s*{_UNIT}\.?\s+{_AGO}\b",
            re.I,
        ),
    ),
    (
        "last_unit",
        re.compile(
            r"\b(?:last|past|previous|prev)\s+(?P<unit>week|wk|month|mth|mo|year|yr)\b", re.I
        ),
    ),
    ("this_year", re.compile(r"\b(?:this|earlier\s+this)\s+(?P<unit>year|yr|month|mth)\b", re.I)),
    ("today", re.compile(r"\b(?:today|this\s+morning|this\s+afternoon|this\s+visit|tonight)\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    (
        "in_month",
        re.compile(
            rf"\b(?:in|on|since|during|last)\s+(?P<mon>{_MONTH_RE})(?!\s*,?\s*(?:\d|of\s+\d))\b", re.I
        ),
    ),
    # "'19", "(quit '98)": an apostrophe and two digits (not feet and inches: 5'10")
    ("short_year", re.compile(r"(?<![\w'])'(?P<y>\d{2})(?![\d'\"%])")),
    (
        "year",
        re.compile(
            rf"(?<![\d/\-.$#])(?P<y>{_YEAR})(?![\d/\-]|'?s\b|\s*(?:mg|mcg|ml|cc|units?|g\b|kg|lb|calories))",
            re.I,
        ),
    ),
    # a day and month without a year in a day-first note ("flu vax given 14/04", "was 19 on 21/5"): the note's
    # year, or the year before when that day is still to come; only right after what it dates, like my2_bare
    # (find_dates keeps it for "dmy" only, and not for the shorthand fractions "3/12" months, "2/7" days)
    (
        "day_month",
        re.compile(r"(?<![\d/\-.])(?P<a>[0-3]?\d)/(?P<b>[01]?\d)(?![\d/%]|\s*(?:mg|mcg|ml|units?)\b)", re.I),
    ),
    # a bare m/yy ("flu 10/25", "8.6% 04/25") is a date only right after what it dates (pipelines.mention_dates
    # checks that): "2/6 murmur" and "5/5 strength" are not dates
    (
        "my2_bare",
        re.compile(r"(?<![\d/\-.])(?P<m>0?[1-9]|1[0-2])/(?P<y>\d{2})(?![\d/%]|\s*(?:mg|mcg|ml|units?)\b)", re.I),
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
    # a numeric date valid in both orders ("04/03/25"): the month of the other reading (its day is ``month``)
    alt_month: int | None = None

    def other_reading(self) -> DateMention | None:
        """The same numeric date read in the other day/month order, when that is a date too."""
        if self.alt_month is None or self.day is None:
            return None
        return replace(self, month=self.alt_month, day=self.month, alt_month=self.day)

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


def _unit(raw: str) -> str:
    """"yrs" -> "year", "mths" -> "month", "wk" -> "week", "d" -> "day"."""
    raw = raw.lower()
    return "month" if raw.startswith(("mo", "mt", "mn")) else _UNITS[raw[0]]


def _day_month(a: int, b: int, y: int, date_order: str) -> tuple[int, int] | None:
    """(month, day) of a numeric date in ``date_order``, or in the other order when only that
    one is a real date ("14/03/25" read month-first)."""
    first, second = ((a, b), (b, a)) if date_order == "mdy" else ((b, a), (a, b))
    for month, day in (first, second):
        if _valid(y, month, day):
            return month, day
    return None


# a date a document carries ("letter dated 03/06/2026", "filed to chart 01/09/26", "dictated 12/05/2026"): it
# dates the letter, not a test or procedure the letter reports
_DOCUMENT_DATE_BEFORE = re.compile(
    r"(?:\b(?:letter|correspondence|fax|referral)\s+(?:dated|written|sent|received|rec'?d|faxed)"
    r"|\b(?:filed|scanned|faxed|typed|dictated|transcribed)(?:\s+(?:to|in|into)\s+(?:the\s+)?"
    r"(?:chart|record|notes|file))?)\s*(?:on\s+|:\s*)?$",
    re.I,
)


def find_dates(text: str, date_order: str = "mdy") -> list[DateMention]:
    """All date expressions of ``text``, non-overlapping, earliest and longest first.
    ``date_order`` ("mdy" or "dmy") is how numeric day-month dates are written."""
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order is {date_order!r}; choose one of {DATE_ORDERS}.")
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
            if kind == "iso":
                y, mo, d = _year(g["y"]), int(g["m"]), int(g["d"])
                if _valid(y, mo, d):
                    mention = DateMention(s, e, kind, y, mo, d)
            elif kind == "numeric":
                y = _year(g["y"])
                if g["sep"] == "." and len(g["y"]) == 2 and not re.match(r"\d\d?\.\d\d?\.\d\d$", m.group()):
                    continue
                md = _day_month(int(g["a"]), int(g["b"]), y, date_order)
                if md is not None:
                    alt = md[1] if md[0] != md[1] and _valid(y, md[1], md[0]) else None
                    mention = DateMention(s, e, kind, y, md[0], md[1], alt_month=alt)
            elif kind in ("month_day_year", "day_month_year", "day_mon_year"):
                y, mo, d = _year(g["y"]), _month(g["mon"]), int(g["d"])
                if _valid(y, mo, d):
                    mention = DateMention(s, e, kind, y, mo, d)
            elif kind == "day_month":
                day, month = int(g["a"]), int(g["b"])
                fraction = g["b"] in _FRACTION_UNITS and day <= 12  # "r/v 3/12", "cough 2/7": durations
                if date_order == "dmy" and not fraction and _valid(2024, month, day):
                    mention = DateMention(s, e, kind, month=month, day=day)
            elif kind in ("month_year", "my4", "my2", "iso_month", "my2_bare"):
                mo = _month(g["mon"]) if g.get("mon") else int(g["m"])
                mention = DateMention(s, e, kind, _year(g["y"]), mo)
            elif kind == "short_year":
                mention = DateMention(s, e, kind, _year(g["y"]))
            elif kind == "season":
                season = g["season"].lower()
                if season == "fall" and not (g["rel"] or g["y"]):
                    continue  # "in the fall" may be a fall (trauma); "last fall", "fall 2024" are seasons
                if g["y"]:
                    mention = DateMention(s, e, kind, int(g["y"]))
                else:
                    rel = (g["rel"] or "").lower()
                    mention = DateMention(
                        s, e, kind, month=_SEASONS[season], rel_n=1 if rel in ("last", "past", "previous") else 0,
                        rel_unit="season",
                    )
            elif kind == "relative":
                n_raw = re.sub(r"\s+", " ", g["n"].lower())
                n = int(n_raw) if n_raw.isdigit() else _NUMBER_WORDS.get(n_raw)  # "a few": no date
                mention = DateMention(s, e, kind, rel_n=n, rel_unit=_unit(g["unit"]))
            elif kind == "relative_fraction":
                mention = DateMention(s, e, kind, rel_n=int(g["n"]), rel_unit=_FRACTION_UNITS[g["den"]])
            elif kind == "relative_range":
                lo, hi = (_count(g["n"]), _count(g["n2"]))
                if lo is not None and hi is not None and lo < hi:
                    mention = DateMention(s, e, kind, rel_n=lo, rel_unit=_unit(g["unit"]), rel_n_max=hi)
            elif kind == "last_unit":
                mention = DateMention(s, e, kind, rel_n=1, rel_unit=_unit(g["unit"]))
            elif kind == "this_year":
                mention = DateMention(s, e, kind, rel_n=0, rel_unit=_unit(g["unit"]))
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
                taken.append((mention.start, mention.end))
                if _DOCUMENT_DATE_BEFORE.search(text, max(0, mention.start - 40), mention.start):
                    continue  # the letter's date: taken, so no shorter pattern reads it, but it dates nothing
                found.append(mention)
    return sorted(found, key=lambda d: (d.start, d.end))


def _count(raw: str) -> int | None:
    raw = raw.lower()
    return int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)


def _back(note_date: date, n: int, unit: str) -> tuple[date, Precision]:
    """``note_date`` minus n units, at the precision the unit supports: days to the day, weeks and
    months to the month ("6/52 ago" is some day of a month, not a day), years to the year."""
    if unit == "day":
        return note_date - timedelta(days=n), "day"
    if unit == "week":
        day = note_date - timedelta(weeks=n)
        return date(day.year, day.month, 1), "month"
    if unit == "month":
        total = note_date.year * 12 + (note_date.month - 1) - n
        return date(total // 12, total % 12 + 1, 1), "month"
    return date(note_date.year - n, 1, 1), "year"


def _season_year(note_date: date, start_month: int, last: bool) -> date:
    """The year of the most recent season starting in ``start_month`` (winter: its January):
    "in the spring" is this year's spring once it has begun; "last spring" is one that is over."""
    start = date(note_date.year, start_month, 1)
    if start > note_date:
        start = date(note_date.year - 1, start_month, 1)
    total = start.year * 12 + start.month - 1 + 3  # the season lasts three months
    ends = date(total // 12, total % 12 + 1, 1)
    if last and ends > note_date:
        start = date(start.year - 1, start_month, 1)
    year = start.year + 1 if start_month == 12 else start.year
    return date(year, 1, 1)


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
    if mention.kind == "day_month" and mention.month is not None and mention.day is not None:
        passed = (mention.month, mention.day) <= (note_date.month, note_date.day)
        year = note_date.year if passed else note_date.year - 1
        if not _valid(year, mention.month, mention.day):
            return None  # 29/02 of a year without one
        return date(year, mention.month, mention.day), "day"
    if mention.kind == "in_month" and mention.month is not None:
        year = note_date.year if mention.month <= note_date.month else note_date.year - 1
        return date(year, mention.month, 1), "month"
    if mention.rel_unit is None or mention.rel_n is None:
        return None
    n, unit = mention.rel_n, mention.rel_unit
    if unit == "season" and mention.month is not None:
        return _season_year(note_date, mention.month, last=n > 0), "year"
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
