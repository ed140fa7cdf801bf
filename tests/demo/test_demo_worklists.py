"""The demo's clinic worklists, read as a clinic reads them: known patients' rows, dates and merges."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from engine.reports import render_reports
from engine.run_data import RunData
from engine.spec import MeasurementPeriod, load_specs


@pytest.fixture(scope="module")
def rendered(demo_data, tmp_path_factory: pytest.TempPathFactory) -> tuple[RunData, Path]:
    specs = load_specs()
    run = RunData(job="demo", period=MeasurementPeriod.calendar_year(2026), specs=specs,
                  patients={p.patient_id: p for p in demo_data.patients}, outcomes=demo_data.outcomes,
                  evidence={e.evidence_id: e for e in demo_data.evidence}, encounters=demo_data.encounters,
                  versions={"qae": "test", "pipeline": "test"})
    out = tmp_path_factory.mktemp("demo-reports")
    render_reports(run, out, ["csv", "xlsx"])
    return run, out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _outcome(run: RunData, patient: str, measure: str, group: str = "1"):
    return next(o for o in run.outcomes if (o.patient_id, o.measure_id, o.group) == (patient, measure, group))


def test_demo_old_colonoscopy_is_one_row_for_col_e_and_cms130_with_its_year(rendered) -> None:
    _, out = rendered
    rows = [r for r in _rows(out / "worklists" / "clinic-riverside.csv") if r["Patient ID"] == "demo-006"
            and r["Service"] == "Colorectal cancer screening"]
    assert len(rows) == 1, "a colonoscopy closes both programs: one row"
    row = rows[0]
    assert row["Measure ids"] == "CMS130;COL-E"
    assert "COL-E: Colorectal Cancer Screening" in row["Measures"] and "CMS130" in row["Measures"]
    assert row["Patient"] == "Galloway, Oswin" and row["MRN"] == "00410006" and row["Date of birth"] == "1964-08-30"
    assert row["Gap reasons"] == "evidence_too_old"
    assert row["What is missing"].startswith("The service was documented but before the measure's lookback")
    assert row["Evidence date"] == "2016", "a year alone stays a year, never 2016-01-01"
    assert "colonoscopy" in row["Last evidence (in its sentence)"].lower()
    assert row["Evidence source"] == "note demo-006-01 (2026-01-27)"
    assert row["Due date"] == "2026-12-31"
    assert row["Action"].startswith("Last screening is out of date")


def test_demo_rows_are_sorted_by_provider_then_due_date(rendered) -> None:
    _, out = rendered
    for path in (out / "worklists").glob("*.csv"):
        rows = _rows(path)
        keys = [(r["Provider"], r["Due date"]) for r in rows]
        assert keys == sorted(keys), path.name
    north = _rows(out / "worklists" / "clinic-north.csv")
    due = {r["Service"]: r["Due date"] for r in north if r["Patient ID"] == "demo-001"}
    assert due["Depression screening"] == "2026-12-01"  # DSF-E screens count through December 1
    assert due["Influenza vaccine"] == "2026-06-30"  # the flu season of the MP ends June 30


def test_demo_fit_this_year_reopens_next_year_and_a_fresh_colonoscopy_holds_a_decade(rendered) -> None:
    run, out = rendered
    fit = _outcome(run, "demo-002", "COL-E")
    assert not fit.gap_open and fit.valid_through == date(2026, 12, 31) and fit.prospective_gap
    assert _outcome(run, "demo-002", "CMS130").prospective_gap  # seen this year: assumed seen next year
    mammo = _outcome(run, "demo-002", "BCS-E")  # a mammogram 11/2026 counts while the Oct-1 window reaches it
    assert mammo.valid_through == date(2028, 12, 31) and not mammo.prospective_gap
    colo = _outcome(run, "demo-024", "COL-E")  # "colonoscopy last month" on 2026-02-19: January 2026
    assert colo.valid_through == date(2035, 12, 31) and not colo.prospective_gap
    reopen = [r for r in _rows(out / "worklists" / "reopening" / "clinic-riverside.csv")
              if r["Patient ID"] == "demo-002" and r["Service"] == "Colorectal cancer screening"]
    assert len(reopen) == 1 and reopen[0]["Measure ids"] == "CMS130;COL-E"
    assert reopen[0]["Counts through"] == "2026-12-31" and reopen[0]["Reopens on"] == "2027-01-01"
    assert "FIT" in reopen[0]["Evidence that closes it now"] and reopen[0]["Evidence date"] == "2026-04"
    assert not any(r["Patient ID"] == "demo-024" and r["Service"] == "Colorectal cancer screening"
                   for r in _rows(out / "worklists" / "reopening" / "clinic-riverside.csv"))


def test_demo_workbook_a_clinic_can_act_on(rendered) -> None:
    _, out = rendered
    wb = openpyxl.load_workbook(out / "worklists" / "clinic-riverside.xlsx", rich_text=True)
    assert wb.sheetnames[:2] == ["Summary", "All open gaps"]
    assert "Colorectal cancer screening" in wb.sheetnames and "Reopen in 2027" in wb.sheetnames
    ws = wb["All open gaps"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Provider", "Due date", "Patient"] and "What is missing" in header
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["G"].width == 32
    col = header.index("Patient ID")
    crc = wb["Colorectal cancer screening"]
    patients = [r[col].value for r in crc.iter_rows(min_row=2)]
    assert "demo-006" in patients and len(patients) == len(set(patients)), "one row per patient and service"
    due = [r[1].value for r in ws.iter_rows(min_row=2)]
    assert all(isinstance(d, date) for d in due)
    summary = wb["Summary"]
    texts = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    assert any(t.startswith("Care-gap worklist: clinic-riverside") for t in texts)
    assert summary._charts, "the clinic's rates per measure as a bar chart"
