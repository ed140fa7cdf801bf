"""Workbook helpers shared by every XLSX the project writes (openpyxl).

* Every text cell goes through :func:`engine.cells.safe_cell` and is stored as a string: no cell
  is ever written as a formula, whatever its text (an id of ``=HYPERLINK(...)`` stays text).
* :func:`add_table` writes a header row (bold, frozen, with filters) and sets column widths.
* :func:`save_workbook` writes byte-identical files for the same content: the workbook's created
  and modified times and every zip entry's time are fixed (:data:`FIXED_TIME`), so re-rendering a
  run gives the same sha256.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from operator import itemgetter
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import xmlfile

from engine.cells import safe_cell

__all__ = ["FIXED_TIME", "Column", "RowRenderer", "TableSheet", "add_table", "bold", "new_workbook", "print_setup",
           "put", "rich_quote", "save_workbook", "sheet_title", "table_sheet"]

FIXED_TIME = datetime(1980, 1, 1)  # the zip format's epoch: the file's bytes do not depend on the clock
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
HEADER_FONT = Font(name="Calibri", bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
SPAN_FONT = InlineFont(rFont="Calibri", sz=11, b=True)  # the workbook's own face, in bold
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    wrap: bool = False
    printed: bool = True  # False: on screen only, left out of the print area (ids for analysts)


LINE_HEIGHT = 15.0  # points per line of 11-point text


def _text_of(value: Any) -> str:
    if isinstance(value, CellRichText):
        return "".join(str(b.text) if isinstance(b, TextBlock) else str(b) for b in value)
    return "" if value is None else str(value)


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs at a column width (characters), roughly as a spreadsheet wraps."""
    per_line = max(1, int(width * 1.15) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _row_height(cells: Sequence[tuple[Any, float]], counted: dict[tuple[str, float], int]) -> float:
    """A table row's height (points) from its wrapped cells (value, column width), set explicitly so that
    viewers need not re-flow; ``counted`` remembers the lines of (text, width) pairs, as column values repeat."""
    lines = 1
    for value, width in cells:
        if type(value) is str:
            k = counted.get((value, width))
            if k is None:
                if len(counted) >= _CACHED:
                    counted.clear()
                k = counted[value, width] = _lines(value, width)
        else:
            k = _lines(_text_of(value), width)
        if k > lines:
            lines = k
    return LINE_HEIGHT * min(lines, 12)


def bold(ws: Worksheet, row: int, col: int = 1, size: float = 11, color: str | None = None) -> None:
    """Make one cell bold (a heading, a warning in ``color``)."""
    ws.cell(row=row, column=col).font = Font(name="Calibri", bold=True, size=size, color=color)


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "qae"
    return wb


def sheet_title(text: str, used: set[str], suffix: str = "") -> str:
    """A valid, unique sheet title (31 characters, no ``[]:*?/\\``), cut at a word; ``suffix`` (e.g. " (2)")
    is kept whole at the end."""
    base = " ".join(text.translate(_BAD_TITLE).split()).strip("'") or "Sheet"
    room = 31 - len(suffix)
    if len(base) > room:
        base = base[:room - 1].rsplit(" ", 1)[0].rstrip(" ,;-") + "…"
    base += suffix
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


def _clean(text: str) -> str:
    """Control characters XML cannot hold (a form feed from a scanned note) are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def rich_quote(before: str, span: str, after: str) -> CellRichText | str:
    """The evidence sentence with the span in bold (plain text when there is no sentence around it)."""
    before, span, after = _clean(before), _clean(span), _clean(after)
    if not before and not after:
        return span  # put() makes it safe
    before = safe_cell(before) if before else before
    blocks: list[Any] = []
    if before:
        blocks.append(before)
    blocks.append(TextBlock(SPAN_FONT, safe_cell(span) if not before else span))
    if after:
        blocks.append(after)
    return CellRichText(blocks)


def _store(cell: Any, value: Any) -> None:
    """The value of one cell: text spreadsheet-safe and typed as a string; dates, numbers as they are."""
    if isinstance(value, CellRichText):
        cell.value = value
        cell.data_type = "s"
    elif isinstance(value, str):
        cell.value = safe_cell(_clean(value))
        cell.data_type = "s"
    else:
        cell.value = value


def put(ws: Worksheet, row: int, col: int, value: Any, *, wrap: bool = False) -> None:
    """One cell: text spreadsheet-safe and typed as a string; dates as dates; numbers as numbers."""
    cell = ws.cell(row=row, column=col)
    _store(cell, value)
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    cell.alignment = WRAP if wrap else TOP


def print_setup(ws: Worksheet, header_row: int | None = None) -> None:
    """Printed or exported to PDF: landscape, every column on the page's width, the header repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.4
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


class TableSheet(Worksheet):
    """A worksheet whose table rows are produced while the workbook is saved, one row in memory at a
    time (:func:`add_table` with a row source); the file is the one the same rows held in memory give."""

    _table: tuple[int, int, Callable[[], Iterable[dict[str, Any]]], Sequence[Column], list[Any]] | None = None

    def calculate_dimension(self) -> str:
        if not self._table or not self._table[1]:
            return super().calculate_dimension()
        first_row, count, _, columns, _ = self._table
        rows = [r for r, _ in self._cells] + [first_row + count]
        cols = [c for _, c in self._cells] + [len(columns)]
        return f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"


def table_sheet(wb: Workbook, title: str) -> TableSheet:
    """A new :class:`TableSheet` at the end of ``wb``."""
    ws = TableSheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws


def _row_cells(ws: Worksheet, r: int, columns: Sequence[Column], row: dict[str, Any], styles: Sequence[Any],
               cell_at: Callable[[int, int], Any]) -> float:
    """Fill one table row; returns its height."""
    lines = 1
    for i, col in enumerate(columns, start=1):
        value = row.get(col.key)
        cell = cell_at(r, i)
        _store(cell, value)
        cell._style = copy(styles[i - 1])
        if col.wrap:
            lines = max(lines, _lines(_text_of(value), col.width))
    return LINE_HEIGHT * min(lines, 12)  # explicit: viewers need not re-flow


def add_table(ws: Worksheet, columns: Sequence[Column], rows: Sequence[dict[str, Any]] | Callable[[], Iterable[
              dict[str, Any]]], *, first_row: int = 1, filters: bool = True, count: int = 0,
              dated: Iterable[str] = ()) -> None:
    """A header at ``first_row`` (bold, frozen, filtered, repeated on printed pages), one row per dict,
    set column widths. ``filters=False``: a table inside a sheet of other content (no freeze, filter
    or repeated header).

    ``rows`` may be a function giving the rows (on a :class:`TableSheet`, at the sheet's end): they are
    read when the workbook is saved; ``count`` says how many there are and ``dated`` which columns
    (keys) hold a date in some row."""
    streamed = callable(rows)
    if streamed and not isinstance(ws, TableSheet):
        raise TypeError("a table of streamed rows needs a TableSheet (engine.xlsx.table_sheet)")
    n = count if streamed else len(rows)
    dated = set(dated)
    for i, col in enumerate(columns, start=1):
        put(ws, first_row, i, col.header, wrap=True)
        cell = ws.cell(row=first_row, column=i)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.row_dimensions[first_row].height = LINE_HEIGHT * max(_lines(c.header, c.width) for c in columns)
    styles: list[Any] = []  # one style per column, set once and copied (openpyxl styles cell by cell, slowly)
    for i, col in enumerate(columns, start=1):
        proto = ws.cell(row=first_row + 1, column=i)
        proto.alignment = WRAP if col.wrap else TOP
        if col.key in dated if streamed else any(isinstance(row.get(col.key), date) for row in rows):
            proto.number_format = DATE_FORMAT
        styles.append(proto._style)
    if streamed:
        if n:  # the rows come when the sheet is written (the first one takes the prototypes' place)
            for i in range(1, len(columns) + 1):
                del ws._cells[(first_row + 1, i)]
            ws._table = (first_row, n, rows, columns, styles)
    else:
        for r, row in enumerate(rows, start=first_row + 1):
            ws.row_dimensions[r].height = _row_cells(ws, r, columns, row, styles,
                                                     lambda r, c: ws.cell(row=r, column=c))
    if not filters:
        return
    ws.freeze_panes = ws.cell(row=first_row + 1, column=1) if not (streamed and n) else f"A{first_row + 1}"
    print_setup(ws, first_row)
    printed = [i for i, c in enumerate(columns, start=1) if c.printed]
    if printed and len(printed) < len(columns):
        ws.print_area = f"A{first_row}:{get_column_letter(max(printed))}{first_row + max(n, 1)}"
    if columns:
        last = first_row + max(n, 1)
        ws.auto_filter.ref = f"A{first_row}:{get_column_letter(len(columns))}{last}"


_CACHED = 50_000  # distinct cell texts remembered while a sheet is written


class _Row(dict):
    """A streamed table row (the values by column key) on its way to :meth:`_TableSheetWriter.write_row`,
    with its height."""

    height: float = LINE_HEIGHT


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _TableSheetWriter(WorksheetWriter):
    """Writes a :class:`TableSheet`: its cells, then its table's rows as they are read. A table row is
    written as one string: its start tag as the XML writer writes it for the row's height (taken once
    per height), then text, integer, date, rich-text and empty cells as the XML openpyxl writes for them
    (a cell's XML after its reference remembered by value: column values repeat), several times faster;
    other values (a datetime, unusual rich text) go through openpyxl's cell writer."""

    def rows(self) -> Iterator[tuple[int, Any]]:  # type: ignore[override]
        ws = self.ws
        held = super().rows()
        if not ws._table:
            yield from held
            return
        first_row, count, source, columns, styles = ws._table
        if held and held[-1][0] > first_row:
            raise ValueError(f"sheet {ws.title!r}: cells below a streamed table")
        yield from held
        styles_index = ws.parent._cell_styles
        ids = [f"{styles_index.add(style)}" for style in styles]  # the order the cells add them
        # per column: its key, and a cell's reference and style around the row number (<c r="A12" s="3")
        self._cells = [(col.key, f'<c r="{get_column_letter(i)}', f'" s="{ids[i - 1]}"')
                       for i, col in enumerate(columns, start=1)]
        keys = [col.key for col in columns]
        self._values = itemgetter(*keys) if len(keys) > 1 else lambda row: [row[k] for k in keys]
        self._starts: dict[float, tuple[str, str]] = {}  # a row's start tag by its height, around its number
        self._texts: dict[str, str] = {}  # a text cell's XML after its reference, by its value
        self._dates: dict[date, str] = {}  # a date cell's XML after its reference, by its value
        n = 0
        wrapped = [(col.key, col.width) for col in columns if col.wrap]
        counted: dict[tuple[str, float], int] = {}  # (text, width) -> lines: column values repeat
        self._format = _cells_format([f'<c r="{get_column_letter(i)}{{0}}" s="{ids[i - 1]}"'
                                      for i in range(1, len(columns) + 1)])
        for r, row in enumerate(source(), start=first_row + 1):
            if type(row) is list:  # rendered once (RowRenderer): [height, each cell's XML after its reference]
                if len(row) != len(columns) + 1:
                    raise ValueError(f"sheet {ws.title!r}: a rendered row of {len(row) - 1} cells, "
                                     f"{len(columns)} columns")
                yield r, _Rendered(row)
                n += 1
                continue
            out = _Row(row)
            out.height = _row_height([(row.get(key), width) for key, width in wrapped], counted)
            yield r, out
            n += 1
        if n != count:
            raise ValueError(f"sheet {ws.title!r}: {n} rows written, {count} expected")

    def write_row(self, xf: Any, row: Any, row_idx: int) -> None:
        if type(row) is _Rendered:
            raw = getattr(xf, "_file", None)
            if raw is None:
                raise TypeError("rendered table rows need openpyxl's own XML writer (engine.xlsx.RowRenderer)")
            n = str(row_idx)
            head, tail = self._starts.get(row[0]) or self._row_start(xf, row[0])
            raw(f"{head}{n}{tail}{self._format(n, row)}</row>")
            return
        if not isinstance(row, _Row):
            super().write_row(xf, row, row_idx)
            return
        raw = getattr(xf, "_file", None)  # openpyxl's own xmlfile; lxml's (when installed) has none
        if raw is None:
            self._write_row_cells(xf, row, row_idx)
            return
        # the row as one string: its start tag (as the XML writer writes it for the row's height), every
        # cell as openpyxl writes it, the end tag
        ws = self.ws
        n = str(row_idx)
        head, tail = self._starts.get(row.height) or self._row_start(xf, row.height)
        out = [head, n, tail]
        texts, dates = self._texts, self._dates
        try:
            values = self._values(row)
        except KeyError:  # a row without some column's key: that cell is empty
            values = [row.get(key) for key, _, _ in self._cells]
        for i, (value, (_, pre, post)) in enumerate(zip(values, self._cells, strict=True)):
            kind = type(value)
            if kind is str:
                body = texts.get(value)
                if body is None:
                    body = self._text_cell(value)
                out += (pre, n, post, body)
            elif value is None:
                out += (pre, n, post, ' t="n" />')
            elif kind is int:
                out += (pre, n, post, f' t="n"><v>{value}</v></c>')
            elif kind is date and not ws.parent.iso_dates:
                body = dates.get(value)
                if body is None:
                    body = dates[value] = f' t="n"><v>{safe_string(to_excel(value, ws.parent.epoch))}</v></c>'
                out += (pre, n, post, body)
            elif kind is CellRichText and self._rich_ok(value):
                out += (pre, n, post, ' t="inlineStr"><is>', self._rich(value), "</is></c>")
            else:  # a datetime, unusual rich text ...: openpyxl's own writer
                raw("".join(out))
                out = []
                _, _, _, _, styles = ws._table
                cell = Cell(ws, row=row_idx, column=i + 1)
                _store(cell, value)
                cell._style = copy(styles[i])
                write_cell(xf, ws, cell, cell.has_style)
        out.append("</row>")
        raw("".join(out))

    def _row_start(self, xf: Any, height: float) -> tuple[str, str]:
        """The start tag of a row of that height as the XML writer writes it, around the row's number."""
        held: list[str] = []
        write, xf._file = xf._file, held.append
        try:
            with xf.element("row", {"r": "0", **self._height_attrs(height)}):
                pass
        finally:
            xf._file = write
        text = "".join(held)
        if not text.endswith("</row>") or text.count(' r="0"') != 1:
            raise ValueError(f"unexpected row element from the XML writer: {text!r}")
        head, tail = text[:-len("</row>")].split(' r="0"')
        self._starts[height] = (f'{head} r="', f'"{tail}')
        return self._starts[height]

    def _write_row_cells(self, xf: Any, row: _Row, row_idx: int) -> None:
        """lxml's writer: every cell through openpyxl's cell writer (slower, the same cells)."""
        ws = self.ws
        _, _, _, columns, styles = ws._table
        attrs = {"r": f"{row_idx}"}
        attrs.update(self._height_attrs(row.height))
        with xf.element("row", attrs):
            for i, col in enumerate(columns):
                cell = Cell(ws, row=row_idx, column=i + 1)
                _store(cell, row.get(col.key))
                cell._style = copy(styles[i])
                write_cell(xf, ws, cell, cell.has_style)

    def _text_cell(self, value: str) -> str:
        """A text cell after its reference: safe, cleaned, escaped (remembered: column values repeat)."""
        cache = self._texts
        done = _text_body(value)
        if len(cache) >= _CACHED:
            cache.clear()
        cache[value] = done
        return done

    def _height_attrs(self, height: float) -> dict[str, str]:
        """The attributes openpyxl writes for a row of that height (its RowDimension's, one per height)."""
        cache = self.__dict__.setdefault("_heights", {})
        attrs = cache.get(height)
        if attrs is None:
            attrs = cache[height] = dict(RowDimension(self.ws, index=1, ht=height))
        return attrs

    @staticmethod
    def _rich_ok(value: CellRichText) -> bool:
        """Rich text :meth:`_rich` writes as openpyxl does: text runs, none empty."""
        return bool(value) and all(
            (type(b) is str and b) or (type(b) is TextBlock and type(b.text) is str and b.text) for b in value)

    def _rich(self, value: CellRichText) -> str:
        return _rich_runs(value, self.__dict__.setdefault("_fonts", {}))


def _rich_runs(value: CellRichText, fonts: dict[int, tuple[Any, str]]) -> str:
    """The ``<is>`` content openpyxl writes for rich text (CellRichText.to_tree): one ``<r>`` per run,
    a block's font as ``<rPr>`` (serialized once per font by openpyxl's XML writer; ``fonts``: by id)."""
    runs = []
    for b in value:
        if type(b) is str:
            runs.append(f"<r>{_text_element(b)}</r>")
            continue
        cached = fonts.get(id(b.font))
        if cached is None or cached[0] is not b.font:
            buf = BytesIO()
            with xmlfile(buf) as xf:
                xf.write(b.font.to_tree(tagname="rPr"))
            cached = fonts[id(b.font)] = (b.font, buf.getvalue().decode("utf-8"))
        runs.append(f"<r>{cached[1]}{_text_element(b.text)}</r>")
    return "".join(runs)


def _text_element(text: str) -> str:
    """``<t>`` as openpyxl writes it (``xml:space="preserve"`` when spaces lead or trail, text escaped)."""
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f"<t{space}>{_escape(text)}</t>"


def _text_body(value: str) -> str:
    """A text cell's XML after its reference: safe, cleaned, escaped."""
    text = safe_cell(_clean(value))
    if not text:
        return ' t="inlineStr" />'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f' t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _cells_format(cells: Sequence[str]) -> Callable[[str, list[Any]], str]:
    """``fmt(row number, rendered row)``: the row's cells, each its reference and style (``cells``: the
    start tag with ``{0}`` where the row number goes) then its XML from the rendered row."""
    return "".join(f"{c}{{1[{i}]}}" for i, c in enumerate(cells, start=1)).format


class _Rendered(list):
    """A rendered table row (:class:`RowRenderer`) on its way to :meth:`_TableSheetWriter.write_row`."""


class RowRenderer:
    """Table rows of ``columns`` rendered once, for a streamed :func:`add_table` on a :class:`TableSheet`
    of ``wb``: ``[height, each cell's XML after its reference and style]`` (a JSON list; a row source may
    give such lists instead of dicts, e.g. read back from a scratch file). The XML is what
    :class:`_TableSheetWriter` writes for the row's values; a row with a value it leaves to openpyxl's cell
    writer (a datetime, a float, a bool, unusual rich text) is not rendered (None: give its dict)."""

    def __init__(self, wb: Workbook, columns: Sequence[Column], iso_dates: Iterable[str] = ()) -> None:
        self.keys = [c.key for c in columns]
        iso = set(iso_dates)  # keys whose values are dates as ISO text (or None): a date cell each
        self.plan = [(c.key, c.key in iso) for c in columns]
        self._iso: dict[str, str] = {}
        self.wrapped = [(i, c.width) for i, c in enumerate(columns) if c.wrap]
        self.iso_dates, self.epoch = wb.iso_dates, wb.epoch
        self._texts: dict[str, str] = {}
        self._dates: dict[date, str] = {}
        self._lines: dict[tuple[str, float], int] = {}
        self._fonts: dict[int, tuple[Any, str]] = {}

    def __call__(self, row: dict[str, Any]) -> list[Any] | None:
        bodies: list[Any] = [0.0]
        texts, dates = self._texts, self._dates
        for key, iso in self.plan:
            value = row.get(key)
            kind = type(value)
            if iso and kind is str:  # a date's ISO text ("": none)
                body = self._iso.get(value)
                if body is None:
                    if self.iso_dates:
                        return None
                    serial = safe_string(to_excel(date.fromisoformat(value), self.epoch)) if value else ""
                    body = self._iso[value] = f' t="n"><v>{serial}</v></c>' if value else ' t="n" />'
            elif kind is str:
                body = texts.get(value)
                if body is None:
                    if len(texts) >= _CACHED:
                        texts.clear()
                    body = texts[value] = _text_body(value)
            elif value is None:
                body = ' t="n" />'
            elif kind is int:
                body = f' t="n"><v>{value}</v></c>'
            elif kind is date and not self.iso_dates:
                body = dates.get(value)
                if body is None:
                    body = dates[value] = f' t="n"><v>{safe_string(to_excel(value, self.epoch))}</v></c>'
            elif kind is CellRichText and _TableSheetWriter._rich_ok(value):
                body = f' t="inlineStr"><is>{_rich_runs(value, self._fonts)}</is></c>'
            else:
                return None
            bodies.append(body)
        bodies[0] = _row_height([(row.get(self.keys[i]), width) for i, width in self.wrapped], self._lines)
        return bodies


class _Writer(ExcelWriter):
    def write_worksheet(self, ws: Any) -> None:
        if not isinstance(ws, TableSheet):
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _TableSheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


class _FixedZip(zipfile.ZipFile):
    """A zip archive whose every entry is written as the fixed-time entry :func:`save_workbook` wants
    (:data:`FIXED_TIME`, mode 0600, deflated, its size known; data fed in 1 MiB pieces), whatever
    openpyxl's writer passes: the file's bytes do not depend on the clock, in one compression pass."""

    def _fixed(self, name: str, size: int) -> Any:
        entry = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry._compresslevel = self.compresslevel  # None: zlib's default (6)
        entry.external_attr = 0o600 << 16
        entry.file_size = size  # as ZipFile.writestr sets it
        return self.open(entry, "w")

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,  # type: ignore[override]
                 compresslevel: Any = None) -> None:
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else \
            zipfile.ZipInfo(zinfo_or_arcname).filename
        if isinstance(data, str):
            data = data.encode("utf-8")
        view = memoryview(data)
        with self._fixed(name, len(data)) as out:
            for at in range(0, len(data), 1 << 20):
                out.write(view[at:at + (1 << 20)])

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,  # type: ignore[override]
              compresslevel: Any = None) -> None:
        info = zipfile.ZipInfo.from_file(filename, arcname)
        with open(filename, "rb") as data, self._fixed(info.filename, info.file_size) as out:
            shutil.copyfileobj(data, out, 1 << 20)


def save_workbook(wb: Workbook, path: Path, compresslevel: int | None = None) -> Path:
    """Write ``wb`` to ``path`` with fixed timestamps (byte-identical for the same content); ``compresslevel``:
    zlib's deflate level for every entry (default: zlib's, 6)."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as stable:
        try:
            with _FixedZip(stable, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=compresslevel) as archive:
                # what openpyxl's save_workbook does, without stamping the current time
                _Writer(wb, archive).write_data()
            stable.close()
            os.replace(stable.name, path)
        finally:
            if os.path.exists(stable.name):
                os.unlink(stable.name)
    return path
