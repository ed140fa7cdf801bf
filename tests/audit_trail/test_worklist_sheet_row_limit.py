"""A worklist table longer than Excel's sheet limit (1,048,576 rows) goes on over numbered sheets.

At the scale of a health plan (a million patients, many without a clinic) one clinic's "All open gaps" can
pass the limit, and Excel refuses a sheet that does. The limit is lowered here (the code reads
``engine.worklist_files.EXCEL_MAX_ROWS``) so that the demo run's clinics need several sheets: the parts
must hold exactly the rows of the single sheet written without the limit, in the same order, each part
with the header, frozen and filtered.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from engine import worklist_files
from engine.run_data import RunData
from engine.worklist_files import write_worklist_xlsx
from engine.xlsx import sheet_title


def _tables(path: Path) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path, rich_text=False)
    return {ws.title: [[str(c.value) if c.value is not None else None for c in row] for row in ws.iter_rows()]
            for ws in wb.worksheets}


def _groups(titles: list[str]) -> list[list[str]]:
    """Sheets in workbook order, a table's continuation sheets (" (2)", " (3)"...) with its first."""
    groups: list[list[str]] = []
    for title in titles:
        m = re.search(r" \((\d+)\)$", title)
        if m and groups and int(m.group(1)) == len(groups[-1]) + 1:
            groups[-1].append(title)
        else:
            groups.append([title])
    return groups


def test_a_table_past_the_limit_continues_on_numbered_sheets(demo_run: RunData, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    whole = {p.name: _tables(p) for p in write_worklist_xlsx(demo_run, tmp_path / "whole")}
    monkeypatch.setattr(worklist_files, "EXCEL_MAX_ROWS", 4)  # a header and 3 rows per sheet
    split_paths = write_worklist_xlsx(demo_run, tmp_path / "split")
    split = {p.name: _tables(p) for p in split_paths}
    assert split.keys() == whole.keys()
    parted = 0
    for name, sheets in whole.items():
        got = split[name]
        groups = _groups(list(got))
        assert [g[0] for g in groups] == list(sheets)  # the same tables, in the same order
        for parts in groups:
            rows = sheets[parts[0]]
            joined: list[list[object]] = []
            for part in parts:
                table = got[part]
                assert table[0] == rows[0]  # the header on every part
                assert len(table) <= 4 or parts[0] == "Summary"
                joined += table[1:]
            assert joined == rows[1:], (name, parts[0])
            parted += len(parts) > 1
    assert parted >= 3  # the demo's clinics have tables of more than 3 rows
    wb = openpyxl.load_workbook(split_paths[0])
    continued = [ws for ws in wb.worksheets if ws.title.endswith(" (2)")]
    assert continued and all(ws.freeze_panes == "A2" and ws.auto_filter.ref for ws in continued)


def test_a_long_title_keeps_its_part_number() -> None:
    used: set[str] = set()
    first = sheet_title("HbA1c test and diabetes control", used)
    second = sheet_title("HbA1c test and diabetes control", used, " (2)")
    assert len(second) <= 31 and second.endswith(" (2)") and second.startswith("HbA1c")
    assert first == "HbA1c test and diabetes control"
    assert sheet_title("Falls: screening / risk*plan?", used) == "Falls screening risk plan"
