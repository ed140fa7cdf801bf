"""Abstractors' cells and worksheets, read without loss: what is understood, and what is reported."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.errors import InputError
from evaluation.answer_cells import CellError, parse_dates, parse_status, parse_values, parse_yes_no
from evaluation.worksheet_reader import read_review, read_worksheet


@pytest.mark.parametrize("cell", ["Y", "y", "yes", "YES ", "x", "X", "1", 1, 1.0, True, "true", "✓"])
def test_yes_forms(cell) -> None:
    assert parse_yes_no(cell) is True


@pytest.mark.parametrize("cell", ["N", "no", "0", 0, False, "n/a", "N/A", "none", "-"])
def test_no_forms(cell) -> None:
    assert parse_yes_no(cell) is False


def test_blank_is_no_answer_and_nonsense_is_an_error() -> None:
    assert parse_yes_no(None) is None and parse_yes_no("  ") is None
    with pytest.raises(CellError, match="'maybe' is not a yes/no answer"):
        parse_yes_no("maybe")


@pytest.mark.parametrize("cell,text", [
    ("3/4/26", "2026-03-04"), ("03/04/2026", "2026-03-04"), ("2026-03-04", "2026-03-04"),
    ("March 4, 2026", "2026-03-04"), ("4 Mar 2026", "2026-03-04"), ("March 2026", "2026-03"),
    ("Mar-26", "2026-03"), ("03/2026", "2026-03"), ("2026-03", "2026-03"), ("2019", "2019"), (2019, "2019"),
    (datetime(2026, 3, 4, 0, 0), "2026-03-04"), (date(2025, 11, 30), "2025-11-30"), ("13/4/26", "2026-04-13"),
    ("7/1/99", "1999-07-01"),
])
def test_date_forms(cell, text) -> None:
    (got,) = parse_dates(cell)
    assert got.text() == text


def test_day_first_dates_and_several_dates() -> None:
    assert [d.text() for d in parse_dates("3/4/26", "dmy")] == ["2026-04-03"]
    assert [d.text() for d in parse_dates("2019; 5/2/2024\n2026-01")] == ["2026-01", "2024-05-02", "2019"]
    assert parse_dates("n/a") == [] and parse_dates("") == []


@pytest.mark.parametrize("cell,reason", [("last spring", "not understood"), ("2/30/26", "not a real day"),
                                         ("13/2026", "month 13"), (45123, "a number, not a date")])
def test_dates_that_cannot_be_read_say_why(cell, reason) -> None:
    with pytest.raises(CellError, match=reason):
        parse_dates(cell)


def test_values_as_the_measures_read_them() -> None:
    assert parse_values("blood_pressure", "138/82; 126 / 78") == [{"systolic": 138, "diastolic": 82},
                                                                  {"systolic": 126, "diastolic": 78}]
    assert parse_values("hba1c", "7.2%") == [7.2] and parse_values("hba1c", 8.1) == [8.1]
    assert parse_values("tobacco_use", "Ex-smoker") == ["former"]
    assert parse_values("tobacco_use", "non smoker") == ["never"]
    assert parse_values("depression_screening", "PHQ-9: 12") == [{"instrument": "PHQ-9", "score": 12}]
    assert parse_values("depression_screening", "positive") == [{"result": "positive"}]
    assert parse_values("retinal_eye_exam", "No retinopathy") == ["no retinopathy"]
    for element, cell in (("blood_pressure", "elevated"), ("hba1c", "53 mmol/mol"), ("tobacco_use", "vapes"),
                          ("blood_pressure", "80/120")):
        with pytest.raises(CellError):
            parse_values(element, cell)
    assert parse_status("Pt declined") == "declined" and parse_status("scheduled") == "planned"
    with pytest.raises(CellError, match="not one of"):
        parse_status("sort of")


HEADER = ["Row ID", "Measure", "Patient", "Element", "Found?", "Status", "Date(s)", "Value", "Note", "Quote",
          "Reviewer", "Comments", "Chart pulled by"]


def _sheet(rows: list[list], title: str = "Sheet of Dana") -> Workbook:
    wb = Workbook()
    wb.active.title = "Cover"
    wb.active.append(["Chart review, measure COL-E"])  # a cover sheet with no worksheet columns
    ws = wb.create_sheet(title)
    ws.append(["Filled 2026-11-02"])  # a title line above the header
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    return wb


def test_messy_workbook_reads_every_row_or_reports_it(tmp_path: Path) -> None:
    rows = [
        ["", "COL-E", "p2", "fobt", "", "", "", "", "", "", "", "", "Sam"],
        ["", "COL-E", "p2", "colonoscopy", "yes", "", "3/4/26", "", "n2", "had colonoscopy in March", "DK", "", ""],
        [],
        ["", "COL-E", "p1", "colonoscopy", "x", "", 2019, "", "n1", "", "DK", "", "Sam"],
        ["", "COL-E", "p1", "fobt", "N", "declined", "", "", "", "", "", "", ""],
        ["", "COL-E", "p1", "mammogram", "1", "", "last spring", "", "", "", "", "", ""],
        ["", "COL-E", "p1", "colonscopy", "Y", "", "", "", "", "", "", "", ""],
        ["", "COL-E", "p1", "stool_dna", "Y", "ordered", "", "", "", "", "", "", ""],
        ["", "COL-E", "p3", "colonoscopy", "", "", "", "", "", "", "", "chart not available", ""],
        ["", "COL-E", "p3", "fobt", "", "", "", "", "", "", "", "", ""],
        ["", "COL-E", "", "fobt", "Y", "", "", "", "", "", "", "", ""],
    ]
    path = tmp_path / "COL-E_worksheet_dana.xlsx"
    _sheet(rows).save(path)
    got = read_worksheet(path)
    by = {(r.patient_id, r.element): r for r in got.rows}
    assert set(by) == {("p1", "colonoscopy"), ("p1", "fobt"), ("p2", "colonoscopy"), ("p2", "fobt")}
    assert by[("p1", "colonoscopy")].found and by[("p1", "colonoscopy")].dates[0].text() == "2019"
    assert by[("p1", "fobt")].found is False and by[("p1", "fobt")].status == "declined"
    assert by[("p2", "fobt")].found is False  # blank in a reviewed patient = not found
    assert by[("p2", "colonoscopy")].dates[0].text() == "2026-03-04" and by[("p2", "colonoscopy")].note_ids == ("n2",)
    assert {r.abstractor for r in got.rows} == {"DK"}  # initials given on one row per patient
    reasons = {(u.sheet, u.row): u.reason for u in got.unreadable}
    assert set(reasons) == {("Sheet of Dana", 8), ("Sheet of Dana", 9), ("Sheet of Dana", 10), ("Sheet of Dana", 13)}
    assert "last spring" in reasons[("Sheet of Dana", 8)]
    assert "unknown element 'colonscopy'" in reasons[("Sheet of Dana", 9)] and "colonoscopy" in reasons[
        ("Sheet of Dana", 9)]
    assert "found is Y but status is 'ordered'" in reasons[("Sheet of Dana", 10)]
    assert "no patient_id" in reasons[("Sheet of Dana", 13)]
    assert got.unreviewed == [("COL-E", "p3")]
    assert got.comments == [("COL-E_worksheet_dana.xlsx sheet 'Sheet of Dana' row 11", "chart not available")]


def test_csv_worksheet_with_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "CBP_worksheet.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["patient_id", "element", "found", "value", "note_ids", "extra"])
        writer.writerow(["p9", "blood_pressure", "Y", "142/90", "n9", "x"])
        writer.writerow(["p9", "hypertension", "yes", "", "n9", ""])
    got = read_worksheet(path)
    assert [(r.measure_id, r.element, r.found) for r in got.rows] == [("CBP", "blood_pressure", True),
                                                                       ("CBP", "hypertension", True)]
    assert got.rows[0].values == ({"systolic": 142, "diastolic": 90},)
    assert got.rows[0].abstractor == "CBP_worksheet"  # no name given: the file's


def test_a_file_that_is_not_a_worksheet_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no sheet has the worksheet's columns"):
        read_worksheet(path)
    with pytest.raises(InputError, match="save the worksheet as .xlsx or .csv"):
        read_worksheet(tmp_path / "x.xls")


def test_gold_file_reads_every_guideline_element_per_note(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"note_id": "n1", "elements": {"colonoscopy": "affirmed", "mammogram": "not_affirmed"}, '
                    '"values": {}, "dates": {"colonoscopy": ["2019-05"]}, '
                    '"evidence": {"colonoscopy": ["scope in May 2019"]}}\n', encoding="utf-8")
    got = read_review(path)
    assert got.kind == "gold" and len(got.rows) == 27  # the guideline's elements
    col = next(r for r in got.rows if r.element == "colonoscopy")
    assert col.found and col.dates[0].text() == "2019-05" and col.quote == "scope in May 2019"
    mam = next(r for r in got.rows if r.element == "mammogram")
    assert not mam.found and mam.status == "mentioned"
