"""A measure task summarizes its outcomes once: the HTML audit's material summarizes each slice of the
partition's patients, and ``qae.report_run.memory_material`` returns those summaries merged, which the
task reports instead of summarizing the outcomes again (engine.report.write_reports(summary=...)). The
merged summary is the one ``engine.report.summarize`` gives for all the outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qae.report_run
from engine.report import summarize
from engine.run_data import RunData
from qae.report_run import memory_material


@pytest.mark.parametrize("slice_patients", [1000, 3])
def test_memory_material_summary_is_the_outcomes_summary(slice_patients: int, demo_run: RunData, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qae.report_run, "SLICE_PATIENTS", slice_patients)  # 3: many slices, several clinics
    run = demo_run
    assert len({p.clinic_id for p in run.patients.values()}) > 1
    args = (run.job, run.period, list(run.specs.values()), list(run.patients.values()), list(run.outcomes),
            list(run.evidence.values()), list(run.encounters))
    got = memory_material(*args, ["csv", "html"], tmp_path / "with-audit")
    want = summarize(sorted(run.outcomes, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode)))
    assert got is not None and json.dumps(got) == json.dumps(want)
    assert want["outcome_rows"] == len(run.outcomes) and want["measures"]
    # without the HTML audit nothing summarized the outcomes: the task does it itself
    assert memory_material(*args, ["csv"], tmp_path / "without-audit") is None


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_memory_material_whatever_the_outcomes_order(demo_run: RunData, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The slices take their outcomes from the order given (calculate's, sorted) and sort them: outcomes given
    in another order (patient first, reversed) give the same files."""
    import random

    monkeypatch.setattr(qae.report_run, "SLICE_PATIENTS", 4)
    run = demo_run
    formats = ["csv", "xlsx", "html", "fhir"]
    shuffled = list(run.outcomes)
    random.Random(13).shuffle(shuffled)
    saved = []
    for name, outcomes in (("sorted", list(run.outcomes)), ("shuffled", shuffled),
                           ("reversed", list(reversed(run.outcomes)))):
        memory_material(run.job, run.period, list(run.specs.values()), list(run.patients.values()), outcomes,
                        list(run.evidence.values()), list(run.encounters), formats, tmp_path / name)
        saved.append(_files(tmp_path / name))
    assert len(saved[0]) > 10 and saved[0] == saved[1] == saved[2]
