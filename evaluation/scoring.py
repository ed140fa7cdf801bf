"""Mergeable counters for evaluation (modelled on spaCy's ``PRFScore`` in ``spacy/scorer.py``).

Scores of shards add up: ``total = score_a + score_b``. Nothing here imports spaCy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Accuracy", "PRFScore", "macro_f", "merge_counts"]

T = TypeVar("T")


@dataclass
class PRFScore:
    """True/false positives and false negatives, with precision, recall and F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def score_set(self, cand: Iterable[Any], gold: Iterable[Any]) -> None:
        """Count one comparison of a predicted set against a gold set."""
        cand_set, gold_set = set(cand), set(gold)
        self.tp += len(cand_set & gold_set)
        self.fp += len(cand_set - gold_set)
        self.fn += len(gold_set - cand_set)

    def __add__(self, other: PRFScore) -> PRFScore:
        return PRFScore(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fscore(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        """Gold positives."""
        return self.tp + self.fn

    def to_dict(self) -> dict[str, float]:
        return {
            "p": self.precision,
            "r": self.recall,
            "f": self.fscore,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Accuracy:
    """Correct / total, mergeable."""

    correct: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.correct += int(ok)
        self.total += 1

    def __add__(self, other: Accuracy) -> Accuracy:
        return Accuracy(self.correct + other.correct, self.total + other.total)

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, float]:
        return {"acc": self.value, "correct": self.correct, "total": self.total}


def merge_counts(parts: Iterable[Mapping[str, T]]) -> dict[str, T]:
    """Add per-key counters (PRFScore or Accuracy) of several shards."""
    out: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            out[key] = out[key] + value if key in out else value
    return out


def macro_f(scores: Mapping[str, PRFScore]) -> float:
    """Mean F1 over the keys that have gold or predicted positives."""
    used = [s.fscore for s in scores.values() if s.tp + s.fp + s.fn]
    return sum(used) / len(used) if used else 0.0
