"""Agreement statistics with confidence intervals (pure Python + numpy, no NLP imports).

Methods (each figure in a report names the one it used):

* **Proportions** (sensitivity, specificity, PPV, NPV, percent agreement, value and date
  agreement): the Wilson score interval without continuity correction (Wilson 1927; method 3 of
  Newcombe, Stat Med 1998;17:857-872). It stays inside [0, 1] and is sensible at 0/n and n/n.
* **Cohen's kappa** (two raters, any number of categories): the point estimate of Cohen (1960)
  and the large-sample standard error of Fleiss, Cohen & Everitt (Psychol Bull 1969;72:323-327),
  the "ASE" SAS PROC FREQ prints; interval kappa +/- z * SE, clipped to [-1, 1]. Undefined
  (``None``) when chance agreement is 1 (both raters used one category only).
* **F1** and population-weighted estimates: a percentile bootstrap, seeded, resampling whole
  clusters (notes or patients, so the elements of one chart move together), within strata when
  the sample was stratified. Same seed and data -> the same interval.

Units are assumed independent for the Wilson and kappa intervals; when several elements of one
patient are pooled (the "overall" rows) the intervals are somewhat too narrow, which the report
says beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import sqrt
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = [
    "BinaryCounts",
    "Estimate",
    "bootstrap_interval",
    "cohen_kappa",
    "confusion_table",
    "f1_interval",
    "percent_agreement",
    "wilson",
    "z_value",
]


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile (1.959964 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval; ``value`` is None when undefined (0/0)."""

    value: float | None
    low: float | None
    high: float | None
    method: str
    numerator: float | None = None
    denominator: float | None = None
    se: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _r(self.value), "low": _r(self.low), "high": _r(self.high),
                               "method": self.method}
        if self.numerator is not None:
            out["numerator"] = self.numerator
            out["denominator"] = self.denominator
        if self.se is not None:
            out["se"] = _r(self.se)
        return out

    def text(self, digits: int = 3) -> str:
        """``0.950 (0.831-0.994)``; ``-`` when undefined."""
        if self.value is None:
            return "-"
        if self.low is None or self.high is None:
            return f"{self.value:.{digits}f}"
        return f"{self.value:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f})"

    def passes(self, minimum: float, *, on: str = "estimate") -> bool | None:
        """Whether the estimate (or its lower bound) reaches ``minimum``; None when undefined."""
        got = self.low if on == "lower_bound" else self.value
        return None if got is None else got >= minimum - 1e-12


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def wilson(k: float, n: float, confidence: float = 0.95) -> Estimate:
    """Wilson score interval for ``k`` successes in ``n`` trials (no continuity correction)."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Estimate(None, None, None, "wilson", k, n)
    z = z_value(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    if k == 0:
        low = 0.0
    if k == n:
        high = 1.0
    return Estimate(p, low, high, "wilson", k, n)


def cohen_kappa(table: Sequence[Sequence[float]], confidence: float = 0.95) -> Estimate:
    """Cohen's kappa of a square agreement table (rows: rater A, columns: rater B, counts).

    Standard error: Fleiss, Cohen & Everitt (1969), the non-null large-sample variance::

        var = [ sum_i p_ii (1 - (p_i. + p_.i)(1 - k))^2
                + (1 - k)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
                - (k - p_e (1 - k))^2 ] / (n (1 - p_e)^2)
    """
    size = len(table)
    if any(len(row) != size for row in table):
        raise ValueError("the agreement table must be square (same categories for both raters)")
    n = float(sum(sum(row) for row in table))
    if n == 0:
        return Estimate(None, None, None, "cohen-fce", 0, 0)
    p = [[cell / n for cell in row] for row in table]
    rows = [sum(p[i]) for i in range(size)]
    cols = [sum(p[i][j] for i in range(size)) for j in range(size)]
    p_o = sum(p[i][i] for i in range(size))
    p_e = sum(rows[i] * cols[i] for i in range(size))
    if p_e >= 1 - 1e-12:
        return Estimate(None, None, None, "cohen-fce", p_o, 1.0)
    kappa = (p_o - p_e) / (1 - p_e)
    a = sum(p[i][i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(size))
    b = (1 - kappa) ** 2 * sum(p[i][j] * (cols[i] + rows[j]) ** 2
                               for i in range(size) for j in range(size) if i != j)
    c = (kappa - p_e * (1 - kappa)) ** 2
    var = max(0.0, (a + b - c) / (n * (1 - p_e) ** 2))
    se = sqrt(var)
    z = z_value(confidence)
    return Estimate(kappa, max(-1.0, kappa - z * se), min(1.0, kappa + z * se), "cohen-fce",
                    round(p_o, 12), round(p_e, 12), se)


def percent_agreement(table: Sequence[Sequence[float]], confidence: float = 0.95) -> Estimate:
    agree = sum(table[i][i] for i in range(len(table)))
    return wilson(agree, sum(sum(row) for row in table), confidence)


def confusion_table(pairs: Sequence[tuple[str, str]], categories: Sequence[str]) -> list[list[int]]:
    """Counts of (rater A, rater B) pairs; rows follow rater A, columns rater B, in ``categories`` order."""
    index = {c: i for i, c in enumerate(categories)}
    table = [[0] * len(categories) for _ in categories]
    for a, b in pairs:
        table[index[a]][index[b]] += 1
    return table


@dataclass
class BinaryCounts:
    """A 2x2 table of engine (test) against reviewer (reference): positive = documented / met."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, engine: bool, reviewer: bool) -> None:
        if engine and reviewer:
            self.tp += 1
        elif engine:
            self.fp += 1
        elif reviewer:
            self.fn += 1
        else:
            self.tn += 1

    def __add__(self, other: BinaryCounts) -> BinaryCounts:
        return BinaryCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def table(self) -> list[list[int]]:
        """Rows: engine positive / negative; columns: reviewer positive / negative."""
        return [[self.tp, self.fp], [self.fn, self.tn]]

    def metrics(self, confidence: float = 0.95) -> dict[str, Estimate]:
        """Sensitivity, specificity, PPV, NPV, agreement (Wilson) and kappa (FCE); F1 without interval
        (give it one with :func:`f1_interval` over the clusters)."""
        f1_den = 2 * self.tp + self.fp + self.fn
        return {
            "sensitivity": wilson(self.tp, self.tp + self.fn, confidence),
            "specificity": wilson(self.tn, self.tn + self.fp, confidence),
            "ppv": wilson(self.tp, self.tp + self.fp, confidence),
            "npv": wilson(self.tn, self.tn + self.fn, confidence),
            "agreement": wilson(self.tp + self.tn, self.n, confidence),
            "f1": Estimate(2 * self.tp / f1_den if f1_den else None, None, None, "point", 2 * self.tp, f1_den),
            "kappa": cohen_kappa(self.table(), confidence),
        }

    def to_dict(self) -> dict[str, int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn}


def bootstrap_interval(
    units: Sequence[Sequence[float]],
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    strata: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    seed: int = 7,
    replicates: int = 2000,
    confidence: float = 0.95,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of ``statistic`` over resampled units.

    ``units``: one row of additive counts per cluster (e.g. tp, fp, fn of one patient).
    ``statistic``: maps an array of summed rows (replicates x columns) to one value per replicate
    (NaN where undefined; those replicates are dropped). With ``strata``, units are resampled
    within their stratum (the sample's design) and each stratum's sum is multiplied by its
    ``weights`` entry (population size / sample size) before summing.
    """
    if not units:
        return None, None
    data = np.asarray(units, dtype=float)
    labels = list(strata) if strata is not None else ["all"] * len(data)
    rng = np.random.default_rng(seed)
    totals = np.zeros((replicates, data.shape[1]))
    for label in sorted(set(labels)):
        idx = [i for i, s in enumerate(labels) if s == label]
        draws = rng.multinomial(len(idx), [1.0 / len(idx)] * len(idx), size=replicates)
        totals += (draws @ data[idx]) * float((weights or {}).get(label, 1.0))
    values = np.asarray(statistic(totals), dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def _f1_of(totals: np.ndarray) -> np.ndarray:
    tp, fp, fn = totals[:, 0], totals[:, 1], totals[:, 2]
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), np.nan)


def f1_interval(clusters: Sequence[tuple[int, int, int]], *, seed: int = 7, replicates: int = 2000,
                confidence: float = 0.95) -> Estimate:
    """F1 with a percentile bootstrap interval over clusters of (tp, fp, fn) counts."""
    tp = sum(c[0] for c in clusters)
    fp = sum(c[1] for c in clusters)
    fn = sum(c[2] for c in clusters)
    den = 2 * tp + fp + fn
    if not den:
        return Estimate(None, None, None, "bootstrap", 0, 0)
    low, high = bootstrap_interval(clusters, _f1_of, seed=seed, replicates=replicates, confidence=confidence)
    return Estimate(2 * tp / den, low, high, "bootstrap", 2 * tp, den)
