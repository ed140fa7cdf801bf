"""Draw a review sample from a finished run: stratified per measure group, reproducible by seed.

Strata are the engine's outcome categories (evaluation/categories.py): ``numerator``,
``not_numerator`` and ``excluded`` (denominator members only). Because the strata are the
engine's own answers, PPV and NPV are estimated within a stratum without weighting; sensitivity
and specificity over the whole denominator need the stratum weights N_h / n_h, which the
evaluation applies (``weighted`` figures).

* ``allocation="equal"`` (default) splits ``n`` evenly over the non-empty strata (a stratum
  smaller than its share is taken whole and the rest goes to the others), so exclusions and
  closed gaps are checked even when they are rare; ``"proportional"`` follows the stratum sizes
  (largest remainder).
* ``oversample`` (a fraction, e.g. 0.1) draws replacements per stratum (``role=oversample``),
  used in order when a sampled record cannot be reviewed (chart unavailable).
* ``hedis_mrrv=True``: the HEDIS medical record review validation preset
  (shared/docs/measures-reference.md, "Medical-record evidence and audit"): per measure group,
  16 compliant records, i.e. gap closed (numerator met; for an inverse measure, not in the
  numerator) with the deciding evidence from notes (``closed_by`` note or both: the records the
  medical record made compliant), plus a second
  sample of 16 (``role=mrrv-second``) to review only when the first has exactly one error. Pass:
  no error in the first 16, or exactly one there and none in the second 16.

Each stratum's units (patient, episode) are sorted, then shuffled by a generator seeded with
``seed``, the measure, group and stratum; the sample is a prefix of that order, so it does
not change when other measures are added, and a larger ``n`` keeps the smaller sample.
With ``disagree_first``, records whose deciding evidence carries the review flag
``readers_disagree`` (the rules and the status model read it differently) come first in that
order, so the review time goes to the doubtful records; the sample is then no longer a simple
random one within the stratum (say so when estimating PPV/NPV from it).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from engine.calculator import MeasureOutcome
from engine.errors import InputError
from engine.run_data import RunData

from .categories import STRATA, category_of

__all__ = [
    "MRRV_SIZE",
    "GroupSample",
    "Sample",
    "SampledUnit",
    "allocate",
    "draw_sample",
    "load_sample",
    "readers_disagree",
]

MRRV_SIZE = 16
SAMPLE_FORMAT = "qae-review-sample/1"
Role = Literal["primary", "oversample", "mrrv-first", "mrrv-second"]


class SampledUnit(BaseModel):
    patient_id: str
    episode: str = ""
    stratum: str  # the engine's category when drawn
    role: Role
    order: int  # 1-based draw order within the stratum (oversample: use in this order)


class GroupSample(BaseModel):
    measure_id: str
    group: str
    label: str  # COL-E, or AIS-E-influenza for a multi-group measure
    inverse: bool = False
    population: dict[str, int]  # N_h: denominator rows per stratum
    drawn: dict[str, int]  # n_h: primary units per stratum
    units: list[SampledUnit]
    messages: list[str] = Field(default_factory=list)


class Sample(BaseModel):
    format: str = SAMPLE_FORMAT
    run: str
    job: str
    period: dict[str, str]
    seed: int
    n: int
    oversample: float = 0.0
    allocation: Literal["equal", "proportional"] = "equal"
    preset: Literal["stratified", "hedis-mrrv"] = "stratified"
    blinded: bool = True
    disagree_first: bool = False  # records with readers_disagree evidence drawn first in each stratum
    versions: dict = Field(default_factory=dict)
    groups: list[GroupSample]

    def measures(self) -> list[str]:
        return sorted({g.measure_id for g in self.groups})

    def groups_of(self, measure_id: str) -> list[GroupSample]:
        return [g for g in self.groups if g.measure_id == measure_id]

    def patients_of(self, measure_id: str) -> dict[str, str]:
        """Patient id -> role for one measure (primary wins over oversample)."""
        rank = {"primary": 0, "mrrv-first": 0, "mrrv-second": 1, "oversample": 2}
        out: dict[str, str] = {}
        for g in self.groups_of(measure_id):
            for u in g.units:
                if u.patient_id not in out or rank[u.role] < rank[out[u.patient_id]]:
                    out[u.patient_id] = u.role
        return dict(sorted(out.items()))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_sample(path: Path) -> Sample:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Sample.model_validate(data)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a review sample written by `qae sample` ({exc})".splitlines()[0]) from None


def allocate(n: int, sizes: dict[str, int], mode: str = "equal") -> dict[str, int]:
    """Units per stratum: ``n`` split equally (or proportionally), never more than a stratum holds."""
    order = [s for s in STRATA if sizes.get(s, 0) > 0]
    out = dict.fromkeys(STRATA, 0)
    if n <= 0 or not order:
        return out
    if mode == "proportional":
        total = sum(sizes[s] for s in order)
        quotas = {s: n * sizes[s] / total for s in order}
        for s in order:
            out[s] = min(sizes[s], int(quotas[s]))
        by_remainder = sorted(order, key=lambda s: (-(quotas[s] - int(quotas[s])), STRATA.index(s)))
        while sum(out.values()) < min(n, total):
            for s in by_remainder:
                if sum(out.values()) < min(n, total) and out[s] < sizes[s]:
                    out[s] += 1
        return out
    remaining = n
    while remaining > 0:
        open_ = [s for s in order if out[s] < sizes[s]]
        if not open_:
            break
        share, extra = divmod(remaining, len(open_))
        given = 0
        for i, s in enumerate(open_):
            take = min(sizes[s] - out[s], share + (1 if i < extra else 0))
            out[s] += take
            given += take
        remaining -= given
        if given == 0:
            break
    return out


def _shuffled(units: list[MeasureOutcome], seed: int, measure: str, group: str, stratum: str,
              disagree_first: bool = False) -> list[MeasureOutcome]:
    ordered = sorted(units, key=lambda o: (o.patient_id, o.episode))
    random.Random(f"{seed}|{measure}|{group}|{stratum}").shuffle(ordered)
    if disagree_first:  # stable: each part keeps its seeded order
        ordered.sort(key=lambda o: not readers_disagree(o))
    return ordered


def readers_disagree(outcome: MeasureOutcome) -> bool:
    """Whether evidence deciding the outcome was read differently by the rules and the status model."""
    return any(f.startswith("readers_disagree:") for f in outcome.review_flags)


def draw_sample(run: RunData, measures: Sequence[str] | None, *, run_dir: Path, n: int = 30, seed: int = 7,
                oversample: float = 0.0, allocation: str = "equal", hedis_mrrv: bool = False,
                blinded: bool = True, disagree_first: bool = False) -> Sample:
    """The review sample of ``measures`` (ids the run calculated; default all, or its HEDIS ones).

    ``disagree_first``: within each stratum, records whose deciding evidence the rules and the status
    model read differently (review flag ``readers_disagree``) are drawn before the others."""
    if not 0 <= oversample <= 1:
        raise InputError(f"--oversample {oversample}: give a fraction between 0 and 1 (0.1 = 10% extra)")
    if n < 1 and not hedis_mrrv:
        raise InputError(f"--n {n}: give at least 1 record per measure group")
    ids = list(measures) if measures else [m for m, s in sorted(run.specs.items())
                                            if not hedis_mrrv or s.programs.hedis]
    unknown = [m for m in ids if m not in run.specs]
    if unknown:
        raise InputError(f"measure {unknown[0]!r} was not calculated in run {run_dir}; "
                         f"the run has: {', '.join(sorted(run.specs))}")
    rows: dict[tuple[str, str], list[MeasureOutcome]] = defaultdict(list)
    for o in run.outcomes:
        rows[(o.measure_id, o.group)].append(o)
    groups: list[GroupSample] = []
    for measure_id in ids:
        spec = run.specs[measure_id]
        multi = len(spec.groups) > 1
        for group in spec.groups:
            label = f"{measure_id}-{group.id}" if multi else measure_id
            by_stratum: dict[str, list[MeasureOutcome]] = {s: [] for s in STRATA}
            for o in rows.get((measure_id, group.id), []):
                cat = category_of(o.populations)
                if cat in by_stratum:
                    by_stratum[cat].append(o)
            population = {s: len(v) for s, v in by_stratum.items()}
            units: list[SampledUnit] = []
            messages: list[str] = []
            if hedis_mrrv:
                closed = "not_numerator" if spec.inverse else "numerator"  # the gap closed by the record
                pool = [o for o in by_stratum[closed] if o.closed_by in ("note", "both")]
                order = _shuffled(pool, seed, measure_id, group.id, "mrrv", disagree_first)
                for i, o in enumerate(order[:2 * MRRV_SIZE], start=1):
                    units.append(SampledUnit(patient_id=o.patient_id, episode=o.episode, stratum=closed,
                                             role="mrrv-first" if i <= MRRV_SIZE else "mrrv-second", order=i))
                drawn = {**dict.fromkeys(STRATA, 0), closed: min(MRRV_SIZE, len(pool))}
                if len(pool) < MRRV_SIZE:
                    messages.append(f"{label}: only {len(pool)} compliant records closed from notes "
                                    f"(MRRV asks for {MRRV_SIZE}); all are in the sample")
            else:
                drawn = allocate(n, population, allocation)
                for stratum in STRATA:
                    extra = -(-drawn[stratum] * oversample // 1) if oversample else 0  # ceil
                    order = _shuffled(by_stratum[stratum], seed, measure_id, group.id, stratum, disagree_first)
                    for i, o in enumerate(order[:drawn[stratum] + int(extra)], start=1):
                        units.append(SampledUnit(patient_id=o.patient_id, episode=o.episode, stratum=stratum,
                                                 role="primary" if i <= drawn[stratum] else "oversample", order=i))
                empty = [s for s in STRATA if not population[s]]
                if empty:
                    messages.append(f"{label}: no {', '.join(empty)} records in the run")
            groups.append(GroupSample(measure_id=measure_id, group=group.id, label=label, inverse=spec.inverse,
                                      population=population, drawn=drawn, units=units, messages=messages))
    return Sample(run=str(Path(run_dir).resolve()), job=run.job,
                  period={"start": run.period.start.isoformat(), "end": run.period.end.isoformat()},
                  seed=seed, n=MRRV_SIZE if hedis_mrrv else n, oversample=oversample,
                  allocation=allocation,  # type: ignore[arg-type]
                  preset="hedis-mrrv" if hedis_mrrv else "stratified", blinded=blinded, disagree_first=disagree_first,
                  versions=dict(run.versions), groups=groups)
