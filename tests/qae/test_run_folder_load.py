"""A finished run folder loads back into RunData: the outcomes, evidence and patients it stored."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.gaps import GapReason
from qae.config import JobConfig
from qae.job import run_job
from qae.run_folder import load_run

PATIENTS = """patient_id,birth_date,sex,clinic_id,provider_id
pt-a,1962-03-14,F,clinic-west,dr-lin
pt-b,1958-11-02,M,clinic-west,dr-lin
"""

NOTES = [
    {"note_id": "a-1", "patient_id": "pt-a", "note_date": "2026-04-08",
     "text": "Well visit. Colonoscopy 2021 normal, next due 2031. Mammogram done 11/2025, BI-RADS 1."},
    {"note_id": "b-1", "patient_id": "pt-b", "note_date": "2026-06-30",
     "text": "F/u. Declines colonoscopy again; FIT kit offered and refused."},
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("runfolder")
    (d / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (d / "notes.jsonl").write_text("".join(json.dumps(n) + "\n" for n in NOTES), encoding="utf-8")
    cfg = JobConfig.model_validate({"name": "load-test", "measures": ["COL-E", "BCS-E"],
                                    "inputs": {"notes": str(d / "notes.jsonl"), "patients": str(d / "patients.csv")},
                                    "measurement_period": 2026, "output": str(d / "out")})
    run_job(cfg, use_ray=False)
    return d / "out"


def test_run_folder_load_matches_what_the_run_wrote(run_dir: Path) -> None:
    run = load_run(run_dir)
    with (run_dir / "outcomes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(run.outcomes) == len(rows) == 4
    assert sorted(run.specs) == ["BCS-E", "COL-E"]
    assert sorted(run.patients) == ["pt-a", "pt-b"]
    assert run.period.start.isoformat() == "2026-01-01"
    col_a = next(o for o in run.outcomes if o.patient_id == "pt-a" and o.measure_id == "COL-E")
    assert col_a.populations.numer and not col_a.gap_open
    assert col_a.measure_title == "Colorectal Cancer Screening"
    closing = run.evidence_for(col_a.numer_evidence_ids)
    assert [e.element for e in closing] == ["colonoscopy"] and closing[0].span == "Colonoscopy"
    col_b = next(o for o in run.outcomes if o.patient_id == "pt-b" and o.measure_id == "COL-E")
    assert col_b.gap_open and col_b.gap_reason == GapReason.DECLINED


def test_run_folder_load_names_a_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="manifest.json is missing"):
        load_run(tmp_path)
