"""Date expressions in note text: absolute ("03/2019", "March 2019", "3/14/19", "14.03.2025",
"2019-03-14", "25-Mar-2025", "Mar-25", "in 2019", "'19", "spring 2024") and relative ("5 years ago",
"2 yrs ago", "6/12 ago" = six months, "3/52 ago" = three weeks, "last yr", "in the spring", "today"),
resolved against the note date. Letter prose: a day and a month name without a year ("on March 4", "the 3rd of
March", "12 Feb": the latest such day up to the note date), "12 Feb 25", "October last year", "in early November",
"mid-April", "a fortnight ago", "the week before last", "on Tuesday" / "last Friday" (the latest one before the
note date), "just before Christmas".

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

from .literal_gate import LiteralGate
from .regex_matching import first_char_form, required_literals

__all__ = ["ADJACENT_ONLY_KINDS", "ANCHOR_REACH", "DATE_ORDERS", "DateMention", "find_dates", "resolve"]

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
# a month written as a name, capitalized ("March", "Mar.", "MARCH") or a full name in lower case ("june"); never a
# lower-case "may" (a verb) or "march", nor a lower-case abbreviation ("dec 3" may be "decreased")
_FULL_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
_SHORT_MONTHS = ("Sept", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TITLE_MONTH_RE = "(?:" + "|".join(
    [f"{n}|{n.upper()}" for n in _FULL_MONTHS]
    + [n.lower() for n in _FULL_MONTHS if n not in ("May", "March")]
    + [rf"(?:{n}|{n.upper()})\.?" for n in _SHORT_MONTHS]
) + ")"
# what a number after a month name is when it is no day: a dose, a count, a time
_NOT_A_DAY = (
    r"mg|mcg|ml|units?|am\b|pm\b|h\b|hrs?\b|hours?|days?|weeks?|wks?|months?|years?|yrs?|times|x\b|cm|mm|kg"
    r"|tabs?\b|tablets?|puffs?|doses?|mins?\b|minutes?|%"
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
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
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
_WEEKDAYS = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_NUM = (
    r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty)"
)
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
        re.compile(
            rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH_RE})\s*,?\s+(?P<y>{_YEAR})\b", re.I
        ),
    ),
    # a short year after a day and a month name ("12 Feb 25", "3rd March '25"): the month capitalized
    (
        "day_month_year",
        re.compile(
            rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_TITLE_MONTH_RE})\s*,?\s+'?(?P<y>\d{{2}})\b"
            rf"(?![/:%\-]|[.,]\d|\s*(?:{_NOT_A_DAY}))"
        ),
    ),
    ("month_year", re.compile(rf"\b(?P<mon>{_MONTH_RE}),?\s+(?:of\s+)?(?P<y>{_YEAR})\b", re.I)),
    # "Mar-25", "Mar/2025", "March '25": a month and a short year joined by - / or an apostrophe
    (
        "month_year",
        re.compile(rf"\b(?P<mon>{_MONTH_RE})(?:[\-/]|\s*')(?P<y>{_YEAR}|\d{{2}})(?![\d/\-])", re.I),
    ),
    # a day and a month written out without a year ("on March 4", "the 12th of June", "3rd Feb"): the note's year,
    # or the year before when that day is still to come; the month capitalized, since "may 5" can be a verb
    (
        "month_day",
        re.compile(
            rf"\b(?P<mon>{_TITLE_MONTH_RE})\s+(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b"
            rf"(?![/:%\-]|[.,]\d|\s*(?:{_NOT_A_DAY}))"
        ),
    ),
    (
        "month_day",
        re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_TITLE_MONTH_RE})(?![\w\-/']|\s*\d)"),
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
    # "October last year", "in March of last year", "February this year": that month of the year named
    (
        "month_rel_year",
        re.compile(rf"\b(?P<mon>{_TITLE_MONTH_RE})\s+(?:of\s+)?(?P<rel>last|this)\s+year\b"),
    ),
    # "the week before last", "a fortnight ago"
    (
        "before_last",
        re.compile(r"\b(?:the\s+)?(?P<unit>week|month|year)\s+before\s+last\b", re.I),
    ),
    ("fortnight", re.compile(r"\b(?:a|one)\s+fortnight\s+ago\b", re.I)),
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
            rf"\b(?:in|on|since|during|last|this\s+past|early|mid|late|the\s+(?:end|beginning|start|middle)\s+of)"
            rf"(?:\s+|(?<=mid)-)(?P<mon>{_MONTH_RE})(?!\s*,?\s*(?:\d|of\s+\d))\b",
            re.I,
        ),
    ),
    # a weekday gone by ("on Tuesday", "last Friday", "this past Monday"): the latest one before the note date; not
    # one with its own date after it ("Monday 3rd March") nor a coming one ("next Monday", "by Friday")
    (
        "weekday",
        re.compile(
            r"\b(?i:on|last|this\s+past)\s+(?P<wd>(?i:mon|tues|wednes|thurs|fri|satur|sun))(?i:day)\b"
            r"(?!,?\s+(?:the\s+)?\d|,?\s+[A-Z][a-z]{2,8}\.?\s+\d|\s+(?i:week|next|coming))"
        ),
    ),
    # a date counted from the one before it ("three days later", "the following day", "the same day"); it needs that
    # date, to the day, shortly before it (find_dates links them)
    (
        "later",
        re.compile(
            rf"\b(?:(?P<n>{_NUM})\s+(?P<unit>days?|weeks?)\s+later|the\s+(?P<next>following|next|same)\s+day)\b",
            re.I,
        ),
    ),
    # "at Christmas", "just before Christmas": the December gone by
    ("christmas", re.compile(r"\b(?:at|over|around|(?:just\s+)?before)\s+(?:the\s+)?christmas\b", re.I)),
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
    # (not the shorthand fractions "3/12" months, "2/7" days). A month-first note writes it month first, read only
    # with a one-digit day right after a done word ("flu shot: got it 10/8"): "10/25" there is October 2025
    # (my2_bare), "2/6 murmur" no date
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
# the literals every match of each pattern holds, read from the pattern (a month name, a digit, "ago", ...)
_PATTERN_NEEDS = tuple(required_literals(pattern) for _, pattern in _PATTERNS)
_GATE = (_PATTERN_NEEDS, LiteralGate(_PATTERN_NEEDS))
# each pattern behind a lookahead of its first characters where that finds the same matches faster
_SCANS = tuple(first_char_form(pattern) for _, pattern in _PATTERNS)


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
    weekday: int | None = None  # "on Tuesday": 1 (Monday is 0)
    # "three days later", "the following day": the dated mention it counts from (rel_n rel_unit after it)
    anchor: DateMention | None = None

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


# a done word right before a month-first day without a year ("got it 10/8", "given on 9/3")
_DONE_ON = re.compile(
    r"\b(?:got|had|given|received|rec'?d|done|administered|collected|performed|on)(?:\s+(?:it|them|this))?"
    r"(?:\s+on)?\s*$",
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

    passing = _gate().passing(text.lower() if text.isascii() else None)
    for (kind, _), held, scan in zip(_PATTERNS, passing, _SCANS, strict=True):
        if not held:
            continue  # a literal every match of the pattern holds is not in the text: no match to read
        for m in scan.finditer(text):
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
            elif kind == "month_day":
                month, day = _month(g["mon"]), int(g["d"])
                if _valid(2024, month, day):
                    mention = DateMention(s, e, kind, month=month, day=day)
            elif kind == "day_month":
                day, month = int(g["a"]), int(g["b"])
                fraction = g["b"] in _FRACTION_UNITS and day <= 12  # "r/v 3/12", "cough 2/7": durations
                if date_order == "dmy" and not fraction and _valid(2024, month, day):
                    mention = DateMention(s, e, kind, month=month, day=day)
                elif (
                    date_order == "mdy"
                    and len(g["b"]) == 1
                    and g["b"] != "0"
                    and _valid(2024, day, month)
                    and _DONE_ON.search(text, max(0, s - 24), s)
                ):
                    mention = DateMention(s, e, kind, month=day, day=month)
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
            elif kind == "month_rel_year":
                mention = DateMention(
                    s, e, kind, month=_month(g["mon"]), rel_n=1 if g["rel"] == "last" else 0, rel_unit="year"
                )
            elif kind == "before_last":
                mention = DateMention(s, e, kind, rel_n=2, rel_unit=g["unit"].lower())
            elif kind == "fortnight":
                mention = DateMention(s, e, kind, rel_n=2, rel_unit="week")
            elif kind == "weekday":
                s = m.start("wd") if m.group().lower().startswith("on") else s
                mention = DateMention(s, e, kind, weekday=_WEEKDAYS.index(g["wd"].lower()))
            elif kind == "later":
                n = 0 if (g["next"] or "").lower() == "same" else 1 if g["next"] else _count(g["n"])
                if n is not None:
                    mention = DateMention(s, e, kind, rel_n=n, rel_unit=_unit(g["unit"]) if g["unit"] else "day")
            elif kind == "christmas":
                mention = DateMention(s, e, kind, month=12, day=25)
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
    return _anchor(sorted(found, key=lambda d: (d.start, d.end)), text)


def _gate() -> LiteralGate:
    """The gate of ``_PATTERN_NEEDS`` (built again if they were replaced, as a test does to run every pattern)."""
    global _GATE
    if _GATE[0] is not _PATTERN_NEEDS:
        _GATE = (_PATTERN_NEEDS, LiteralGate(_PATTERN_NEEDS))
    return _GATE[1]


# how far back, in one paragraph, "three days later" finds the date it counts from
ANCHOR_REACH = 200


def _anchor(found: list[DateMention], text: str) -> list[DateMention]:
    """Link each "later" mention to the nearest date before it that names a day ("admitted on 3rd March ... two days
    later"), in the same paragraph and within ``ANCHOR_REACH`` characters; one with no such date is dropped."""
    out: list[DateMention] = []
    for mention in found:
        if mention.kind != "later":
            out.append(mention)
            continue
        for before in reversed(out):
            if before.end <= mention.start - ANCHOR_REACH or "\n\n" in text[before.end : mention.start]:
                break
            if before.day is not None or before.weekday is not None or before.anchor is not None:
                out.append(replace(mention, anchor=before))
                break
    return out


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
    if mention.anchor is not None and mention.rel_n is not None:
        base = resolve(mention.anchor, note_date)
        if base is None or base[1] != "day":
            return None
        step = timedelta(weeks=mention.rel_n) if mention.rel_unit == "week" else timedelta(days=mention.rel_n)
        return base[0] + step, "day"
    if mention.kind == "christmas":
        year = note_date.year if note_date >= date(note_date.year, 12, 25) else note_date.year - 1
        return date(year, 12, 1), "month"
    if mention.weekday is not None:
        back = (note_date.weekday() - mention.weekday - 1) % 7 + 1  # 1..7 days: the latest one before the note date
        return note_date - timedelta(days=back), "day"
    if mention.kind == "month_rel_year" and mention.month is not None and mention.rel_n is not None:
        return date(note_date.year - mention.rel_n, mention.month, 1), "month"
    if mention.kind in ("day_month", "month_day") and mention.month is not None and mention.day is not None:
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
