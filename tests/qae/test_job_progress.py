"""Progress of a run: plain lines when output is not a terminal, a rich bar on one; counts only, never note text."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from qae.config import JobConfig
from qae.job import run_job
from qae.progress import JobProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, syn: Any) -> tuple[Path, list[dict[str, Any]]]:
    d = tmp_path_factory.mktemp("progress")
    patients, notes = syn.corpus(12, 6, seed=5)
    syn.write_patients(d / "patients.csv", patients)
    syn.write_jsonl(d / "notes.jsonl", notes)
    return d, notes


def _config(d: Path, out: str) -> JobConfig:
    return JobConfig(name="progress", inputs={"notes": d / "notes.jsonl", "patients": d / "patients.csv"},
                     measures=["COL-E", "CBP"], output=d / out)


def _no_note_text(shown: str, notes: list[dict[str, Any]]) -> None:
    for note in notes:
        for piece in re.split(r"[.,:;\n]", note["text"]):
            piece = piece.strip()
            if len(piece) >= 25:
                assert piece not in shown


def test_plain_lines_when_not_a_terminal(small: tuple[Path, list[dict[str, Any]]],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    d, notes = small
    monkeypatch.delenv("QAE_PROGRESS", raising=False)
    stream = io.StringIO()
    progress = JobProgress(stream=stream, interval=0)
    assert progress.mode == "plain"
    result = run_job(_config(d, "plain"), use_ray=False, progress=progress)
    shown = stream.getvalue()
    lines = shown.splitlines()
    assert any(re.fullmatch(r"\[extract\] done: 12/12 notes \(100%\), [\d.]+ notes/s, \d+s elapsed", x) for x in lines)
    assert any(line.startswith("[extract] progress: ") and "notes/s" in line for line in lines)
    assert any(re.match(r"\[measures\] done: 6/6 patients \(100%\)", x) for x in lines)
    assert all(x.startswith("[") for x in lines)  # nothing but progress lines
    assert result.manifest["counts"]["notes_read"] == 12
    _no_note_text(shown, notes)


def test_rich_bar_on_a_terminal(small: tuple[Path, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch) -> None:
    d, notes = small
    monkeypatch.delenv("QAE_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    stream = _Terminal()
    progress = JobProgress(stream=stream)
    assert progress.mode == "rich"
    run_job(_config(d, "rich"), use_ray=False, progress=progress)
    shown = stream.getvalue()
    assert "extract" in shown and "measures" in shown and "12/12" in shown and "notes/s" in shown
    assert "ETA" in shown
    _no_note_text(shown, notes)


def test_ci_gets_plain_lines_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QAE_PROGRESS", raising=False)
    monkeypatch.setenv("CI", "true")
    assert JobProgress(stream=_Terminal()).mode == "plain"
    monkeypatch.setenv("QAE_PROGRESS", "off")
    assert JobProgress(stream=_Terminal()).mode == "off"
