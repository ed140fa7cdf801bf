"""Spreadsheet-safe cell values for every CSV and XLSX the project writes.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
read by Excel, LibreOffice or Google Sheets as a formula (OWASP "CSV Injection"): a patient
id of ``=HYPERLINK(...)`` or a note quote starting with ``=cmd|...`` would run when a clinic
opens the file. :func:`safe_cell` neutralises such text by prefixing a single quote, as the
OWASP guidance recommends, whatever the column; numbers, booleans and ``None`` pass through
unchanged (a negative *number* is data, a string starting with ``-`` is text and is quoted).
Readers of our files strip the quote again with :func:`unsafe_cell`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "safe_cell", "safe_row", "unsafe_cell"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with any leading formula trigger neutralised (strings only)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every cell of a row made safe (for ``csv.DictWriter`` and openpyxl ``append``)."""
    return {key: safe_cell(value) for key, value in row.items()}


def unsafe_cell(value: Any) -> Any:
    """Undo :func:`safe_cell` when reading a file we wrote (``'=x`` -> ``=x``)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] in FORMULA_TRIGGERS and value[1:2]:
        return value[1:]
    return value
