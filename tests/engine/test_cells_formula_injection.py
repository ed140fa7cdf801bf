"""Cells that a spreadsheet would run as formulas are neutralised (OWASP CSV injection)."""

import pytest

from engine.cells import safe_cell, safe_row, unsafe_cell


@pytest.mark.parametrize("text", [
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
])
def test_cells_formula_triggers_are_quoted_and_round_trip(text):
    safe = safe_cell(text)
    assert safe == "'" + text
    assert unsafe_cell(safe) == text


@pytest.mark.parametrize("value", ["demo-001", "BP 132/84 on 3/4", "'already quoted", "", 7, -3.5, None, True])
def test_cells_plain_values_pass_through(value):
    assert safe_cell(value) == value
    assert unsafe_cell(value) == value


def test_cells_safe_row_covers_every_column():
    row = safe_row({"patient_id": "=HYPERLINK(1)", "clinic": "north", "count": -1})
    assert row == {"patient_id": "'=HYPERLINK(1)", "clinic": "north", "count": -1}


@pytest.mark.parametrize("text", ["'=1+1", "''@x", "'-"])
def test_cells_text_that_already_looks_quoted_round_trips_exactly(text):
    safe = safe_cell(text)
    assert safe == "'" + text and unsafe_cell(safe) == text
