"""One pass over a run's outcomes that the report summaries share: counts per clinic, provider, measure and group.

Three reports summarize the same outcomes by clinic: the HTML audit (``engine.report.summarize`` of each
clinic's outcomes), the quality summary (rows by clinic and by provider, engine/quality_summary.py) and
the care-gap summary (clinic x measure rows, engine/care_gaps.py). Each used to walk every outcome of a
partition (160,000 for 5,000 patients) on its own; they now read :class:`Cell` totals that
:func:`tally` takes in one walk (``RunData.tally``, computed once per :class:`RunData`). A patient has
one clinic and one provider, so the cells of a clinic (or of the whole run) add up, distinct patients
included.

:func:`distinct_rows` is the other shared pass, for the measure task's two outcome files
(``outcomes.parquet``, qae.partitions.write_outcomes, and ``outcomes.csv``, engine.report): outcomes that
differ in their patient only (every patient outside a measure's population has the same outcome but for
its id; 721 distinct rows in 160,000 outcomes of 5,000 patients) are one row, encoded once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, is_
from typing import Any

from engine.calculator import MeasureOutcome
from engine.records import Patient

__all__ = ["COUNTS", "Cell", "DistinctRows", "Tally", "distinct_rows", "tally"]

UNASSIGNED = "unassigned"  # a patient without a clinic (or missing from the patients file)
NO_PROVIDER = "(no provider)"  # a patient without a provider
COUNTS = ("ipp", "denom", "denex", "denexcep", "numer", "numex")


@dataclass(slots=True)
class Cell:
    """The outcomes of one clinic, provider, measure and group."""

    first: int  # the position of its first outcome in the run's outcomes, and of its last
    last: int
    rows: int = 0
    patients: set[str] = field(default_factory=set)
    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTS))  # COUNTS, in that order
    open_gaps: int = 0  # gap open with a reason
    prospective: int = 0  # closed now, open in the next measurement period
    gaps_by_reason: dict[Any, int] = field(default_factory=dict)  # GapReason -> open gaps
    closed_by: dict[str, int] = field(default_factory=dict)
    strata: dict[str, list[int]] = field(default_factory=dict)  # stratum -> COUNTS and gap_open rows


@dataclass(frozen=True)
class Tally:
    """``cells``: (clinic, provider, measure id, group) -> :class:`Cell`, in the order first seen; ``noted``:
    the outcomes, in their order, that a report may list: in a population, with a gap (open, closed,
    reopening), a stratum, review flags or evidence ids. The others (most: a patient outside a measure's
    initial population) are counted here and listed by no report: the audit's rows, the care-gap lists and
    the worklists read ``noted`` instead of every outcome."""

    outcomes: Sequence[MeasureOutcome]
    cells: dict[tuple[str, str, str, str], Cell]
    noted: list[MeasureOutcome]

    def clinics(self) -> list[str]:
        """The clinics with outcomes, sorted."""
        return sorted({key[0] for key in self.cells})

    def rows(self, clinic: str) -> int:
        """How many outcomes the patients of ``clinic`` have."""
        return sum(c.rows for key, c in self.cells.items() if key[0] == clinic)


def tally(outcomes: Sequence[MeasureOutcome], patients: Mapping[str, Patient]) -> Tally:
    """The cells of ``outcomes`` (``patients``: by id; a patient missing is in no clinic and has no provider)."""
    cells: dict[tuple[str, str, str, str], Cell] = {}
    noted: list[MeasureOutcome] = []
    where: dict[str, tuple[str, str]] = {}
    key: tuple[str, str, str, str] | None = None
    cell: Cell | None = None
    for i, o in enumerate(outcomes):
        pid = o.patient_id
        unit = where.get(pid)
        if unit is None:
            p = patients.get(pid)
            unit = where[pid] = ((p.clinic_id if p else None) or UNASSIGNED,
                                 (p.provider_id if p else None) or NO_PROVIDER)
        k = (unit[0], unit[1], o.measure_id, o.group)
        if k != key:
            key = k
            cell = cells.get(k)
            if cell is None:
                cell = cells[k] = Cell(i, i)
        assert cell is not None
        cell.last = i
        cell.rows += 1
        cell.patients.add(pid)
        f = o.populations
        if not (f.ipp or f.denom or f.denex or f.denexcep or f.numer or f.numex or o.gap_open or o.closed_by
                or o.stratum or o.prospective_gap or o.review_flags or o.numer_evidence_ids
                or o.denex_evidence_ids or o.denexcep_evidence_ids or o.gap_evidence_ids):
            continue  # outside the initial population (most rows): nothing more to count, nothing to list
        noted.append(o)
        c = cell.counts
        c[0] += f.ipp
        c[1] += f.denom
        c[2] += f.denex
        c[3] += f.denexcep
        c[4] += f.numer
        c[5] += f.numex
        cell.prospective += o.prospective_gap
        if o.gap_open and o.gap_reason is not None:
            cell.open_gaps += 1
            cell.gaps_by_reason[o.gap_reason] = cell.gaps_by_reason.get(o.gap_reason, 0) + 1
        if o.closed_by:
            cell.closed_by[o.closed_by] = cell.closed_by.get(o.closed_by, 0) + 1
        if o.stratum:
            s = cell.strata.get(o.stratum)
            if s is None:
                s = cell.strata[o.stratum] = [0] * (len(COUNTS) + 1)
            s[0] += f.ipp
            s[1] += f.denom
            s[2] += f.denex
            s[3] += f.denexcep
            s[4] += f.numer
            s[5] += f.numex
            s[6] += o.gap_open
    return Tally(outcomes, cells, noted)


# every field of an outcome but its patient, its populations (their flags instead) and ``extra`` (a dict)
_ROW = attrgetter(*(f.name for f in dataclasses.fields(MeasureOutcome)
                    if f.name not in ("patient_id", "populations", "extra")))
_POPULATIONS = attrgetter("populations")
_FLAGS = attrgetter(*COUNTS)


@dataclass(frozen=True)
class DistinctRows:
    """``outcomes`` as distinct rows apart from their patient and ``extra``: ``index[i]`` is outcome ``i``'s row,
    ``firsts[k]`` the position of row ``k``'s first outcome (rows numbered in the order first seen)."""

    outcomes: Sequence[MeasureOutcome]
    index: list[int]
    firsts: list[int]

    def same_outcomes(self, outcomes: Sequence[MeasureOutcome]) -> bool:
        """Whether ``outcomes`` are these, the same objects in the same order."""
        return len(outcomes) == len(self.outcomes) and all(map(is_, outcomes, self.outcomes))


def distinct_rows(outcomes: Sequence[MeasureOutcome]) -> DistinctRows:
    """The :class:`DistinctRows` of ``outcomes`` (keys are the fields' values: tuples built in C, one pass)."""
    keys = zip(map(_ROW, outcomes), map(_FLAGS, map(_POPULATIONS, outcomes)), strict=True)
    seen: dict[tuple[Any, ...], int] = {}
    index = [seen.setdefault(key, len(seen)) for key in keys]
    first_of = dict(zip(reversed(index), range(len(index) - 1, -1, -1), strict=True))  # the earliest wins
    return DistinctRows(outcomes, index, [first_of[k] for k in range(len(seen))])
