"""The job's patients, events and encounters go through an on-disk store (qae.input_store), not the driver's
memory: the same records, quarantine rows and counts as the in-memory readers of qae.inputs, split into the
same patient partitions; and a run with bad rows in every small input reports them with record and field."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from qae.cli import app
from qae.input_store import InputStore, Ranges, read_shard
from qae.inputs import read_encounters, read_events, read_patients
from qae.partitions import Partitioning, group_by_partition

PATIENTS = """patient_id,birth_date,sex,clinic_id
pt-07,1958-02-11,F,harbor
pt-02,1949-12-30,M,harbor
pt-11,1962-07-04,female,hillside
pt-05,19xx-01-01,F,harbor
pt-02,1950-01-01,F,hillside
pt-09,1971-03-15,X,hillside
pt-03,1966-10-09,m,hillside
pt-12,1955-05-05,F,harbor
"""

EVENTS = """patient_id,element,event_date,end_date,code_system,code
pt-07,colonoscopy,2021-06-02,,CPT,45378
pt-03,mammogram,2025-11-20,,CPT,77067
pt-99,colonoscopy,2022-01-10,,CPT,45378
pt-11,tea_leaf_reading,2024-02-02,,,
pt-12,mammogram,2026-01-05,2025-12-01,CPT,77067
pt-02,fobt,2026-02-14,,LOINC,2335-8
"""

ENCOUNTERS = """patient_id,encounter_id,start_date,type
pt-07,enc-1,2026-03-03,outpatient
pt-12,enc-2,2026-04-04,outpatient|preventive
pt-03,enc-1,2026-05-05,outpatient
pt-99,enc-3,2026-06-06,outpatient
pt-11,enc-4,2026-07-07,
pt-02,enc-5,2026-08-08,telehealth
"""


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    (tmp_path / "encounters.csv").write_text(ENCOUNTERS, encoding="utf-8")
    return tmp_path


def _dicts(records: list) -> list[dict]:
    return [json.loads(json.dumps(q.to_json_dict(), sort_keys=True, default=str)) for q in records]


def test_store_gives_the_records_quarantine_and_partitions_of_the_readers(inputs: Path, tmp_path: Path) -> None:
    pats = read_patients(inputs / "patients.csv")
    known = {p.patient_id for p in pats.records}
    evs = read_events(inputs / "events.csv", known)
    encs = read_encounters(inputs / "encounters.csv", known)
    cut = Partitioning.of_patients(known, 2)

    store = InputStore(tmp_path / "store.sqlite")
    counts = [store.load_patients(inputs / "patients.csv")]
    assert list(store.patient_ids()) == sorted(known)
    assert Partitioning.of_sorted(store.patients, store.patient_ids(), 2) == cut
    counts.append(store.load_events(inputs / "events.csv", cut))
    counts.append(store.load_encounters(inputs / "encounters.csv", cut))
    per_part = store.write_shards(tmp_path / "shards", cut)
    quarantine = list(store.quarantine())
    store.close()

    for c, r in zip(counts, (pats, evs, encs), strict=True):
        assert (c.read, c.accepted, c.quarantined) == (r.read, len(r.records), len(r.quarantine))
        assert c.read == c.accepted + c.quarantined
    expected = sorted(_dicts(pats.quarantine + evs.quarantine + encs.quarantine),
                      key=lambda q: (q["kind"], q["file"], q["line"], q["reason"]))
    assert quarantine == expected
    # every reason of the contract, with its field and the record as read
    assert {(q["kind"], q["record_id"], q["field"]) for q in quarantine} >= {
        ("patients", "pt-05", "birth_date"), ("patients", "pt-02", "patient_id"), ("patients", "pt-09", "sex"),
        ("events", None, "patient_id"), ("events", None, "element"), ("events", None, "end_date"),
        ("encounters", "enc-1", "encounter_id"), ("encounters", "enc-3", "patient_id"),
        ("encounters", "enc-4", "type")}
    dup = next(q for q in quarantine if q["kind"] == "patients" and q["record_id"] == "pt-02")
    assert dup["record"]["birth_date"] == "1950-01-01" and dup["line"] == 6

    for kind, result in (("patients", pats), ("events", evs), ("encounters", encs)):
        groups = group_by_partition(result.records, cut)
        for part in range(cut.count):
            assert read_shard(tmp_path / "shards", part, kind) == groups[part], (kind, part)
    assert per_part == {i: len(g) for i, g in group_by_partition(pats.records, cut).items()}
    ids = pq.read_table(tmp_path / "shards" / "patient_ids.parquet").column(0).to_pylist()
    assert ids == sorted(known)


def test_ranges_put_ids_in_the_partition_whose_first_id_precedes_them() -> None:
    ranges = Ranges(["pt-02", None, "pt-07"])
    assert [ranges.of(p) for p in ("pt-01", "pt-02", "pt-05", "pt-07", "pt-99")] == [None, 0, 0, 2, 2]


def test_job_quarantines_bad_rows_of_every_small_input_and_counts_add_up(inputs: Path) -> None:
    notes = [
        {"note_id": "v-1", "patient_id": "pt-07", "note_date": "2026-03-03",
         "text": "Follow-up visit. Screening colonoscopy done in June 2021, no polyps seen."},
        {"note_id": "v-2", "patient_id": "pt-05", "note_date": "2026-04-01",
         "text": "Annual exam; she declines a mammogram this year."},
    ]
    with (inputs / "notes.jsonl").open("w", encoding="utf-8") as fh:
        for n in notes:
            fh.write(json.dumps(n) + "\n")
    out = inputs / "out"
    result = CliRunner().invoke(app, [
        "run", "--no-ray", "--progress", "off", "--notes", str(inputs / "notes.jsonl"),
        "--patients", str(inputs / "patients.csv"), "--events", str(inputs / "events.csv"),
        "--encounters", str(inputs / "encounters.csv"), "--measures", "COL-E,BCS-E",
        "--measurement-period", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for kind, (read, quarantined) in {"patients": (8, 3), "events": (6, 3), "encounters": (6, 3),
                                      "notes": (2, 1)}.items():
        entry = manifest["inputs"][kind]
        assert (entry["read"], entry["quarantined"]) == (read, quarantined), kind
        assert entry["read"] == entry["accepted"] + entry["quarantined"]
    assert manifest["counts"]["patients"] == 5
    rows = [json.loads(line) for line in (out / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == manifest["counts"]["records_quarantined"] == 10
    bad_date = next(q for q in rows if q["kind"] == "patients" and q["record_id"] == "pt-05")
    assert bad_date["field"] == "birth_date" and bad_date["record"]["birth_date"] == "19xx-01-01"
    # the note of the rejected patient is quarantined on the pipeline side, from the store's id file
    assert any(q["kind"] == "notes" and q["record_id"] == "v-2" and q["field"] == "patient_id" for q in rows)
    assert not (out / ".qae-run").exists()
