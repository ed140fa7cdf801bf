"""What one side (the engine or a reviewer) says about one element for one patient (or note).

Both sides are reduced to the same :class:`Answer`, so every comparison is symmetric:

* ``found``: the element is documented as done / present (status ``affirmed``);
* ``status``: ``affirmed``, else the most telling other status mentioned (declined > ordered >
  planned > negated > uncertain > hypothetical > family), else None (not mentioned);
* ``occasions``: each dated (or undated) mention with its status, value, note, quote and rule.

The "latest" date and value are those of the most recent dated affirmed occasion: what the
measures read (the most recent BP day, HbA1c, tobacco status, screening).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.elements import load_vocabulary
from engine.records import Evidence

__all__ = [
    "Answer",
    "Occasion",
    "PartialDate",
    "STATUS_RANK",
    "VALUE_ELEMENTS",
    "engine_answer",
    "format_value",
    "values_equal",
]

# the non-affirmed status an answer reports when nothing is affirmed (gap reasons follow it)
STATUS_RANK = ("declined", "ordered", "planned", "negated", "uncertain", "hypothetical", "family")
VALUE_ELEMENTS = ("blood_pressure", "hba1c", "tobacco_use", "depression_screening")
_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}


@dataclass(frozen=True, order=True)
class PartialDate:
    """A day, or a whole month or year (``March 2026``, ``2019``)."""

    day: date
    precision: str = "day"  # day | month | year

    def text(self) -> str:
        iso = self.day.isoformat()
        return {"year": iso[:4], "month": iso[:7]}.get(self.precision, iso)

    def last_day(self) -> date:
        if self.precision == "year":
            return date(self.day.year, 12, 31)
        if self.precision == "month":
            return date(self.day.year, self.day.month, calendar.monthrange(self.day.year, self.day.month)[1])
        return self.day

    def agrees(self, other: PartialDate) -> bool:
        """Equal at the coarser of the two precisions (2026-03-04 agrees with "March 2026")."""
        coarse = min(self.precision, other.precision, key=_PRECISION_RANK.__getitem__)
        return PartialDate(self.day, coarse).text() == PartialDate(other.day, coarse).text()


@dataclass(frozen=True)
class Occasion:
    status: str
    when: PartialDate | None = None  # None: undated
    value: Any = None
    note_id: str | None = None
    quote: str = ""
    rule: str = ""
    evidence_id: str = ""


@dataclass
class Answer:
    occasions: list[Occasion] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return any(o.status == "affirmed" for o in self.occasions)

    @property
    def status(self) -> str | None:
        statuses = {o.status for o in self.occasions}
        if "affirmed" in statuses:
            return "affirmed"
        for status in STATUS_RANK:
            if status in statuses:
                return status
        return None

    def _affirmed(self) -> list[Occasion]:
        return [o for o in self.occasions if o.status == "affirmed"]

    def latest(self) -> Occasion | None:
        """The most recent dated affirmed occasion (ties: the one with a value, then the first)."""
        dated = [o for o in self._affirmed() if o.when is not None]
        if not dated:
            return None
        return max(dated, key=lambda o: (o.when.last_day(), o.value is not None))  # type: ignore[union-attr]

    @property
    def latest_date(self) -> PartialDate | None:
        occ = self.latest()
        return occ.when if occ else None

    def latest_values(self) -> list[Any]:
        """Values of the latest day's affirmed occasions (several BP readings that day); else all."""
        affirmed = [o for o in self._affirmed() if o.value is not None]
        latest = self.latest()
        if latest is not None:
            same = [o.value for o in affirmed if o.when is not None and o.when.text() == latest.when.text()]  # type: ignore[union-attr]
            if same:
                return _unique(same)
        return _unique([o.value for o in affirmed])

    def all_values(self) -> list[Any]:
        """Every distinct value of the affirmed occasions (a note's BP readings, A1c results)."""
        return _unique([o.value for o in self._affirmed() if o.value is not None])

    def dates(self) -> list[PartialDate]:
        return sorted({o.when for o in self._affirmed() if o.when is not None}, reverse=True)

    def note_ids(self) -> list[str]:
        return sorted({o.note_id for o in self.occasions if o.note_id})

    def quotes(self) -> list[str]:
        return _unique([o.quote for o in self.occasions if o.quote])

    def rules(self) -> list[str]:
        return _unique([o.rule for o in self.occasions if o.rule])


def _unique(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _when(ev: Evidence) -> PartialDate | None:
    if ev.event_date is not None:
        return PartialDate(ev.event_date, ev.date_precision or "day")
    if ev.note_date is not None and load_vocabulary().dated_by_visit(ev.element):
        return PartialDate(ev.note_date, "day")
    return None


def engine_answer(items: Sequence[Evidence]) -> Answer:
    """The engine's answer from its note evidence of one element (any order in, sorted out)."""
    ordered = sorted(items, key=lambda e: (e.note_date or date.min, e.note_id or "", e.start or 0, e.evidence_id))
    return Answer([Occasion(status=e.status, when=_when(e), value=e.value, note_id=e.note_id, quote=e.span or "",
                            rule=e.source, evidence_id=e.evidence_id) for e in ordered])


def format_value(element: str, value: Any) -> str:
    """A value as an abstractor writes it: ``138/82``, ``7.2``, ``former``, ``PHQ-9 12``."""
    if value is None:
        return ""
    if isinstance(value, dict) and "systolic" in value:
        return f"{value['systolic']}/{value['diastolic']}"
    if isinstance(value, dict) and "score" in value:
        instrument = value.get("instrument") or ""
        return f"{instrument} {value['score']}".strip()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _norm(element: str, value: Any) -> Any:
    if element == "hba1c":
        try:
            return round(float(value), 2)
        except (TypeError, ValueError):
            return str(value)
    if element == "depression_screening" and isinstance(value, dict):
        return value.get("score")
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, dict) and "systolic" in value:
        return (int(value["systolic"]), int(value["diastolic"]))
    return value


def values_equal(element: str, a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Set equality of two value lists, compared as the measure reads them (BP pairs, A1c to 0.01,
    tobacco category, screening score)."""
    return {_key(_norm(element, v)) for v in a} == {_key(_norm(element, v)) for v in b}


def _key(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v
