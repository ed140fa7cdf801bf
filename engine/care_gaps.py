"""Per-clinic care-gap lists and the clinic x measure summary (``care_gaps/*.csv``).

``care_gaps/<clinic>.csv`` has one row per open gap (``row_type=open_gap``; episode-of-care
measures such as TRC name the episode, e.g. the discharge, in ``episode``) and one per
outcome that is *not* an open gap but carries review flags (``row_type=review``: closed,
excluded or excepted, yet something needs a reviewer's eye, e.g. an earlier discharge or an
undated mention), so nothing flagged is silently lost. Each row gives the patient, the
measure (id, title, group), the reason and its plain text, the clinic action and the
deciding evidence.

Deciding evidence: for an open gap, the evidence behind the gap reason (a declined order, an
old colonoscopy, the uncontrolled readings); when the reason has none (``no_evidence``), the
evidence that decided the unmet numerator (e.g. the "current smoker" mention that made a
patient a tobacco user). For a review row, the evidence that closed, excluded or excepted it
plus any evidence a flag names. The evidence columns are parallel lists, one entry per item,
joined by `` | ``: ``evidence_ids``, ``note_ids``, ``note_dates``, ``event_dates``
(``n/a`` when none: a bare ``-`` would read as a formula trigger), ``statuses``, ``sources``
(the rule or structured source) and
``evidence_quotes`` (each span as a JSON string, so quotes, ``|`` and line breaks inside a
span stay unambiguous; structured events read ``[structured <source> <code> = <value>]``).
The csv module quotes every cell that needs it, and every cell is spreadsheet-safe
(engine/cells.py: an id or a quote starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR is
prefixed with a quote). Encounter ids (``encounter:<id>``) are kept with source ``encounter``.
``due_date`` (open gaps) and ``valid_through`` (a review row the numerator closed) come from
engine/horizon.py.

``care_gaps/summary.csv``: for every clinic x measure (x group): patients, IPP, DENOM,
DENEX, DENEXCEP, NUMER, NUMEX, the eligible and met counts, the rate, the open gaps and one
column per gap reason, and the number of review rows. A clinic whose file name would clash
(with another clinic after making the id file-safe, or with ``summary``) gets a short hash of
its id appended.

These files quote note text by design (they are the audit trail); nothing here logs it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.calculator import OUTCOME_ORDER, MeasureOutcome
from engine.cells import SafeDictWriter
from engine.gaps import GAP_DISPLAY, REASON_ORDER
from engine.plain_csv import CsvLines
from engine.records import Evidence, Patient
from engine.report_parts import Material, Parts, register_counts, sum_rows
from engine.tally import COUNTS, Tally, tally

__all__ = ["CARE_GAP_COLUMNS", "CARE_GAP_SUMMARY_COLUMNS", "care_gap_material", "care_gap_rows",
           "clinic_file_names", "write_care_gaps", "write_care_gaps_parts"]

CARE_GAP_COLUMNS = (
    "clinic_id", "patient_id", "provider_id", "measure_id", "measure_title", "group",
    "group_title", "episode", "row_type", "gap_reason", "gap_reason_text", "gap_action", "review_flags",
    "evidence_count", "evidence_ids", "note_ids", "note_dates", "event_dates", "statuses",
    "sources", "evidence_quotes", "closed_by", "stratum", "measure_version", "due_date", "valid_through",
)
CARE_GAP_SUMMARY_COLUMNS = (
    "clinic_id", "measure_id", "group", "measure_title", "inverse", "patients", "ipp", "denom",
    "denex", "denexcep", "numer", "numex", "eligible", "met", "rate", "open_gaps",
    *(f"gaps_{r.value}" for r in REASON_ORDER), "review_rows",
)
SEP = " | "
NONE = "n/a"  # an empty entry of a parallel list
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_RESERVED = {"summary"}


def _quote(ev: Evidence) -> str:
    if ev.origin == "structured":
        code = f" {ev.code_system}:{ev.code}" if ev.code else ""
        value = f" = {ev.value}" if ev.value not in (None, "") else ""
        return f"[structured {ev.source}{code}{value}]"
    return json.dumps(ev.span or "", ensure_ascii=False)


_EVIDENCE_KEYS = ("evidence_count", "evidence_ids", "note_ids", "note_dates", "event_dates", "statuses", "sources",
                  "evidence_quotes")
_NO_EVIDENCE = ("0", "", "", "", "", "", "", "")  # the cells of _EVIDENCE_KEYS without evidence (each list empty)


def _evidence_cells(ids: Sequence[str], by_id: Mapping[str, Evidence]) -> tuple[Any, ...]:
    """The cells of :data:`_EVIDENCE_KEYS` for the deciding evidence ``ids`` (the count as text: a CSV cell)."""
    if not ids:  # most open gaps: no evidence behind them
        return _NO_EVIDENCE
    cols: dict[str, list[str]] = {k: [] for k in _EVIDENCE_KEYS[1:]}
    for i in ids:
        ev = by_id.get(i)
        cols["evidence_ids"].append(i)
        if ev is None:  # an encounter (or an id the caller did not pass evidence for)
            kind = "encounter" if i.startswith("encounter:") else NONE
            for k, v in (("note_ids", NONE), ("note_dates", NONE), ("event_dates", NONE),
                         ("statuses", NONE), ("sources", kind), ("evidence_quotes", NONE)):
                cols[k].append(v)
            continue
        cols["note_ids"].append(ev.note_id or NONE)
        cols["note_dates"].append(ev.note_date.isoformat() if ev.note_date else NONE)
        cols["event_dates"].append(ev.event_date.isoformat() if ev.event_date else NONE)
        cols["statuses"].append(ev.status)
        cols["sources"].append(ev.source)
        cols["evidence_quotes"].append(_quote(ev))
    return (str(len(ids)), *(SEP.join(v) for v in cols.values()))


def _flagged_ids(flags: Sequence[str], by_id: Mapping[str, Evidence]) -> list[str]:
    """Evidence ids named by flags of the form ``<kind>:<evidence id>``."""
    out = []
    for flag in flags:
        _, _, rest = flag.partition(":")
        if rest in by_id or rest.startswith("encounter:"):
            out.append(rest)
    return out


def _deciding_ids(o: MeasureOutcome, by_id: Mapping[str, Evidence]) -> list[str]:
    if o.gap_open:
        ids = list(o.gap_evidence_ids) or list(o.numer_evidence_ids)
    else:
        ids = list(o.denex_evidence_ids or o.denexcep_evidence_ids or o.numer_evidence_ids)
    return list(dict.fromkeys(ids + _flagged_ids(o.review_flags, by_id)))


_AT = {c: i for i, c in enumerate(CARE_GAP_COLUMNS)}
_KEY_AT = (_AT["measure_id"], _AT["patient_id"], _AT["group"], _AT["episode"])
_OPEN_AT = _AT["row_type"]


def _cell_rows(outcomes: Sequence[MeasureOutcome], patients: Sequence[Patient],
               evidence: Sequence[Evidence]) -> tuple[dict[str, list[list[Any]]], dict[str, str]]:
    """Each listed outcome's row as its cells in :data:`CARE_GAP_COLUMNS` order, per clinic id (every
    clinic of ``patients`` a key), sorted by measure, patient, group, episode; and each patient's clinic."""
    by_id = {ev.evidence_id: ev for ev in evidence}
    patient_by_id = {p.patient_id: p for p in patients}
    clinic_of = {p.patient_id: p.clinic_id or "unassigned" for p in patients}
    clinics: dict[str, list[list[Any]]] = {c: [] for c in clinic_of.values()}
    listed = [o for o in outcomes if o.review_flags or (o.gap_open and o.gap_reason is not None)]
    for o in sorted(listed, key=OUTCOME_ORDER):
        is_gap = o.gap_open and o.gap_reason is not None
        patient = patient_by_id.get(o.patient_id)
        clinic = (patient.clinic_id if patient else None) or "unassigned"
        reason = o.gap_reason if is_gap else None
        ev = _evidence_cells(_deciding_ids(o, by_id), by_id)
        clinics.setdefault(clinic, []).append([
            clinic, o.patient_id, (patient.provider_id if patient else None) or "", o.measure_id, o.measure_title,
            o.group, o.group_title, o.episode, "open_gap" if is_gap else "review", reason.value if reason else "",
            GAP_DISPLAY[reason] if reason else "",
            o.gap_action if reason else "Chart review: check the flagged evidence", ";".join(o.review_flags),
            *ev, o.closed_by, o.stratum, o.measure_version,
            o.due_date.isoformat() if o.due_date else "", o.valid_through.isoformat() if o.valid_through else ""])
    return clinics, clinic_of


def care_gap_rows(outcomes: Sequence[MeasureOutcome], patients: Sequence[Patient],
                  evidence: Sequence[Evidence]) -> dict[str, list[dict[str, Any]]]:
    """Rows per clinic id (``unassigned`` when none); every clinic of ``patients`` is a key."""
    clinics, _ = _cell_rows(outcomes, patients, evidence)
    out: dict[str, list[dict[str, Any]]] = {}
    for clinic, rows in clinics.items():
        out[clinic] = [dict(zip(CARE_GAP_COLUMNS, cells, strict=True)) for cells in rows]
        for row in out[clinic]:
            row["evidence_count"] = int(row["evidence_count"])
    return out


def clinic_file_names(clinics: Sequence[str]) -> dict[str, str]:
    """A distinct, file-safe name per clinic id (deterministic).

    Ids that are already file-safe keep their name; others are made safe, and get a short
    hash of the id appended when that name is taken (or is ``summary``).
    """
    names: dict[str, str] = {}
    used = set(_RESERVED)
    safe_first = sorted(clinics, key=lambda c: (_SAFE.sub("_", c).strip("._") != c, c))
    for clinic in safe_first:
        name = _SAFE.sub("_", clinic).strip("._") or "clinic"
        if name in used:
            name = f"{name}-{hashlib.sha1(clinic.encode('utf-8')).hexdigest()[:8]}"
        used.add(name)
        names[clinic] = name
    return dict(sorted(names.items()))


def _summary_rows(t: Tally, clinic_of: Mapping[str, str],
                  review_counts: Mapping[tuple[str, str, str], int]) -> list[dict[str, Any]]:
    """The clinic x measure (x group) rows, from the outcomes' tally (engine/tally.py: a clinic's row sums its
    providers' cells, whose patients are distinct); ``clinic_of``: each patient's clinic. A row's title and
    direction are those of its measure and group's last outcome."""
    last: dict[tuple[str, str], int] = {}
    for (_, _, measure, group), cell in t.cells.items():
        if last.get((measure, group), -1) < cell.last:
            last[measure, group] = cell.last
    measures = {key: t.outcomes[i] for key, i in last.items()}
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    clinics = set(clinic_of.values()) | {key[0] for key in t.cells}
    for clinic in sorted(clinics):
        for (measure, group), o in sorted(measures.items()):
            rows[clinic, measure, group] = {
                "clinic_id": clinic, "measure_id": measure, "group": group,
                "measure_title": o.measure_title, "inverse": int(o.inverse),
                **dict.fromkeys(CARE_GAP_SUMMARY_COLUMNS[5:], 0)}
    for (clinic, _, measure, group), cell in t.cells.items():
        row = rows[clinic, measure, group]
        row["patients"] += len(cell.patients)
        for name, n in zip(COUNTS, cell.counts, strict=True):
            row[name] += n
        row["open_gaps"] += cell.open_gaps
        for reason, n in cell.gaps_by_reason.items():
            row[f"gaps_{reason.value}"] += n
    for key, row in rows.items():
        row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
        row["met"] = row["numer"] - row["numex"]
        row["rate"] = f"{row['met'] / row['eligible']:.4f}" if row["eligible"] > 0 else ""
        row["review_rows"] = review_counts.get(key, 0)
    return list(rows.values())


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = SafeDictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)


def care_gap_material(outcomes: Sequence[MeasureOutcome], patients: Sequence[Patient],
                      evidence: Sequence[Evidence], counts: Tally | None = None) -> Material:
    """One partition's care-gap rows (stream ``care_gaps``, keyed by clinic then the rows' order; a row's
    payload ``[1 for an open gap else 0, its CSV line]``, the line as ``SafeDictWriter`` writes it,
    engine/plain_csv.py) and counts (``care_gap_summary``: the clinic x measure rows; ``care_gap_clinics``).
    ``counts``: the outcomes' tally (``RunData.tally``; None: taken here)."""
    material = Material()
    if counts is None:
        counts = tally(outcomes, {p.patient_id: p for p in patients})
    clinics, clinic_of = _cell_rows(counts.noted, patients, evidence)  # the outcomes listed are among them
    review: dict[tuple[str, str, str], int] = {}
    lines = CsvLines(CARE_GAP_COLUMNS)
    m_at, p_at, g_at, e_at = _KEY_AT
    for clinic, rows in clinics.items():
        for cells in rows:
            is_open = cells[_OPEN_AT] == "open_gap"
            text = lines.line(cells, lambda cells=cells: dict(zip(CARE_GAP_COLUMNS, cells, strict=True)))
            material.add("care_gaps", [clinic, cells[m_at], cells[p_at], cells[g_at], cells[e_at]],
                         [int(is_open), text])
            if not is_open:
                key = (clinic, cells[m_at], cells[g_at])
                review[key] = review.get(key, 0) + 1
    material.counts["care_gap_clinics"] = sorted(clinics)
    material.counts["care_gap_summary"] = _summary_rows(counts, clinic_of, review)
    return material


_SUMMED = ("patients", "ipp", "denom", "denex", "denexcep", "numer", "numex", "open_gaps",
           *(f"gaps_{r.value}" for r in REASON_ORDER), "review_rows")
_SUMMARY_KEY = ("clinic_id", "measure_id", "group")


def union_sorted(a: Sequence[Any], b: Sequence[Any]) -> list[Any]:
    """Two partitions' lists of names (clinics) as one: sorted, each once."""
    return sorted(set(a) | set(b))


register_counts("care_gap_clinics", union_sorted)
register_counts("care_gap_summary", lambda a, b: list(sum_rows([a, b], _SUMMARY_KEY, _SUMMED).values()))


def write_care_gaps_parts(parts: Parts, out_dir: Path) -> dict[str, int]:
    """``out_dir/<clinic>.csv`` and ``out_dir/summary.csv`` from the partitions' material (one row in
    memory per partition); returns open gaps per clinic."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clinics = sorted({c for part in parts.counts("care_gap_clinics") for c in part})
    names = clinic_file_names(clinics)
    files: dict[str, int] = {}
    stream = parts.stream("care_gaps")
    pending = next(stream, None)
    for clinic in clinics:
        with (out_dir / f"{names[clinic]}.csv").open("w", newline="", encoding="utf-8") as fh:
            SafeDictWriter(fh, CARE_GAP_COLUMNS).writeheader()
            n = 0
            held: list[str] = []
            while pending is not None and pending[0][0] == clinic:
                is_open, line = pending[1]  # the row's CSV line (care_gap_material)
                held.append(line)
                n += is_open
                if len(held) >= 1024:
                    fh.write("".join(held))
                    held.clear()
                pending = next(stream, None)
            fh.write("".join(held))
        files[clinic] = n
    if pending is not None:
        raise ValueError(f"care-gap rows of clinic {pending[0][0]!r} are out of order or of no known clinic")
    summed = sum_rows(parts.counts("care_gap_summary"), _SUMMARY_KEY, _SUMMED)
    rows = []
    for key in sorted(summed):
        row = summed[key]
        row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
        row["met"] = row["numer"] - row["numex"]
        row["rate"] = f"{row['met'] / row['eligible']:.4f}" if row["eligible"] > 0 else ""
        rows.append(row)
    _write_csv(out_dir / "summary.csv", CARE_GAP_SUMMARY_COLUMNS, rows)
    return files


def write_care_gaps(outcomes: Sequence[MeasureOutcome], patients: Sequence[Patient],
                    evidence: Sequence[Evidence], out_dir: Path) -> dict[str, int]:
    """Write ``out_dir/<clinic>.csv`` and ``out_dir/summary.csv``; return open gaps per clinic."""
    return write_care_gaps_parts(Parts([care_gap_material(outcomes, patients, evidence)]), out_dir)
