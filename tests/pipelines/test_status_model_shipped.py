"""The shipped status model (pipelines/status_model/models/minilm-status-2): small, offline, and a
sensible second reader of plain statuses in our own sentences; a job config names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.records import Note
from pipelines.status_model.reader import BUILTIN_MODELS, resolve_model_dir

SHIPPED = "minilm-status-2"


def test_shipped_model_is_small_and_records_its_scores() -> None:
    folder = resolve_model_dir(SHIPPED)
    assert folder == BUILTIN_MODELS / SHIPPED
    assert sum(p.stat().st_size for p in folder.iterdir()) < 30_000_000
    metrics = json.loads((folder / "metrics.json").read_text())
    test = metrics["negex_test"]
    # the hybrid never does worse than the rules on any NegEx axis of the held-out split
    for axis in ("negation", "temporality", "experiencer"):
        assert test["hybrid"][axis]["acc"] >= test["rules"][axis]["acc"]
    assert test["hybrid"]["temporality"]["acc"] > test["rules"]["temporality"]["acc"]
    # the targets on the held-out split
    assert test["hybrid"]["temporality"]["acc"] >= 0.95
    assert test["hybrid"]["negation"]["acc"] >= 0.98 and test["hybrid"]["experiencer"]["acc"] >= 0.99


@pytest.fixture(scope="module")
def reader():  # noqa: ANN201
    from pipelines.status_model.reader import load_reader

    return load_reader(SHIPPED)


@pytest.mark.parametrize(
    ("sentence", "target", "status"),
    [
        ("Patient states she has never had a colonoscopy.", "colonoscopy", "negated"),
        ("Her mother was diagnosed with breast cancer at 48.", "breast cancer", "family"),
        ("Screening colonoscopy was done in 2021 and was normal.", "colonoscopy", "affirmed"),
        ("Denies chest pain, palpitations or syncope.", "palpitations", "negated"),
    ],
)
def test_shipped_model_reads_plain_statuses(reader, sentence: str, target: str, status: str) -> None:  # noqa: ANN001
    from pipelines.status_model.windows import Window

    start = sentence.index(target)
    (reading,) = reader.read([Window(sentence, start, start + len(target))])
    assert reading.status == status
    assert 0.0 <= reading.probability <= 1.0 and abs(sum(reading.status_probs) - 1.0) < 1e-3


@pytest.mark.parametrize(
    ("sentence", "target", "temporality"),
    [
        ("PAST MEDICAL HISTORY: asthma, appendectomy, and gout.", "appendectomy", "historical"),
        ("Call the office if the fever returns.", "fever", "hypothetical"),
    ],
)
def test_shipped_model_reads_temporality(reader, sentence: str, target: str, temporality: str) -> None:  # noqa: ANN001
    from pipelines.status_model.windows import Window

    start = sentence.index(target)
    (reading,) = reader.read([Window(sentence, start, start + len(target))])
    assert reading.temporality == temporality


def test_job_config_names_a_model_folder_next_to_it(tmp_path: Path) -> None:
    import shutil

    from qae.config import load_config

    shutil.copytree(BUILTIN_MODELS / SHIPPED, tmp_path / "models" / "mine")
    cfg = tmp_path / "job.yaml"
    cfg.write_text("name: t\npipeline: {status_model: models/mine}\n")
    config = load_config(cfg)
    assert Path(config.pipeline["status_model"]) == (tmp_path / "models" / "mine").resolve()
    by_name = tmp_path / "named.yaml"
    by_name.write_text(f"name: t\npipeline: {{status_model: {SHIPPED}}}\n")
    assert load_config(by_name).pipeline["status_model"] == SHIPPED
    assert config.fingerprint() != load_config(tmp_path / "named.yaml").fingerprint()


def test_job_config_with_an_unknown_model_fails_on_load(tmp_path: Path) -> None:
    from engine.errors import ConfigError
    from qae.config import load_config

    cfg = tmp_path / "job.yaml"
    cfg.write_text("name: t\npipeline: {status_model: models/none}\n")
    with pytest.raises(ConfigError, match="status_model"):
        load_config(cfg)


def test_model_extraction_in_the_job_pipeline(tmp_path: Path) -> None:
    from pipelines.batch import extract_in_process

    note = Note(note_id="j-1", patient_id="p", note_date="2026-02-03",
                text="Colonoscopy 2018 normal. She declines a mammogram. Mother had colon cancer.")
    evidence, failures = extract_in_process([note], {"status_model": SHIPPED})
    assert not failures and evidence
    for e in evidence:
        assert e.decided_by in ("rules", "model", "both") and e.model_status is not None
        assert e.pipeline_version.endswith(f"+{SHIPPED}")


def test_targets_sharing_a_sentence_read_as_when_read_alone(reader) -> None:  # noqa: ANN001
    """The frozen layers read a sentence once for all its targets: each target's reading is the one
    it gets when read on its own, in a batch with windows of other lengths."""
    from pipelines.status_model.windows import Window

    sentence = "She denies chest pain, dyspnea on exertion or ankle swelling since the last visit."
    targets = ("chest pain", "dyspnea", "ankle swelling")
    windows = [Window(sentence, sentence.index(t), sentence.index(t) + len(t)) for t in targets]
    other = Window("Mammogram done last year.", 0, 9)
    together = reader.read([windows[0], other, *windows[1:]])
    assert len(together) == 4
    for window, reading in zip(windows, [together[0], *together[2:]], strict=True):
        (alone,) = reader.read([window])
        assert reading.status == alone.status and reading.temporality == alone.temporality
        assert max(abs(a - b) for a, b in zip(reading.status_probs, alone.status_probs, strict=True)) < 2e-3
    assert [r.status for r in (together[0], *together[2:])] == ["negated"] * 3
