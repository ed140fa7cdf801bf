"""pipelines.batch.load_pipeline: a pipeline actor loads spaCy and medSpaCy without the modules they import for
nothing (torch, scikit-learn, SciPy: about 3 s of CPU per actor), and the modules import as usual afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.batch import skipping_imports, unused_imports


def test_skipped_modules_fail_to_import_inside_the_block_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "qae_probe_module.py").write_text("VALUE = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "qae_probe_module", raising=False)
    with skipping_imports(["qae_probe_module"]):
        with pytest.raises(ImportError):
            import qae_probe_module  # noqa: F401
    import qae_probe_module

    assert qae_probe_module.VALUE == 42
    with skipping_imports(["qae_probe_module"]):  # loaded already: left alone
        import qae_probe_module as again
    assert again is qae_probe_module
    monkeypatch.delitem(sys.modules, "qae_probe_module")


def test_torch_is_skipped_only_without_a_status_model() -> None:
    assert "torch" in unused_imports({}) and "torch" in unused_imports({"status_model": None})
    assert "torch" not in unused_imports({"status_model": "some-model"})
    assert "sklearn" in unused_imports({"status_model": "some-model"})


def test_a_pipeline_actor_loads_without_torch_and_extracts_as_before() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from engine.records import Note\n"
        "import pipelines.batch, qae.stream\n"  # what a pipeline actor has loaded before it builds its pipeline
        "nlp = pipelines.batch.load_pipeline({})\n"
        "from pipelines.extract import extract_note\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'scipy', 'pandas') if m in sys.modules))\n"
        "note = Note(note_id='n', patient_id='p', note_date=date(2026, 5, 4),\n"
        "            text='Screening colonoscopy 2022, no polyps. Patient declines the flu vaccine.')\n"
        "print(sorted((e.element, e.span) for e in extract_note(nlp, note)))\n"
        "import torch\n"
        "print(torch.zeros(2).sum().item())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    loaded, evidence, torch_sum = out.stdout.strip().splitlines()[-3:]
    assert loaded == "[]"
    assert "('colonoscopy', 'colonoscopy')" in evidence.lower() and "influenza_vaccine" in evidence
    assert torch_sum == "0.0"  # torch imports as usual once the pipeline is loaded
