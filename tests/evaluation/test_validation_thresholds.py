"""Validation settings: read from a job config or a file of their own; thresholds decide pass/fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigError
from evaluation.agreement import BinaryCounts, wilson
from evaluation.thresholds import ValidationConfig, check_thresholds, load_validation_config
from qae.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_configs_carry_the_thresholds() -> None:
    demo = load_config(ROOT / "configs" / "demo.yaml")
    assert demo.validation.thresholds[0].describe() == "measure: ppv >= 0.95"
    standalone = load_validation_config(ROOT / "configs" / "validation.yaml")
    assert standalone == demo.validation
    # a run's manifest keeps its config: the evaluation of that run reads the section from it
    manifest = {"config": demo.model_dump(mode="json")}
    assert load_validation_config(None, manifest) == demo.validation
    assert load_validation_config(None, {}) == ValidationConfig()


def test_validation_section_does_not_change_the_result_fingerprint(tmp_path: Path) -> None:
    base = tmp_path / "a.yaml"
    base.write_text("name: x\nmeasures: [COL-E]\n", encoding="utf-8")
    other = tmp_path / "b.yaml"
    other.write_text("name: x\nmeasures: [COL-E]\nvalidation:\n  thresholds: [{level: element, metric: kappa, "
                     "min: 0.7}]\n", encoding="utf-8")
    assert load_config(base).fingerprint() == load_config(other).fingerprint()


def test_bad_threshold_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("validation:\n  thresholds:\n    - {level: measure, metric: accuracy, min: 0.9}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"validation\.thresholds\.0\.metric"):
        load_validation_config(path)


def test_thresholds_on_estimate_lower_bound_and_undefined() -> None:
    cfg = ValidationConfig.model_validate({"thresholds": [
        {"level": "measure", "metric": "ppv", "min": 0.95},
        {"level": "measure", "metric": "ppv", "min": 0.80, "on": "lower_bound", "measures": ["COL-E"]},
    ]})
    figures = {"measure": {
        "COL-E": BinaryCounts(tp=16, fp=0, fn=1, tn=10).metrics(),  # 16/16: estimate 1.0, lower bound 0.806
        "CBP": BinaryCounts(tp=15, fp=1, fn=0, tn=9).metrics(),  # 15/16 = 0.9375 < 0.95
        "GSD-POOR": BinaryCounts(tp=0, fp=0, fn=2, tn=7).metrics(),  # no engine positive: PPV undefined
    }}
    got = {(r.threshold, r.scope): r.verdict for r in check_thresholds(cfg, figures)}
    assert got == {
        ("measure: ppv >= 0.95", "CBP"): "FAIL",
        ("measure: ppv >= 0.95", "COL-E"): "PASS",
        ("measure: ppv >= 0.95", "GSD-POOR"): "n/a",
        ("measure (COL-E): lower 95% bound of ppv >= 0.8", "COL-E"): "PASS",
    }
    assert round(wilson(16, 16).low, 3) == 0.806
