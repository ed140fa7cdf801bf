"""The notes' optional ``date_order`` (how the note writes numeric dates) in the input contract."""

from __future__ import annotations

import json
from pathlib import Path

from qae.config import ConfigError, load_config
from qae.inputs import read_notes

TEXT = "Colonoscopy 04/03/25 normal. BP 128/80."


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_date_order_is_optional_read_in_any_case_and_validated(tmp_path: Path) -> None:
    base = {"patient_id": "p1", "note_date": "2026-03-14", "text": TEXT}
    notes = _write(
        tmp_path / "notes.jsonl",
        [
            {**base, "note_id": "n1"},
            {**base, "note_id": "n2", "date_order": "DMY"},
            {**base, "note_id": "n3", "date_order": "mdy"},
            {**base, "note_id": "n4", "date_order": "ymd"},
        ],
    )
    result = read_notes(notes)
    assert [(n.note_id, n.date_order) for n in result.records] == [("n1", None), ("n2", "dmy"), ("n3", "mdy")]
    (bad,) = result.quarantine
    assert (bad.line, bad.record_id, bad.field) == (4, "n4", "date_order")
    assert "'mdy' or 'dmy'" in bad.reason
    assert result.read == 4


def test_job_config_names_a_bad_pipeline_date_order(tmp_path: Path) -> None:
    config = tmp_path / "job.yaml"
    config.write_text("pipeline: {date_order: ymd}\n", encoding="utf-8")
    try:
        load_config(config)
    except ConfigError as exc:
        assert "pipeline" in str(exc) and "date_order" in str(exc)
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("a date_order other than mdy/dmy must be a config error")
    config.write_text("pipeline: {date_order: dmy}\n", encoding="utf-8")
    assert load_config(config).pipeline == {"date_order": "dmy"}
