"""Fast paths of the worklist files, against their reference writers kept here as the oracles, on the
demo run and on a hand-built run whose names, ids, actions and evidence start with formula triggers,
hold carriage returns, form feeds, quotes, commas, line breaks, ``<`` and ``&``, edge spaces and
non-ASCII letters:

* the worklist CSVs go through ``engine.plain_csv.CellsWriter`` (plain rows straight to ``csv.writer``,
  a row with a cell that needs care through ``SafeDictWriter``); the care-gap lists (``SafeDictWriter``
  row by row) are checked the same way;
* the XLSX worklists' table rows are written as one string per row (``engine.xlsx._TableSheetWriter``:
  the row's start tag as the XML writer gives it, cells' XML remembered by value, dates too), and the
  clinic's rows are spooled through orjson: the workbooks must be the bytes the cell-by-cell writer gave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from engine import worklist_files, xlsx
from engine.care_gaps import CARE_GAP_COLUMNS, care_gap_material, care_gap_rows, clinic_file_names, write_care_gaps
from engine.cells import SafeDictWriter
from engine.plain_csv import CellsWriter, needs_care
from engine.run_data import RunData
from engine.worklist_files import _csv_value, _values, write_worklist_csv, write_worklist_xlsx


def _old_worklist_csv(path: Path, columns: Any, rows: Any) -> Path:
    """engine/worklist_files.py's ``_write_csv`` before the fast path."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = SafeDictWriter(fh, [c.header for c in columns])
        writer.writeheader()
        for row in rows:
            values = _values(row, rich=False)
            writer.writerow({c.header: _csv_value(values[c.key]) for c in columns})
    return path


def _old_care_gap_files(run: RunData, out: Path) -> None:
    """engine/care_gaps.py's clinic files before the fast paths: the rows as dicts (``care_gap_rows``), every
    row through SafeDictWriter at the file stage."""
    clinics = care_gap_rows(run.outcomes, list(run.patients.values()), list(run.evidence.values()))
    names = clinic_file_names(sorted(clinics))
    out.mkdir(parents=True)
    for clinic in sorted(clinics):
        with (out / f"{names[clinic]}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = SafeDictWriter(fh, CARE_GAP_COLUMNS)
            writer.writeheader()
            for row in clinics[clinic]:
                writer.writerow(row)


@pytest.fixture()
def tricky_run(small_run: RunData) -> RunData:
    """``small_run`` whose patients and actions hold what a spreadsheet or a CSV reader trips on."""
    patients = {
        "pa": small_run.patients["pa"].model_copy(update={"name": "=Marsh, Odette", "mrn": "-0007731"}),
        "pb": small_run.patients["pb"].model_copy(update={"name": "Pell, \"Arnaud\"\nJr.", "mrn": "@0042",
                                                          "provider_id": "+dr-Løvås"}),
        "pc": small_run.patients["pc"].model_copy(update={"name": "Ñúñez-Ortega, Inés", "mrn": "'=0099",
                                                          "provider_id": "\tdr-bo"}),
    }
    outcomes = [replace(o, gap_action="Call the patient back\rthen mail a FIT kit") if o.patient_id == "pc" else o
                for o in small_run.outcomes]
    evidence = dict(small_run.evidence)
    for key, ev in evidence.items():  # the sentences around the spans: a form feed, edge spaces, < and &
        if ev.context:
            before = ev.context[:ev.start - ev.context_start]
            after = ev.context[ev.end - ev.context_start:]
            context = f"  \x0c{before}{ev.span}{after} <see scan> & fax  "
            evidence[key] = ev.model_copy(update={"context": context, "context_start": ev.start - len(before) - 3})
    return replace(small_run, patients=patients, outcomes=outcomes, evidence=evidence)


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}


@pytest.mark.parametrize("which", ["tricky", "demo"])
def test_worklist_csvs_equal_the_reference(which: str, tricky_run: RunData, demo_run: RunData, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    run = tricky_run if which == "tricky" else demo_run
    fast = write_worklist_csv(run, tmp_path / "fast")
    monkeypatch.setattr(worklist_files, "_write_csv", _old_worklist_csv)
    ref = write_worklist_csv(run, tmp_path / "ref")
    assert [p.relative_to(tmp_path / "fast") for p in fast] == [p.relative_to(tmp_path / "ref") for p in ref]
    got, expected = _bytes(tmp_path / "fast"), _bytes(tmp_path / "ref")
    assert got == expected and any(b.count(b"\n") > 1 for b in got.values())
    if which == "tricky":
        text = b"".join(got.values()).decode("utf-8")
        assert "'@0042" in text and "''=0099" in text and "Ñúñez-Ortega, Inés" in text


@pytest.mark.parametrize("which", ["tricky", "demo"])
def test_care_gap_csvs_equal_the_reference(which: str, tricky_run: RunData, demo_run: RunData,
                                           tmp_path: Path) -> None:
    run = tricky_run if which == "tricky" else demo_run
    write_care_gaps(run.outcomes, list(run.patients.values()), list(run.evidence.values()), tmp_path / "fast")
    _old_care_gap_files(run, tmp_path / "ref")
    got = {k: v for k, v in _bytes(tmp_path / "fast").items() if k != "summary.csv"}
    assert got == _bytes(tmp_path / "ref") and got
    if which == "tricky":
        assert b'"Call the patient back\rthen mail a FIT kit"' in b"".join(got.values())  # a CR row: all quoted


def test_cells_writer_equals_safe_dict_writer(tmp_path: Path) -> None:
    header = ["patient", "provider", "count", "note"]
    rows = [
        ["Okafor, Ada", "dr-lin", 3, "FIT kit mailed 04/2026"],
        ["=SUM(A1)", "dr-lin", -2, "ok"],  # a formula trigger (a negative number is data)
        ["Brandt, Lotte", "+dr", 0, "says \"no\" to a colonoscopy, again"],
        ["Zoë Ashworth", None, 1, "line one\nline two"],
        ["'quoted", "@team", 1.5, "x"],
        ["Ruiz, Tomás", "dr-ruiz", 7, "kit returned\r\nresult pending"],  # a CR: every cell quoted
        ["Park, Min-jun", "dr-park", 2, "\tindented"],
        ["plain", "dr-a", -1, "a=b, -c"],
    ]
    expected, got = tmp_path / "ref.csv", tmp_path / "fast.csv"
    with expected.open("w", newline="", encoding="utf-8") as fh:
        ref = SafeDictWriter(fh, header)
        ref.writeheader()
        for cells in rows * 300:  # more than a batch
            ref.writerow(dict(zip(header, cells, strict=True)))
    with got.open("w", newline="", encoding="utf-8") as fh:
        fast = CellsWriter(fh, header)
        fast.writeheader()
        for cells in rows * 300:
            fast.writecells(cells, lambda cells=cells: dict(zip(header, cells, strict=True)))
        fast.flush()
    assert got.read_bytes() == expected.read_bytes()
    assert [needs_care(r) for r in rows] == [False, True, True, False, True, True, True, False]


def _old_write_row(self: Any, xf: Any, row: Any, row_idx: int) -> None:
    """engine/xlsx.py's ``_TableSheetWriter.write_row`` before rows were written as one string."""
    if not isinstance(row, xlsx._Row):
        super(xlsx._TableSheetWriter, self).write_row(xf, row, row_idx)
        return
    ws = self.ws
    _, _, _, columns, styles = ws._table
    ids = [f"{ws.parent._cell_styles.add(style)}" for style in styles]
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    attrs = {"r": f"{row_idx}"}
    attrs.update(self._height_attrs(row.height))
    raw = getattr(xf, "_file", None)
    with xf.element("row", attrs):
        out: list[str] = []
        for i, col in enumerate(columns):
            value = row.get(col.key)
            ref = f'<c r="{letters[i]}{row_idx}" s="{ids[i]}"'
            if value is None:
                out.append(f'{ref} t="n" />')
            elif type(value) is str:
                out.append(ref + _old_text_cell(value))
            elif type(value) is int:
                out.append(f'{ref} t="n"><v>{value}</v></c>')
            elif type(value) is date and not ws.parent.iso_dates:
                out.append(f'{ref} t="n"><v>{safe_string(to_excel(value, ws.parent.epoch))}</v></c>')
            elif type(value) is CellRichText and self._rich_ok(value):
                out.append(f'{ref} t="inlineStr"><is>{self._rich(value)}</is></c>')
            else:
                raw("".join(out))
                out = []
                cell = Cell(ws, row=row_idx, column=i + 1)
                xlsx._store(cell, value)
                cell._style = copy(styles[i])
                write_cell(xf, ws, cell, cell.has_style)
        raw("".join(out))


def _old_text_cell(value: str) -> str:
    text = xlsx.safe_cell(xlsx._clean(value))
    if not text:
        return ' t="inlineStr" />'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f' t="inlineStr"><is><t{space}>{xlsx._escape(text)}</t></is></c>'


def _old_read(path: Path | None) -> Callable[[], Iterator[dict[str, Any]]]:
    def rows() -> Iterator[dict[str, Any]]:
        if path is None:
            return
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield _values(json.loads(line), rich=True)
    return rows


def _old_spill(rows: Any, path: Path, by_service: bool = False, render: Any = None) -> dict[str | None, Path]:
    files: dict[str | None, Path] = {None: path}
    handles: dict[str, Any] = {}
    try:
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
                fh.write(line)
                if by_service:
                    out = handles.get(row["service"])
                    if out is None:
                        files[row["service"]] = path.with_name(f"{path.stem}.{len(handles)}{path.suffix}")
                        out = handles[row["service"]] = files[row["service"]].open("w", encoding="utf-8",
                                                                                   newline="\n")
                    out.write(line)
    finally:
        for out in handles.values():
            out.close()
    return files


@pytest.mark.parametrize("which", ["tricky", "demo"])
def test_worklist_workbooks_equal_the_cell_by_cell_writer(which: str, tricky_run: RunData, demo_run: RunData,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tricky_run if which == "tricky" else demo_run
    fast = write_worklist_xlsx(run, tmp_path / "fast")
    monkeypatch.setattr(xlsx._TableSheetWriter, "write_row", _old_write_row)
    monkeypatch.setattr(worklist_files, "_read", _old_read)
    monkeypatch.setattr(worklist_files, "_spill", _old_spill)
    ref = write_worklist_xlsx(run, tmp_path / "ref")
    assert [p.relative_to(tmp_path / "fast") for p in fast] == [p.relative_to(tmp_path / "ref") for p in ref]
    assert fast and all(a.read_bytes() == b.read_bytes() for a, b in zip(fast, ref, strict=True))
    if which == "tricky":
        import openpyxl

        book = openpyxl.load_workbook(next(p for p in fast if "east" in p.name))
        cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
        assert any("<see scan> & fax" in c and "\x0c" not in c for c in cells)
        assert "Ñúñez-Ortega, Inés" in cells and "''=0099" in cells


def test_a_table_of_every_kind_of_value_equals_the_cell_by_cell_writer(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows mixing the values written as one string with those openpyxl's cell writer takes (a datetime,
    a float, a bool, rich text with an empty run), in several row heights, a row without some keys."""
    from datetime import datetime

    from openpyxl.cell.rich_text import TextBlock

    columns = (xlsx.Column("who", "Patient", 14), xlsx.Column("note", "Note", 20, True),
               xlsx.Column("when", "When", 12), xlsx.Column("n", "Count", 8), xlsx.Column("x", "Value", 8))
    rows = [
        {"who": "Løvås, Åse", "note": "  FIT kit <mailed> & logged  ", "when": date(2026, 3, 9), "n": 2, "x": 7.25},
        {"who": "=cmd", "note": "colonoscopy\n2019, polyps removed; repeat\nin 5 years" * 3,
         "when": datetime(2026, 4, 1, 10, 30), "n": True, "x": None},
        {"who": "Brandt, Lotte", "note": xlsx.rich_quote("Pt ", "declines", " FIT today."), "when": None, "n": -1,
         "x": CellRichText(["", TextBlock(xlsx.SPAN_FONT, "odd run")])},
        {"who": "Okafor, Ada"},  # no other keys: empty cells
    ]

    def book(path: Path) -> bytes:
        wb = xlsx.new_workbook()
        ws = xlsx.table_sheet(wb, "Rows")
        xlsx.add_table(ws, columns, lambda: iter(rows * 40), count=len(rows) * 40, dated=["when"])
        return xlsx.save_workbook(wb, path).read_bytes()

    fast = book(tmp_path / "fast.xlsx")
    monkeypatch.setattr(xlsx._TableSheetWriter, "write_row", _old_write_row)
    assert fast == book(tmp_path / "ref.xlsx")


def test_rendered_rows_equal_the_rows_written_from_their_values(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``engine.xlsx.RowRenderer``: rows rendered once (as the worklist XLSX spools them, through JSON) give
    the bytes of the same rows written from their values; a row it cannot render (a datetime, a float, a
    bool, rich text with an empty run) is left as its dict."""
    from datetime import datetime

    import orjson
    from openpyxl.cell.rich_text import TextBlock

    columns = (xlsx.Column("who", "Patient", 14), xlsx.Column("note", "Note", 20, True),
               xlsx.Column("when", "When", 12), xlsx.Column("n", "Count", 8), xlsx.Column("svc", "Service", 9, True))
    rows = [
        {"who": "Løvås, Åse", "note": "  FIT kit <mailed> & logged  ", "when": date(2026, 3, 9), "n": 2,
         "svc": "Colorectal cancer screening"},
        {"who": "=cmd|' /C calc'!A0", "note": xlsx.rich_quote("Pt ", "declines", " FIT today, \"again\"."),
         "when": None, "n": -1, "svc": "@risk"},
        {"who": "Brandt, Lotte", "note": "colonoscopy\n2019; polyps removed\x0c repeat in 5 years " * 4,
         "when": date(2025, 12, 31), "n": 0, "svc": ""},
        {"who": "Okafor, Ada", "note": xlsx.rich_quote("", "+ smoker", ""), "when": datetime(2026, 4, 1, 10, 30)},
        {"who": "Ruiz, Tomás", "n": True, "svc": CellRichText(["", TextBlock(xlsx.SPAN_FONT, "odd run")])},
        {"who": "Park, Min-jun"},  # no other keys: empty cells
    ]

    def book(path: Path, render: bool) -> bytes:
        wb = xlsx.new_workbook()
        renderer = xlsx.RowRenderer(wb, columns)
        given = [renderer(r) for r in rows] if render else [None] * len(rows)
        assert not render or [g is None for g in given] == [False, False, False, True, True, False]
        source = [orjson.loads(orjson.dumps(g)) if g is not None else r for g, r in zip(given, rows, strict=True)]
        ws = xlsx.table_sheet(wb, "Rows")
        xlsx.add_table(ws, columns, lambda: iter(source * 30), count=len(rows) * 30, dated=["when"])
        return xlsx.save_workbook(wb, path).read_bytes()

    fast = book(tmp_path / "fast.xlsx", render=True)
    assert fast == book(tmp_path / "values.xlsx", render=False)
    iso = xlsx.RowRenderer(xlsx.new_workbook(), columns, iso_dates=["when"])  # dates given as their ISO text
    plain = xlsx.RowRenderer(xlsx.new_workbook(), columns)
    for r in rows:
        if type(r.get("when")) is date:
            assert iso({**r, "when": r["when"].isoformat()}) == plain(r)
    assert iso({"who": "Okafor, Ada", "when": ""}) == plain({"who": "Okafor, Ada", "when": None})
    monkeypatch.setattr(xlsx._TableSheetWriter, "write_row", _old_write_row)
    assert fast == book(tmp_path / "ref.xlsx", render=False)


@pytest.mark.parametrize("which", ["tricky", "demo"])
def test_worklist_workbooks_rendered_or_not_are_the_same_bytes(which: str, tricky_run: RunData, demo_run: RunData,
                                                                tmp_path: Path) -> None:
    run = tricky_run if which == "tricky" else demo_run
    fast = write_worklist_xlsx(run, tmp_path / "fast")
    ref = write_worklist_xlsx(run, tmp_path / "ref", rendered=False)
    assert fast and [a.read_bytes() for a in fast] == [b.read_bytes() for b in ref]


def test_csv_lines_equal_safe_dict_writer(tmp_path: Path) -> None:
    """``engine.plain_csv.CsvLines`` (a row's line from its cells' remembered texts) against
    ``SafeDictWriter``, on rows with formula triggers, quotes, commas, line breaks, a CR, non-ASCII letters,
    numbers and a None, with a cache small enough to be cleared on the way."""
    from engine.plain_csv import CsvLines

    header = ["clinic", "patient", "measure", "action", "quote", "count"]
    rows = [
        ["north", "p-0193", "COL-E", "Mail a FIT kit, then call", "\"FIT negative 03/2026\"", "0"],
        ["north", "=HYPERLINK(\"http://x\")", "CBP", "Recheck BP; if ≥140/90, titrate", "", "2"],
        ["søndre", "p-0007", "TSC-2", "Offer cessation help\nand a quitline referral", "'=cmd|' /C calc'!A0", "1"],
        ["south", "p-0042", "EED", "Refer for a retinal exam", "pt \"declines\" today\r\nwill reconsider", "1"],
        ["west", "-p-0055", "CMS130", "@team: review", "\ttabbed quote", 3],
        ["east", "p-0101", "", "", "", None],
        ["east", "p-0102", "ACP", "Hold an advance-care-planning talk", "Ñúñez: \"proxy named\"", "0"],
    ]
    expected, got = tmp_path / "ref.csv", tmp_path / "fast.csv"
    with expected.open("w", newline="", encoding="utf-8") as fh:
        ref = SafeDictWriter(fh, header)
        ref.writeheader()
        for cells in rows * 50:
            ref.writerow(dict(zip(header, cells, strict=True)))
    lines = CsvLines(header, cached=5)
    with got.open("w", newline="", encoding="utf-8") as fh:
        SafeDictWriter(fh, header).writeheader()
        for cells in rows * 50:
            fh.write(lines.line(cells, lambda cells=cells: dict(zip(header, cells, strict=True))))
    assert got.read_bytes() == expected.read_bytes()
    with pytest.raises(ValueError):
        CsvLines(["only"])


@pytest.mark.parametrize("which", ["tricky", "demo"])
def test_worklist_payloads_equal_the_reference(which: str, tricky_run: RunData, demo_run: RunData) -> None:
    """The material's rows: a row of one outcome without evidence (most open gaps) takes a shortcut; every
    row's payload is the one its properties give (``_payload_of``)."""
    from engine.worklist import open_gap_rows, reopening_rows

    run = tricky_run if which == "tricky" else demo_run
    rows = open_gap_rows(run) + reopening_rows(run)
    assert any(r.evidence is not None or len(r.outcomes) > 1 for r in rows)
    if which == "demo":  # rows of both kinds
        assert any(r.evidence is None and len(r.outcomes) == 1 for r in rows)
    for row in rows:
        assert worklist_files._payload(row) == worklist_files._payload_of(row)


def _old_summary_rows(outcomes: Any, patients: Any, review_counts: Any) -> list[dict[str, Any]]:
    """engine/care_gaps.py's ``_summary_rows`` before it counted flag by flag (the reference)."""
    from engine.care_gaps import CARE_GAP_SUMMARY_COLUMNS

    clinic_of = {p.patient_id: p.clinic_id or "unassigned" for p in patients}
    measures = {(o.measure_id, o.group): o for o in outcomes}
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    clinics = set(clinic_of.values()) | {clinic_of.get(o.patient_id, "unassigned") for o in outcomes}
    for clinic in sorted(clinics):
        for (measure, group), o in sorted(measures.items()):
            rows[clinic, measure, group] = {
                "clinic_id": clinic, "measure_id": measure, "group": group,
                "measure_title": o.measure_title, "inverse": int(o.inverse),
                **dict.fromkeys(CARE_GAP_SUMMARY_COLUMNS[5:], 0)}
    seen: dict[tuple[str, str, str], set[str]] = {}
    for o in outcomes:
        row = rows[clinic_of.get(o.patient_id, "unassigned"), o.measure_id, o.group]
        if o.patient_id not in seen.setdefault((o.measure_id, o.group, ""), set()):
            seen[o.measure_id, o.group, ""].add(o.patient_id)
            row["patients"] += 1
        for k, v in o.populations.as_ints().items():
            row[k] += v
        if o.gap_open and o.gap_reason is not None:
            row["open_gaps"] += 1
            row[f"gaps_{o.gap_reason.value}"] += 1
    for key, row in rows.items():
        row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
        row["met"] = row["numer"] - row["numex"]
        row["rate"] = f"{row['met'] / row['eligible']:.4f}" if row["eligible"] > 0 else ""
        row["review_rows"] = review_counts.get(key, 0)
    return list(rows.values())


@pytest.mark.parametrize("which", ["tricky", "demo"])
def test_care_gap_summary_counts_equal_the_reference(which: str, tricky_run: RunData, demo_run: RunData) -> None:
    """The clinic x measure counts of the care-gap material, on the runs and on their outcomes shuffled with a
    patient of no known clinic and an episode measure's second episode added."""
    import random

    from engine.care_gaps import care_gap_rows

    run = tricky_run if which == "tricky" else demo_run
    patients = list(run.patients.values())
    outcomes = list(run.outcomes)
    stray = replace(outcomes[0], patient_id="p-not-listed", episode="")
    twice = [replace(o, episode="encounter:e-2") for o in outcomes[:3]]
    shuffled = outcomes + [stray, *twice]
    random.Random(13).shuffle(shuffled)
    for given in (outcomes, shuffled):
        clinics = care_gap_rows(given, patients, list(run.evidence.values()))
        review: dict[tuple[str, str, str], int] = {}
        for clinic, rows in clinics.items():
            for r in rows:
                if r["row_type"] == "review":
                    review[clinic, r["measure_id"], r["group"]] = review.get((clinic, r["measure_id"], r["group"]),
                                                                            0) + 1
        material = care_gap_material(given, patients, list(run.evidence.values()))
        assert material.counts["care_gap_summary"] == _old_summary_rows(given, patients, review)
    assert len({p.clinic_id for p in patients}) > 1 or which == "tricky"
