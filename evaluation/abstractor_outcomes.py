"""A reviewer's findings as evidence, run through the same measure engine as the run.

Each answered row becomes note evidence with ``source="review:<abstractor>"`` (origin ``note``,
no offsets; the quote is kept as the span text):

* found Y: ``affirmed``; found N with a status (declined, ordered, planned...): that status;
  found N without one: nothing (the element is absent);
* one item per date given (the row's values go with its most recent date), else one per cited
  note (dated by the note, values with the most recent note), else one undated item (dated by the
  patient's only note when there is exactly one); a blood pressure or HbA1c is a result only with
  its numbers, so a row with values gives items for the occasion the values belong to only (other
  days are other rows: the worksheet asks for a row per occasion);
* several values on one occasion (two BP readings that day) are one item each.

For each reviewed patient the reviewer's items replace the engine's note evidence of the
elements the review covered; structured evidence, encounters and the engine's evidence of
elements not reviewed stay, so the two outcomes differ only where the reviewer and the engine
differ. ``engine.calculator.calculate`` then runs with the run's specs, period and engine options.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from engine.calculator import MeasureOutcome, calculate
from engine.options import EngineOptions
from engine.records import STATUSES, Evidence
from engine.run_data import RunData

from .answers import PartialDate
from .worksheet_reader import ReviewRow

__all__ = ["recompute_outcomes", "review_evidence"]

_RESULT_NEEDS_VALUE = frozenset({"blood_pressure", "hba1c"})


def _occasions(row: ReviewRow, note_dates: Mapping[str, date | None],
               patient_notes: Sequence[str]) -> list[tuple[PartialDate | None, str | None, date | None]]:
    """(event date, note id, note date) of each occasion of a row, most recent first."""
    cited = [n for n in row.note_ids if n in note_dates] or (list(patient_notes) if len(patient_notes) == 1 else [])
    cited.sort(key=lambda n: (note_dates.get(n) or date.min, n), reverse=True)
    latest_note = cited[0] if cited else None
    if row.dates:
        return [(d, latest_note, note_dates.get(latest_note) if latest_note else None) for d in row.dates]
    if cited:
        return [(None, n, note_dates.get(n)) for n in cited]
    return [(None, None, None)]


def review_evidence(rows: Iterable[ReviewRow], note_dates: Mapping[str, date | None],
                    notes_of_patient: Mapping[str, Sequence[str]]) -> list[Evidence]:
    """Evidence items of a reviewer's rows (see the module doc); ids are deterministic."""
    out: list[Evidence] = []
    counter: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in sorted(rows, key=lambda r: (r.patient_id, r.element, r.source, r.sheet or "", r.row)):
        status = "affirmed" if row.found else row.status
        if status not in STATUSES:
            continue  # not found and no status: absent (gold "not affirmed" does not say which status)
        occasions = _occasions(row, note_dates, notes_of_patient.get(row.patient_id, ()))
        if row.values and row.element in _RESULT_NEEDS_VALUE:
            occasions = occasions[:1]
        for i, (when, note_id, note_date) in enumerate(occasions):
            values: Sequence[Any] = row.values if i == 0 and row.values else (None,)
            for value in values:
                key = (row.abstractor, row.patient_id, row.element)
                counter[key] += 1
                out.append(Evidence(
                    evidence_id=f"review:{row.abstractor}:{row.patient_id}:{row.element}:{counter[key]}",
                    note_id=note_id, patient_id=row.patient_id, element=row.element,
                    status=status,  # type: ignore[arg-type]
                    span=row.quote[:300] or None, event_date=when.day if when else None,
                    date_precision=when.precision if when else None,  # type: ignore[arg-type]
                    note_date=note_date, value=value, source=f"review:{row.abstractor}", origin="note"))
    return out


def recompute_outcomes(run: RunData, measure_id: str, patients: Sequence[str], review: Sequence[Evidence],
                       reviewed_elements: Mapping[str, set[str]], options: EngineOptions | None = None
                       ) -> list[MeasureOutcome]:
    """The measure's outcomes for ``patients`` with the reviewer's evidence in place of the engine's
    note evidence of ``reviewed_elements[patient]``."""
    wanted = set(patients)
    evidence: list[Evidence] = [
        ev for ev in run.evidence.values() if ev.patient_id in wanted
        and not (ev.origin == "note" and ev.element in reviewed_elements.get(ev.patient_id, ()))]
    evidence += [ev for ev in review if ev.patient_id in wanted]
    people = [run.patients[p] for p in sorted(wanted) if p in run.patients]
    encounters = [e for e in run.encounters if e.patient_id in wanted]
    return calculate({measure_id: run.specs[measure_id]}, people, evidence, encounters, run.period, options=options)
