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

from engine.cells import FORMULA_TRIGGERS, SafeDictWriter

__all__ = ["CellsWriter", "needs_care"]

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
