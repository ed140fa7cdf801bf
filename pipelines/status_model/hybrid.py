"""Rules and model together: per status class, who decides (the model directory's ``hybrid.yaml``).

For each class the policy is one of
  ``rules``                      the model never moves an item into or out of this class
  ``model``                      the model's reading wins whenever it names this class
  ``{model_if_confident: t}``    the model's reading wins when it names this class with probability >= t

An item whose rules status is ``r`` and whose model reading is ``m`` (probability ``p``) gets
``m`` when ``m != r`` and neither class is ``rules`` and ``p`` reaches the thresholds of both
(the model must be that sure to move an item into ``m`` and out of ``r``); otherwise it keeps ``r``.
``decided_by`` is ``both`` when they agree, else the reader
whose answer was kept, and every disagreement is flagged ``readers_disagree`` for review.

The ``status`` section governs the engine's eight statuses; the ``negex`` section the NegEx/ConText
evaluation classes (negated, family, historical, hypothetical), whose readings come from the
same model (the temporality head for historical / hypothetical).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import ConfigError

__all__ = ["Decision", "HybridPolicy", "NEGEX_CLASSES", "READERS_DISAGREE", "load_policy", "policy_to_yaml"]

READERS_DISAGREE = "readers_disagree"
NEGEX_CLASSES: tuple[str, ...] = ("negated", "family", "historical", "hypothetical")
RULES = None  # a class decided by the rules alone


@dataclass(frozen=True)
class Decision:
    """The status an item gets, who decided it, and both readings."""

    status: str
    decided_by: str  # rules | model | both
    rules_status: str
    model_status: str | None = None
    model_probability: float | None = None

    @property
    def disagree(self) -> bool:
        return self.model_status is not None and self.model_status != self.rules_status


def _threshold(cls: str, value: Any, where: str) -> float | None:
    if value == "rules":
        return RULES
    if value == "model":
        return 0.0
    if isinstance(value, Mapping) and set(value) == {"model_if_confident"}:
        t = value["model_if_confident"]
        if isinstance(t, int | float) and 0.0 <= float(t) <= 1.0:
            return float(t)
    raise ConfigError(
        f"{where}: class {cls!r} has policy {value!r}; give rules, model or {{model_if_confident: 0.9}} "
        "(a probability between 0 and 1)."
    )


def _encode(t: float | None) -> Any:
    if t is RULES:
        return "rules"
    if t == 0.0:
        return "model"
    return {"model_if_confident": round(t, 4)}


@dataclass(frozen=True)
class HybridPolicy:
    """Per-class thresholds: None = rules only, 0.0 = model, t = model when at least t sure."""

    status: Mapping[str, float | None]
    negex: Mapping[str, float | None] = field(default_factory=dict)

    @staticmethod
    def rules_only(labels: tuple[str, ...]) -> HybridPolicy:
        return HybridPolicy({c: RULES for c in labels}, {c: RULES for c in NEGEX_CLASSES})

    @staticmethod
    def model_only(labels: tuple[str, ...]) -> HybridPolicy:
        return HybridPolicy({c: 0.0 for c in labels}, {c: 0.0 for c in NEGEX_CLASSES})

    def decide(self, rules_status: str, model_status: str, probability: float) -> Decision:
        return combine(self.status, rules_status, model_status, probability)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": {c: _encode(t) for c, t in self.status.items()},
            "negex": {c: _encode(t) for c, t in self.negex.items()},
        }


def combine(
    thresholds: Mapping[str, float | None], rules_label: str, model_label: str, probability: float
) -> Decision:
    """The combination rule of the module docstring, for one item."""
    p = round(float(probability), 4)
    if model_label == rules_label:
        return Decision(rules_label, "both", rules_label, model_label, p)
    accept = thresholds.get(model_label, RULES)
    release = thresholds.get(rules_label, RULES)
    if accept is not RULES and release is not RULES and p >= max(accept, release):
        return Decision(model_label, "model", rules_label, model_label, p)
    return Decision(rules_label, "rules", rules_label, model_label, p)


def load_policy(path: Path, labels: tuple[str, ...]) -> HybridPolicy:
    """Read ``hybrid.yaml``; a class it does not name is decided by the rules."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the hybrid policy ({exc})".replace("\n", " ")) from exc
    if not isinstance(data, Mapping) or set(data) - {"status", "negex"}:
        raise ConfigError(f"{path}: the hybrid policy has the keys status and negex, got {sorted(data)}.")
    out: dict[str, dict[str, float | None]] = {}
    for section, known in (("status", labels), ("negex", NEGEX_CLASSES)):
        given = data.get(section) or {}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ConfigError(f"{path}: {section} names unknown class(es) {unknown}; known: {list(known)}.")
        out[section] = {c: _threshold(c, given.get(c, "rules"), f"{path}: {section}") for c in known}
    return HybridPolicy(out["status"], out["negex"])


def policy_to_yaml(policy: HybridPolicy, header: str = "") -> str:
    body = yaml.safe_dump(policy.to_dict(), sort_keys=False, default_flow_style=False)
    return (header + "\n" if header else "") + body
