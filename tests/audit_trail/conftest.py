"""The demo job, run once per test session in-process (no Ray), loaded back from its run folder:
what the HTML audit and FHIR writers read in production (``qae report --run DIR``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.run_data import RunData

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qae.config import load_config
    from qae.job import run_job

    cfg = load_config(ROOT / "configs" / "demo.yaml")
    out = tmp_path_factory.mktemp("demo-run") / "demo"
    run_job(cfg.model_copy(update={"output": out}), use_ray=False)
    return out


@pytest.fixture(scope="session")
def demo_run(demo_run_dir: Path) -> RunData:
    from qae.run_folder import load_run

    return load_run(demo_run_dir)
