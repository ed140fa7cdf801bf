"""Engine against chart review, unit by unit: elements (found, status, dates, values) and outcomes.

Element units are (measure, patient, element) for worksheets and (note, element) for gold files;
positive = found (affirmed). Value and date agreement are scored on units both sides found:

* gold files (``scope="note"``): the note's sets, as ``evaluation.extraction`` scores them (every
  BP reading, every HbA1c value, the note's tobacco category, every date of a dated element);
* worksheets (``scope="latest"``): what the measures read, the most recent occasion (the latest
  BP day's readings, the latest HbA1c, the latest tobacco status, the most recent date), dates
  agreeing at the coarser of the two precisions (2026-03-04 agrees with "March 2026").

Outcome units are (measure group, patient, episode), compared by category
(evaluation/categories.py); an episode named by a screen's evidence id (CMS159's index PHQ-9)
is paired with the reviewer's episode of the same patient and group in date order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.calculator import MeasureOutcome
from engine.elements import load_vocabulary

from .agreement import BinaryCounts
from .answers import VALUE_ELEMENTS, Answer, format_value, values_equal
from .categories import category_of
from .worksheet_reader import ReviewRow

__all__ = [
    "Discordance",
    "ElementResults",
    "ElementUnit",
    "OutcomeUnit",
    "compare_elements",
    "pair_outcomes",
]

_TOBACCO_ORDER = ("former", "current", "never")
_GAP_STATUSES = ("declined", "ordered", "planned")


@dataclass
class ElementUnit:
    measure_id: str | None
    patient_id: str
    note_id: str | None  # gold: the note judged (the unit); worksheets: None
    element: str
    engine: Answer
    reviewer: Answer
    rows: list[ReviewRow] = field(default_factory=list)  # the reviewer rows behind the answer

    @property
    def cluster(self) -> str:
        """Units that move together in the bootstrap: a note (gold) or a patient (worksheets)."""
        return self.note_id or self.patient_id

    @property
    def abstractor(self) -> str:
        return self.rows[0].abstractor if self.rows else ""

    def where(self) -> str:
        return "; ".join(r.where() for r in self.rows[:3])


@dataclass
class Discordance:
    level: str  # element | outcome
    kind: str  # found | status | date | value | outcome
    element: str  # the element, or the measure group for outcomes
    patient_id: str
    measure_id: str = ""
    unit: str = ""  # note id (gold) or episode
    engine_answer: str = ""
    reviewer_answer: str = ""
    engine_status: str = ""
    engine_dates: str = ""
    engine_value: str = ""
    engine_note_ids: str = ""
    engine_span: str = ""
    engine_rule: str = ""
    reviewer_status: str = ""
    reviewer_dates: str = ""
    reviewer_value: str = ""
    reviewer_note_ids: str = ""
    reviewer_quote: str = ""
    abstractor: str = ""
    where: str = ""

    def key(self) -> tuple[str, str, str, str, str]:
        return (self.level, self.element, self.patient_id, self.unit, self.kind)


@dataclass
class Tally:
    agree: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.agree += int(ok)
        self.total += 1


@dataclass
class ElementResults:
    per_element: dict[str, BinaryCounts] = field(default_factory=lambda: defaultdict(BinaryCounts))
    per_measure: dict[str, BinaryCounts] = field(default_factory=lambda: defaultdict(BinaryCounts))
    overall: BinaryCounts = field(default_factory=BinaryCounts)
    clusters: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(dict))  # scope -> cluster
    values: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    dates: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    statuses: Tally = field(default_factory=Tally)
    discordances: list[Discordance] = field(default_factory=list)
    units: int = 0

    def cluster_counts(self, scope: str) -> list[tuple[int, int, int]]:
        return [tuple(v) for _, v in sorted(self.clusters.get(scope, {}).items())]  # type: ignore[misc]


def _tobacco(values: Sequence[Any]) -> list[Any]:
    found = {str(v).lower() for v in values}
    for category in _TOBACCO_ORDER:
        if category in found:
            return [category]
    return []


def _values(element: str, answer: Answer, scope: str) -> list[Any]:
    values = answer.all_values() if scope == "note" else answer.latest_values()
    return _tobacco(values) if element == "tobacco_use" else values


def _dates_text(answer: Answer) -> str:
    return "; ".join(d.text() for d in answer.dates())


def _values_text(element: str, values: Sequence[Any]) -> str:
    return "; ".join(format_value(element, v) for v in values)


def _discordance(unit: ElementUnit, kind: str, engine_answer: str, reviewer_answer: str, scope: str) -> Discordance:
    e, r = unit.engine, unit.reviewer
    return Discordance(
        level="element", kind=kind, element=unit.element, patient_id=unit.patient_id,
        measure_id=unit.measure_id or "", unit=unit.note_id or "", engine_answer=engine_answer,
        reviewer_answer=reviewer_answer, engine_status=e.status or "absent", engine_dates=_dates_text(e),
        engine_value=_values_text(unit.element, _values(unit.element, e, scope)),
        engine_note_ids="; ".join(e.note_ids()), engine_span=" | ".join(e.quotes()[:5]),
        engine_rule="; ".join(e.rules()[:5]), reviewer_status=r.status or "absent",
        reviewer_dates=_dates_text(r), reviewer_value=_values_text(unit.element, _values(unit.element, r, scope)),
        reviewer_note_ids="; ".join(sorted({n for row in unit.rows for n in row.note_ids})),
        reviewer_quote=" | ".join(row.quote for row in unit.rows if row.quote), abstractor=unit.abstractor,
        where=unit.where())


def compare_elements(units: Iterable[ElementUnit], *, scope: str) -> ElementResults:
    """Confusion counts (overall, per element, per measure), value/date/status agreement and the
    discordances. ``scope``: ``note`` (gold files) or ``latest`` (worksheets)."""
    vocab = load_vocabulary()
    out = ElementResults()
    for unit in units:
        out.units += 1
        e_found, r_found = unit.engine.found, unit.reviewer.found
        cell = (int(e_found and r_found), int(e_found and not r_found), int(r_found and not e_found))
        out.overall.add(e_found, r_found)
        out.per_element[unit.element].add(e_found, r_found)
        scopes = ["overall", f"element:{unit.element}"]
        if unit.measure_id:
            out.per_measure[unit.measure_id].add(e_found, r_found)
            scopes.append(f"measure:{unit.measure_id}")
        for s in scopes:
            counts = out.clusters[s].setdefault(unit.cluster, [0, 0, 0])
            for i in range(3):
                counts[i] += cell[i]
        if e_found != r_found:
            out.discordances.append(_discordance(unit, "found", "found" if e_found else "not found",
                                                 "found" if r_found else "not found", scope))
            continue
        if not e_found:
            e_st, r_st = unit.engine.status, unit.reviewer.status
            if scope == "latest" and (e_st in _GAP_STATUSES or r_st in _GAP_STATUSES):
                out.statuses.add(e_st == r_st)
                if e_st != r_st:
                    out.discordances.append(_discordance(unit, "status", e_st or "absent", r_st or "absent", scope))
            continue
        if unit.element in VALUE_ELEMENTS:
            r_vals = _values(unit.element, unit.reviewer, scope)
            e_vals = _values(unit.element, unit.engine, scope)
            if r_vals or (scope == "latest" and e_vals):
                ok = values_equal(unit.element, e_vals, r_vals)
                out.values[unit.element].add(ok)
                if not ok:
                    out.discordances.append(_discordance(unit, "value", _values_text(unit.element, e_vals),
                                                         _values_text(unit.element, r_vals), scope))
        if not vocab.dated_by_visit(unit.element):
            ok, scored = _dates_agree(unit, scope)
            if scored:
                out.dates[unit.element].add(ok)
                if not ok:
                    out.discordances.append(_discordance(unit, "date", _dates_text(unit.engine),
                                                         _dates_text(unit.reviewer), scope))
    return out


def _dates_agree(unit: ElementUnit, scope: str) -> tuple[bool, bool]:
    """(agree, scored). Gold: the note's date sets, when the gold gives dates. Worksheets: the most
    recent dates, when either side has one."""
    if scope == "note":
        want = {d.text() for d in unit.reviewer.dates()}
        if not want:
            return True, False
        return want == {d.text() for d in unit.engine.dates()}, True
    e, r = unit.engine.latest_date, unit.reviewer.latest_date
    if e is None and r is None:
        return True, False
    return (e is not None and r is not None and e.agrees(r)), True


@dataclass
class OutcomeUnit:
    label: str
    measure_id: str
    group: str
    patient_id: str
    episode: str
    engine: str  # category
    reviewer: str  # category
    inverse: bool = False
    stratum: str = ""  # the sample's stratum (the engine's category when drawn)
    role: str = "primary"
    engine_outcome: MeasureOutcome | None = None
    reviewer_outcome: MeasureOutcome | None = None
    abstractor: str = ""


def pair_outcomes(engine: Sequence[MeasureOutcome], reviewer: Sequence[MeasureOutcome]
                  ) -> list[tuple[MeasureOutcome | None, MeasureOutcome | None]]:
    """Pair one patient's engine and reviewer outcome rows of a measure by (group, episode); rows
    left over in the same group are paired in episode order (episodes named by an evidence id)."""
    by_key = {(o.group, o.episode): o for o in reviewer}
    pairs: list[tuple[MeasureOutcome | None, MeasureOutcome | None]] = []
    left_e: dict[str, list[MeasureOutcome]] = defaultdict(list)
    used: set[tuple[str, str]] = set()
    for o in engine:
        match = by_key.get((o.group, o.episode))
        if match is not None:
            pairs.append((o, match))
            used.add((o.group, o.episode))
        else:
            left_e[o.group].append(o)
    left_r: dict[str, list[MeasureOutcome]] = defaultdict(list)
    for o in reviewer:
        if (o.group, o.episode) not in used:
            left_r[o.group].append(o)
    for group in sorted(set(left_e) | set(left_r)):
        es, rs = left_e.get(group, []), left_r.get(group, [])
        for i in range(max(len(es), len(rs))):
            pairs.append((es[i] if i < len(es) else None, rs[i] if i < len(rs) else None))
    return pairs


def outcome_category(o: MeasureOutcome | None) -> str:
    return category_of(o.populations) if o is not None else "not_eligible"


def group_labels(outcomes: Iterable[MeasureOutcome], multi: Mapping[str, bool]) -> dict[tuple[str, str], str]:
    return {(o.measure_id, o.group): (f"{o.measure_id}-{o.group}" if multi.get(o.measure_id) else o.measure_id)
            for o in outcomes}
