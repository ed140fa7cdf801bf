"""Round trip on the bundled demo: `qae sample` -> a worksheet filled by a (programmatic) abstractor
the way people fill spreadsheets -> `qae evaluate` finds exactly the disagreements planted.

The abstractor agrees with the engine everywhere except four planted disagreements:

* demo-001 COL-E: the colonoscopy (03/2019) is marked not found -> element "found" and the
  outcome (numerator met -> gap open);
* demo-004 COL-E: the colonoscopy's year is written 2016 instead of 2017 -> element "date" and the
  outcome (outside the 10-year window);
* demo-016 COL-E: a FIT in March 2026 the engine did not find -> element "found" and the outcome;
* demo-001 CBP: the latest BP is written 152/96 -> element "value" and the outcome (not controlled).

Mess: the sheet renamed, an extra column, rows sorted by element, blank rows, found as Y / yes /
x / 1 / TRUE / N / no / 0 / n/a / blank, dates as 3/4/26, ISO, spreadsheet dates, "March 2026",
03/2026, a bare year as a number, the abstractor's initials on one row per patient, one patient left
blank on the COL-E worksheet (not reviewed) and one extra row whose date cannot be read (reported with sheet and row).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from qae.cli import app
from qae.config import JobConfig
from qae.job import run_job

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
RANK = ("declined", "ordered", "planned", "negated", "uncertain", "hypothetical", "family")
YES = ("Y", "yes", "x", "1", "TRUE")
NO = ("N", "no", "0", "n/a", "")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-run") / "run"
    cfg = JobConfig.model_validate({
        "name": "demo-review", "measures": ["COL-E", "CBP"], "measurement_period": 2026, "output": str(out),
        "inputs": {k: str(DEMO / f) for k, f in (("notes", "notes.jsonl"), ("patients", "patients.csv"),
                                                 ("events", "events.csv"), ("encounters", "encounters.csv"))}})
    run_job(cfg, use_ray=False)
    return out


@pytest.fixture(scope="module")
def review(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    res = CliRunner().invoke(app, ["sample", "--run", str(demo_run), "--measure", "COL-E,CBP", "--n", "60",
                                   "--seed", "7", "--out", str(folder)])
    assert res.exit_code == 0, res.output
    return folder


def _evidence(run_dir: Path) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    with (run_dir / "evidence.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            ev = json.loads(line)
            if ev["origin"] == "note":
                out[(ev["patient_id"], ev["element"])].append(ev)
    return out


def _date_cell(iso: str, precision: str, k: int):
    d = date.fromisoformat(iso)
    if precision == "year":
        return d.year if k % 2 else str(d.year)  # a number cell, or text
    if precision == "month":
        return d.strftime("%B %Y") if k % 2 else d.strftime("%m/%Y")
    return [f"{d.month}/{d.day}/{d.year % 100:02d}", iso, datetime(d.year, d.month, d.day)][k % 3]


def _agreeing_answers(items: list[dict], k: int) -> list[dict]:
    """What an abstractor who agrees with the engine writes for one patient and element: one row, or
    one row per day for a result read by its values (BP, HbA1c), as the worksheet instructions say."""
    affirmed = [e for e in items if e["status"] == "affirmed"]
    chosen = affirmed or [e for s in RANK for e in items if e["status"] == s][:1]
    if not chosen:
        return [{"found": NO[k % len(NO)]}]
    status = chosen[0]["status"]
    chosen = [e for e in items if e["status"] == status]
    valued = [e for e in affirmed if e["value"] is not None]
    if valued and isinstance(valued[0]["value"], dict | float | int) and "systolic" in str(valued[0]["value"]) \
            or (valued and valued[0]["element"] == "hba1c"):
        rows = []
        for day in sorted({e["note_date"] for e in valued}, reverse=True):
            values = [e["value"] for e in valued if e["note_date"] == day]
            text = "; ".join(dict.fromkeys(f"{v['systolic']}/{v['diastolic']}" if isinstance(v, dict)
                                           else f"{v}%" for v in values))
            notes = sorted({e["note_id"] for e in valued if e["note_date"] == day})
            rows.append({"found": YES[(k + len(rows)) % len(YES)], "value": text, "note_ids": "; ".join(notes)})
        return rows
    dates = sorted({(e["event_date"], e["date_precision"]) for e in chosen if e["event_date"]}, reverse=True)
    cells: dict = {"found": YES[k % len(YES)] if status == "affirmed" else "N",
                   "status": "" if status == "affirmed" else status,
                   "note_ids": "; ".join(sorted({e["note_id"] for e in chosen}))}
    if len(dates) == 1:
        cells["dates"] = _date_cell(dates[0][0], dates[0][1], k)
    elif dates:
        cells["dates"] = "; ".join(str(_date_cell(d, p, 0)) for d, p in dates)
    if valued:
        latest = max(e["note_date"] for e in valued)
        cells["value"] = str(next(e["value"] for e in valued if e["note_date"] == latest))
    return [cells]


PLANTED = {
    ("demo-001", "COL-E", "colonoscopy"): {"found": "no", "dates": "", "note_ids": "", "status": ""},
    ("demo-004", "COL-E", "colonoscopy"): {"dates": "2016"},
    ("demo-016", "COL-E", "fobt"): {"found": "x", "dates": "3/10/26", "quote": "FIT returned negative"},
    ("demo-001", "CBP", "blood_pressure"): {"value": "152/96"},
}
EXPECTED = {
    ("element", "found", "colonoscopy", "demo-001"), ("outcome", "outcome", "COL-E", "demo-001"),
    ("element", "date", "colonoscopy", "demo-004"), ("outcome", "outcome", "COL-E", "demo-004"),
    ("element", "found", "fobt", "demo-016"), ("outcome", "outcome", "COL-E", "demo-016"),
    ("element", "value", "blood_pressure", "demo-001"), ("outcome", "outcome", "CBP", "demo-001"),
}
BLANK_PATIENT = "demo-071"


def fill_like_an_abstractor(worksheet: Path, run_dir: Path, out: Path, *, initials: str = "KL",
                            planted: dict | None = None) -> Path:
    evidence = _evidence(run_dir)
    ws = load_workbook(worksheet)["Worksheet"]
    rows = list(ws.iter_rows(values_only=True))
    header, data = list(rows[0]), [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    seen_patient: set[str] = set()
    filled: list[dict] = []
    for k, row in enumerate(data):
        pid, element, measure = row["patient_id"], row["element"], row["measure_id"]
        if pid == BLANK_PATIENT and measure == "COL-E":
            filled.append(row)
            continue
        for i, answer in enumerate(_agreeing_answers(evidence.get((pid, element), []), k)):
            if pid not in seen_patient:  # the initials once per patient, and an explicit answer
                answer["abstractor"] = initials
                answer["found"] = answer.get("found") or "N"
                seen_patient.add(pid)
            if i == 0:
                answer.update((planted or {}).get((pid, measure, element), {}))
            filled.append({**row, **answer})
    data = filled
    data.sort(key=lambda r: (r["element"], r["patient_id"]), reverse=True)  # sorted by the abstractor
    wb = Workbook()
    sheet = wb.active
    sheet.title = f"{initials} abstraction"
    sheet.append(header + ["Chart location"])
    for i, row in enumerate(data):
        if i % 9 == 4:
            sheet.append([])  # blank rows between blocks
        sheet.append([row.get(c) for c in header] + ["EHR"])
    bad = dict(data[0], dates="sometime last spring", found="yes", abstractor=initials)
    sheet.append([bad.get(c) for c in header] + ["paper chart"])
    wb.save(out)
    return out


def _discordances(folder: Path) -> set[tuple[str, str, str, str]]:
    with (folder / "discordance.csv").open(encoding="utf-8") as fh:
        return {(r["level"], r["kind"], r["element"], r["patient_id"]) for r in csv.DictReader(fh)}


def test_round_trip_finds_exactly_the_planted_disagreements(demo_run: Path, review: Path, tmp_path: Path) -> None:
    filled = [fill_like_an_abstractor(review / f"{m}_worksheet.xlsx", demo_run, tmp_path / f"{m}_filled.xlsx",
                                      planted=PLANTED) for m in ("COL-E", "CBP")]
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", "--run", str(demo_run), "--review", str(filled[0]),
                                   "--review", str(filled[1]), "--sample", str(review / "sample.json"),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _discordances(out) == EXPECTED

    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    # the unreadable rows: one per worksheet, named by file, the renamed sheet and the row
    unreadable = data["unreadable"]
    assert len(unreadable) == 2
    assert all("sheet 'KL abstraction' row" in u["where"] and "sometime last spring" in u["reason"]
               for u in unreadable)
    # the blank patient is not reviewed and not counted
    assert {(u["measure"], u["patient"]) for u in data["unreviewed"]} == {("COL-E", BLANK_PATIENT)}
    col = data["outcome_level"]["COL-E"]
    assert col["units"] == 46  # 47 in the denominator, one not reviewed
    # engine numerator 14 reviewed: 2 of them planted as gap open; 1 planted gap -> numerator
    assert (col["tp"], col["fp"], col["fn"]) == (col["tp"], 2, 1)
    assert col["ppv"]["value"] == pytest.approx(col["tp"] / (col["tp"] + 2))
    cbp = data["outcome_level"]["CBP"]
    assert (cbp["fp"], cbp["fn"]) == (1, 0)
    assert data["element_level"]["values"]["blood_pressure"]["numerator"] == \
        data["element_level"]["values"]["blood_pressure"]["denominator"] - 1
    html = (out / "validation_report.html").read_text(encoding="utf-8")
    assert "Confusion matrices" in html and "sometime last spring" in html
    assert "demo-016" in res.output and "FAIL" in res.output  # COL-E PPV < 0.95 fails the default threshold


def test_same_fill_as_csv_with_semicolons_and_day_first_dates_reads_the_same(demo_run: Path, review: Path,
                                                                               tmp_path: Path) -> None:
    xlsx = fill_like_an_abstractor(review / "COL-E_worksheet.xlsx", demo_run, tmp_path / "x.xlsx", planted=PLANTED)
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))

    def dmy(cell):  # the same dates as a UK abstractor writes them
        if isinstance(cell, datetime):
            return f"{cell.day}/{cell.month}/{cell.year}"
        if isinstance(cell, str):
            parts = []
            for part in cell.split("; "):
                if part.count("/") == 2 and part.replace("/", "").isdigit():
                    m, d, y = part.split("/")
                    part = f"{d}/{m}/{y}"
                parts.append(part)
            return "; ".join(parts)
        return cell

    path = tmp_path / "COL-E_worksheet_KL.csv"
    dates_col = rows[0].index("dates")
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        for r in rows:
            writer.writerow(["" if c is None else (dmy(c) if i == dates_col else c) for i, c in enumerate(r)])
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", "--run", str(demo_run), "--review", str(path), "--date-order", "dmy",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _discordances(out) == {d for d in EXPECTED if d[2] != "blood_pressure" and d[2] != "CBP"}


def test_two_abstractors_kappa_and_adjudication_read_back(demo_run: Path, review: Path, tmp_path: Path) -> None:
    first = fill_like_an_abstractor(review / "COL-E_worksheet.xlsx", demo_run, tmp_path / "COL-E_KL.xlsx",
                                    planted=PLANTED)
    second_planted = {k: v for k, v in PLANTED.items() if k[0] != "demo-004"}  # MB reads 2017 as the engine does
    second = fill_like_an_abstractor(review / "COL-E_worksheet.xlsx", demo_run, tmp_path / "COL-E_MB.xlsx",
                                     initials="MB", planted=second_planted)
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", "--run", str(demo_run), "--review", str(first), "--review",
                                   str(second), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    (pair,) = data["interrater"]
    assert (pair["a"], pair["b"], pair["disagreements"]) == ("KL", "MB", 1)
    assert pair["fp"] == pair["fn"] == 0 and pair["kappa"]["value"] == pytest.approx(1.0)  # found agrees
    sheet = out / "adjudication_KL_vs_MB.csv"
    with sheet.open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["patient_id"], row["element"], row["KL_dates"], row["MB_dates"]) == \
        ("demo-004", "colonoscopy", "2016", "2017")
    # the reference where they disagree is the first abstractor's (KL): the date disagreement stands
    assert ("element", "date", "colonoscopy", "demo-004") in _discordances(out)

    # the adjudicator fills the sheet (found Y, 2017) and it comes back as a review
    wb = load_workbook(sheet.with_suffix(".xlsx"))
    ws = wb.active
    head = [c.value for c in ws[1]]
    ws.cell(row=2, column=head.index("found") + 1, value="Y")
    ws.cell(row=2, column=head.index("dates") + 1, value="2017")
    adjudicated = tmp_path / "adjudicated.xlsx"
    wb.save(adjudicated)
    out2 = tmp_path / "eval2"
    res = CliRunner().invoke(app, ["evaluate", "--run", str(demo_run), "--review", str(first), "--review",
                                   str(second), "--review", str(adjudicated), "--out", str(out2)])
    assert res.exit_code == 0, res.output
    found = _discordances(out2)
    assert ("element", "date", "colonoscopy", "demo-004") not in found
    assert ("element", "found", "colonoscopy", "demo-001") in found


def test_gold_annotations_scored_against_the_run_with_outcomes(demo_run: Path, tmp_path: Path) -> None:
    """A gold file (chart-review format) of both notes of demo-016, with two planted errors: the
    tobacco category (current, the note says it is denied) and a colonoscopy in 2022 (the note says
    she never had one). The run's evidence is scored note by note, and the gold findings run through
    the engine turn demo-016's COL-E gap into a met numerator."""
    gold = [
        {"note_id": "demo-016-01",
         "elements": {"mammogram": "affirmed", "blood_pressure": "affirmed", "tobacco_use": "affirmed",
                      "colonoscopy": "affirmed", "colorectal_cancer": "not_affirmed", "hypertension": "not_affirmed",
                      "diabetes": "not_affirmed"},
         "values": {"blood_pressure": [[112, 70]], "tobacco_use": "current"},
         "dates": {"mammogram": ["2026-01"], "colonoscopy": ["2022"]},
         "evidence": {"mammogram": ["Mammogram 01/2026 normal"], "blood_pressure": ["BP 112/70"],
                      "tobacco_use": ["Denies tobacco"], "colonoscopy": ["colonoscopy"]}},
        {"note_id": "demo-016-02", "elements": {"pregnancy": "not_affirmed"}, "values": {}},
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(g) + "\n" for g in gold), encoding="utf-8")
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", "--run", str(demo_run), "--review", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _discordances(out) == {("element", "value", "tobacco_use", "demo-016"),
                                  ("element", "found", "colonoscopy", "demo-016"),
                                  ("outcome", "outcome", "COL-E", "demo-016")}
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert data["element_level"]["units"] == 2 * 27
    assert data["element_level"]["overall"]["fn"] == 1 and data["element_level"]["overall"]["fp"] == 0
    assert data["element_level"]["dates"]["mammogram"]["numerator"] == 1
    assert data["outcome_level"]["COL-E"]["table"][1][0] == 1  # engine gap open, reviewer numerator met
    assert data["extraction"]["n_notes"] == 2  # the extraction scorer's figures on the same notes


def test_hedis_mrrv_sample_pass_and_fail(demo_run: Path, tmp_path: Path) -> None:
    """--hedis-mrrv: the demo has 14 COL-E records made compliant by notes (fewer than 16, so all are
    drawn and none is left for a second sample). No error: PASS; one error (demo-001's colonoscopy
    not found in the chart): FAIL, and that record is the one discordance."""
    folder = tmp_path / "mrrv"
    res = CliRunner().invoke(app, ["sample", "--run", str(demo_run), "--measure", "COL-E", "--hedis-mrrv",
                                   "--out", str(folder)])
    assert res.exit_code == 0, res.output
    sample = json.loads((folder / "sample.json").read_text(encoding="utf-8"))
    (group,) = sample["groups"]
    assert group["drawn"]["numerator"] == len(group["units"]) == 14
    assert {u["role"] for u in group["units"]} == {"mrrv-first"}
    for planted, verdict in (({}, "PASS"), ({k: v for k, v in PLANTED.items() if k[0] == "demo-001"}, "FAIL")):
        filled = fill_like_an_abstractor(folder / "COL-E_worksheet.xlsx", demo_run, tmp_path / f"{verdict}.xlsx",
                                         planted=planted)
        out = tmp_path / f"eval-{verdict}"
        res = CliRunner().invoke(app, ["evaluate", "--run", str(demo_run), "--review", str(filled), "--sample",
                                       str(folder / "sample.json"), "--out", str(out)])
        assert res.exit_code == 0, res.output
        data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
        mrrv = data["outcome_level"]["COL-E"]["mrrv"]
        assert mrrv["verdict"] == verdict and mrrv["first_reviewed"] == 14
        assert mrrv["first_errors"] == (0 if verdict == "PASS" else 1)
        outcome_disc = {d for d in _discordances(out) if d[0] == "outcome"}
        assert outcome_disc == (set() if verdict == "PASS" else {("outcome", "outcome", "COL-E", "demo-001")})
