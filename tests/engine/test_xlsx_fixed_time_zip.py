"""A workbook is saved in one compression pass with every zip entry at the fixed time: the bytes of the
two-pass save it replaces (openpyxl's zip, then every entry copied into a new zip at the fixed time),
for a streamed sheet larger than one 1 MiB piece, rich text, dates, a chart sheet's parts and a sheet
held in memory."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from engine import xlsx
from engine.xlsx import FIXED_TIME, Column, add_table, new_workbook, put, rich_quote, save_workbook, table_sheet

COLUMNS = (Column("patient", "Patient", 20), Column("due", "Due date", 11),
           Column("evidence", "Last evidence (in its sentence)", 48, True), Column("n", "Rows", 8))


def _rows(n: int) -> list[dict[str, object]]:
    out = []
    for i in range(n):
        out.append({"patient": f"Okafor-Ruiz, Imani #{i}", "due": date(2026, 1 + i % 12, 1 + i % 28),
                    "evidence": rich_quote(f"Seen {i} days ago; ", "declines colonoscopy", " & <FIT> offered  "),
                    "n": i})
    return out


def _workbook(n: int) -> object:
    wb = new_workbook()
    ws = wb.create_sheet("Summary")
    put(ws, 1, 1, "Care-gap worklist: clinic-north")
    put(ws, 2, 1, date(2026, 12, 31))
    add_table(table_sheet(wb, "All open gaps"), COLUMNS, lambda: iter(_rows(n)), count=n, dated={"due"})
    add_table(wb.create_sheet("Held"), COLUMNS, _rows(5))
    return wb


def _two_pass(wb: object, path: Path) -> Path:
    """The save this replaces, kept here as the reference."""
    wb.properties.created = FIXED_TIME  # type: ignore[attr-defined]
    wb.properties.modified = FIXED_TIME  # type: ignore[attr-defined]
    with tempfile.TemporaryFile() as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            xlsx._Writer(wb, archive).write_data()
        raw.seek(0)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o600 << 16
                entry.file_size = info.file_size
                with src.open(info) as data, dst.open(entry, "w") as out:
                    shutil.copyfileobj(data, out, 1 << 20)
    return path


def test_one_pass_save_has_the_bytes_of_the_two_pass_save(tmp_path: Path) -> None:
    for n in (0, 3, 12_000):  # 12,000 rows: a sheet of several MiB
        one = save_workbook(_workbook(n), tmp_path / f"one-{n}.xlsx").read_bytes()
        two = _two_pass(_workbook(n), tmp_path / f"two-{n}.xlsx").read_bytes()
        assert one == two, n
    with zipfile.ZipFile(tmp_path / "one-12000.xlsx") as z:
        infos = z.infolist()
        assert max(i.file_size for i in infos) > 3 << 20
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr for i in infos} == {0o600 << 16}
        assert z.testzip() is None
