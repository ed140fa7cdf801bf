"""The per-note time limit (pipelines.batch.note_deadline): a block past its limit gets NoteTimeout; a block
within it never does, however many come one after another; a shorter limit after a longer one still fires
on time (the watchdog thread is woken only when a deadline comes before the one it sleeps until)."""

from __future__ import annotations

import threading
import time

import pytest

from pipelines.batch import NoteTimeout, note_deadline


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # pure Python: the exception is delivered between bytecodes
        pass


def test_many_quick_notes_never_time_out() -> None:
    for _ in range(2000):
        with note_deadline(30):
            sum(range(50))


def test_a_short_limit_after_a_long_one_fires_on_time() -> None:
    with note_deadline(60):
        pass  # the watchdog now sleeps until about 60 s from now
    started = time.monotonic()
    with pytest.raises(NoteTimeout), note_deadline(0.2):
        _spin(10)
    assert time.monotonic() - started < 3


def test_limits_in_a_row_and_in_two_threads() -> None:
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(NoteTimeout), note_deadline(0.1):
            _spin(10)
        assert time.monotonic() - started < 3
        with note_deadline(5):
            _spin(0.05)  # within its limit: no exception left pending after the block

    outcome: dict[str, str] = {}

    def worker(name: str, limit: float, work: float) -> None:
        try:
            with note_deadline(limit):
                _spin(work)
            outcome[name] = "done"
        except NoteTimeout:
            outcome[name] = "timeout"

    threads = [threading.Thread(target=worker, args=("slow", 0.2, 10)),
               threading.Thread(target=worker, args=("quick", 30, 0.3))]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert outcome == {"slow": "timeout", "quick": "done"}
    assert time.monotonic() - started < 10
