"""Our ConText rules on the public NegEx/ConText test set (Chapman et al.).

Each row has a sentence, a target condition (upper-cased inside the sentence) and gold
negation (Affirmed/Negated), temporality (Recent/Historical/Not particular) and experiencer
(Patient/Family member/Other). The condition becomes the only target span of the sentence;
the pipeline's sentence splitting, sections and ConText then decide the three labels:
- negation:    Negated when a NEGATED_EXISTENCE modifier applies
- temporality: Not particular (hypothetical) for HYPOTHETICAL / PLANNED / ORDERED,
               Historical for HISTORICAL / PAST_EVENT, else Recent
- experiencer: Family member for FAMILY (or a family-history section), else Patient
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError

from .scoring import Accuracy, PRFScore

__all__ = [
    "NegexReport",
    "evaluate_negex",
    "find_target",
    "format_negex_report",
    "labels_of",
    "predict_labels",
    "target_reading",
]

TARGET_LABEL = "condition"  # not an element: element-restricted rules (goals, tests) do not apply
_HYPOTHETICAL = {"HYPOTHETICAL", "PLANNED", "ORDERED"}
_HISTORICAL = {"HISTORICAL", "PAST_EVENT"}


@dataclass
class NegexReport:
    negation: Accuracy
    temporality: Accuracy
    experiencer: Accuracy
    negated: PRFScore
    historical: PRFScore
    hypothetical: PRFScore
    family: PRFScore
    skipped: int
    confusion: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "negation": self.negation.to_dict(),
            "temporality": self.temporality.to_dict(),
            "experiencer": self.experiencer.to_dict(),
            "negated": self.negated.to_dict(),
            "historical": self.historical.to_dict(),
            "hypothetical": self.hypothetical.to_dict(),
            "family": self.family.to_dict(),
            "skipped": self.skipped,
        }


def find_target(sentence: str, condition: str) -> tuple[int, int] | None:
    for needle in (condition.upper(), condition):
        i = sentence.find(needle)
        if i >= 0:
            return i, i + len(needle)
    words = [re.escape(w) for w in condition.split()]
    if not words:
        return None
    m = re.search(r"\s+".join(words), sentence, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def target_reading(nlp: Any, sentence: str, start: int, end: int) -> tuple[set[str], str | None] | None:
    """The ConText categories and the section of the target at [start, end) of ``sentence``."""
    whole = getattr(nlp.tokenizer, "whole", None)  # windowed mode would blank text no rule matches
    doc = whole(sentence) if whole is not None else nlp.make_doc(sentence)
    span = doc.char_span(start, end, label=TARGET_LABEL, alignment_mode="expand")
    if span is None:
        return None
    for name, proc in nlp.pipeline:
        if name.startswith("medspacy_target_matcher") or name in (
            "qm_bp_readings",
            "qm_dates",
            "qm_evidence",
            "qm_status_model",
        ):
            continue
        if name == "qm_context":
            doc.ents = [span]
        doc = proc(doc)
    target = doc.ents[0]
    cats = {m.category for m in target._.modifiers}
    section = None
    for sec in getattr(doc._, "sections", None) or []:
        if sec.body_start <= target.start < max(sec.body_end, sec.body_start + 1):
            section = sec.category
    return cats, section


def labels_of(cats: set[str], section: str | None) -> tuple[str, str, str]:
    """(negation, temporality, experiencer) of a target's ConText categories and section."""
    negation = "Negated" if "NEGATED_EXISTENCE" in cats else "Affirmed"
    if cats & _HYPOTHETICAL:
        temporality = "Not particular"
    elif cats & _HISTORICAL:
        temporality = "Historical"
    else:
        temporality = "Recent"
    experiencer = "Family member" if ("FAMILY" in cats or section == "family_history") else "Patient"
    return negation, temporality, experiencer


def predict_labels(nlp: Any, sentence: str, start: int, end: int) -> tuple[str, str, str] | None:
    """(negation, temporality, experiencer) for the target at [start, end) of ``sentence``."""
    reading = target_reading(nlp, sentence, start, end)
    return None if reading is None else labels_of(*reading)


def evaluate_negex(tsv_path: Path, nlp: Any = None) -> NegexReport:
    """Score negation, temporality and experiencer on the NegEx/ConText TSV."""
    from pipelines.build import build_nlp

    nlp = nlp or build_nlp()
    neg, tmp, exp = Accuracy(), Accuracy(), Accuracy()
    prf = {k: PRFScore() for k in ("negated", "historical", "hypothetical", "family")}
    confusion: dict[str, Counter[tuple[str, str]]] = {
        k: Counter() for k in ("negation", "temporality", "experiencer")
    }
    errors: list[str] = []
    skipped = 0
    with tsv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        expected = {"id", "condition", "sentence", "negation", "temporality", "experiencer"}
        if not expected <= set(reader.fieldnames or ()):
            raise InputError(f"{tsv_path}: expected columns {sorted(expected)}, found {reader.fieldnames}.")
        for row in reader:
            located = find_target(row["sentence"], row["condition"])
            pred = predict_labels(nlp, row["sentence"], *located) if located else None
            if pred is None:
                skipped += 1
                continue
            gold = (row["negation"], row["temporality"], row["experiencer"])
            neg.add(pred[0] == gold[0])
            tmp.add(pred[1] == gold[1])
            exp.add(pred[2] == gold[2])
            for key, (g, p) in zip(
                ("negation", "temporality", "experiencer"), zip(gold, pred, strict=True), strict=True
            ):
                confusion[key][(g, p)] += 1
            prf["negated"].score_set([1] if pred[0] == "Negated" else [], [1] if gold[0] == "Negated" else [])
            prf["historical"].score_set(
                [1] if pred[1] == "Historical" else [], [1] if gold[1] == "Historical" else []
            )
            prf["hypothetical"].score_set(
                [1] if pred[1] == "Not particular" else [], [1] if gold[1] == "Not particular" else []
            )
            prf["family"].score_set([1] if pred[2] != "Patient" else [], [1] if gold[2] != "Patient" else [])
            if pred[0] != gold[0] or pred[2] != gold[2]:
                errors.append(
                    f"{row['id']}: gold={gold[0]}/{gold[2]} pred={pred[0]}/{pred[2]} "
                    f"target={row['condition']!r}"
                )
    return NegexReport(
        neg,
        tmp,
        exp,
        prf["negated"],
        prf["historical"],
        prf["hypothetical"],
        prf["family"],
        skipped,
        confusion,
        errors,
    )


def format_negex_report(report: NegexReport, show_errors: int = 40) -> str:
    lines = [
        f"NegEx/ConText test set: {report.negation.total} sentences scored, {report.skipped} skipped "
        "(target not found in the sentence)"
    ]
    for name, acc in (
        ("negation accuracy", report.negation),
        ("temporality accuracy", report.temporality),
        ("experiencer accuracy", report.experiencer),
    ):
        lines.append(f"  {name:24s} {acc.value:6.3f}  ({acc.correct}/{acc.total})")
    for name, s in (
        ("Negated", report.negated),
        ("Historical", report.historical),
        ("Not particular", report.hypothetical),
        ("Family/Other", report.family),
    ):
        lines.append(
            f"  {name:24s} P {s.precision:5.3f}  R {s.recall:5.3f}  F1 {s.fscore:5.3f}  (support {s.support})"
        )
    if show_errors and report.errors:
        lines.append(
            f"First {min(show_errors, len(report.errors))} of {len(report.errors)} "
            "negation/experiencer errors:"
        )
        lines.extend(f"  {e}" for e in report.errors[:show_errors])
    return "\n".join(lines)
