"""Evidence extraction against chart review (``docs/evidence-elements.md`` gold format).

Note level: a note is positive for an element when the gold says ``affirmed`` and predicted
positive when any evidence item of that element is ``affirmed``. Also scored: the exact set of
blood pressure readings and of HbA1c values per note, the tobacco category, the set of dates
per dated element, and span exactness (offsets match the text, and the affirmed spans sit
inside the abstractor's quotes).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.elements import load_vocabulary, unknown_element_message
from engine.errors import InputError
from engine.records import Evidence, Note

from .scoring import Accuracy, PRFScore, macro_f

__all__ = [
    "ExtractionReport",
    "evaluate_extraction",
    "format_extraction_report",
    "load_gold",
    "load_notes",
    "note_tobacco_category",
    "score_extraction",
]

_TOBACCO_ORDER = ("former", "current", "never")  # a note's category: former > current > never


@dataclass
class Miss:
    """A false positive or false negative, with the spans that explain it."""

    note_id: str
    element: str
    kind: str  # "FP" | "FN"
    spans: list[str]


@dataclass
class ExtractionReport:
    per_element: dict[str, PRFScore]
    micro: PRFScore
    macro_f: float
    bp_values: Accuracy
    a1c_values: Accuracy
    tobacco_category: Accuracy
    dates: Accuracy
    span_integrity: Accuracy
    span_exact: Accuracy
    span_located: Accuracy
    n_notes: int
    missing_notes: list[str] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    value_misses: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_notes": self.n_notes,
            "micro": self.micro.to_dict(),
            "macro_f": self.macro_f,
            "per_element": {k: v.to_dict() for k, v in sorted(self.per_element.items())},
            "bp_values": self.bp_values.to_dict(),
            "a1c_values": self.a1c_values.to_dict(),
            "tobacco_category": self.tobacco_category.to_dict(),
            "dates": self.dates.to_dict(),
            "span_integrity": self.span_integrity.to_dict(),
            "span_exact": self.span_exact.to_dict(),
            "span_located": self.span_located.to_dict(),
            "missing_notes": self.missing_notes,
            "misses": [m.__dict__ for m in self.misses],
            "value_misses": self.value_misses,
        }


def load_gold(path: Path) -> dict[str, dict[str, Any]]:
    """Gold rows by note id; InputError names the line of a bad row or an unknown element."""
    vocab = load_vocabulary()
    gold: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{n}: not valid JSON ({exc.msg}); expected one gold object per line."
                ) from exc
            if "note_id" not in row or "elements" not in row:
                raise InputError(
                    f"{path}:{n}: a gold row needs 'note_id' and 'elements'; found {sorted(row)}."
                )
            for element in [*row["elements"], *(row.get("values") or {}), *(row.get("evidence") or {})]:
                if element not in vocab:
                    raise InputError(f"{path}:{n}: {unknown_element_message(element, vocab.ids)}")
            gold[row["note_id"]] = row
    return gold


def load_notes(paths: Iterable[Path], wanted: set[str] | None = None) -> dict[str, Note]:
    notes: dict[str, Note] = {}
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                if wanted is not None and row.get("note_id") not in wanted:
                    continue
                note = Note.model_validate(row)
                notes[note.note_id] = note
    return notes


def note_tobacco_category(evidence: Iterable[Evidence]) -> str | None:
    """A note's tobacco category from its affirmed mentions: former > current > never."""
    found = {e.value for e in evidence if e.element == "tobacco_use" and e.status == "affirmed"}
    for category in _TOBACCO_ORDER:
        if category in found:
            return category
    return None


def _fmt_date(e: Evidence) -> str | None:
    if e.event_date is None:
        return None
    iso = e.event_date.isoformat()
    return {"year": iso[:4], "month": iso[:7], "day": iso}[e.date_precision or "day"]


def _quote_ranges(text: str, quotes: Sequence[str]) -> list[tuple[int, int]]:
    ranges = []
    for quote in quotes:
        start = text.find(quote)
        while start >= 0:
            ranges.append((start, start + len(quote)))
            start = text.find(quote, start + 1)
    return ranges


def is_supplemental(element: str) -> bool:
    """Supplemental elements (cessation, depression follow-up) are not in the chart-review gold."""
    from pipelines.extract import is_supplemental as _is_supplemental

    return _is_supplemental(element)


def score_extraction(
    gold: Mapping[str, Mapping[str, Any]], notes: Mapping[str, Note], evidence: Mapping[str, list[Evidence]]
) -> ExtractionReport:
    per_element: dict[str, PRFScore] = defaultdict(PRFScore)
    bp, a1c, tob, dates = Accuracy(), Accuracy(), Accuracy(), Accuracy()
    integrity, exact, located = Accuracy(), Accuracy(), Accuracy()
    misses: list[Miss] = []
    value_misses: list[str] = []
    for note_id, g in sorted(gold.items()):
        if note_id not in notes:
            continue
        # chart review annotates the 27 guideline elements only: supplemental elements are not scored
        note = notes[note_id]
        items = [e for e in evidence.get(note_id, []) if not is_supplemental(e.element)]
        for e in items:
            integrity.add(e.start is not None and e.end is not None and note.text[e.start : e.end] == e.span)
        affirmed: dict[str, list[Evidence]] = defaultdict(list)
        by_element: dict[str, list[Evidence]] = defaultdict(list)
        for e in items:
            by_element[e.element].append(e)
            if e.status == "affirmed":
                affirmed[e.element].append(e)
        gold_pos = {k for k, v in g["elements"].items() if v == "affirmed"}
        for element in gold_pos | set(affirmed) | set(g["elements"]):
            per_element[element].score_set(
                [note_id] if element in affirmed else [], [note_id] if element in gold_pos else []
            )
            if element in affirmed and element not in gold_pos:
                misses.append(
                    Miss(note_id, element, "FP", [f"{e.span!r}@{e.start}" for e in affirmed[element]])
                )
            elif element in gold_pos and element not in affirmed:
                ours = [f"{e.span!r}@{e.start}={e.status}" for e in by_element.get(element, [])]
                misses.append(
                    Miss(
                        note_id,
                        element,
                        "FN",
                        [f"gold {q!r}" for q in g.get("evidence", {}).get(element, [])] + ours,
                    )
                )
            elif element in gold_pos:
                ranges = _quote_ranges(note.text, g.get("evidence", {}).get(element, []))
                if ranges:
                    inside = [
                        any(s <= (e.start or 0) and (e.end or 0) <= t for s, t in ranges)
                        for e in affirmed[element]
                    ]
                    for ok in inside:
                        exact.add(ok)
                    located.add(any(inside))
        values = g.get("values", {})
        if "blood_pressure" in values:
            want = {tuple(r) for r in values["blood_pressure"]}
            got = {(e.value["systolic"], e.value["diastolic"]) for e in affirmed.get("blood_pressure", [])}
            bp.add(want == got)
            if want != got:
                value_misses.append(f"{note_id} blood_pressure gold={sorted(want)} got={sorted(got)}")
        if "hba1c" in values:
            want_a = {float(v) for v in values["hba1c"]}
            got_a = {float(e.value) for e in affirmed.get("hba1c", []) if e.value is not None}
            a1c.add(want_a == got_a)
            if want_a != got_a:
                value_misses.append(f"{note_id} hba1c gold={sorted(want_a)} got={sorted(got_a)}")
        if "tobacco_use" in values:
            got_t = note_tobacco_category(items)
            tob.add(values["tobacco_use"] == got_t)
            if values["tobacco_use"] != got_t:
                value_misses.append(f"{note_id} tobacco_use gold={values['tobacco_use']} got={got_t}")
        for element, want_dates in (g.get("dates") or {}).items():
            got_d = {d for d in (_fmt_date(e) for e in affirmed.get(element, [])) if d}
            dates.add(set(want_dates) == got_d)
            if set(want_dates) != got_d:
                value_misses.append(
                    f"{note_id} {element} dates gold={sorted(want_dates)} got={sorted(got_d)}"
                )
    micro = PRFScore()
    for score in per_element.values():
        micro = micro + score
    return ExtractionReport(
        per_element=dict(per_element),
        micro=micro,
        macro_f=macro_f(per_element),
        bp_values=bp,
        a1c_values=a1c,
        tobacco_category=tob,
        dates=dates,
        span_integrity=integrity,
        span_exact=exact,
        span_located=located,
        n_notes=sum(1 for n in gold if n in notes),
        missing_notes=sorted(set(gold) - set(notes)),
        misses=misses,
        value_misses=value_misses,
    )


def evaluate_extraction(gold_path: Path, notes_paths: list[Path], nlp: Any = None) -> ExtractionReport:
    """Run the pipeline over the gold notes found in ``notes_paths`` and score it."""
    from pipelines.build import build_nlp
    from pipelines.extract import extract_notes

    gold = load_gold(gold_path)
    notes = load_notes(notes_paths, set(gold))
    nlp = nlp or build_nlp()
    evidence = {note.note_id: items for note, items in extract_notes(nlp, list(notes.values()))}
    return score_extraction(gold, notes, evidence)


def format_extraction_report(report: ExtractionReport, show_misses: bool = True) -> str:
    lines = [
        f"Extraction vs chart review: {report.n_notes} notes"
        + (f" ({len(report.missing_notes)} gold notes not found)" if report.missing_notes else "")
    ]
    lines.append(f"{'element':28s} {'P':>6s} {'R':>6s} {'F1':>6s} {'tp':>4s} {'fp':>4s} {'fn':>4s}")
    for element, s in sorted(report.per_element.items()):
        if not s.tp + s.fp + s.fn:  # mentioned only as not affirmed, and never predicted affirmed
            lines.append(f"{element:28s} {'-':>6s} {'-':>6s} {'-':>6s} {0:4d} {0:4d} {0:4d}")
            continue
        lines.append(
            f"{element:28s} {s.precision:6.3f} {s.recall:6.3f} {s.fscore:6.3f} {s.tp:4d} {s.fp:4d} {s.fn:4d}"
        )
    m = report.micro
    lines.append(
        f"{'MICRO':28s} {m.precision:6.3f} {m.recall:6.3f} {m.fscore:6.3f} {m.tp:4d} {m.fp:4d} {m.fn:4d}"
    )
    lines.append(f"{'MACRO F1':28s} {'':6s} {'':6s} {report.macro_f:6.3f}")
    for name, acc in (
        ("blood pressure reading sets", report.bp_values),
        ("HbA1c value sets", report.a1c_values),
        ("tobacco category", report.tobacco_category),
        ("dates", report.dates),
        ("span offsets match text", report.span_integrity),
        ("affirmed spans inside gold quotes", report.span_exact),
        ("true positives with a span in a quote", report.span_located),
    ):
        lines.append(f"{name:34s} {acc.value:6.3f}  ({acc.correct}/{acc.total})")
    if show_misses:
        if report.misses:
            lines.append("False positives / negatives:")
            for miss in report.misses:
                lines.append(f"  {miss.kind} {miss.note_id} {miss.element}: " + "; ".join(miss.spans))
        if report.value_misses:
            lines.append("Value / date mismatches:")
            lines.extend(f"  {v}" for v in report.value_misses)
    return "\n".join(lines)
