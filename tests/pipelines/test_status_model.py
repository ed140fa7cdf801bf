"""The learned second reader: a tiny model trained here on a few dozen of our own sentences (seconds
on CPU), loaded into the real pipeline beside the rules; the hybrid rule; the model folder."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from engine.errors import ConfigError, PipelineOptionError
from engine.records import STATUSES, Note
from pipelines.status_model.hybrid import HybridPolicy, combine, load_policy
from pipelines.status_model.network import STATUS_LABELS

DATA = Path(__file__).parent / "status_model_data"

NOTE = Note(
    note_id="t-1", patient_id="p-1", note_date="2026-05-04", title="Annual visit",
    text=("Annual visit.\nHM: colonoscopy 2020, two small polyps. She has never had a mammogram and declines one "
          "today.\nPMH: type 2 diabetes on metformin. No history of hypertension.\nFH: brother with colon cancer.\n"
          "Plan: pneumococcal vaccine next visit; if BP stays over 150, start amlodipine."),
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, shared_nlp) -> Path:  # noqa: ANN001
    from pipelines.status_model.config import load_train_config
    from pipelines.status_model.train import train_status_model

    config = load_train_config(DATA / "tiny.yaml")
    out = tmp_path_factory.mktemp("tiny") / "tiny-status-0"
    model = train_status_model(config, out, log=lambda _: None, nlp=shared_nlp)
    assert shared_nlp.pipe_names[-1] == "qm_evidence" and "qm_status_model" not in shared_nlp.pipe_names
    return model


@pytest.fixture(scope="module")
def model_nlp(tiny_model: Path):  # noqa: ANN201
    from pipelines.build import build_nlp

    return build_nlp({"status_model": str(tiny_model)})


def test_status_model_folder_records_data_metrics_and_encoder(tiny_model: Path) -> None:
    from pipelines.status_model.encoder import encoder_fingerprint

    meta = json.loads((tiny_model / "model.json").read_text())
    assert meta["encoder"] == encoder_fingerprint()
    assert meta["weights_sha256"] == hashlib.sha256((tiny_model / "weights.safetensors").read_bytes()).hexdigest()
    assert (tiny_model / "weights.safetensors").stat().st_size < 30_000_000
    recipe = json.loads((tiny_model / "data.json").read_text())
    assert recipe["sources"]["negex"]["sha256"] == hashlib.sha256((DATA / "negex_like.tsv").read_bytes()).hexdigest()
    assert recipe["sources"]["dev"]["notes_by_split"]["eval"]  # held-out notes are named
    shares = [s["train_share"] for s in recipe["examples"].values()]
    assert abs(sum(shares) - 1.0) < 1e-3 and set(recipe["examples"]) == {"negex", "dev", "weak"}
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    for key in ("negex_test", "dev_eval", "disagreement_dev_eval"):
        assert key in metrics
    assert set(metrics["negex_test"]) >= {"rules", "model", "hybrid"}
    # every note-level answer of the hybrid is counted once, with or without flagged evidence
    answers = metrics["disagreement_dev_eval"]["note_elements"]
    hybrid = metrics["dev_eval"]["hybrid"]["accuracy"]
    assert answers["flagged"]["answers"] + answers["unflagged"]["answers"] == hybrid["total"]
    assert answers["flagged"]["wrong"] + answers["unflagged"]["wrong"] == hybrid["total"] - hybrid["correct"]
    load_policy(tiny_model / "hybrid.yaml", STATUS_LABELS)  # the chosen policy reads back


def test_training_is_reproducible(tiny_model: Path, tmp_path: Path, shared_nlp) -> None:  # noqa: ANN001
    from pipelines.status_model.config import load_train_config
    from pipelines.status_model.train import train_status_model

    config = load_train_config(DATA / "tiny.yaml").model_copy(update={"evaluate_dev_notes": False})
    again = train_status_model(config, tmp_path / "again", log=lambda _: None, nlp=shared_nlp)
    assert (again / "weights.safetensors").read_bytes() == (tiny_model / "weights.safetensors").read_bytes()
    first = json.loads((tiny_model / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert first["negex_test"] == second["negex_test"] and first["hybrid"] == second["hybrid"]


def test_every_note_item_records_both_readers(model_nlp, shared_nlp) -> None:  # noqa: ANN001
    from pipelines.extract import extract_note

    items = extract_note(model_nlp, NOTE)
    rules = {e.evidence_id: e for e in extract_note(shared_nlp, NOTE)}
    assert items and set(rules) == {e.evidence_id for e in items}
    for e in items:
        assert NOTE.text[e.start:e.end] == e.span
        assert e.decided_by in ("rules", "model", "both")
        assert e.model_status in STATUSES and 0.0 <= e.model_probability <= 1.0
        assert e.pipeline_version.endswith("+tiny-status-0")
        assert ("readers_disagree" in e.review_flags) == (e.decided_by != "both")
        if e.decided_by != "model":  # the rules' answer kept: the same item as without the model
            assert e.status == rules[e.evidence_id].status
    for e in rules.values():
        assert e.decided_by == "rules" and e.model_status is None and not e.review_flags


def test_policy_decides_who_wins(model_nlp, shared_nlp) -> None:  # noqa: ANN001
    from pipelines.extract import extract_note

    component = model_nlp.get_pipe("qm_status_model")
    chosen = component.policy
    rules = {e.evidence_id: e.status for e in extract_note(shared_nlp, NOTE)}
    try:
        component.policy = HybridPolicy.rules_only(STATUS_LABELS)
        kept = extract_note(model_nlp, NOTE)
        assert {e.evidence_id: e.status for e in kept} == rules
        assert {e.decided_by for e in kept} <= {"rules", "both"}
        component.policy = HybridPolicy.model_only(STATUS_LABELS)
        for e in extract_note(model_nlp, NOTE):
            if e.element in ("colonoscopy", "mammogram", "diabetes", "hypertension", "colorectal_cancer"):
                assert e.status == e.model_status and e.decided_by in ("model", "both")
    finally:
        component.policy = chosen


@pytest.mark.parametrize(
    ("thresholds", "rules", "model", "p", "expected"),
    [
        ({"negated": 0.9, "affirmed": 0.9}, "affirmed", "negated", 0.95, ("negated", "model")),
        ({"negated": 0.9, "affirmed": 0.9}, "affirmed", "negated", 0.85, ("affirmed", "rules")),
        ({"negated": 0.0, "affirmed": None}, "affirmed", "negated", 0.99, ("affirmed", "rules")),  # rules' class
        ({"negated": None, "affirmed": 0.0}, "affirmed", "negated", 0.99, ("affirmed", "rules")),  # model's class
        ({"negated": 0.0, "affirmed": 0.0}, "affirmed", "negated", 0.40, ("negated", "model")),
        ({"family": 0.5, "affirmed": 0.8}, "family", "affirmed", 0.7, ("family", "rules")),  # needs both thresholds
        ({}, "planned", "planned", 0.6, ("planned", "both")),
    ],
)
def test_hybrid_combination(thresholds, rules, model, p, expected) -> None:  # noqa: ANN001
    d = combine(thresholds, rules, model, p)
    assert (d.status, d.decided_by) == expected
    assert d.disagree == (rules != model)


def test_hybrid_policy_file_errors_name_the_class(tmp_path: Path) -> None:
    bad = tmp_path / "hybrid.yaml"
    bad.write_text("status:\n  negated: sometimes\n")
    with pytest.raises(ConfigError, match="'negated' has policy 'sometimes'"):
        load_policy(bad, STATUS_LABELS)
    bad.write_text("status:\n  maybe: rules\n")
    with pytest.raises(ConfigError, match=r"unknown class\(es\) \['maybe'\]"):
        load_policy(bad, STATUS_LABELS)
    bad.write_text("status:\n  negated: {model_if_confident: 1.5}\n")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        load_policy(bad, STATUS_LABELS)
    good = tmp_path / "ok.yaml"
    good.write_text("status:\n  negated: {model_if_confident: 0.9}\n  hypothetical: model\n")
    policy = load_policy(good, STATUS_LABELS)
    assert policy.status["negated"] == 0.9 and policy.status["hypothetical"] == 0.0
    assert policy.status["family"] is None  # unnamed: the rules decide


def test_unknown_status_model_is_a_clear_config_error(tmp_path: Path) -> None:
    from pipelines.build import check_options

    with pytest.raises(PipelineOptionError, match="status model 'no-such-model' not found"):
        check_options({"status_model": "no-such-model"})
    with pytest.raises(PipelineOptionError, match="give a model name or folder"):
        check_options({"status_model": 3})


def test_damaged_weights_are_refused(tiny_model: Path, tmp_path: Path) -> None:
    from pipelines.status_model.reader import StatusReader

    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    data = bytearray((copy / "weights.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (copy / "weights.safetensors").write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="sha256 differs"):
        StatusReader(copy)
