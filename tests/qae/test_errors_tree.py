"""One exception tree for the project: ``QaeError`` > ``UserError`` | ``InternalError``.

The CLI maps every user error to one line on stderr and exit code 2, including a bad
``pipeline:`` setting in a job config (which used to reach the NLP build unchecked).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qae.cli import app


def test_errors_module_imports_without_nlp_ray_or_cli() -> None:
    code = ("import sys, engine.errors; "
            "print([m for m in ('spacy', 'medspacy', 'ray', 'typer', 'qae.cli', 'pipelines') "
            "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_existing_errors_keep_their_names_under_one_root() -> None:
    from engine.errors import (
        EvidenceError,
        InternalError,
        QaeError,
        RegistryError,
        SpecError,
        UnknownCriterionError,
        UnknownMeasureError,
        UserError,
    )
    from evaluation.conformance import ConformanceError
    from pipelines.batch import RayConnectionError
    from pipelines.rules import RuleFileError
    from qae.config import ConfigError
    from qae.inputs import InputError

    for cls in (SpecError, UnknownMeasureError, UnknownCriterionError, ConfigError, InputError,
                RayConnectionError, ConformanceError, RuleFileError):
        assert issubclass(cls, UserError), cls
    for cls in (RegistryError, EvidenceError):
        assert issubclass(cls, InternalError), cls
    assert issubclass(UserError, QaeError) and issubclass(InternalError, QaeError)
    # the old bases still catch them (callers written against them keep working)
    assert issubclass(SpecError, ValueError) and issubclass(UnknownMeasureError, KeyError)
    assert issubclass(RayConnectionError, ConnectionError)


def _job(tmp_path: Path, pipeline: str) -> Path:
    (tmp_path / "patients.csv").write_text("patient_id,birth_date,sex\np1,1960-02-02,F\n")
    (tmp_path / "notes.jsonl").write_text(json.dumps({
        "note_id": "n1", "patient_id": "p1", "note_date": "2026-03-03",
        "text": "Colonoscopy 2021, normal. BP 128/80."}) + "\n")
    cfg = tmp_path / "job.yaml"
    cfg.write_text(f"name: t\ninputs: {{notes: notes.jsonl, patients: patients.csv}}\n"
                   f"measures: [COL-E]\noutput: out\npipeline: {pipeline}\n")
    return cfg


@pytest.mark.parametrize(("pipeline", "expected"), [
    ("{sentences: spacy}", "'sentences'"),
    ("{sentence: pyrush}", "sentence"),
    ("{context: maybe}", "context"),
])
def test_bad_pipeline_setting_is_one_line_and_exit_2(tmp_path: Path, pipeline: str, expected: str) -> None:
    cfg = _job(tmp_path, pipeline)
    result = CliRunner().invoke(app, ["run", "--config", str(cfg), "--no-ray"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "field 'pipeline'" in result.output and expected in result.output
    assert not (tmp_path / "out").exists(), "nothing runs on a bad config"


def test_pipeline_options_are_checked_against_the_pipeline_itself() -> None:
    from engine.errors import UserError
    from pipelines.build import check_options

    assert check_options({"sentences": "pyrush"})["sentences"] == "pyrush"
    with pytest.raises(UserError, match="valid options"):
        check_options({"sentences_splitter": "pyrush"})
