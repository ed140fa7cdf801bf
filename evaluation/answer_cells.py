"""Read the cells abstractors type by hand: yes/no, status, dates, values, note ids.

Every parser returns the value it read, or raises :class:`CellError` saying what was wrong and
what to write instead; a cell is never guessed. Accepted forms:

* yes / no: ``Y``, ``yes``, ``x``, ``1``, ``true``, a check mark; ``N``, ``no``, ``0``, ``false``,
  ``n/a``, ``none``, ``-``; a blank cell is "no answer" (None).
* status: ``affirmed`` (or done, completed, given...), ``declined`` (refused), ``ordered``
  (referred, pending), ``planned`` (scheduled, due, recommended), ``negated`` (not done, never),
  ``uncertain``, ``hypothetical``, ``family``.
* dates: ``2026-03-04``, ``3/4/26`` or ``03/04/2026`` (month first by default; day first with
  ``date_order="dmy"``; a first number over 12 can only be a day), ``March 4, 2026``,
  ``4 Mar 2026``, ``March 2026``, ``2026-03``, ``03/2026``, ``2019``, a spreadsheet date cell;
  several separated by ``;`` or new lines. Two-digit years: 00-68 are 2000-2068, 69-99 are
  1969-1999 (the POSIX ``%y`` rule).
* values: blood pressure ``138/82`` (several: ``138/82; 126/78``), HbA1c ``7.2`` or ``7.2%``,
  tobacco ``current`` / ``former`` / ``never`` (smoker, ex-smoker, non-smoker, quit...),
  depression screening ``PHQ-9 12`` / ``PHQ-2: 0`` / ``positive``; other elements: free text.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from engine.cells import unsafe_cell

from .answers import PartialDate

__all__ = [
    "CellError",
    "blank",
    "cell_text",
    "parse_dates",
    "parse_note_ids",
    "parse_status",
    "parse_values",
    "parse_yes_no",
]


class CellError(ValueError):
    """A cell that cannot be read; the message names the value and the accepted forms."""


_BLANKS = {"", "n/a", "na", "n.a.", "none", "-", "--", "unknown", "unk", "?", "not applicable", "nil"}
_YES = {"y", "yes", "x", "1", "1.0", "true", "t", "✓", "✔", "√", "☑", "✅", "found", "affirmed", "done",
        "documented", "present", "+"}
_NO = {"n", "no", "0", "0.0", "false", "f", "not found", "absent", "not documented", "✗", "✘", "☐"}

_STATUS = {
    "affirmed": "affirmed", "yes": "affirmed", "y": "affirmed", "done": "affirmed", "completed": "affirmed",
    "complete": "affirmed", "performed": "affirmed", "given": "affirmed", "received": "affirmed",
    "present": "affirmed", "documented": "affirmed", "resulted": "affirmed",
    "negated": "negated", "not done": "negated", "never": "negated", "denied": "negated", "denies": "negated",
    "none": "negated", "absent": "negated", "no": "negated",
    "declined": "declined", "refused": "declined", "refuses": "declined", "patient declined": "declined",
    "pt declined": "declined",
    "ordered": "ordered", "order": "ordered", "referred": "ordered", "referral": "ordered",
    "pending": "ordered", "sent": "ordered",
    "planned": "planned", "scheduled": "planned", "recommended": "planned", "due": "planned",
    "to do": "planned", "will do": "planned", "discussed": "planned", "offered": "planned",
    "hypothetical": "hypothetical", "conditional": "hypothetical",
    "uncertain": "uncertain", "possible": "uncertain", "rule out": "uncertain", "r/o": "uncertain",
    "family": "family", "family history": "family", "fhx": "family", "relative": "family",
}

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_FORMS = (
    ("iso", re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")),
    ("iso_month", re.compile(r"^(\d{4})-(\d{1,2})$")),
    ("year", re.compile(r"^(\d{4})$")),
    ("numeric", re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")),
    ("month_year", re.compile(r"^(\d{1,2})[/.-](\d{4})$")),
    ("mon_day_year", re.compile(r"^" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", re.I)),
    ("day_mon_year", re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s-]+" + _MONTH + r"[\s,-]+(\d{4}|\d{2})$", re.I)),
    ("mon_year", re.compile(r"^" + _MONTH + r"[\s,-]+(\d{4}|'?\d{2})$", re.I)),
)
_DATE_HELP = "write 2026-03-04, 3/4/26, March 4, 2026, March 2026 or 2026"


def cell_text(value: Any) -> str:
    """A cell as stripped text (our own formula-injection quote removed)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(unsafe_cell(value) if isinstance(value, str) else value).strip()


def blank(value: Any) -> bool:
    """Empty, or a not-applicable marker (``n/a``, ``-``, ``none``)."""
    return cell_text(value).lower() in _BLANKS


def parse_yes_no(value: Any) -> bool | None:
    """True / False, or None for a blank cell."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower().rstrip(".")
    if text == "":
        return None
    if text in _YES:
        return True
    if text in _NO or text in _BLANKS:
        return False
    raise CellError(f"{cell_text(value)!r} is not a yes/no answer; write Y or N (yes, no, x, 1, 0, n/a also work)")


def parse_status(value: Any) -> str | None:
    text = re.sub(r"\s+", " ", cell_text(value).lower()).strip(" .")
    if text == "" or text in ("n/a", "na", "-"):
        return None
    if text in _STATUS:
        return _STATUS[text]
    raise CellError(f"status {cell_text(value)!r} is not one of affirmed, declined, ordered, planned, negated, "
                    "uncertain, hypothetical, family")


def _year(text: str) -> int:
    text = text.lstrip("'")
    if len(text) == 2:
        yy = int(text)
        return 2000 + yy if yy <= 68 else 1900 + yy
    return int(text)


def _day(y: int, m: int, d: int, raw: str) -> PartialDate:
    try:
        return PartialDate(date(y, m, d), "day")
    except ValueError:
        raise CellError(f"date {raw!r} is not a real day; {_DATE_HELP}") from None


def _month(y: int, m: int, raw: str) -> PartialDate:
    if not 1 <= m <= 12:
        raise CellError(f"date {raw!r}: month {m} does not exist; {_DATE_HELP}")
    return PartialDate(date(y, m, 1), "month")


def _one_date(raw: str, date_order: str) -> PartialDate:
    text = raw.strip().rstrip(".")
    for kind, pattern in _DATE_FORMS:
        m = pattern.match(text)
        if not m:
            continue
        g = m.groups()
        if kind == "iso":
            return _day(int(g[0]), int(g[1]), int(g[2]), raw)
        if kind == "iso_month":
            return _month(int(g[0]), int(g[1]), raw)
        if kind == "year":
            return PartialDate(date(int(g[0]), 1, 1), "year")
        if kind == "numeric":
            a, b, y = int(g[0]), int(g[1]), _year(g[2])
            month, day = (a, b) if date_order == "mdy" else (b, a)
            if month > 12 and day <= 12:  # only one reading is a real date
                month, day = day, month
            return _day(y, month, day, raw)
        if kind == "month_year":
            return _month(int(g[1]), int(g[0]), raw)
        if kind == "mon_day_year":
            return _day(int(g[2]), _MONTHS[g[0][:3].lower()], int(g[1]), raw)
        if kind == "day_mon_year":
            return _day(_year(g[2]), _MONTHS[g[1][:3].lower()], int(g[0]), raw)
        if kind == "mon_year":
            return _month(_year(g[1]), _MONTHS[g[0][:3].lower()], raw)
    raise CellError(f"date {raw!r} not understood; {_DATE_HELP}")


def parse_dates(value: Any, date_order: str = "mdy") -> list[PartialDate]:
    """The dates in a cell (several separated by ``;``, ``|`` or new lines), most recent first."""
    if isinstance(value, datetime):
        return [PartialDate(value.date(), "day")]
    if isinstance(value, date):
        return [PartialDate(value, "day")]
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= value <= 2100:
            return [PartialDate(date(int(value), 1, 1), "year")]
        raise CellError(f"date {value!r} is a number, not a date; {_DATE_HELP}")
    if blank(value):
        return []
    out: list[PartialDate] = []
    for part in re.split(r"[;|\n]+", cell_text(value)):
        if blank(part):
            continue
        try:
            out.append(_one_date(part, date_order))
        except CellError as whole:  # "3/4/26, 2019": a comma may separate dates too
            pieces = [p for p in part.split(",") if p.strip()]
            if len(pieces) < 2:
                raise
            try:
                out.extend(_one_date(p, date_order) for p in pieces)
            except CellError:
                raise whole from None
    return sorted(set(out), key=lambda d: (d.last_day(), d.precision), reverse=True)


_BP = re.compile(r"(\d{2,3})\s*/\s*(\d{2,3})")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TOBACCO = {
    "current": "current", "current smoker": "current", "smoker": "current", "smokes": "current",
    "yes": "current", "active": "current", "every day": "current", "some days": "current", "daily": "current",
    "user": "current", "current user": "current",
    "former": "former", "ex": "former", "ex-smoker": "former", "ex smoker": "former", "quit": "former",
    "past": "former", "previous": "former", "former smoker": "former", "quit smoking": "former",
    "never": "never", "never smoker": "never", "non-smoker": "never", "nonsmoker": "never",
    "non smoker": "never", "denies": "never", "no": "never", "never smoked": "never",
}
_INSTRUMENTS = (("phq-?a", "PHQ-A"), ("phq-?9", "PHQ-9"), ("phq-?2", "PHQ-2"), ("bdi(?:-?ii)?", "BDI"),
                ("ces-?d", "CES-D"), ("epds", "EPDS"), ("gds(?:-?15)?", "GDS"))
_SCREEN = re.compile(r"^(?P<tool>[a-z][a-z0-9-]*?)?\s*[:=]?\s*(?P<score>\d{1,2})$", re.I)


def _bp(text: str) -> list[dict[str, int]]:
    readings = []
    for sys_s, dia_s in _BP.findall(text):
        sys_v, dia_v = int(sys_s), int(dia_s)
        if not (50 <= sys_v <= 300 and 20 <= dia_v <= 200 and dia_v < sys_v):
            raise CellError(f"blood pressure {sys_v}/{dia_v} is outside plausible readings")
        readings.append({"systolic": sys_v, "diastolic": dia_v})
    if not readings:
        raise CellError(f"blood pressure {text!r} not understood; write systolic/diastolic, e.g. 138/82 "
                        "(several: 138/82; 126/78)")
    return readings


def _a1c(text: str) -> list[float]:
    values = [float(v) for v in _NUMBER.findall(text)]
    if not values or re.search(r"[a-z]", text.lower().replace("hba1c", "").replace("a1c", "").replace("%", "")):
        raise CellError(f"HbA1c {text!r} not understood; write the percent value, e.g. 7.2 or 7.2%")
    for v in values:
        if not 2.0 <= v <= 25.0:
            raise CellError(f"HbA1c {v:g} is outside plausible percent values (2-25)")
    return values


def _tobacco(text: str) -> list[str]:
    key = re.sub(r"\s+", " ", text.lower()).strip(" .")
    if key in _TOBACCO:
        return [_TOBACCO[key]]
    raise CellError(f"tobacco status {text!r} not understood; write current, former or never")


def _screen(text: str) -> list[Any]:
    low = text.strip().lower()
    if low in ("positive", "negative", "pos", "neg"):
        return [{"result": "positive" if low.startswith("pos") else "negative"}]
    m = _SCREEN.match(low.replace(" score", ""))
    if m:
        tool = (m.group("tool") or "").strip("-")
        name = None
        for pattern, label in _INSTRUMENTS:
            if re.fullmatch(pattern, tool):
                name = label
        if tool and name is None:
            raise CellError(f"screening instrument {tool!r} not known; write e.g. PHQ-9 12, PHQ-2 0, GDS 3")
        return [{"instrument": name, "score": int(m.group("score"))}] if name else [{"score": int(m.group("score"))}]
    raise CellError(f"depression screening {text!r} not understood; write the instrument and score (PHQ-9 12) "
                    "or positive / negative")


def parse_values(element: str, value: Any) -> list[Any]:
    """Values as the engine stores them for ``element`` (BP dicts, A1c floats, tobacco category...)."""
    if blank(value):
        return []
    if element == "hba1c" and isinstance(value, int | float) and not isinstance(value, bool):
        return _a1c(f"{value}")
    text = cell_text(value)
    if element == "blood_pressure":
        return _bp(text)
    if element == "hba1c":
        return [v for part in re.split(r"[;|\n,]+", text) if not blank(part) for v in _a1c(part)]
    if element == "tobacco_use":
        return _tobacco(text)
    if element == "depression_screening":
        return [v for part in re.split(r"[;|\n]+", text) if not blank(part) for v in _screen(part)]
    return [text.lower()]


def parse_note_ids(value: Any) -> list[str]:
    if blank(value):
        return []
    return [p for p in re.split(r"[;,\s|]+", cell_text(value)) if p]
