"""The job's driver never runs a pipeline, so loading the CLI and reading the pipeline version must not
import spaCy, medspaCy or torch: they cost the driver about 400 MiB resident (measured with `qae run` on
the demo: 550 MiB peak before, about 230 MiB after), and the driver's memory must stay flat at scale."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("spacy", "medspacy", "torch", "transformers", "thinc")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_cli_and_the_pipeline_version_load_without_spacy_or_torch() -> None:
    loaded = _modules_after("import qae.cli, qae.job\nfrom pipelines import PIPELINE_VERSION\nassert PIPELINE_VERSION")
    assert "qae" in loaded and "pipelines" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_building_the_rules_still_loads_medspacy() -> None:
    loaded = _modules_after("from pipelines.rules import load_target_rules\nassert load_target_rules()")
    assert "medspacy" in loaded and "spacy" in loaded
