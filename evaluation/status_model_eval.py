"""The status model against the rules: the NegEx/ConText split, the hybrid's choice, the dev notes.

Three readers are compared everywhere: ``rules`` (ConText + sections), ``model`` (the status
model alone) and ``hybrid`` (per class, the policy in the model's ``hybrid.yaml``).

- NegEx: each row's negation, temporality and experiencer. The model's negation and experiencer
  come from its status head (negated / family), its temporality from the temporality head.
- The hybrid policy is chosen on held-out rows (NegEx ``val``, dev ``select``), per class, among
  rules / model / model-if-confident thresholds, by the number of rows it gets right (ties keep
  the rules, then the higher threshold); it is reported on other rows (NegEx ``test``, dev ``eval``).
- Dev notes: note level (an element is affirmed when any of its evidence items is), per class
  affirmed / not affirmed, with the whole pipeline run once per reader; and which evidence items
  the engine got wrong, flagged ``readers_disagree`` or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .scoring import Accuracy, PRFScore

__all__ = [
    "NegexRow",
    "READERS",
    "StatusRow",
    "disagreement_errors",
    "format_tables",
    "negex_axes",
    "negex_table",
    "note_level_table",
    "select_negex_policy",
    "select_status_policy",
    "status_table",
]

READERS = ("rules", "model", "hybrid")
RULES = None
_TEMPORALITY_GOLD = {"Recent": "recent", "Historical": "historical", "Not particular": "hypothetical"}
_TEMPORALITY_RULES = {"Recent": "recent", "Historical": "historical", "Not particular": "hypothetical"}


@dataclass(frozen=True)
class NegexRow:
    gold: tuple[str, str, str]  # negation, temporality, experiencer (the TSV's words)
    rules: tuple[str, str, str]
    reading: Any  # pipelines.status_model.reader.Reading


@dataclass(frozen=True)
class StatusRow:
    allowed: tuple[str, ...]  # the statuses the gold allows
    rules_status: str
    reading: Any


def _binary(t: float | None, rules_yes: bool, model_yes: bool, p_yes: float) -> bool:
    from pipelines.status_model.hybrid import combine

    p = p_yes if model_yes else 1.0 - p_yes
    return combine({"yes": t, "no": t}, "yes" if rules_yes else "no", "yes" if model_yes else "no", p).status == "yes"


def _prob(reading: Any, label: str) -> float:
    from pipelines.status_model.network import STATUS_LABELS

    return reading.status_probs[STATUS_LABELS.index(label)]


def negex_axes(row: NegexRow, reader: str, policy: Mapping[str, float | None]) -> tuple[str, str, str]:
    """(negated?, temporality, family?) as (negation, temporality, experiencer) words for a reader."""
    from pipelines.status_model.hybrid import combine

    r = row.reading
    m_neg, m_fam = r.status == "negated", r.status == "family"
    m_tmp = r.temporality
    r_neg, r_fam = row.rules[0] == "Negated", row.rules[2] != "Patient"
    r_tmp = _TEMPORALITY_RULES[row.rules[1]]
    if reader == "rules":
        neg, fam, tmp = r_neg, r_fam, r_tmp
    elif reader == "model":
        neg, fam, tmp = m_neg, m_fam, m_tmp
    else:
        neg = _binary(policy.get("negated"), r_neg, m_neg, _prob(r, "negated"))
        fam = _binary(policy.get("family"), r_fam, m_fam, _prob(r, "family"))
        t = {"historical": policy.get("historical"), "hypothetical": policy.get("hypothetical"), "recent": 0.0}
        tmp = combine(t, r_tmp, m_tmp, r.temporality_probability).status
    words = {"recent": "Recent", "historical": "Historical", "hypothetical": "Not particular"}
    return ("Negated" if neg else "Affirmed", words[tmp], "Family member" if fam else "Patient")


def negex_table(rows: Sequence[NegexRow], policy: Mapping[str, float | None]) -> dict[str, Any]:
    """Per reader: accuracy of negation / temporality / experiencer and P/R/F1 of each class."""
    out: dict[str, Any] = {}
    for reader in READERS:
        acc = {k: Accuracy() for k in ("negation", "temporality", "experiencer")}
        prf = {k: PRFScore() for k in ("negated", "historical", "hypothetical", "family")}
        for row in rows:
            pred = negex_axes(row, reader, policy)
            for k, g, p in zip(acc, row.gold, pred, strict=True):
                acc[k].add(_norm(g) == _norm(p))
            for cls, axis, word in (("negated", 0, "Negated"), ("historical", 1, "Historical"),
                                    ("hypothetical", 1, "Not particular"), ("family", 2, "Family member")):
                prf[cls].score_set([1] if _norm(pred[axis]) == _norm(word) else [],
                                   [1] if _norm(row.gold[axis]) == _norm(word) else [])
        out[reader] = {**{k: a.to_dict() for k, a in acc.items()}, **{k: s.to_dict() for k, s in prf.items()}}
    out["rows"] = len(rows)
    return out


def _norm(word: str) -> str:
    return "Family member" if word == "Other" else word


def _objective_negex(rows: Sequence[NegexRow], cls: str, policy: Mapping[str, float | None]) -> int:
    axis = {"negated": 0, "family": 2, "historical": 1, "hypothetical": 1}[cls]
    return sum(_norm(negex_axes(r, "hybrid", policy)[axis]) == _norm(r.gold[axis]) for r in rows)


def _choose(options: Sequence[float | None], score: Callable[[float | None], int]) -> float | None:
    """The best option; ties keep the rules (None), then the higher threshold."""
    best, best_key = RULES, (score(RULES), 1, 2.0)
    for t in options:
        key = (score(t), 0, t)
        if key > best_key:
            best, best_key = t, key
    return best


def select_negex_policy(rows: Sequence[NegexRow], thresholds: Sequence[float]) -> dict[str, float | None]:
    policy: dict[str, float | None] = {"negated": RULES, "family": RULES, "historical": RULES, "hypothetical": RULES}
    for _ in range(2):  # historical and hypothetical share the temporality axis: two rounds
        for cls in policy:
            policy[cls] = _choose(thresholds, lambda t, c=cls: _objective_negex(rows, c, {**policy, c: t}))
    return policy


def _final_status(row: StatusRow, policy: Mapping[str, float | None]) -> str:
    from pipelines.status_model.hybrid import combine

    return combine(policy, row.rules_status, row.reading.status, row.reading.probability).status


def select_status_policy(
    rows: Sequence[StatusRow], labels: Sequence[str], thresholds: Sequence[float]
) -> dict[str, float | None]:
    policy: dict[str, float | None] = {c: RULES for c in labels}
    for _ in range(2):
        for cls in labels:
            policy[cls] = _choose(
                thresholds, lambda t, c=cls: sum(_final_status(r, {**policy, c: t}) in r.allowed for r in rows)
            )
    return policy


def status_table(
    rows: Sequence[StatusRow], policy: Mapping[str, float | None], labels: Sequence[str]
) -> dict[str, Any]:
    """Per reader: the share of rows whose status the gold allows, and per class P/R/F1 where the gold
    names exactly one status (a row allowing several counts for none of them)."""
    out: dict[str, Any] = {}
    for reader in READERS:
        acc = Accuracy()
        prf = {c: PRFScore() for c in labels}
        for row in rows:
            if reader == "rules":
                status = row.rules_status
            elif reader == "model":
                status = row.reading.status
            else:
                status = _final_status(row, policy)
            acc.add(status in row.allowed)
            for c in labels:
                gold_c = row.allowed == (c,)
                if gold_c or (status == c and c not in row.allowed):
                    prf[c].score_set([1] if status == c else [], [1] if gold_c else [])
        out[reader] = {"accuracy": acc.to_dict(), **{c: prf[c].to_dict() for c in labels}}
    out["rows"] = len(rows)
    return out


def note_level_table(
    gold: Mapping[str, Mapping[str, Any]], evidence_by_reader: Mapping[str, Mapping[str, Iterable[Any]]],
    elements: Sequence[str],
) -> dict[str, Any]:
    """Per reader: note x element answers (affirmed / not_affirmed / absent) against chart review."""
    out: dict[str, Any] = {}
    for reader, by_note in evidence_by_reader.items():
        prf = {"affirmed": PRFScore(), "not_affirmed": PRFScore()}
        acc = Accuracy()
        for note_id, row in gold.items():
            items = list(by_note.get(note_id, ()))
            for element in elements:
                g = (row.get("elements") or {}).get(element, "absent")
                mine, p = _note_answer(items, element)
                if g == "absent" and p == "absent":
                    continue
                acc.add(g == p)
                for cls, score in prf.items():
                    score.score_set([1] if p == cls else [], [1] if g == cls else [])
        out[reader] = {"accuracy": acc.to_dict(), **{k: v.to_dict() for k, v in prf.items()}}
    out["notes"] = len(gold)
    return out


def disagreement_errors(
    gold: Mapping[str, Mapping[str, Any]], notes: Mapping[str, Any], evidence: Mapping[str, Iterable[Any]],
    elements: Sequence[str],
) -> dict[str, Any]:
    """Share of the engine's wrong evidence items among those flagged ``readers_disagree`` and the rest.

    ``wrong`` (the answer changes): an item is affirmed and the note does not affirm its element, or it
    is not affirmed but lies inside the abstractor's quote affirming its element. ``wrong_any`` also
    counts a not-affirmed item (negated, declined, planned...) of an element the abstractor found no
    mention of: such an item gives no credit but can set an open gap's reason."""
    counts = {"flagged": [0, 0, 0], "unflagged": [0, 0, 0]}
    for note_id, row in gold.items():
        text = notes[note_id].text
        for e in evidence.get(note_id, ()):
            if e.element not in elements:
                continue
            g = (row.get("elements") or {}).get(e.element, "absent")
            if e.status == "affirmed":
                wrong = g != "affirmed"
            else:
                quotes = (row.get("evidence") or {}).get(e.element, ())
                wrong = g == "affirmed" and any(_inside(text, q, e.start, e.end) for q in quotes)
            key = "flagged" if "readers_disagree" in e.review_flags else "unflagged"
            counts[key][0] += 1
            counts[key][1] += int(wrong)
            counts[key][2] += int(wrong or (e.status != "affirmed" and g == "absent"))
    out: dict[str, Any] = {
        k: {"items": n, "wrong": w, "error_share": round(w / n, 4) if n else None,
            "wrong_any": a, "error_share_any": round(a / n, 4) if n else None}
        for k, (n, w, a) in counts.items()
    }
    out["note_elements"] = _element_disagreement(gold, evidence, elements)
    return out


def _element_disagreement(
    gold: Mapping[str, Mapping[str, Any]], evidence: Mapping[str, Iterable[Any]], elements: Sequence[str]
) -> dict[str, Any]:
    """The note-level answers (note x element, as ``note_level_table`` scores them) the engine gets
    wrong, among those with some evidence flagged ``readers_disagree`` and the rest. A missed element
    (no evidence at all) can never be flagged: it counts among the unflagged ones."""
    counts = {"flagged": [0, 0], "unflagged": [0, 0]}
    for note_id, row in gold.items():
        items = list(evidence.get(note_id, ()))
        for element in elements:
            g = (row.get("elements") or {}).get(element, "absent")
            mine, p = _note_answer(items, element)
            if g == "absent" and p == "absent":
                continue
            key = "flagged" if any("readers_disagree" in e.review_flags for e in mine) else "unflagged"
            counts[key][0] += 1
            counts[key][1] += int(g != p)
    return {k: {"answers": n, "wrong": w, "error_share": round(w / n, 4) if n else None}
            for k, (n, w) in counts.items()}


def _inside(text: str, quote: str, start: int, end: int) -> bool:
    i = text.find(quote)
    while i >= 0:
        if i <= start and end <= i + len(quote):
            return True
        i = text.find(quote, i + 1)
    return False


def format_tables(metrics: Mapping[str, Any]) -> str:
    """The metrics of a model directory as plain-text tables."""
    lines: list[str] = []
    negex = metrics.get("negex_test")
    if negex:
        lines.append(f"NegEx/ConText held-out test split ({negex['rows']} rows; never trained or tuned on)")
        lines.append(f"  {'':28s} {'rules':>8s} {'model':>8s} {'hybrid':>8s}")
        for k in ("negation", "temporality", "experiencer"):
            lines.append(f"  {k + ' accuracy':28s} " + " ".join(f"{negex[r][k]['acc']:8.3f}" for r in READERS))
        for k in ("negated", "historical", "hypothetical", "family"):
            lines.append(f"  {k + ' F1':28s} " + " ".join(f"{negex[r][k]['f']:8.3f}" for r in READERS)
                         + f"   (support {negex['rules'][k]['tp'] + negex['rules'][k]['fn']})")
    status = metrics.get("status_test")
    if status:
        lines.append(f"Engine statuses on the NegEx test split ({status['rows']} rows; a row allows 1-3 statuses)")
        lines.append(f"  {'status allowed (accuracy)':28s} "
                     + " ".join(f"{status[r]['accuracy']['acc']:8.3f}" for r in READERS))
    for key, title in (("dev_eval", "Dev annotations, held-out eval notes, note level"),
                       ("dev_all", "Dev annotations, all notes (incl. training notes), note level")):
        dev = metrics.get(key)
        if not dev:
            continue
        lines.append(f"{title} ({dev['notes']} notes)")
        lines.append(f"  {'':28s} {'rules':>8s} {'model':>8s} {'hybrid':>8s}")
        lines.append(f"  {'accuracy':28s} " + " ".join(f"{dev[r]['accuracy']['acc']:8.3f}" for r in READERS))
        for k in ("affirmed", "not_affirmed"):
            lines.append(f"  {k + ' F1':28s} " + " ".join(f"{dev[r][k]['f']:8.3f}" for r in READERS)
                         + f"   (support {dev['rules'][k]['tp'] + dev['rules'][k]['fn']})")
    for key in ("disagreement_dev_eval", "disagreement_dev_all"):
        d = metrics.get(key)
        if d:
            f, u = d["flagged"], d["unflagged"]
            lines.append(f"Wrong evidence items ({key.removeprefix('disagreement_')}): flagged readers_disagree "
                         f"{f['wrong']}/{f['items']} ({f['error_share']}), unflagged {u['wrong']}/{u['items']} "
                         f"({u['error_share']}); counting statuses of unmentioned elements too: flagged "
                         f"{f['wrong_any']}/{f['items']} ({f['error_share_any']}), unflagged "
                         f"{u['wrong_any']}/{u['items']} ({u['error_share_any']})")
            ne = d.get("note_elements")
            if ne:
                f, u = ne["flagged"], ne["unflagged"]
                lines.append(f"  note-level answers (note x element) wrong: with flagged evidence {f['wrong']}/"
                             f"{f['answers']} ({f['error_share']}), without {u['wrong']}/{u['answers']} "
                             f"({u['error_share']}; includes elements the engine missed)")
    return "\n".join(lines)


def _note_answer(items: list[Any], element: str) -> tuple[list[Any], str]:
    """A note's evidence of ``element`` and its note-level answer: absent, affirmed or not_affirmed."""
    mine = [e for e in items if e.element == element]
    if not mine:
        return mine, "absent"
    return mine, "affirmed" if any(e.status == "affirmed" for e in mine) else "not_affirmed"
