"""Clinic worklists and the report registry on hand-built runs: merges, words, dates, safety, bytes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from engine.calculator import calculate
from engine.cells import FORMULA_TRIGGERS
from engine.errors import ReportFormatError
from engine.evidence_text import evidence_date, quote_parts
from engine.records import Evidence, Patient
from engine.report import write_reports
from engine.reports import REPORT_WRITERS, parse_formats, register_writer, render_reports
from engine.run_data import RunData
from engine.spec import resolve_measures
from engine.structured import events_to_evidence
from engine.worklist import open_gap_rows, reopening_rows

VISIT = ("Wellness visit. She had a FIT kit in April that came back negative. Colonoscopy was done in 2014, "
         "no polyps. Refuses a repeat colonoscopy for now; will consider Cologuard.\n")
SMOKER = "Social: smokes about half a pack a day, not ready to quit. Counseling deferred to next visit.\n"


class WithContext(Evidence):
    """Evidence as the pipeline stores it once it keeps the sentence around each span."""

    context: str | None = None
    context_start: int | None = None


def _run(kit, patients, evidence, measures, encounters=()) -> RunData:
    specs = {s.id: s for s in resolve_measures(measures, kit.SPECS)}
    outcomes = calculate(specs, patients, evidence, list(encounters), kit.MP)
    return RunData(job="t", period=kit.MP, specs=specs, patients={p.patient_id: p for p in patients},
                   outcomes=outcomes, evidence={e.evidence_id: e for e in evidence}, encounters=tuple(encounters),
                   versions={"qae": "t", "pipeline": "t"})


def _pt(pid, born, provider="dr-a", clinic="north", name=None, mrn=None, sex="F") -> Patient:
    return Patient(patient_id=pid, birth_date=born, sex=sex, clinic_id=clinic, provider_id=provider, name=name,
                   mrn=mrn)


def test_one_row_per_patient_and_service_across_programs_and_groups(kit) -> None:
    p = _pt("p1", date(1962, 5, 5), name="Quill, Ada", mrn="000123")
    visits = [kit.encounter("p1", "ov-1", date(2026, 2, 3), None, "office_visit"),
              kit.encounter("p1", "ov-2", date(2026, 8, 3), None, "office_visit")]
    smoke = kit.note_ev("p1", "n-1", SMOKER, "smokes about half a pack a day", "tobacco_use",
                        value="current", note_date=date(2026, 2, 3))
    run = _run(kit, [p], [smoke], ["COL-E", "CMS130", "TSC", "CMS138"], visits)
    rows = open_gap_rows(run)
    services = {r.service: r for r in rows}
    assert set(services) == {"Colorectal cancer screening", "Tobacco cessation help"}, "one row per action"
    crc = services["Colorectal cancer screening"]
    assert crc.measure_ids == "CMS130;COL-E" and crc.patient == "Quill, Ada" and crc.mrn == "000123"
    assert crc.due_date == date(2026, 12, 31)
    tob = services["Tobacco cessation help"]
    # rate 2 (users) and rate 3 (screened and, for users, helped) of both programs: one cessation row
    assert tob.measure_ids == "CMS138-2;CMS138-3;TSC-2;TSC-3"
    assert tob.evidence is smoke and "half a pack" in tob.evidence_text


def test_an_unscreened_patient_gets_one_screening_row_for_both_tobacco_rates(kit) -> None:
    run = _run(kit, [_pt("p2", date(1980, 1, 1))], [], ["TSC"])
    rows = open_gap_rows(run)
    assert [(r.service, r.measure_ids) for r in rows] == [("Tobacco use screening", "TSC-1;TSC-3")]


def test_evidence_is_shown_in_its_sentence_when_the_pipeline_kept_it(kit) -> None:
    start = VISIT.index("Colonoscopy")
    sentence_start = VISIT.index("Colonoscopy was done")
    sentence = VISIT[sentence_start:VISIT.index("Refuses")].strip()
    ev = WithContext(evidence_id=f"n-9:{start}-{start + 11}:colonoscopy", note_id="n-9", patient_id="p3",
                     element="colonoscopy", status="affirmed", start=start, end=start + 11, span="Colonoscopy",
                     event_date=date(2014, 1, 1), date_precision="year", note_date=date(2026, 4, 20),
                     source="rule:test", context=sentence, context_start=sentence_start)
    assert quote_parts(ev) == ("", "Colonoscopy", " was done in 2014, no polyps.")
    assert evidence_date(ev) == "2014"
    run = _run(kit, [_pt("p3", date(1960, 1, 1))], [ev], ["COL-E"])
    (row,) = open_gap_rows(run)
    assert row.evidence_text == "Colonoscopy was done in 2014, no polyps." and row.evidence_when == "2014"
    assert row.missing.startswith("The service was documented but before")
    bare = kit.note_ev("p3", "n-9", VISIT, "Colonoscopy", "colonoscopy", event_date=date(2014, 1, 1),
                       precision="year")
    assert quote_parts(bare) == ("", "Colonoscopy", "")  # no sentence stored: the span alone
    month = kit.note_ev("p3", "n-9", VISIT, "FIT kit", "fobt", event_date=date(2026, 4, 1), precision="month")
    assert evidence_date(month) == "2026-04"
    refusal = kit.note_ev("p3", "n-9", VISIT, "repeat colonoscopy", "colonoscopy", status="declined",
                          note_date=date(2026, 4, 20))
    assert evidence_date(refusal) == "2026-04-20 (visit)"


def test_rows_sort_by_provider_then_due_date_and_reopening_rows_name_the_date(kit) -> None:
    pts = [_pt("a", date(1960, 1, 1), provider="dr-b"), _pt("b", date(1961, 1, 1), provider="dr-a"),
           _pt("c", date(1962, 1, 1), provider="dr-a")]
    fit = kit.note_ev("c", "n-c", VISIT, "FIT kit", "fobt", event_date=date(2026, 4, 1), precision="month",
                      value="negative")
    run = _run(kit, pts, [fit], ["COL-E", "AIS-E"])
    rows = open_gap_rows(run)
    keys = [(r.provider, r.due_date) for r in rows]
    assert keys == sorted(keys) and rows[0].provider == "dr-a" and rows[0].due_date == date(2026, 6, 30)
    (reopen,) = [r for r in reopening_rows(run) if r.service == "Colorectal cancer screening"]
    assert reopen.patient_id == "c" and reopen.valid_through == date(2026, 12, 31)
    assert reopen.reopens_on == date(2027, 1, 1) and reopen.evidence is fit


TRICKS = ["=HYPERLINK(\"http://x.example\",\"open\")", "=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(1)",
          "\t=1", "\r=1"]


def _tricky_run(kit) -> tuple[RunData, list]:
    patients = [Patient(patient_id=f"{t}pid{i}", birth_date=date(1960 + i, 1, 1), sex="F", clinic_id=f"{t}clinic",
                        provider_id=f"{t}prov", name=f"{t}name\x01", mrn=f"{t}mrn") for i, t in enumerate(TRICKS)]
    evidence = []
    for p in patients:
        text = "=cmd|' /C calc'!A0\x0c declines colonoscopy. +1 FIT kit next visit.\n"  # \x0c: not in XML
        evidence.append(kit.note_ev(p.patient_id, f"{p.patient_id}-n", text, "=cmd|' /C calc'!A0\x0c declines",
                                    "colonoscopy", status="declined"))
    evidence += events_to_evidence([kit.event(patients[0].patient_id, "mammogram", date(2026, 1, 5))])
    return _run(kit, patients, evidence, ["COL-E", "BCS-E", "TSC"]), patients


def _cells_of(path: Path) -> list[tuple[str, object, str]]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return [(path.name, v, "s") for row in csv.reader(fh) for v in row]
    wb = openpyxl.load_workbook(path)
    return [(f"{path.name}:{ws.title}", c.value, c.data_type) for ws in wb for row in ws.iter_rows() for c in row]


def test_no_written_cell_can_run_as_a_formula(kit, tmp_path: Path) -> None:
    run, patients = _tricky_run(kit)
    files = render_reports(run, tmp_path, ["csv", "xlsx"])
    write_reports(run.outcomes, patients, list(run.evidence.values()), tmp_path)
    files.append(tmp_path / "outcomes.csv")
    assert {f.suffix for f in files} == {".csv", ".xlsx"} and len(files) > 10
    checked = 0
    for path in files:
        for where, value, kind in _cells_of(path):
            assert kind != "f", f"{where}: a formula cell"
            if isinstance(value, str):
                assert not value.startswith(FORMULA_TRIGGERS), f"{where}: {value!r}"
                checked += 1
    assert checked > 500
    text = "\n".join(str(v) for f in files for _, v, _ in _cells_of(f))
    for trick in TRICKS:
        assert f"'{trick}pid" in text, "the id is kept, neutralised"
    assert "'=cmd|' /C calc'!A0 declines" in text  # the quote in the worklist workbook, form feed dropped


def test_re_rendering_is_byte_identical(kit, tmp_path: Path) -> None:
    run, _ = _tricky_run(kit)
    a = render_reports(run, tmp_path / "a")
    b = render_reports(run, tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in a] == [p.relative_to(tmp_path / "b") for p in b]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_registry_names_unknown_formats_and_takes_new_writers(kit, tmp_path: Path) -> None:
    with pytest.raises(ReportFormatError, match="report format 'pdf' has no writer.*registered formats: csv, xlsx"
                                                 "(, html)?(, fhir)?$"):
        parse_formats("xlsx,pdf")
    assert parse_formats(" XLSX , csv,xlsx") == ["xlsx", "csv"]
    run, _ = _tricky_run(kit)

    def count_rows(r: RunData, out: Path) -> list[Path]:
        path = out / "rows.txt"
        path.write_text(f"{len(r.outcomes)}\n", encoding="utf-8")
        return [path]

    try:
        register_writer("txt", count_rows)
        register_writer("txt", count_rows)
        assert REPORT_WRITERS["txt"] == [count_rows]
        assert render_reports(run, tmp_path, "txt") == [tmp_path / "rows.txt"]
        assert (tmp_path / "rows.txt").read_text() == f"{len(run.outcomes)}\n"
    finally:
        REPORT_WRITERS.pop("txt", None)


def test_open_gap_rows_kept_per_outcome_equal_each_rows_own(kit) -> None:
    """Rows of one open gap without evidence share their words and dates (kept per measure, reason, action
    and due date); rows with evidence, several measures or a due date of their own are made as before."""
    patients = [_pt(f"panel-{n:02d}", date(1950 + 2 * n, 1 + n % 12, 1 + n % 27), provider=f"dr-{n % 3}",
                    clinic=("north", "south")[n % 2], sex="FM"[n % 2]) for n in range(30)]
    smoke = kit.note_ev("panel-03", "n-7", SMOKER, "smokes about half a pack a day", "tobacco_use",
                        value="current", note_date=date(2026, 2, 3))
    refused = kit.note_ev("panel-04", "n-8", VISIT, "Refuses a repeat colonoscopy", "colonoscopy",
                          status="declined", note_date=date(2026, 4, 9))
    visits = [kit.encounter("panel-05", "ov-9", date(2026, 3, 3), None, "office_visit")]
    run = _run(kit, patients, [smoke, refused], ["COL-E", "CMS130", "TSC", "AIS-E", "BCS-E", "DSF-E"], visits)
    kept, own = open_gap_rows(run), open_gap_rows(run, memo=False)
    assert len(kept) > 60 and kept == own
    assert [r.evidence for r in kept] == [r.evidence for r in own]
    assert any(r.evidence is refused for r in kept) and any(len(r.outcomes) > 1 for r in kept)
