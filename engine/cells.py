"""Spreadsheet-safe cell values for every CSV and XLSX the project writes.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
read by Excel, LibreOffice or Google Sheets as a formula (OWASP "CSV Injection"): a patient
id of ``=HYPERLINK(...)`` or a note quote starting with ``=cmd|...`` would run when a clinic
opens the file. :func:`safe_cell` neutralises such text by prefixing a single quote, as the
OWASP guidance recommends, whatever the column; numbers, booleans and ``None`` pass through
unchanged (a negative *number* is data, a string starting with ``-`` is text and is quoted).
Readers of our files strip the quote again with :func:`unsafe_cell`; text that already starts with
a quote and a trigger (``'=x``) gets a second quote, so the round trip is exact.

:class:`SafeDictWriter` is the one CSV writer for our files: ``\n`` line ends, every cell made safe,
and a row holding a carriage return written with every field quoted (Python's csv module quotes
only the line terminator's characters, and a bare CR ends a row in Excel and most readers, which
would start a new row with whatever followed it, ``=cmd|...`` included).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

__all__ = ["FORMULA_TRIGGERS", "SafeDictWriter", "safe_cell", "safe_row", "unsafe_cell"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with any leading formula trigger neutralised (strings only)."""
    if isinstance(value, str) and (value.startswith(FORMULA_TRIGGERS) or _quoted_trigger(value)):
        return "'" + value
    return value


def _quoted_trigger(value: str) -> bool:
    return value.startswith("'") and value[1:2] != "" and (value[1:2] in FORMULA_TRIGGERS or _quoted_trigger(value[1:]))


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every cell of a row made safe (for ``csv.DictWriter`` and openpyxl ``append``)."""
    return {key: safe_cell(value) for key, value in row.items()}


def unsafe_cell(value: Any) -> Any:
    """Undo :func:`safe_cell` when reading a file we wrote (``'=x`` -> ``=x``)."""
    if isinstance(value, str) and _quoted_trigger(value):
        return value[1:]
    return value


_FIRST = frozenset(FORMULA_TRIGGERS) | {"'"}  # first characters that may need safe_cell


class SafeDictWriter:
    """``csv.DictWriter`` for the project's CSV files: safe cells, ``\n`` line ends, CRs quoted.

    A row with exactly the fieldnames (the usual case) is written as a list, each cell through
    :func:`safe_cell` only when its first character could need it: the bytes ``csv.DictWriter`` gives
    (a row with missing or other keys goes through ``csv.DictWriter`` itself: ``restval``, the error)."""

    def __init__(self, fh: IO[str], fieldnames: Sequence[str]) -> None:
        self.fieldnames = list(fieldnames)
        self._keys = frozenset(self.fieldnames)
        self._plain = csv.DictWriter(fh, fieldnames=self.fieldnames, lineterminator="\n")
        self._quoted = csv.DictWriter(fh, fieldnames=self.fieldnames, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self._plain_rows = self._plain.writer
        self._quoted_rows = self._quoted.writer

    def writeheader(self) -> None:
        self.writerow(dict(zip(self.fieldnames, self.fieldnames, strict=True)))

    def writerow(self, row: Mapping[str, Any]) -> None:
        if len(row) != len(self._keys) or row.keys() != self._keys:
            safe = safe_row(row)
            has_cr = any(isinstance(v, str) and "\r" in v for v in safe.values())
            (self._quoted if has_cr else self._plain).writerow(safe)
            return
        cells = []
        has_cr = False
        for key in self.fieldnames:
            v = row[key]
            if type(v) is str:
                if v:
                    if v[0] in _FIRST:
                        v = safe_cell(v)
                    if not has_cr and "\r" in v:
                        has_cr = True
            elif v is not None and not isinstance(v, (int, float)):
                v = safe_cell(v)
                if isinstance(v, str) and "\r" in v:
                    has_cr = True
            cells.append(v)
        (self._quoted_rows if has_cr else self._plain_rows).writerow(cells)

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)
