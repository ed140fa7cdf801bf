"""Episodes of care: measures counted per episode rather than per patient (fqm-execution's
episode-based calculation). A spec's ``episode:`` names how episodes are found; the calculator
evaluates every population group once per episode, and windows may be written relative to the
episode (``episode_start``, ``episode_end``).

Kinds:

* ``discharge`` (HEDIS TRC): inpatient stays (encounters of ``types``) chained when a readmission
  or direct transfer starts within ``readmission_days`` of the previous discharge; each chain is
  one episode, dated and named by its *last* discharge (the encounter id), and counts when that
  discharge falls in ``window`` (January 1 - December 1 of the MP). The discharges collapsed into
  it are kept on the episode.
* ``first_score`` (CMS159): the first score of one of ``instruments`` above ``above`` in
  ``window`` (the index PHQ-9 > 9, 14 to 2 months before the MP): one episode per patient, dated
  on that day, named by the screen's evidence id, with the score as its value.

A patient without an episode gets one outcome row outside the initial population (episode ``""``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.criteria.base import Episode, PatientContext
from engine.criteria.dating import DateFallback, day_of
from engine.criteria.encounters import check_tags, encounters_matching
from engine.criteria.registry import ElementId
from engine.criteria.values import score_of
from engine.periods import Interval, Window
from engine.records import Encounter

__all__ = ["DischargeEpisodes", "EpisodeSpec", "FirstScoreEpisodes", "describe_episodes", "find_episodes"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DischargeEpisodes(_Strict):
    kind: Literal["discharge"]
    types: list[str] = Field(default_factory=lambda: ["inpatient"], min_length=1)
    window: Window = Window.model_validate({"from": "mp_start", "to": "mp_start + 11m"})
    readmission_days: int = Field(30, ge=0)

    @field_validator("types")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return check_tags(v)


class FirstScoreEpisodes(_Strict):
    kind: Literal["first_score"]
    elements: list[ElementId] = Field(default_factory=lambda: ["depression_screening"], min_length=1)
    instruments: list[str] = Field(default_factory=lambda: ["PHQ-9", "PHQ-9M", "PHQ-A"], min_length=1)
    above: float
    window: Window
    date_fallback: DateFallback = "element"


EpisodeSpec = Annotated[DischargeEpisodes | FirstScoreEpisodes, Field(discriminator="kind")]


def describe_episodes(spec: DischargeEpisodes | FirstScoreEpisodes) -> str:
    if isinstance(spec, DischargeEpisodes):
        return (f"Counted per discharge: each {' / '.join(spec.types)} discharge {spec.window.describe()} is "
                f"one row (its encounter id in the `episode` column). A readmission or direct transfer "
                f"starting within {spec.readmission_days} days of a discharge joins it, and only the last "
                "discharge of such a chain counts.")
    return (f"Counted from an index event: the first {'/'.join(spec.instruments)} score above {spec.above:g} "
            f"{spec.window.describe()} (one per patient; its evidence id in the `episode` column). "
            "Windows below are relative to that date (episode_start).")


def _discharges(spec: DischargeEpisodes, ctx: PatientContext) -> list[Episode]:
    stays = encounters_matching(ctx, spec.types, Interval(None, None))
    chains: list[list[Encounter]] = []
    last_end = None
    for stay in stays:
        end = stay.end_date or stay.start_date
        if chains and last_end is not None and stay.start_date <= last_end + timedelta(days=spec.readmission_days):
            chains[-1].append(stay)
            last_end = max(last_end, end)
        else:
            chains.append([stay])
            last_end = end
    window = ctx.window(spec.window)
    out = []
    for chain in chains:
        last = max(chain, key=lambda e: (e.end_date or e.start_date, e.start_date, e.encounter_id))
        discharged = last.end_date or last.start_date
        if not window.contains(discharged):
            continue
        out.append(Episode(id=last.encounter_id, start=last.start_date, end=discharged,
                           evidence_ids=(f"encounter:{last.encounter_id}",),
                           flags=tuple(f"collapsed_discharge:{e.encounter_id}" for e in chain if e is not last)))
    return out


def _first_score(spec: FirstScoreEpisodes, ctx: PatientContext) -> list[Episode]:
    window = ctx.window(spec.window)
    found = []
    for ev in ctx.items(spec.elements):
        if ev.status not in ctx.count_statuses:
            continue
        day = day_of(ev, spec.date_fallback)
        score = score_of(ev, spec.instruments)
        if day is not None and score is not None and score > spec.above and window.contains(day):
            found.append((day, ev.evidence_id, score))
    if not found:
        return []
    day, evidence_id, score = min(found)
    return [Episode(id=evidence_id, start=day, end=day, value=score, evidence_ids=(evidence_id,))]


def find_episodes(spec: DischargeEpisodes | FirstScoreEpisodes, ctx: PatientContext) -> list[Episode]:
    """The patient's episodes, in date order."""
    if isinstance(spec, DischargeEpisodes):
        return _discharges(spec, ctx)
    return _first_score(spec, ctx)
