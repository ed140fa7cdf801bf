"""Long CSV streams of the report files (the worklist CSVs) written faster, in the bytes of
:class:`engine.cells.SafeDictWriter`.

Most rows hold no cell a spreadsheet could read as a formula and no carriage return: for them
``SafeDictWriter`` changes nothing and writes the cells as ``csv.writer`` does, so
:class:`CellsWriter` hands such rows to ``csv.writer`` as they are, a batch at a time. A row with a
cell that needs care (its text starts with ``=``, ``+``, ``-``, ``@``, a tab, a CR or a quote, or holds
a CR anywhere) goes through ``SafeDictWriter.writerow`` itself.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from engine.cells import FORMULA_TRIGGERS, SafeDictWriter, safe_cell

__all__ = ["CellsWriter", "CsvLines", "needs_care"]

_FIRST = frozenset(FORMULA_TRIGGERS) | {"'"}  # first characters that may need safe_cell
_BATCH = 512  # plain rows handed to csv.writer at once


def needs_care(cells: Sequence[Any]) -> bool:
    """Whether some text cell starts with a character :func:`engine.cells.safe_cell` may act on, or holds
    a CR (the row is then quoted): the test ``SafeDictWriter`` makes, cell by cell."""
    for v in cells:
        if isinstance(v, str) and v and (v[0] in _FIRST or "\r" in v):
            return True
    return False


class CellsWriter:
    """Rows as cells in the order of ``fieldnames``; the file is the one ``SafeDictWriter`` writes.
    Call :meth:`flush` before the file is closed (or anything else is written to it)."""

    def __init__(self, fh: IO[str], fieldnames: Sequence[str]) -> None:
        self.safe = SafeDictWriter(fh, fieldnames)
        self._plain = csv.writer(fh, lineterminator="\n")
        self._held: list[Sequence[Any]] = []

    def writeheader(self) -> None:
        self.flush()
        self.safe.writeheader()

    def writecells(self, cells: Sequence[Any], row: Callable[[], Mapping[str, Any]]) -> None:
        """One row: ``cells`` in the fieldnames' order, ``row()`` the same row as ``SafeDictWriter.writerow``
        takes it (called only for a row that needs care)."""
        if needs_care(cells):
            self.flush()
            self.safe.writerow(row())
            return
        self._held.append(cells)
        if len(self._held) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._held:
            self._plain.writerows(self._held)
            self._held.clear()


class CsvLines:
    """Rows as their CSV text, one string per row: the text :class:`engine.cells.SafeDictWriter` writes for
    the row, so a file of such lines after ``SafeDictWriter``'s header is the file ``SafeDictWriter`` writes.

    A row of text cells (or None) without a CR is its cells' texts joined by commas, each cell's text (made safe, then
    quoted as ``csv.writer`` quotes a field of a row of several) remembered by value: column values repeat.
    Any other row (a cell that is not text, or a CR somewhere: the row is then quoted whole) goes through
    ``csv.writer`` or ``SafeDictWriter`` as :class:`CellsWriter` sends it."""

    def __init__(self, fieldnames: Sequence[str], cached: int = 100_000) -> None:
        if len(fieldnames) < 2:
            raise ValueError("CsvLines needs rows of two fields or more (csv quotes a lone empty field)")
        self._line = ""
        self.safe = SafeDictWriter(self, fieldnames)  # type: ignore[arg-type]  # csv writes each row at once
        self._plain = csv.writer(self, lineterminator="\n")
        self._texts: dict[str | None, str] = {None: ""}  # None: an empty cell, as csv writes it
        self._get = self._texts.get
        self._cached = cached

    def write(self, text: str) -> int:
        self._line = text
        return len(text)

    def _field(self, value: str) -> str:
        """A text cell as ``SafeDictWriter`` writes it in a row of several cells and no CR."""
        if value and value[0] in _FIRST:
            value = safe_cell(value)
        self._plain.writerow((value, ""))
        return self._line[:-2]  # the field, then ",\n"

    def line(self, cells: Sequence[Any], row: Callable[[], Mapping[str, Any]]) -> str:
        """``cells`` in the fieldnames' order; ``row()`` the same row as ``SafeDictWriter.writerow`` takes it
        (called only for a row that needs care)."""
        texts = list(map(self._get, cells))
        if None not in texts:
            return ",".join(texts) + "\n"
        known = self._texts
        if len(known) >= self._cached:
            known.clear()
            known[None] = ""
        for v in cells:
            if type(v) is str and "\r" not in v and v not in known:
                known[v] = self._field(v)
        texts = list(map(self._get, cells))
        if None not in texts:
            return ",".join(texts) + "\n"
        if needs_care(cells):
            self.safe.writerow(row())
        else:
            self._plain.writerow(cells)
        return self._line
