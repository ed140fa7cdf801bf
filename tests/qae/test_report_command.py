"""`qae run` writes every report and lists it with its sha256; `qae report` renders the same bytes again;
the console says what a reader needs; an empty input is loud; `qae measures` reads well when piped."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from qae.cli import app

PATIENTS = """patient_id,birth_date,sex,clinic_id,provider_id,name,mrn
w-1,1963-02-14,F,clinic-west,dr-lin,"Marsh, Odette",0007731
w-2,1958-10-30,M,clinic-west,dr-lin,"Pell, Arnaud",0007732
=HYPERLINK("http://x.example"),1961-06-01,F,@clinic,+dr-evil,-name,=mrn
"""

NOTES = [
    {"note_id": "w1-a", "patient_id": "w-1", "note_date": "2026-03-09",
     "text": "Preventive visit. She brought in her FIT kit last week, result negative. Screening mammogram "
             "in 11/2025 was BI-RADS 1. Never smoker."},
    {"note_id": "w2-a", "patient_id": "w-2", "note_date": "2026-05-20",
     "text": "Follow-up for diabetes. A1c today 9.8%. He declines colonoscopy and does not want a FIT kit either. "
             "Smokes a few cigarettes a day."},
    {"note_id": "x-a", "patient_id": '=HYPERLINK("http://x.example")', "note_date": "2026-06-01",
     "text": "=cmd|' /C calc'!A0 Patient refuses colonoscopy."},
]
MEASURES = "COL-E,CMS130,BCS-E,GSD-POOR,TSC"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("report-cmd")
    (d / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (d / "notes.jsonl").write_text("".join(json.dumps(n) + "\n" for n in NOTES), encoding="utf-8")
    (d / "empty.jsonl").write_text("", encoding="utf-8")
    runner = CliRunner()
    common = ["--patients", str(d / "patients.csv"), "--measures", MEASURES, "--measurement-period", "2026",
              "--no-ray"]
    full = runner.invoke(app, ["run", "--notes", str(d / "notes.jsonl"), "--out", str(d / "run"), *common])
    empty = runner.invoke(app, ["run", "--notes", str(d / "empty.jsonl"), "--out", str(d / "empty"), *common])
    return {"dir": d, "full": full, "empty": empty}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_lists_every_report_with_its_sha256(runs) -> None:
    assert runs["full"].exit_code == 0, runs["full"].output
    out = runs["dir"] / "run"
    manifest = json.loads((out / "manifest.json").read_text())
    reports = manifest["reports"]
    assert {"worklists/clinic-west.xlsx", "worklists/clinic-west.csv", "worklists/reopening/clinic-west.csv",
            "summary/quality_summary.xlsx", "summary/by_clinic.csv", "summary/by_provider.csv",
            "care_gaps/summary.csv"} <= set(reports)
    for name, digest in reports.items():
        assert _sha(out / name) == digest, name
    assert manifest["warnings"] == []


def test_report_re_renders_the_same_bytes_without_nlp(runs, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.build

    def no_nlp(*_a, **_k):
        raise AssertionError("qae report must not build the NLP pipeline")

    monkeypatch.setattr(pipelines.build, "build_nlp", no_nlp)
    out = runs["dir"] / "run"
    again = runs["dir"] / "again"
    result = CliRunner().invoke(app, ["report", "--run", str(out), "--out", str(again)])
    assert result.exit_code == 0, result.output
    reports = json.loads((out / "manifest.json").read_text())["reports"]
    listing = json.loads((again / "reports.json").read_text())
    assert listing["reports"] == reports
    for name in reports:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    in_place = CliRunner().invoke(app, ["report", "--run", str(out), "--format", "xlsx"])
    assert in_place.exit_code == 0, in_place.output
    assert json.loads((out / "manifest.json").read_text())["reports"] == reports


def test_report_names_a_format_it_cannot_write(runs) -> None:
    result = CliRunner().invoke(app, ["report", "--run", str(runs["dir"] / "run"), "--format", "xlsx,docx"])
    assert result.exit_code == 2
    assert "report format 'docx' has no writer" in result.output and "Traceback" not in result.output


def test_console_marks_inverse_measures_and_what_could_not_apply(runs) -> None:
    text = " ".join(runs["full"].output.split())
    assert "GSD-POOR" in text and "lower is better" in text
    assert "n/a CMS130: needs an encounters file (--encounters)" in text
    assert "quarantined records by reason" not in text  # nothing was quarantined
    assert "worklists/ (" in text and "summary/ (" in text


def test_worklist_of_the_run_reads_back_the_patients_words(runs) -> None:
    wb = openpyxl.load_workbook(runs["dir"] / "run" / "worklists" / "clinic-west.xlsx")
    ws = wb["All open gaps"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    pell = [r for r in rows if r["Patient"] == "Pell, Arnaud"]
    crc = next(r for r in pell if r["Service"] == "Colorectal cancer screening")
    assert crc["MRN"] == "0007732" and crc["Gap reasons"] == "declined" and crc["Measure ids"] == "COL-E"
    quote = crc["Last evidence (in its sentence)"].lower()  # both were declined at that visit
    assert "colonoscopy" in quote or "fit kit" in quote
    assert crc["Evidence date"] == "2026-05-20 (visit)"
    reopen = wb["Reopen in 2027"]
    head = [c.value for c in reopen[1]]
    marsh = [dict(zip(head, (c.value for c in r), strict=True)) for r in reopen.iter_rows(min_row=2)]
    fit = next(r for r in marsh if r["Patient"] == "Marsh, Odette" and r["Service"] == "Colorectal cancer screening")
    assert str(fit["Counts through"])[:10] == "2026-12-31" and str(fit["Reopens on"])[:10] == "2027-01-01"
    # the odd patient's clinic "@clinic" gets its own workbook, under a file-safe name
    names = sorted(p.name for p in (runs["dir"] / "run" / "worklists").glob("*.xlsx"))
    assert names == ["clinic-west.xlsx", "clinic.xlsx"]
    odd_wb = openpyxl.load_workbook(runs["dir"] / "run" / "worklists" / "clinic.xlsx")
    values = [c.value for ws in odd_wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://x.example\")" in values and "'-name" in values and "'+dr-evil" in values
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)


def test_an_empty_notes_file_is_loud_but_the_run_finishes(runs) -> None:
    result = runs["empty"]
    assert result.exit_code == 0, result.output
    # one line, however long the temporary path before it (the console is 80 columns wide here)
    line = next(x for x in result.output.splitlines() if x.startswith("WARNING: the notes file"))
    assert line.endswith("has no records: every gap that needs note evidence is open") and len(line) > 80
    out = runs["dir"] / "empty"
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["warnings"]) == 1 and "every gap that needs note evidence is open" in manifest["warnings"][0]
    wb = openpyxl.load_workbook(out / "worklists" / "clinic-west.xlsx")
    summary = [c.value for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("WARNING: the notes file") for v in summary)


def test_measures_catalogue_is_readable_when_piped() -> None:
    from engine.spec import load_specs

    result = CliRunner().invoke(app, ["measures"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    for spec in load_specs().values():
        assert any(line.startswith(spec.id + " ") for line in lines), spec.id
        assert " ".join(spec.title.split()) in " ".join(result.output.split()), spec.title
    assert "LOWER is better (inverse)" in result.output
