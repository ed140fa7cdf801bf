"""The batch job end to end on Ray: outputs, counts, span exactness, determinism, CLI errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qae.cli import app

PATIENTS = """patient_id,birth_date,sex,clinic_id,provider_id,product_line
p-ok,1961-04-02,F,clinic-north,dr-ames,medicare
p-old,1968-09-12,M,clinic-north,dr-ames,commercial
p-none,1970-01-20,M,clinic-east,dr-bo,aco
p-young,1990-05-05,F,clinic-east,dr-bo,medicaid
"""

NOTES = [
    {"note_id": "n-001", "patient_id": "p-ok", "note_date": "2026-03-10", "note_type": "Office Visit",
     "text": "CHIEF COMPLAINT:,  Annual physical.,  HISTORY OF PRESENT ILLNESS:,  64 yo F with HTN.  "
             "She had a colonoscopy in 2019 which was normal, repeat in 10 years.,  "
             "SOCIAL HISTORY:,  Denies tobacco use.,  VITALS:,  BP 128/76, P 70.,  "
             "ASSESSMENT AND PLAN:,  Hypertension, well controlled on lisinopril."},
    {"note_id": "n-002", "patient_id": "p-old", "note_date": "2026-05-02", "note_type": "Office Visit",
     "text": "HPI: 57 y/o male for f/u.  Last colonoscopy was in 2012, tubular adenoma.  "
             "PLAN: Referred to GI for surveillance colonoscopy.  Flu shot given today."},
    {"note_id": "n-003", "patient_id": "p-none", "note_date": "2026-07-19", "note_type": "Telephone",
     "text": "Pt called re: results.  He has never had a colonoscopy.  Declines colonoscopy at this time.  "
             "Discussed FIT kit; he will think about it."},
    {"note_id": "n-004", "patient_id": "p-young", "note_date": "2026-02-11",
     "text": "PHYSICAL EXAM:,  RECTAL: Guaiac negative stool.,  FAMILY HISTORY:,  Mother with colon cancer at 52."},
    {"note_id": "n-005", "patient_id": "p-ghost", "note_date": "2026-02-11", "text": "BP 150/95."},
    {"note_id": "n-006", "patient_id": "p-ok", "note_date": "2026/02/30", "text": "Mammogram normal 2025."},
]


@pytest.fixture(scope="module")
def job_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("job")
    (d / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    with (d / "notes.jsonl").open("w", encoding="utf-8") as fh:
        for n in NOTES:
            fh.write(json.dumps(n) + "\n")
    return d


@pytest.fixture(scope="module")
def two_runs(job_inputs: Path) -> tuple[Path, Path]:
    runner = CliRunner()
    outs = []
    for name, cpus in (("run1", "2"), ("run2", "1")):  # two pipeline actors, then one
        out = job_inputs / name
        result = runner.invoke(app, ["run", "--notes", str(job_inputs / "notes.jsonl"),
                                     "--patients", str(job_inputs / "patients.csv"),
                                     "--measures", "COL-E", "--measurement-period", "2026",
                                     "--num-cpus", cpus, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs.append(out)
    return outs[0], outs[1]


def test_job_writes_every_report_and_counts_add_up(two_runs: tuple[Path, Path]) -> None:
    out, _ = two_runs
    for name in ("evidence.jsonl", "outcomes.csv", "quarantine.jsonl", "manifest.json"):
        assert (out / name).is_file(), name
    assert list((out / "care_gaps").glob("*.csv")), "a care-gap list per clinic"
    manifest = json.loads((out / "manifest.json").read_text())
    c = manifest["counts"]
    assert c["notes_read"] == 6
    assert c["notes_quarantined"] == 2  # unknown patient, impossible date
    assert c["notes_read"] == c["notes_processed"] + c["notes_quarantined"]
    quarantine = [json.loads(line) for line in (out / "quarantine.jsonl").read_text().splitlines()]
    assert {(q["record_id"], q["field"]) for q in quarantine} == {("n-005", "patient_id"), ("n-006", "note_date")}
    assert manifest["inputs"]["notes"]["sha256"] and manifest["versions"]["pipeline"]
    assert manifest["executor"] == "ray"


def test_job_evidence_spans_are_exact_and_carry_provenance(two_runs: tuple[Path, Path]) -> None:
    out, _ = two_runs
    texts = {n["note_id"]: n["text"] for n in NOTES}
    rows = [json.loads(line) for line in (out / "evidence.jsonl").read_text().splitlines()]
    assert rows, "the notes mention colonoscopies: evidence expected"
    for r in rows:
        assert texts[r["note_id"]][r["start"]:r["end"]] == r["span"]
        assert r["source"].startswith(("rule:", "model:")) and r["pipeline_version"]
    colos = {(r["note_id"], r["status"]) for r in rows if r["element"] == "colonoscopy"}
    assert ("n-001", "affirmed") in colos
    assert any(n == "n-003" and s in ("negated", "declined") for n, s in colos)
    assert not any(r["element"] == "fobt" and r["status"] == "affirmed" for r in rows), "office guaiac"
    old = [r for r in rows if r["note_id"] == "n-002" and r["element"] == "colonoscopy" and r["status"] == "affirmed"]
    assert old and old[0]["event_date"] == "2012-01-01" and old[0]["date_precision"] == "year"


def test_job_outcomes_close_and_open_gaps(two_runs: tuple[Path, Path]) -> None:
    out, _ = two_runs
    with (out / "outcomes.csv").open(newline="") as fh:
        rows = {r["patient_id"]: r for r in csv.DictReader(fh) if r["measure_id"] == "COL-E"}
    assert rows["p-ok"]["numer"] == "1" and rows["p-ok"]["gap_open"] in ("0", "False", "false")
    # 2012 colonoscopy is too old, and a new one is ordered: the actionable reason wins
    assert rows["p-old"]["numer"] == "0" and rows["p-old"]["gap_reason"] == "only_ordered"
    assert rows["p-none"]["gap_reason"] == "declined"
    assert rows["p-young"]["ipp"] == "0"  # 36 years old


def test_job_rerun_is_byte_identical_with_one_or_two_actors(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        if rel.name == "manifest.json":
            ma, mb = (json.loads((x / rel).read_text()) for x in (a, b))
            assert (ma["run"]["ray"]["actors"], mb["run"]["ray"]["actors"]) == (2, 1)
            for m in (ma, mb):
                m.pop("timings_seconds")
                m["config"].pop("output")
                m["config"].pop("ray")
                m["run"].pop("ray")
                m.pop("outputs", None)
            assert ma == mb
        else:
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--config", "no/such/config.yaml"], "config file not found: no/such/config.yaml"),
        (["run", "--notes", "missing.jsonl", "--patients", "{d}/patients.csv", "--out", "{d}/x"],
         "Notes file not found"),
        (["run", "--notes", "{d}/notes.jsonl", "--patients", "{d}/patients.csv", "--measures", "NOPE-1",
          "--out", "{d}/x"], "NOPE-1"),
        (["run", "--config", "{d}/bad.yaml"], "bad.yaml: field 'ray.actors'"),
        (["run", "--config", "{d}/typo.yaml"], "allowed top-level keys"),
    ],
)
def test_cli_user_errors_exit_2_with_one_line(job_inputs: Path, args: list[str], expected: str) -> None:
    (job_inputs / "bad.yaml").write_text("name: x\nray:\n  actors: 0\n")
    (job_inputs / "typo.yaml").write_text("name: x\nmeasure: [COL-E]\n")
    result = CliRunner().invoke(app, [a.replace("{d}", str(job_inputs)) for a in args])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
