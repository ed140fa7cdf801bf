"""The training data recipe: which examples, from where, in which split, with which labels.

Sources (each recorded in the model's ``data.json`` with its file sha256 and its share):
- ``negex``  the NegEx/ConText test set, split by distinct sentence with a fixed seed into train /
  val (chooses the hybrid) / test (reported, never trained on or tuned on). Labels: the status
  head gets the set of engine statuses the row allows (Negated: negated or declined; Not
  particular: hypothetical, planned or ordered; Family member / Other: family; otherwise affirmed
  or uncertain) and the temporality head the row's temporality.
- ``dev``    the chart-review dev annotations, split by note into train / select / eval. A
  mention inside an abstractor's affirmed quote is affirmed; one inside a not-affirmed quote, or
  any mention of an element the note does not affirm, is one of the seven other statuses.
- ``weak``   every target the rules find in the given notes, labelled with the rules' status
  (the status ConText and the sections give, before element-specific adjustments), capped per
  status; notes of the dev select / eval splits are left out.
A window is the mention's sentence (pipelines.status_model.component.span_window).
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError

from .network import STATUS_LABELS
from .windows import Window

__all__ = [
    "Example",
    "NOT_AFFIRMED",
    "dev_split",
    "expand_paths",
    "file_sha256",
    "negex_examples",
    "note_examples",
    "split_by_key",
]

NOT_AFFIRMED: tuple[str, ...] = tuple(s for s in STATUS_LABELS if s != "affirmed")
_NEGEX_TEMPORALITY = {"Recent": "recent", "Historical": "historical", "Not particular": "hypothetical"}
_RULES_TEMPORALITY = {"hypothetical": "hypothetical", "planned": "hypothetical", "ordered": "hypothetical"}


@dataclass(frozen=True)
class Example:
    window: Window
    status: tuple[str, ...] | None  # the statuses the label allows (None: no status label)
    temporality: str | None  # recent | historical | hypothetical | None
    source: str  # negex | dev | weak
    split: str  # negex: train/val/test; dev: train/select/eval; weak: train
    key: str  # what the split is drawn by: the sentence (negex) or the note id
    element: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # negex gold labels, rules' labels


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expand_paths(patterns: Iterable[str | Path]) -> list[Path]:
    """Paths and glob patterns (``evaluation/devsets/terse*/notes.jsonl``), sorted, existing only."""
    out: list[Path] = []
    for pattern in patterns:
        hits = sorted(Path(p) for p in glob.glob(str(pattern)))
        out.extend(hits)
    return list(dict.fromkeys(out))


def split_by_key(keys: Iterable[str], shares: Mapping[str, float], seed: int) -> dict[str, str]:
    """Assign each distinct key to a split with the given shares: sorted, shuffled with ``seed``."""
    distinct = sorted(set(keys))
    random.Random(seed).shuffle(distinct)
    total = sum(shares.values())
    names = list(shares)
    out: dict[str, str] = {}
    bounds, acc = [], 0.0
    for name in names:
        acc += shares[name] / total
        bounds.append(round(acc * len(distinct)))
    k = 0
    for i, key in enumerate(distinct):
        while k < len(names) - 1 and i >= bounds[k]:
            k += 1
        out[key] = names[k]
    return out


def negex_status(negation: str, temporality: str, experiencer: str) -> tuple[str, ...]:
    """The engine statuses a NegEx row allows (the rules' mapping, evaluation/negex.py)."""
    if experiencer != "Patient":
        return ("family",)
    if negation == "Negated":
        return ("negated", "declined")
    if temporality == "Not particular":
        return ("hypothetical", "planned", "ordered")
    return ("affirmed", "uncertain")


def negex_examples(path: Path, shares: Mapping[str, float], seed: int) -> list[Example]:
    """Every locatable row of the NegEx/ConText TSV, split by distinct sentence."""
    from evaluation.negex import find_target

    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        expected = {"id", "condition", "sentence", "negation", "temporality", "experiencer"}
        if not expected <= set(reader.fieldnames or ()):
            raise InputError(f"{path}: expected columns {sorted(expected)}, found {reader.fieldnames}.")
        rows = list(reader)
    splits = split_by_key((r["sentence"] for r in rows), shares, seed)
    out = []
    for row in rows:
        located = find_target(row["sentence"], row["condition"])
        if located is None:
            continue
        gold = (row["negation"], row["temporality"], row["experiencer"])
        out.append(
            Example(
                Window(row["sentence"], *located),
                negex_status(*gold),
                _NEGEX_TEMPORALITY.get(row["temporality"]),
                "negex",
                splits[row["sentence"]],
                row["sentence"],
                extra=(("id", row["id"]), ("negation", gold[0]), ("temporality", gold[1]), ("experiencer", gold[2])),
            )
        )
    return out


def dev_split(gold_ids: Iterable[str], shares: Mapping[str, float], seed: int) -> dict[str, str]:
    return split_by_key(gold_ids, shares, seed)


def _dev_label(element: str, start: int, end: int, text: str, gold: Mapping[str, Any]) -> tuple[str, ...] | None:
    status = (gold.get("elements") or {}).get(element)
    if status is None:
        return None  # the abstractor saw no mention of this element: the rule's target may be wrong
    for quote in (gold.get("not_affirmed_evidence") or {}).get(element, ()):
        i = text.find(quote)
        while i >= 0:
            if i < end and start < i + len(quote):
                return NOT_AFFIRMED
            i = text.find(quote, i + 1)
    if status == "not_affirmed":
        return NOT_AFFIRMED
    for quote in (gold.get("evidence") or {}).get(element, ()):
        i = text.find(quote)
        while i >= 0:
            if i <= start and end <= i + len(quote):
                return ("affirmed",)
            i = text.find(quote, i + 1)
    return None  # affirmed somewhere in the note, but maybe not by this mention


def note_examples(
    nlp: Any,
    notes: Sequence[Any],
    gold: Mapping[str, Mapping[str, Any]],
    dev_splits: Mapping[str, str],
    cap_per_status: Mapping[str, int],
    seed: int,
) -> list[Example]:
    """Dev-annotation and weak (rules) examples from running the rules pipeline over ``notes``.

    ``nlp`` must be a rules-only pipeline; it records each target's rules status
    (``span._.qm_rule_status``) where evidence is built."""
    from pipelines.extract import make_doc

    from .component import span_window

    dev: list[Example] = []
    weak: dict[str, list[Example]] = defaultdict(list)
    docs = (make_doc(nlp, n) for n in notes)
    for note, doc in zip(notes, nlp.pipe(docs, batch_size=32), strict=True):
        split = dev_splits.get(note.note_id)
        text_map = doc._.qm_text_map
        for ent in doc.ents:
            rules_status = ent._.qm_rule_status
            if rules_status is None:
                continue  # dropped before a status was decided (trap phrases, labels, headings)
            window = span_window(ent)
            if split is not None:
                start, end = ent.start_char, ent.end_char
                if text_map is not None:
                    start, end = text_map.to_source(start, end)
                label = _dev_label(ent.label_, start, end, note.text, gold[note.note_id])
                if label is not None:
                    dev.append(Example(window, label, None, "dev", split, note.note_id, ent.label_,
                                       (("rules_status", rules_status),)))
                    continue
                if split != "train":
                    continue  # no weak labels from held-out dev notes
            weak[rules_status].append(
                Example(window, (rules_status,), _RULES_TEMPORALITY.get(rules_status), "weak", "train",
                        note.note_id, ent.label_)
            )
    rng = random.Random(seed)
    kept: list[Example] = []
    for status in STATUS_LABELS:
        found = list({(e.window, e.status): e for e in weak.get(status, [])}.values())
        cap = cap_per_status.get(status, cap_per_status.get("default", len(found)))
        if len(found) > cap:
            found = rng.sample(found, cap)
        kept.extend(found)
    return dev + kept


def source_summary(examples: Sequence[Example]) -> dict[str, Any]:
    """Counts per source, split and status label: the recipe's shares."""
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for e in examples:
        by_source[e.source][e.split] += 1
        if e.split == "train":
            labels[e.source]["/".join(e.status) if e.status and len(e.status) == 1 else
                              ("not_affirmed" if e.status == NOT_AFFIRMED else "/".join(e.status or ("-",)))] += 1
    n_train = sum(c["train"] for c in by_source.values())
    return {
        src: {
            "examples": dict(sorted(c.items())),
            "train_share": round(c["train"] / n_train, 4) if n_train else 0.0,
            "train_labels": dict(sorted(labels[src].items())),
        }
        for src, c in sorted(by_source.items())
    }


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
