"""Sheets for adjudication: the engine-reviewer discordance list and the abstractors' disagreements.

``discordance.csv`` / ``.xlsx``: every disagreement between the engine and the reference answer,
element rows first (sorted by element, patient), then outcome rows (by measure group), with the
engine's span, status, dates, value and rule beside the reviewer's answer and quote, and an
``adjudication`` column with a drop-down (engine correct / reviewer correct / both wrong /
guideline unclear).

``adjudication.csv`` / ``.xlsx`` (two or more abstractors): each unit they answered differently,
both answers side by side, and blank answer columns (``found``, ``status``, ``dates``, ``value``,
``note_ids``, ``quote``) for the adjudicator, with ``abstractor`` preset to ``adjudicator``. Fill
it and pass it back with ``--review``: an adjudicator's answer becomes the reference for its unit.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engine.cells import safe_cell, safe_row

from .comparison import Discordance
from .xlsx import save_workbook

__all__ = ["DISCORDANCE_COLUMNS", "write_adjudication", "write_discordance", "write_table"]

DISCORDANCE_COLUMNS = tuple(Discordance.__dataclass_fields__) + ("adjudication", "adjudication_note")
ADJUDICATION_CHOICES = "engine correct,reviewer correct,both wrong,guideline unclear"


def write_table(path_base: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]], *, sheet: str,
                lists: dict[str, str] | None = None) -> list[Path]:
    """``<base>.csv`` and ``<base>.xlsx`` with the same rows; every cell made spreadsheet-safe."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    csv_path = path_base.with_suffix(".csv")
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(safe_row({c: row.get(c, "") for c in columns}))
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(columns))
    for row in rows:
        ws.append([safe_cell(row.get(c, "")) for c in columns])
    for i in range(1, len(columns) + 1):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = 18
    ws.freeze_panes = "A2"
    for name, choices in (lists or {}).items():
        if name in columns:
            col = get_column_letter(list(columns).index(name) + 1)
            dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, errorStyle="warning")
            dv.add(f"{col}2:{col}{max(2, len(rows) + 1)}")
            ws.add_data_validation(dv)
    xlsx_path = path_base.with_suffix(".xlsx")
    save_workbook(wb, xlsx_path)
    return [csv_path, xlsx_path]


def write_discordance(folder: Path, discordances: Sequence[Discordance]) -> list[Path]:
    rows = [{**asdict(d), "adjudication": "", "adjudication_note": ""} for d in discordances]
    return write_table(folder / "discordance", DISCORDANCE_COLUMNS, rows, sheet="Discordance",
                       lists={"adjudication": ADJUDICATION_CHOICES})


def write_adjudication(folder: Path, a: str, b: str, disagreements: Sequence[dict[str, Any]]) -> list[Path]:
    fields = ("found", "status", "dates", "value", "note_ids", "quote", "where")
    columns = ["measure_id", "patient_id", "note_id", "element",
               *[f"{a}_{f}" for f in fields], *[f"{b}_{f}" for f in fields],
               "found", "status", "dates", "value", "note_ids", "quote", "abstractor", "comment"]
    rows = [{**d, "abstractor": "adjudicator"} for d in disagreements]
    safe_a = "".join(ch if ch.isalnum() else "_" for ch in a)
    safe_b = "".join(ch if ch.isalnum() else "_" for ch in b)
    return write_table(folder / f"adjudication_{safe_a}_vs_{safe_b}", columns, rows, sheet="Adjudication",
                       lists={"found": "Y,N,n/a"})
