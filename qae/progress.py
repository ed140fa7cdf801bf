"""Progress of a job: a rich progress bar on a terminal, plain lines every few seconds otherwise.

Only counts and rates are shown (notes done, notes/s, ETA, patients calculated): never note text.
``QAE_PROGRESS=plain|rich|off`` overrides the choice; ``QAE_PROGRESS_SECONDS`` sets the interval
of plain lines (default 10). CI (``CI`` set) or output that is not a terminal gets plain lines.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["JobProgress", "Stage"]


def _fmt_seconds(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class Stage:
    """One counted step (extraction: notes; measures: patients)."""

    def __init__(self, owner: JobProgress, name: str, total: int, unit: str, done: int = 0) -> None:
        self.owner, self.name, self.total, self.unit = owner, name, total, unit
        self.done = done
        self.start_done = done
        self.started = time.monotonic()
        self._task: Any = None
        if owner._progress is not None:
            self._task = owner._progress.add_task(name, total=total or None, completed=done, unit=unit, rate="")
        owner._plain_line(self, force=True)

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if self._task is not None and self.owner._progress is not None:
            self.owner._progress.update(self._task, completed=self.done, rate=f"{self.rate():.1f} {self.unit}/s")
        self.owner._plain_line(self)

    def finish(self) -> None:
        self.owner._plain_line(self, force=True, final=True)


class JobProgress:
    """Context manager; ``stage(name, total, unit)`` returns a :class:`Stage` to advance."""

    def __init__(self, mode: str | None = None, stream: TextIO | None = None, interval: float | None = None) -> None:
        self.stream = stream or sys.stderr
        mode = mode or os.environ.get("QAE_PROGRESS")
        if mode is None:
            interactive = self.stream.isatty() and not os.environ.get("CI")
            mode = "rich" if interactive else "plain"
        self.mode = mode
        self.interval = interval if interval is not None else float(os.environ.get("QAE_PROGRESS_SECONDS", "10"))
        self._progress: Progress | None = None
        self._last: dict[str, float] = {}
        if mode == "rich":
            self._progress = Progress(
                TextColumn("[bold]{task.description:<8}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"), TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(file=self.stream), transient=False,
            )

    def __enter__(self) -> JobProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def stage(self, name: str, total: int, unit: str, done: int = 0) -> Stage:
        return Stage(self, name, total, unit, done)

    def message(self, text: str) -> None:
        """A one-line status message (counts only)."""
        if self.mode == "off":
            return
        if self._progress is not None:
            self._progress.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def _plain_line(self, stage: Stage, force: bool = False, final: bool = False) -> None:
        if self.mode != "plain":
            return
        now = time.monotonic()
        if not force and now - self._last.get(stage.name, 0.0) < self.interval:
            return
        self._last[stage.name] = now
        rate = stage.rate()
        pct = f" ({100 * stage.done / stage.total:.0f}%)" if stage.total else ""
        of = f"/{stage.total}" if stage.total else ""
        eta = ""
        if not final and rate > 0 and stage.total > stage.done:
            eta = f", ETA {_fmt_seconds((stage.total - stage.done) / rate)}"
        elapsed = _fmt_seconds(now - stage.started)
        state = "done" if final else "progress"
        print(f"[{stage.name}] {state}: {stage.done}{of} {stage.unit}{pct}, {rate:.1f} {stage.unit}/s, "
              f"{elapsed} elapsed{eta}", file=self.stream, flush=True)
