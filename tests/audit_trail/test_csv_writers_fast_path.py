"""The worklist CSVs are written through ``engine.plain_csv.CellsWriter`` (plain rows straight to
``csv.writer``, a row with a cell that needs care through ``SafeDictWriter``): the files must be the
bytes the reference writer gave. The reference writer is kept here as the oracle and run on the demo
run and on a hand-built run whose names, ids and actions start with formula triggers, hold carriage
returns, quotes, commas, line breaks and non-ASCII letters; the care-gap lists (written by
``SafeDictWriter``, row by row) are checked the same way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from engine import worklist_files
from engine.care_gaps import CARE_GAP_COLUMNS, care_gap_material, clinic_file_names, write_care_gaps
from engine.cells import SafeDictWriter
from engine.plain_csv import CellsWriter, needs_care
from engine.report_parts import Parts
from engine.run_data import RunData
from engine.worklist_files import _csv_value, _values, write_worklist_csv


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
    """engine/care_gaps.py's clinic files before the fast path: every row through SafeDictWriter."""
    material = care_gap_material(run.outcomes, list(run.patients.values()), list(run.evidence.values()))
    parts = Parts([material])
    clinics = sorted({c for part in parts.counts("care_gap_clinics") for c in part})
    names = clinic_file_names(clinics)
    out.mkdir(parents=True)
    rows = list(parts.stream("care_gaps"))
    for clinic in clinics:
        with (out / f"{names[clinic]}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = SafeDictWriter(fh, CARE_GAP_COLUMNS)
            writer.writeheader()
            for key, row in rows:
                if key[0] == clinic:
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
    return replace(small_run, patients=patients, outcomes=outcomes)


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
