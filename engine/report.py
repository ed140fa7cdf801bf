"""Reports: ``outcomes.csv``, per-clinic care-gap lists, and the summary for the manifest.

``outcomes.csv``: one row per patient x measure x group (all zeros outside the IPP), sorted
by measure, patient, group; episode-of-care measures (TRC) have one row per episode with its id
in ``episode`` (empty otherwise); then the optional age ``stratum``; ``due_date`` (open gaps: the
last day in the MP by which the service closes the gap), ``valid_through`` (gaps the numerator
closed: the last day the evidence keeps them closed; empty when it does not expire) and
``prospective_gap`` (1: closed now, open in the next MP with today's evidence); see
engine/horizon.py. Every cell goes through :func:`engine.cells.safe_cell`. Population
counts in the summary count rows (episodes), ``patients`` counts distinct patients.
``care_gaps/<clinic_id or 'unassigned'>.csv`` and ``care_gaps/summary.csv``: see
engine/care_gaps.py (open gaps and flagged rows with the deciding evidence; clinic x measure
counts). These files contain note text by design (they are the audit trail); the summary
dict contains counts only.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.calculator import OUTCOME_ORDER, MeasureOutcome
from engine.care_gaps import CARE_GAP_COLUMNS, CARE_GAP_SUMMARY_COLUMNS, write_care_gaps
from engine.cells import SafeDictWriter
from engine.gaps import REASON_ORDER
from engine.records import Evidence, Patient
from engine.tally import COUNTS, DistinctRows, Tally, distinct_rows

__all__ = ["CARE_GAP_COLUMNS", "CARE_GAP_SUMMARY_COLUMNS", "OUTCOME_COLUMNS", "outcome_row",
           "merge_summaries", "summarize", "summarize_tally", "write_reports"]

OUTCOME_COLUMNS = (
    "patient_id", "measure_id", "group", "episode", "ipp", "denom", "denex", "denexcep", "numer", "numex",
    "gap_open", "gap_reason", "gap_action", "closed_by", "numer_evidence_ids",
    "denex_evidence_ids", "denexcep_evidence_ids", "gap_evidence_ids", "review_flags", "measure_version",
    "stratum", "due_date", "valid_through", "prospective_gap",
)




def _join(ids: Sequence[str]) -> str:
    return ";".join(ids)


def outcome_row(o: MeasureOutcome) -> dict[str, Any]:
    row: dict[str, Any] = {"patient_id": o.patient_id, "measure_id": o.measure_id, "group": o.group,
                           "episode": o.episode}
    row.update(o.populations.as_ints())
    row.update({
        "gap_open": int(o.gap_open),
        "gap_reason": o.gap_reason.value if o.gap_reason else "",
        "gap_action": o.gap_action,
        "closed_by": o.closed_by,
        "numer_evidence_ids": _join(o.numer_evidence_ids),
        "denex_evidence_ids": _join(o.denex_evidence_ids),
        "denexcep_evidence_ids": _join(o.denexcep_evidence_ids),
        "gap_evidence_ids": _join(o.gap_evidence_ids),
        "review_flags": _join(o.review_flags),
        "measure_version": o.measure_version,
        "stratum": o.stratum,
        "due_date": o.due_date.isoformat() if o.due_date else "",
        "valid_through": o.valid_through.isoformat() if o.valid_through else "",
        "prospective_gap": int(o.prospective_gap),
    })
    return row


# A row needs :class:`SafeDictWriter`'s care (a cell made safe, or every field quoted) only when a text
# cell starts with a character ``safe_cell`` may act on or holds a CR: looked for in its text cells
# joined, each after a separator (a separator inside a cell can only send a row the careful way, never
# skip it).
_CAREFUL = re.compile("(?:^|\x1f)['=+\\-@\t\r]|\r")  # the reference of :func:`_careful`
_TEXT_CELLS = (0, 1, 2, 3, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22)  # OUTCOME_COLUMNS holding text


def _careful(text: str) -> bool:
    """``_CAREFUL.search(text)`` for text that starts with a separator: a few substring tests (faster)."""
    return ("\x1f=" in text or "\x1f+" in text or "\x1f-" in text or "\x1f@" in text or "\x1f'" in text
            or "\x1f\t" in text or "\r" in text)


def _outcome_cells(o: MeasureOutcome) -> list[Any]:
    """:func:`outcome_row`'s values in ``OUTCOME_COLUMNS`` order (``+flag``: a bool as the int ``int`` gives)."""
    p = o.populations
    reason, due, through = o.gap_reason, o.due_date, o.valid_through
    numer, denex, denexcep, gap, flags = (o.numer_evidence_ids, o.denex_evidence_ids, o.denexcep_evidence_ids,
                                          o.gap_evidence_ids, o.review_flags)
    return [o.patient_id, o.measure_id, o.group, o.episode, +p.ipp, +p.denom, +p.denex,
            +p.denexcep, +p.numer, +p.numex, +o.gap_open,
            reason.value if reason else "", o.gap_action, o.closed_by,
            ";".join(numer) if numer else "", ";".join(denex) if denex else "",
            ";".join(denexcep) if denexcep else "", ";".join(gap) if gap else "",
            ";".join(flags) if flags else "", o.measure_version, o.stratum,
            due.isoformat() if due else "", through.isoformat() if through else "", +o.prospective_gap]


# A patient id that ``csv.writer`` writes as it is (it quotes a field holding its delimiter, its quote
# character or a character of the line terminator "\n") and ``SafeDictWriter`` leaves alone (no formula
# trigger or quote first, no CR anywhere).
_PLAIN_ID = re.compile("[^=+\\-@\t\r'\n,\"][^\r\n,\"]*").fullmatch
_BATCH = 4096  # lines of outcomes.csv written at once


class _Tail:
    """The text ``csv.writer`` gives a row's cells after its patient id (a row's fields are quoted one by one:
    the row's line is the patient id's text, a comma, then this), captured as it writes it."""

    def __init__(self) -> None:
        self.text = ""
        self.writer = csv.writer(self, lineterminator="\n")

    def write(self, text: str) -> int:
        self.text = text
        return len(text)

    def of(self, cells: Sequence[Any]) -> str:
        self.writer.writerow(cells)
        return self.text


def _write_outcomes_csv(fh: Any, ordered: Sequence[MeasureOutcome], rows: DistinctRows | None = None) -> None:
    """outcomes.csv: each row as :class:`SafeDictWriter` writes :func:`outcome_row` (the same bytes). A row
    of plain text cells (the usual case) is its patient id, a comma and the text of its other cells, which
    repeat from patient to patient (``rows``: the outcomes' distinct rows apart from the patient,
    engine.tally.distinct_rows; None: taken here): each distinct one is written by ``csv.writer`` once. Any
    other row goes through :class:`SafeDictWriter`."""
    if rows is None or not rows.same_outcomes(ordered):
        rows = distinct_rows(ordered)
    careful = SafeDictWriter(fh, OUTCOME_COLUMNS)
    careful.writeheader()
    tails: list[str | None] = [""] * len(rows.firsts)  # a row's cells after the patient id as text; None: careful
    tail_of = _Tail().of
    plain_id = _PLAIN_ID
    sep = "\x1f"
    lines: list[str] = []
    for o, k in zip(ordered, rows.index, strict=True):
        tail = tails[k]
        if tail == "":
            c = _outcome_cells(o)
            try:
                text = sep.join((sep, c[1], c[2], c[3], c[11], c[12], c[13], c[14], c[15], c[16], c[17], c[18],
                                 c[19], c[20], c[21], c[22]))
            except TypeError:  # a cell that is not text where text is expected: the careful way
                text = "\r"
            tail = tails[k] = None if _careful(text) else tail_of(c[1:])
        pid = o.patient_id
        if tail is not None and type(pid) is str and plain_id(pid):
            lines.append(pid + "," + tail)
            if len(lines) >= _BATCH:
                fh.write("".join(lines))
                lines.clear()
            continue
        if lines:
            fh.write("".join(lines))
            lines.clear()
        careful.writerow(outcome_row(o))
    if lines:
        fh.write("".join(lines))


def _label(o: MeasureOutcome, multi: set[str]) -> str:
    return f"{o.measure_id}-{o.group}" if o.measure_id in multi else o.measure_id


_COUNTS = ("ipp", "denom", "denex", "denexcep", "numer", "numex")


def _rate(entry: dict[str, Any]) -> float | None:
    eligible = entry["denom"] - entry["denex"] - entry["denexcep"]
    met = entry["numer"] - entry["numex"]
    return round(met / eligible, 4) if eligible > 0 else None


def summarize(outcomes: Sequence[MeasureOutcome]) -> dict[str, Any]:
    """Per measure (``<id>`` or ``<id>-<group>`` for multi-group measures): counts, rate, gaps.

    Measures with age strata also get ``strata``: the same counts, rate and open gaps per
    stratum (IPP members outside every stratum are counted under ``""`` only if any).
    """
    groups_of: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        groups_of[o.measure_id].add(o.group)
    multi = {m for m, g in groups_of.items() if len(g) > 1}
    per: dict[str, dict[str, Any]] = {}
    patients_of: dict[str, set[str]] = {}  # label -> its distinct patients (episode measures: rows per episode)
    strata: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    labels: dict[tuple[str, str], str] = {}
    measure_id = group = label = None
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    for o in outcomes:
        if o.measure_id != measure_id or o.group != group:  # rows come sorted: a new label now and then
            measure_id, group = o.measure_id, o.group
            label = labels.get((measure_id, group))
            if label is None:
                label = labels[measure_id, group] = _label(o, multi)
            if label not in per:
                per[label] = {
                    "measure_id": o.measure_id, "group": o.group, "patients": 0, "ipp": 0, "denom": 0,
                    "denex": 0, "denexcep": 0, "numer": 0, "numex": 0, "inverse": o.inverse,
                    "open_gaps": 0, "gaps_by_reason": Counter(), "closed_by": Counter(),
                }
                patients_of[label] = set()
            entry, seen = per[label], patients_of[label]
        seen.add(o.patient_id)
        p = o.populations
        if not (p.ipp or p.denom or p.denex or p.denexcep or p.numer or p.numex or o.gap_open or o.closed_by
                or o.stratum):
            continue  # outside the initial population (most rows): nothing more to count
        counts = p.as_ints()
        for k, v in counts.items():
            entry[k] += v
        if o.gap_open and o.gap_reason is not None:
            entry["open_gaps"] += 1
            entry["gaps_by_reason"][o.gap_reason.value] += 1
        if o.closed_by:
            entry["closed_by"][o.closed_by] += 1
        if o.stratum:
            stratum = strata[label].setdefault(o.stratum, {**dict.fromkeys(_COUNTS, 0), "open_gaps": 0})
            for k, v in counts.items():
                stratum[k] += v
            stratum["open_gaps"] += int(o.gap_open)
    for label, entry in per.items():
        entry["patients"] = len(patients_of[label])
    totals: Counter[str] = Counter()
    for label, entry in per.items():
        entry["rate"] = _rate(entry)
        entry["gaps_by_reason"] = {r.value: entry["gaps_by_reason"][r.value] for r in REASON_ORDER
                                   if entry["gaps_by_reason"][r.value]}
        entry["closed_by"] = dict(sorted(entry["closed_by"].items()))
        if label in strata:
            entry["strata"] = {k: {**v, "rate": _rate(v)} for k, v in sorted(strata[label].items())}
        totals.update(entry["gaps_by_reason"])
    return {
        "measures": dict(sorted(per.items())),
        "open_gaps_by_reason": {r.value: totals[r.value] for r in REASON_ORDER if totals[r.value]},
        "outcome_rows": len(outcomes),
    }


def summarize_tally(t: Tally, clinic: str | None = None) -> dict[str, Any]:
    """:func:`summarize` of the outcomes of ``clinic`` (None: all of them), the same dict, from their tally
    (engine/tally.py) instead of a walk over them: a label's cells are summed (its patients are distinct
    from cell to cell: a patient has one clinic and one provider), its measure, group and direction are
    those of its first outcome."""
    cells = [(k, c) for k, c in t.cells.items() if clinic is None or k[0] == clinic]
    groups_of: dict[str, set[str]] = defaultdict(set)
    for (_, _, measure_id, group), _cell in cells:
        groups_of[measure_id].add(group)
    multi = {m for m, g in groups_of.items() if len(g) > 1}
    by_label: dict[str, list[Any]] = {}
    for (_, _, measure_id, group), cell in cells:
        by_label.setdefault(f"{measure_id}-{group}" if measure_id in multi else measure_id, []).append(cell)
    per: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    rows = 0
    for label, found in by_label.items():
        first = t.outcomes[min(c.first for c in found)]
        entry: dict[str, Any] = {"measure_id": first.measure_id, "group": first.group,
                                 "patients": sum(len(c.patients) for c in found)}
        for k, name in enumerate(COUNTS):
            entry[name] = sum(c.counts[k] for c in found)
        entry["inverse"] = first.inverse
        entry["open_gaps"] = sum(c.open_gaps for c in found)
        reasons: Counter[Any] = Counter()
        closed: Counter[str] = Counter()
        strata: dict[str, list[int]] = {}
        for c in found:
            reasons.update(c.gaps_by_reason)
            closed.update(c.closed_by)
            for stratum, counts in c.strata.items():
                acc = strata.setdefault(stratum, [0] * len(counts))
                for k, v in enumerate(counts):
                    acc[k] += v
            rows += c.rows
        entry["gaps_by_reason"] = {r.value: reasons[r] for r in REASON_ORDER if reasons[r]}
        entry["closed_by"] = dict(sorted(closed.items()))
        entry["rate"] = _rate(entry)
        if strata:
            entry["strata"] = {}
            for stratum, counts in sorted(strata.items()):
                s: dict[str, Any] = dict(zip(COUNTS, counts, strict=False))
                s["open_gaps"] = counts[len(COUNTS)]
                s["rate"] = _rate(s)
                entry["strata"][stratum] = s
        per[label] = entry
        totals.update(entry["gaps_by_reason"])
    return {
        "measures": dict(sorted(per.items())),
        "open_gaps_by_reason": {r.value: totals[r.value] for r in REASON_ORDER if totals[r.value]},
        "outcome_rows": rows,
    }


def _merged_rate(entry: Mapping[str, Any]) -> float | None:
    """As engine.report: met / eligible, 4 decimals (None when nobody is eligible)."""
    eligible = entry["denom"] - entry["denex"] - entry["denexcep"]
    met = entry["numer"] - entry["numex"]
    return round(met / eligible, 4) if eligible > 0 else None


def merge_summaries(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary ``engine.report.summarize`` gives for all outcomes, from the partitions' ones."""
    measures: dict[str, dict[str, Any]] = {}
    rows = 0
    for part in parts:
        rows += part.get("outcome_rows", 0)
        for label, entry in part.get("measures", {}).items():
            acc = measures.get(label)
            if acc is None:
                acc = measures[label] = {**entry, "gaps_by_reason": Counter(), "closed_by": Counter(), "strata": {}}
                for k in ("patients", *_COUNTS, "open_gaps"):
                    acc[k] = 0
            for k in ("patients", *_COUNTS, "open_gaps"):
                acc[k] += entry[k]
            acc["gaps_by_reason"].update(entry.get("gaps_by_reason", {}))
            acc["closed_by"].update(entry.get("closed_by", {}))
            for stratum, counts in (entry.get("strata") or {}).items():
                s = acc["strata"].setdefault(stratum, {**dict.fromkeys(_COUNTS, 0), "open_gaps": 0})
                for k in (*_COUNTS, "open_gaps"):
                    s[k] += counts[k]
    totals: Counter[str] = Counter()
    for entry in measures.values():
        entry["rate"] = _merged_rate(entry)
        entry["gaps_by_reason"] = {r.value: entry["gaps_by_reason"][r.value] for r in REASON_ORDER
                                   if entry["gaps_by_reason"][r.value]}
        entry["closed_by"] = dict(sorted(entry["closed_by"].items()))
        if entry["strata"]:
            entry["strata"] = {k: {**v, "rate": _merged_rate(v)} for k, v in sorted(entry["strata"].items())}
        else:
            del entry["strata"]
        totals.update(entry["gaps_by_reason"])
    return {
        "measures": dict(sorted(measures.items())),
        "open_gaps_by_reason": {r.value: totals[r.value] for r in REASON_ORDER if totals[r.value]},
        "outcome_rows": rows,
    }


def write_reports(outcomes: Sequence[MeasureOutcome], patients: Sequence[Patient],
                  evidence: Sequence[Evidence], out_dir: Path, *, care_gaps: bool = True,
                  summary: dict[str, Any] | None = None, rows: DistinctRows | None = None) -> dict[str, Any]:
    """Write outcomes.csv (and care_gaps/*.csv unless ``care_gaps`` is False: ``qae run`` renders them
    with every other report through engine/reports.py) under ``out_dir``; return the summary dict
    (:func:`summarize` of the outcomes; ``summary``: that summary, already computed elsewhere; ``rows``: the
    outcomes' distinct rows, engine.tally.distinct_rows, when the caller has them)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ordered = sorted(outcomes, key=OUTCOME_ORDER)
    with (out_dir / "outcomes.csv").open("w", newline="", encoding="utf-8") as fh:
        _write_outcomes_csv(fh, ordered, rows)
    summary = summarize(ordered) if summary is None else summary
    if care_gaps:
        summary["care_gap_files"] = write_care_gaps(ordered, patients, evidence, out_dir / "care_gaps")
    return summary
