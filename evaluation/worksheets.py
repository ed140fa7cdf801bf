"""Abstractor worksheets (XLSX with answer lists, and CSV): one row per sampled patient x element.

Columns, left to right: who and what to review (``row_id``, ``measure_id``, ``patient_id``,
``birth_date``, ``sex``, ``sample_role``, ``sampled_for``, ``element``, ``what_counts``,
``notes_to_read``), the answers to fill (``found``, ``status``, ``dates``, ``value``,
``note_ids``, ``quote``, ``abstractor``, ``comment``) and, with ``blinded=False`` only, the
engine's answers for adjudication (``engine_*``). A blinded worksheet shows nothing the engine
decided: not the stratum, not the outcome, not the evidence.

The XLSX has three sheets: ``Worksheet`` (answer cells carry drop-down lists; other values are
allowed after a warning, the reader understands them), ``Notes`` (each patient's notes: id,
date, type, title) and ``Instructions``. Every cell goes through ``engine.cells.safe_cell``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.cells import safe_cell, safe_row
from engine.elements import load_vocabulary
from engine.records import Evidence
from engine.run_data import RunData
from engine.spec import MeasureSpec, spec_elements

from .answers import engine_answer, format_value
from .categories import category_label, category_of
from .sampling import Sample
from .xlsx import save_workbook

__all__ = [
    "ANSWER_COLUMNS",
    "ENGINE_COLUMNS",
    "NoteInfo",
    "REVIEW_COLUMNS",
    "STATUS_CHOICES",
    "instructions",
    "notes_from_evidence",
    "review_elements",
    "worksheet_rows",
    "write_worksheet",
]

REVIEW_COLUMNS = ("row_id", "measure_id", "patient_id", "birth_date", "sex", "sample_role", "sampled_for",
                  "element", "what_counts", "notes_to_read")
ANSWER_COLUMNS = ("found", "status", "dates", "value", "note_ids", "quote", "abstractor", "comment")
ENGINE_COLUMNS = ("engine_found", "engine_status", "engine_dates", "engine_value", "engine_note_ids",
                  "engine_quote", "engine_rule", "engine_outcome")
STATUS_CHOICES = ("affirmed", "declined", "ordered", "planned", "negated", "uncertain", "hypothetical", "family")
_ROLE_ORDER = {"primary": 0, "mrrv-first": 0, "mrrv-second": 1, "oversample": 2}
_VALUE_HINT = {
    "blood_pressure": "systolic/diastolic of the most recent reading day, e.g. 138/82 (several: 138/82; 126/78)",
    "hba1c": "the result in percent, e.g. 7.2",
    "tobacco_use": "current, former or never",
    "depression_screening": "instrument and score, e.g. PHQ-9 12",
}


@dataclass(frozen=True)
class NoteInfo:
    note_id: str
    patient_id: str
    note_date: date | None
    note_type: str = ""
    title: str = ""
    text: str | None = None  # None: the notes file was not available


def review_elements(spec: MeasureSpec) -> list[str]:
    """The elements a chart reviewer answers for a measure: those its criteria read that notes can
    document, in vocabulary order."""
    vocab = load_vocabulary()
    used = set(spec_elements(spec))
    return [e.id for e in vocab if e.id in used and e.from_notes]


def notes_from_evidence(run: RunData, patients: set[str]) -> dict[str, list[NoteInfo]]:
    """Note ids and dates known from the run's evidence (when the notes file is not available)."""
    seen: dict[str, NoteInfo] = {}
    for ev in run.evidence.values():
        if ev.note_id and ev.patient_id in patients and ev.note_id not in seen:
            seen[ev.note_id] = NoteInfo(ev.note_id, ev.patient_id, ev.note_date)
    out: dict[str, list[NoteInfo]] = defaultdict(list)
    for info in seen.values():
        out[info.patient_id].append(info)
    return {p: sorted(v, key=lambda n: (n.note_date or date.min, n.note_id)) for p, v in out.items()}


def _notes_text(notes: Sequence[NoteInfo]) -> str:
    return "; ".join(f"{n.note_id} ({n.note_date.isoformat() if n.note_date else 'no date'})" for n in notes)


def _evidence_by_patient(run: RunData, patients: set[str]) -> dict[tuple[str, str], list[Evidence]]:
    out: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for ev in run.evidence.values():
        if ev.origin == "note" and ev.patient_id in patients:
            out[(ev.patient_id, ev.element)].append(ev)
    return out


def _sampled_for(sample: Sample, measure_id: str) -> dict[str, list[str]]:
    """Patient -> the measure groups (and episodes) it was drawn for: "AIS-E-zoster", "TRC-MRP episode e7"."""
    out: dict[str, list[str]] = defaultdict(list)
    for g in sample.groups_of(measure_id):
        for u in g.units:
            where = f"{g.label} episode {u.episode}" if u.episode else g.label
            if where not in out[u.patient_id]:
                out[u.patient_id].append(where)
    return out


def _engine_outcomes(run: RunData, sample: Sample, measure_id: str) -> dict[str, str]:
    wanted = {(g.group, u.patient_id, u.episode): g for g in sample.groups_of(measure_id) for u in g.units}
    out: dict[str, list[str]] = defaultdict(list)
    for o in run.outcomes:
        g = wanted.get((o.group, o.patient_id, o.episode)) if o.measure_id == measure_id else None
        if g is not None:
            where = g.label + (f" {o.episode}" if o.episode else "")
            out[o.patient_id].append(f"{where}: {category_label(category_of(o.populations), g.inverse)}")
    return {p: "; ".join(v) for p, v in out.items()}


def worksheet_rows(sample: Sample, measure_id: str, run: RunData, notes: Mapping[str, Sequence[NoteInfo]],
                   *, blinded: bool = True) -> list[dict[str, Any]]:
    """The worksheet of one measure: patients by role (primary, second MRRV sample, oversample), then id."""
    spec = run.specs[measure_id]
    vocab = load_vocabulary()
    roles = sample.patients_of(measure_id)
    order = {}
    for g in sample.groups_of(measure_id):
        for u in g.units:
            order[u.patient_id] = min(order.get(u.patient_id, 10**6), u.order)
    patients = sorted(roles, key=lambda p: (_ROLE_ORDER[roles[p]], order[p] if roles[p] == "oversample" else 0, p))
    sampled_for = _sampled_for(sample, measure_id)
    evidence = _evidence_by_patient(run, set(patients)) if not blinded else {}
    outcomes = _engine_outcomes(run, sample, measure_id) if not blinded else {}
    rows: list[dict[str, Any]] = []
    for pid in patients:
        patient = run.patients.get(pid)
        for element in review_elements(spec):
            row: dict[str, Any] = {
                "row_id": f"{measure_id}:{pid}:{element}",
                "measure_id": measure_id,
                "patient_id": pid,
                "birth_date": patient.birth_date.isoformat() if patient else "",
                "sex": patient.sex if patient else "",
                "sample_role": roles[pid],
                "sampled_for": "; ".join(sampled_for.get(pid, [])),
                "element": element,
                "what_counts": vocab[element].description,
                "notes_to_read": _notes_text(notes.get(pid, [])),
                **dict.fromkeys(ANSWER_COLUMNS, ""),
            }
            if not blinded:
                answer = engine_answer(evidence.get((pid, element), []))
                row.update({
                    "engine_found": "Y" if answer.found else "N",
                    "engine_status": answer.status or "",
                    "engine_dates": "; ".join(d.text() for d in answer.dates()),
                    "engine_value": "; ".join(format_value(element, v) for v in answer.latest_values()),
                    "engine_note_ids": "; ".join(answer.note_ids()),
                    "engine_quote": " | ".join(answer.quotes()[:5]),
                    "engine_rule": "; ".join(answer.rules()[:5]),
                    "engine_outcome": outcomes.get(pid, ""),
                })
            rows.append(row)
    return rows


def instructions(measure_id: str, spec: MeasureSpec, blinded: bool) -> list[str]:
    lines = [
        f"Chart review worksheet: {measure_id} {spec.title} ({spec.version}).",
        "One row per patient and element. Read the patient's notes (sheet Notes; the HTML packet beside "
        "this file has their text) and answer for the element as the chart-review guideline defines it "
        "(column what_counts; shared/docs/evidence-elements.md).",
        "found: Y when a note documents the element as done or present for this patient (affirmed), N when "
        "not. Y, yes, x or 1 and N, no, 0 or n/a all work. Once you answer anything for a patient, a blank "
        "found means N; a patient whose rows are all blank counts as not reviewed.",
        "status: only when found is N but the element is mentioned: declined, ordered, planned (scheduled, "
        "due, recommended), negated, uncertain, hypothetical or family.",
        "dates: the date of the test, procedure or vaccine (several separated by ;). 2026-03-04, 3/4/26, "
        "March 2026 or 2019 all work; leave blank when the note gives none. Conditions, vital signs and care "
        "processes are dated by their note: give note_ids instead.",
        "value: " + "; ".join(f"{k}: {v}" for k, v in _VALUE_HINT.items()) + ".",
        "note_ids: the note(s) where you found it. quote: the words in the note (a short exact phrase).",
        "Another occasion (an earlier BP day, a second screening): copy the row and change dates and value.",
        "sample_role oversample: replacements; review them in order only when a primary patient's record "
        "cannot be reviewed. mrrv-second: review only when asked (one error in the first 16).",
        "Do not change row_id, measure_id, patient_id or element. Extra columns and sorting are fine.",
    ]
    if not blinded:
        lines.append("UNBLINDED: the engine_* columns show what the engine found (for adjudication only).")
    return lines


def write_worksheet(folder: Path, measure_id: str, spec: MeasureSpec, rows: Sequence[dict[str, Any]],
                    notes: Mapping[str, Sequence[NoteInfo]], *, blinded: bool = True) -> list[Path]:
    """``<measure>_worksheet.xlsx`` and ``.csv`` in ``folder``; returns the paths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = list(REVIEW_COLUMNS + ANSWER_COLUMNS + (() if blinded else ENGINE_COLUMNS))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{measure_id}_worksheet.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(safe_row({c: row.get(c, "") for c in columns}))

    wb = Workbook()
    ws = wb.active
    ws.title = "Worksheet"
    ws.append(columns)
    for row in rows:
        ws.append([safe_cell(row.get(c, "")) for c in columns])
    bold = Font(bold=True)
    answer_fill = PatternFill("solid", fgColor="FFF2CC")
    for i, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        if name in ANSWER_COLUMNS:
            cell.fill = answer_fill
        width = {"what_counts": 48, "notes_to_read": 40, "quote": 40, "engine_quote": 40, "row_id": 30}.get(name, 14)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    last = max(2, len(rows) + 1)
    lists = {"found": "Y,N,n/a", "status": ",".join(STATUS_CHOICES)}
    for name, choices in lists.items():
        col = get_column_letter(columns.index(name) + 1)
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True,
                            errorStyle="warning", errorTitle=f"{name}: not in the list",
                            error="Not one of the listed answers; keep it only if you mean it (it will be read).")
        dv.add(f"{col}2:{col}{last}")
        ws.add_data_validation(dv)
    for r in ws.iter_rows(min_row=2, max_row=len(rows) + 1):
        for cell in r:
            cell.alignment = Alignment(vertical="top", wrap_text=columns[cell.column - 1] in ("what_counts", "quote"))

    notes_ws = wb.create_sheet("Notes")
    notes_ws.append(["patient_id", "note_id", "note_date", "note_type", "title"])
    for pid in sorted({r["patient_id"] for r in rows}):
        for n in notes.get(pid, []):
            notes_ws.append([safe_cell(v) for v in (pid, n.note_id, n.note_date.isoformat() if n.note_date else "",
                                                    n.note_type or "", n.title or "")])
    for i in range(1, 6):
        notes_ws.cell(row=1, column=i).font = bold
        notes_ws.column_dimensions[get_column_letter(i)].width = 22

    help_ws = wb.create_sheet("Instructions")
    for line in instructions(measure_id, spec, blinded):
        help_ws.append([safe_cell(line)])
    help_ws.append([])
    help_ws.append(["element", "what counts", "value to record"])
    for element in review_elements(spec):
        help_ws.append([element, safe_cell(load_vocabulary()[element].description), _VALUE_HINT.get(element, "")])
    help_ws.column_dimensions["A"].width = 30
    help_ws.column_dimensions["B"].width = 90
    help_ws.column_dimensions["C"].width = 60
    xlsx_path = folder / f"{measure_id}_worksheet.xlsx"
    save_workbook(wb, xlsx_path)
    return [xlsx_path, csv_path]
