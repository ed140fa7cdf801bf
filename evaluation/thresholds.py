"""Validation settings and pass/fail thresholds (the ``validation:`` section of a job config, or a
file of its own, e.g. configs/validation.yaml).

Example::

    validation:
      confidence: 0.95          # interval level
      bootstrap: {replicates: 2000, seed: 7}
      date_order: mdy           # how worksheets write numeric dates (dmy: 4/3/26 = 4 March)
      thresholds:
        - {level: measure, metric: ppv, min: 0.95}           # every measure group
        - {level: element, metric: f1, min: 0.90}
        - {level: interrater, metric: kappa, min: 0.80}
        - {level: measure, metric: kappa, min: 0.60, measures: [CBP], on: lower_bound}

``level``: ``measure`` (outcome level, per measure group), ``element`` (per element),
``element_overall`` (all elements pooled), ``measure_elements`` (a measure's elements pooled) or
``interrater``. ``metric``: sensitivity, specificity, ppv, npv, f1, kappa, agreement. ``on``:
``estimate`` (default) or ``lower_bound`` (the interval's lower limit must reach ``min``).
An undefined figure (no engine positives for a PPV) is "not evaluable", listed but not failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError

from .agreement import Estimate

__all__ = ["Bootstrap", "Threshold", "ThresholdResult", "ValidationConfig", "check_thresholds",
           "load_validation_config"]

Metric = Literal["sensitivity", "specificity", "ppv", "npv", "f1", "kappa", "agreement"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bootstrap(_Strict):
    replicates: int = Field(2000, ge=100, le=100_000)
    seed: int = 7


class Threshold(_Strict):
    level: Literal["measure", "element", "element_overall", "measure_elements", "interrater"]
    metric: Metric
    min: float = Field(ge=-1, le=1)
    on: Literal["estimate", "lower_bound"] = "estimate"
    measures: list[str] | None = None  # measure ids / group labels (or elements, for level element)

    def describe(self) -> str:
        what = "lower 95% bound of " if self.on == "lower_bound" else ""
        scope = f" ({', '.join(self.measures)})" if self.measures else ""
        return f"{self.level}{scope}: {what}{self.metric} >= {self.min:g}"


DEFAULT_THRESHOLDS = (
    Threshold(level="measure", metric="ppv", min=0.95),
    Threshold(level="element", metric="f1", min=0.90),
    Threshold(level="interrater", metric="kappa", min=0.80),
)


class ValidationConfig(_Strict):
    confidence: float = Field(0.95, gt=0.5, lt=1)
    bootstrap: Bootstrap = Bootstrap()
    date_order: Literal["mdy", "dmy"] = "mdy"
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS


class ThresholdResult(BaseModel):
    threshold: str
    scope: str  # the measure group / element it was applied to
    value: float | None
    low: float | None
    high: float | None
    passed: bool | None  # None: not evaluable

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]


def load_validation_config(path: Path | None, manifest: Mapping[str, Any] | None = None) -> ValidationConfig:
    """``path``: a validation file, or a job config with a ``validation:`` section. Without it, the
    run's job config (its manifest) section if any, else the defaults."""
    if path is None:
        section = ((manifest or {}).get("config") or {}).get("validation")
        return ValidationConfig.model_validate(section) if section else ValidationConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"validation config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a validation config must be a mapping")
    section = data.get("validation", data if "thresholds" in data or "confidence" in data else {})
    try:
        return ValidationConfig.model_validate(section or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: validation.{where}: {err['msg']}") from None


def check_thresholds(config: ValidationConfig, figures: Mapping[str, Mapping[str, Mapping[str, Estimate]]]
                     ) -> list[ThresholdResult]:
    """Apply every threshold to the figures: ``figures[level][scope][metric]`` -> Estimate."""
    out: list[ThresholdResult] = []
    for t in config.thresholds:
        scopes = figures.get(t.level, {})
        for scope, metrics in sorted(scopes.items()):
            if t.measures and not any(scope == m or scope.startswith(f"{m}-") for m in t.measures):
                continue
            est = metrics.get(t.metric)
            if est is None:
                continue
            out.append(ThresholdResult(threshold=t.describe(), scope=scope, value=est.value, low=est.low,
                                       high=est.high, passed=est.passes(t.min, on=t.on)))
    return out
