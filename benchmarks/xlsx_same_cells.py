"""Whether two XLSX files hold the same workbook as openpyxl reads it: the same sheets, and in each every
cell's value (rich text run by run) and data type, style (font, fill, border, alignment, number format,
protection), the row heights, column widths, frozen panes, filter, print area and titles, the charts; and,
zip entry by zip entry, the same names and the same uncompressed bytes. Prints one line; exits 1 when they
differ. (For a deliberate change of the files' deflate level: the bytes differ, the workbook does not.)

Run: .venv/bin/python benchmarks/xlsx_same_cells.py A.xlsx B.xlsx
"""

from __future__ import annotations

import sys
import zipfile
from typing import Any

from openpyxl import load_workbook


def _style(cell: Any) -> tuple[Any, ...]:
    return (repr(cell.font), repr(cell.fill), repr(cell.border), repr(cell.alignment), cell.number_format,
            repr(cell.protection))


def _value(cell: Any) -> Any:
    v = cell.value
    if v is not None and type(v).__name__ == "CellRichText":
        return ("rich", tuple((repr(getattr(b, "font", None)), str(getattr(b, "text", b))) for b in v))
    return v


def main() -> int:
    a_path, b_path = sys.argv[1:3]
    za, zb = zipfile.ZipFile(a_path), zipfile.ZipFile(b_path)
    if [i.filename for i in za.infolist()] != [i.filename for i in zb.infolist()]:
        print("differ: zip entries")
        return 1
    for x in za.infolist():
        if za.read(x.filename) != zb.read(x.filename):
            print(f"differ: entry {x.filename} (uncompressed)")
            return 1
    a, b = load_workbook(a_path, rich_text=True), load_workbook(b_path, rich_text=True)
    if a.sheetnames != b.sheetnames:
        print("differ: sheet names")
        return 1
    cells = 0
    for name in a.sheetnames:
        sa, sb = a[name], b[name]
        meta = [(s.freeze_panes, s.auto_filter.ref, s.print_area, s.print_title_rows, len(s._charts),
                 s.dimensions, {k: d.width for k, d in s.column_dimensions.items()},
                 {k: d.height for k, d in s.row_dimensions.items()}) for s in (sa, sb)]
        if meta[0] != meta[1]:
            print(f"differ: sheet {name!r} layout")
            return 1
        for ra, rb in zip(sa.iter_rows(), sb.iter_rows(), strict=True):
            for ca, cb in zip(ra, rb, strict=True):
                if (ca.coordinate, _value(ca), ca.data_type, _style(ca)) != \
                        (cb.coordinate, _value(cb), cb.data_type, _style(cb)):
                    print(f"differ: sheet {name!r} cell {ca.coordinate}")
                    return 1
                cells += 1
    print(f"same workbook: {len(a.sheetnames)} sheets, {cells:,} cells (value, type, style), "
          f"{len(za.infolist())} zip entries with the same uncompressed bytes; file sizes "
          f"{sum(i.compress_size for i in za.infolist()):,} / {sum(i.compress_size for i in zb.infolist()):,} "
          "bytes compressed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
