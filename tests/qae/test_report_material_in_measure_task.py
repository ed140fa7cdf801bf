"""`qae run` computes each partition's report material in its measure task, from what the task holds
(no reading back of the partition's Parquet files); the reports are the bytes `qae report --run` renders
from those files. Records are taken as the files give them back (a dict value with its keys sorted).
The report files written by Ray tasks (one per writer, in parallel) are the bytes written in the driver."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORT_DIRS = ("care_gaps", "worklists", "summary", "fhir", "audit")


def _report_files(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for d in REPORT_DIRS for p in (root / d).rglob("*")
             if p.is_file()}
    if (root / "audit.html").is_file():
        files["audit.html"] = (root / "audit.html").read_bytes()
    return files


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo job in-process, failing if its reports read a partition's files back for their material."""
    import qae.report_run
    from qae.config import load_config
    from qae.job import run_job

    cfg = load_config(ROOT / "configs" / "demo.yaml")
    out = tmp_path_factory.mktemp("measure-material") / "demo"
    own = qae.report_run.partition_material

    def not_from_files(*_a: object, **_k: object) -> str:
        raise AssertionError("qae run read a partition's files back for its report material")

    qae.report_run.partition_material = not_from_files
    try:
        run_job(cfg.model_copy(update={"output": out}), use_ray=False)
    finally:
        qae.report_run.partition_material = own
    return out


def test_run_uses_the_measure_tasks_material_and_writes_the_bytes_of_the_files(demo_out: Path,
                                                                                tmp_path: Path) -> None:
    from qae.report_run import render_run

    out = demo_out
    again = tmp_path / "again"
    render_run(out, again)  # qae report --run: the material from the partition's Parquet files
    ran, rendered = _report_files(out), _report_files(again)
    assert len(ran) >= 10 and any(n.endswith(".xlsx") for n in ran) and "audit.html" in ran
    assert sorted(ran) == sorted(rendered)
    for name in ran:
        assert ran[name] == rendered[name], name


def test_material_of_a_run_with_other_formats_is_not_reused(tmp_path: Path) -> None:
    from engine.report_parts import Material, save_material
    from qae.report_run import FORMATS_FILE, _saved_for

    folder = tmp_path / "m"
    save_material(Material(), folder)
    assert not _saved_for(folder, ["csv"])  # no formats file: computed again
    (folder / FORMATS_FILE).write_text('["csv", "html"]\n', encoding="utf-8")
    assert _saved_for(folder, ["csv", "html"])
    assert not _saved_for(folder, ["csv", "html", "fhir"])


def test_records_are_taken_as_the_partition_files_give_them_back(tmp_path: Path) -> None:
    from engine.records import Evidence
    from qae.partitions import read_evidence, write_model_table
    from qae.report_run import _as_stored

    ev = Evidence(evidence_id="n-7:40-52:blood_pressure", note_id="n-7", patient_id="p-7", element="blood_pressure",
                  status="affirmed", start=40, end=52, span="BP 142/91 mm", note_date=date(2026, 4, 2),
                  value={"systolic": 142, "diastolic": 91, "readings": (1, 2)}, source="rule:bp", origin="note")
    write_model_table(tmp_path / "e.parquet", Evidence, [ev])
    stored = read_evidence(tmp_path / "e.parquet")[0]
    assert list(stored.value) == ["diastolic", "readings", "systolic"]  # sorted keys, a list
    taken = _as_stored(ev, Evidence)
    assert taken == stored and list(taken.value) == list(stored.value)
    assert type(taken.value["readings"]) is list
    plain = ev.model_copy(update={"value": "142/91"})
    assert _as_stored(plain, Evidence) is plain  # nothing to change: the record itself


@pytest.mark.slow
def test_report_files_written_by_ray_tasks_are_the_bytes_written_in_the_driver(demo_out: Path,
                                                                              tmp_path: Path) -> None:
    from pipelines.batch import start_ray
    from qae.report_run import render_run

    start_ray(None, 2)
    in_driver = render_run(demo_out, tmp_path / "driver")
    by_tasks = render_run(demo_out, tmp_path / "tasks", use_ray=True)
    assert [p.relative_to(tmp_path / "driver") for p in in_driver] == \
        [p.relative_to(tmp_path / "tasks") for p in by_tasks]
    got, want = _report_files(tmp_path / "tasks"), _report_files(tmp_path / "driver")
    assert len(want) >= 10 and sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name
