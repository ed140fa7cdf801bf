"""What every criteria function gets and returns: the patient context and the result.

A criteria function is ``fn(ctx: PatientContext, params) -> CriterionResult``: pure, no I/O.
When it is not met it records *why* in ``findings`` (a gap reason with the evidence behind
it), so the care-gap reason comes from the same record whichever program's spec ran.
Where evidence lies in time is decided in one place, :mod:`engine.criteria.dating`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from typing import Any, Literal

from engine.options import DEFAULT_OPTIONS, EngineOptions
from engine.periods import Interval, MeasurementPeriod, Window, age_in_months, age_in_years
from engine.records import Encounter, Evidence, Patient

__all__ = [
    "AgeAnchor",
    "CriterionResult",
    "Episode",
    "Finding",
    "GapReason",
    "PatientContext",
    "UndatedPolicy",
    "unique",
]

UndatedPolicy = Literal["count", "ignore", "review"]
AgeAnchor = Literal["mp_start", "mp_end"]
_UNBOUNDED = Interval(None, None)
# the days of each spec window, per measurement period (the run's MP and the periods after it that
# engine/horizon.py looks at); a bounded number of periods, every window of each
_WINDOWS: dict[MeasurementPeriod, dict[int, tuple[Window, Interval]]] = {}
_MAX_PERIODS = 64


def _by_id(ev: Evidence) -> str:
    return ev.evidence_id


class GapReason(str, Enum):
    """Why a care gap is open (display text and clinic action live in engine.gaps)."""

    NOT_CONTROLLED = "not_controlled"
    UNDATED_EVIDENCE = "undated_evidence"
    DECLINED = "declined"
    ONLY_ORDERED = "only_ordered"
    EVIDENCE_TOO_OLD = "evidence_too_old"
    NO_EVIDENCE = "no_evidence"


@dataclass(frozen=True)
class Finding:
    """A reason a criterion was not satisfied (or, for inverse measures, why it was)."""

    reason: GapReason
    evidence_id: str | None = None


@dataclass(frozen=True)
class CriterionResult:
    met: bool
    evidence_ids: tuple[str, ...] = ()  # evidence that decided the result
    findings: tuple[Finding, ...] = ()  # gap reasons with the evidence behind them
    flags: tuple[str, ...] = ()  # review flags, e.g. "undated:<evidence_id>", "denominator_from_notes"


@dataclass(frozen=True)
class Episode:
    """One episode of care of an episode-based measure (a discharge for TRC; an index PHQ-9 for
    CMS159): windows may be written relative to its ``start`` and ``end``."""

    id: str
    start: date
    end: date
    value: Any = None  # e.g. the index score
    evidence_ids: tuple[str, ...] = ()  # what defines it (encounters, the index screen)
    flags: tuple[str, ...] = ()  # e.g. the discharges collapsed into it


@dataclass(frozen=True)
class PatientContext:
    """One patient's data for one measure evaluation (built once per patient, and per episode)."""

    patient: Patient
    period: MeasurementPeriod
    evidence_by_element: Mapping[str, tuple[Evidence, ...]]
    encounters: tuple[Encounter, ...] = ()
    undated_policy: UndatedPolicy = "review"
    count_statuses: frozenset[str] = field(default_factory=lambda: frozenset({"affirmed"}))
    episode: Episode | None = None
    options: EngineOptions = DEFAULT_OPTIONS

    def items(self, elements: Iterable[str]) -> list[Evidence]:
        """The evidence of ``elements`` in evidence-id order (each element's tuple is kept sorted)."""
        out: list[Evidence] = []
        n = 0
        for element in elements:
            found = self.evidence_by_element.get(element)
            if found:
                out.extend(found)
                n += 1
        return sorted(out, key=_by_id) if n > 1 else out

    @property
    def anchors(self) -> dict[str, date]:
        """Dates windows may be written against besides the MP (engine.periods)."""
        out = {"birth_date": self.patient.birth_date}
        if self.episode is not None:
            out["episode_start"] = self.episode.start
            out["episode_end"] = self.episode.end
        return out

    def window(self, window: Window | None) -> Interval:
        """The days of a spec window for this patient (and episode); None: unbounded."""
        if window is None:
            return _UNBOUNDED
        per_period = _WINDOWS.get(self.period)
        if per_period is None:
            if len(_WINDOWS) >= _MAX_PERIODS:
                _WINDOWS.clear()
            per_period = _WINDOWS[self.period] = {}
        cached = per_period.get(id(window))
        if cached is not None and cached[0] is window:  # the same days for every patient of the MP
            return cached[1]
        start, end = window.start, window.end
        if window.per_patient:
            anchors = self.anchors
            return Interval(start.resolve(self.period, anchors) if start is not None else None,
                            end.resolve(self.period, anchors) if end is not None else None)
        days = Interval(start.resolve(self.period) if start is not None else None,
                        end.resolve(self.period) if end is not None else None)
        per_period[id(window)] = (window, days)  # keeps the window alive, so its id is not reused
        return days

    @property
    def mp(self) -> Interval:
        return Interval(self.period.start, self.period.end)

    def anchor_date(self, anchor: AgeAnchor) -> date:
        return self.period.start if anchor == "mp_start" else self.period.end

    def age(self, anchor: AgeAnchor = "mp_end") -> int:
        return age_in_years(self.patient.birth_date, self.anchor_date(anchor))

    def age_months(self, anchor: AgeAnchor = "mp_end") -> int:
        return age_in_months(self.patient.birth_date, self.anchor_date(anchor))

    def age_on(self, day: date) -> int:
        return age_in_years(self.patient.birth_date, day)

    def with_episode(self, episode: Episode | None) -> PatientContext:
        return replace(self, episode=episode)

    def with_overrides(self, *, undated_policy: UndatedPolicy | None = None) -> PatientContext:
        if undated_policy is None or undated_policy == self.undated_policy:
            return self
        return replace(self, undated_policy=undated_policy)


def unique(ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
