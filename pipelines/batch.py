"""Batch extraction on Ray Data: notes -> evidence, one loaded pipeline per actor.

The shape follows the Ray Data batch-inference guide: a callable class (:class:`NotePipeline`)
loads the spaCy / medspaCy pipeline once in ``__init__``; ``Dataset.map_batches`` runs it over
batches with an ``ActorPoolStrategy`` (:func:`map_notes`). Docs never leave the worker: each note
comes back as JSON evidence rows, or as the reason it failed, which the job quarantines.

A batch holds either validated notes (column ``note_json``) or raw input records, which a
``validator`` given by the caller (the job's input contract, ``qae.stream``) turns into notes or
quarantine entries on the worker, so that validation runs in parallel too.

Faults are Ray's business, configured here rather than hand-rolled: a worker process that dies is
restarted (``max_restarts``) and its batch retried (``max_task_retries``). A note that makes the
pipeline raise, or that runs past the per-note time limit (``note_seconds``), is reported as
failed with the reason (the exception type only: messages may quote the note).

Without a cluster address the job starts a local Ray bound to 127.0.0.1 with no dashboard;
with ``address`` it joins the cluster (token authentication, see the README).
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from engine.errors import RayConnectionError
from engine.records import Evidence, Note, evidence_sort_key

__all__ = [
    "ExtractionFailure",
    "NotePipeline",
    "NoteTimeout",
    "RayConnectionError",
    "RecordValidator",
    "extract_in_process",
    "extract_with_ray",
    "iter_sorted",
    "load_pipeline",
    "map_notes",
    "note_deadline",
    "skipping_imports",
    "start_ray",
    "unused_imports",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractionFailure:
    """A note the pipeline could not process (it is quarantined, never silently dropped)."""

    note_id: str
    reason: str


class RecordValidator(Protocol):
    """Turns one raw input record (a dict of a batch's columns) into a Note or a quarantine entry."""

    def validate(self, row: Mapping[str, Any]) -> Note | dict[str, Any]: ...

    def failed(self, row: Mapping[str, Any], note: Note, reason: str) -> dict[str, Any]: ...


# --------------------------------------------------------------------------- per-note time limit


class NoteTimeout(BaseException):  # noqa: N818 - raised into a thread, like KeyboardInterrupt
    """A note ran past the per-note time limit. A BaseException, so that no ``except Exception``
    in a library swallows it."""


class _Watchdog:
    """One daemon thread per process that raises :class:`NoteTimeout` in a thread whose deadline
    passed (``PyThreadState_SetAsyncExc``: delivered between bytecodes, in any thread; Ray runs
    batch functions outside the main thread, so SIGALRM is not an option)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadlines: dict[int, float] = {}
        self._fired: set[int] = set()
        self._thread: threading.Thread | None = None
        self._wake = math.inf  # when the thread wakes next (monotonic time; inf: only when notified)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for tid, when in list(self._deadlines.items()):
                    if when <= now and tid not in self._fired:
                        self._fired.add(tid)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(NoteTimeout))
                pending = [w for t, w in self._deadlines.items() if t not in self._fired]
                self._wake = min(pending) if pending else math.inf
                self._cond.wait(timeout=max(0.0, self._wake - now) if pending else None)

    def arm(self, seconds: float) -> int:
        tid = threading.get_ident()
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="qae-note-deadline", daemon=True)
                self._thread.start()
            when = time.monotonic() + seconds
            self._deadlines[tid] = when
            self._fired.discard(tid)
            # wake the thread only if it would sleep past this deadline: one note after another with the
            # same limit, it wakes about once per limit instead of twice per note
            if when < self._wake:
                self._wake = when
                self._cond.notify()
        return tid

    def disarm(self, tid: int) -> None:
        with self._cond:
            self._deadlines.pop(tid, None)
            fired = tid in self._fired
            self._fired.discard(tid)
        if fired:  # cancel a NoteTimeout set but not yet delivered
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)


_WATCHDOG = _Watchdog()


@contextmanager
def note_deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`NoteTimeout` in this thread if the block runs longer than ``seconds``
    (None or 0: no limit). Code stuck inside one C call (a regex, say) is interrupted when it
    returns to Python."""
    if not seconds:
        yield
        return
    tid = _WATCHDOG.arm(seconds)
    try:
        yield
    finally:
        while True:
            try:
                _WATCHDOG.disarm(tid)
                break
            except NoteTimeout:  # delivered while leaving the block: the note is done already
                continue


# --------------------------------------------------------------------------- loading the pipeline

# Modules that spaCy and medSpaCy import when they load although the rule-based pipeline never uses them:
# thinc (under spaCy) imports torch to offer PyTorch layers, and medSpaCy imports its QuickUMLS component,
# whose NLTK imports scikit-learn and SciPy (and they pandas) for optional features. About 3 s of CPU per
# pipeline actor, a quarter of its start-up. torch is needed only by a status model (pipelines.status_model).
UNUSED_AT_LOAD: tuple[str, ...] = ("sklearn", "scipy")
UNUSED_WITHOUT_STATUS_MODEL: tuple[str, ...] = ("torch",)


@contextmanager
def skipping_imports(names: Sequence[str]) -> Iterator[None]:
    """Inside the block, ``import`` of these modules (not yet loaded) fails as if they were not installed,
    and their optional importers fall back as they do without them; after it they import as usual.

    Python's own mechanism: a ``None`` entry in ``sys.modules`` makes ``import`` raise ImportError."""
    skipped = [name for name in names if name not in sys.modules]
    for name in skipped:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in skipped:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def unused_imports(options: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The modules a pipeline with these options never uses: :data:`UNUSED_AT_LOAD`, and torch unless a
    status model is set."""
    with_model = (options or {}).get("status_model") is not None
    return UNUSED_AT_LOAD + (() if with_model else UNUSED_WITHOUT_STATUS_MODEL)


def load_pipeline(options: Mapping[str, Any] | None = None) -> Any:
    """``build_nlp(options)``, with spaCy and medSpaCy loaded (on first use in this process) without the
    modules they would import for nothing (:func:`unused_imports`)."""
    options = dict(options or {})
    with skipping_imports(unused_imports(options)):
        import medspacy  # noqa: F401

        from pipelines.build import build_nlp
    return build_nlp(options)


# --------------------------------------------------------------------------- extraction


def _dump(items: Iterable[Evidence]) -> str:
    return "\n".join(json.dumps(e.to_json_dict(), sort_keys=True) for e in items)


def _extract_one(nlp: Any, note: Note, supplemental: bool, note_seconds: float | None) -> tuple[str, str]:
    """(evidence JSON lines, "") or ("", reason): never raises for a note's sake."""
    from pipelines.extract import extract_note

    try:
        with note_deadline(note_seconds):
            return _dump(extract_note(nlp, note, supplemental)), ""
    except NoteTimeout:
        return "", (f"extraction ran past the per-note time limit of {note_seconds:g} s "
                    "(limits.note_seconds)")
    except Exception as exc:  # noqa: BLE001 - one bad note must not sink the batch
        # The message may quote text; keep only the exception type (notes are PHI).
        return "", f"extraction failed: {type(exc).__name__}"


def _column(batch: Mapping[str, Any], name: str) -> list[Any]:
    values = batch[name]
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


class NotePipeline:
    """Ray Data callable class: holds one loaded pipeline per actor.

    Input batch: ``note_json`` (validated notes), or raw records with the columns the
    ``validator`` reads. Output: per input row ``note_id``, ``patient_id``, ``evidence`` (JSON
    lines), ``error`` (why extraction failed, else "") and ``quarantine`` (a JSON quarantine entry
    when the validator rejected the record or extraction failed, else ""), plus the input's
    ``chunk``/``seq`` columns when present.
    """

    def __init__(self, options: Mapping[str, Any] | None = None, supplemental: bool = True,
                 note_seconds: float | None = None, validator: RecordValidator | None = None) -> None:
        self.nlp = load_pipeline(options)
        self.supplemental = supplemental
        self.note_seconds = note_seconds
        self.validator = validator

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"note_id": [], "patient_id": [], "evidence": [], "error": [],
                                     "quarantine": []}
        keys = [k for k in ("chunk", "seq") if k in batch]
        columns = {k: _column(batch, k) for k in batch}
        n = len(next(iter(columns.values()))) if columns else 0
        for i in range(n):
            row = {k: v[i] for k, v in columns.items()}
            quarantine: dict[str, Any] | None = None
            if "note_json" in row:
                note: Note | None = Note.model_validate_json(row["note_json"])
            else:
                assert self.validator is not None, "raw records need a validator"
                checked = self.validator.validate(row)
                note = checked if isinstance(checked, Note) else None
                quarantine = None if isinstance(checked, Note) else checked
            evidence = error = ""
            if note is not None:
                evidence, error = _extract_one(self.nlp, note, self.supplemental, self.note_seconds)
                if error and self.validator is not None:
                    quarantine = self.validator.failed(row, note, error)
            out["note_id"].append(note.note_id if note else (quarantine or {}).get("record_id"))
            out["patient_id"].append(note.patient_id if note else None)
            out["evidence"].append(evidence)
            out["error"].append(error)
            out["quarantine"].append(json.dumps(quarantine, sort_keys=True, ensure_ascii=False) if quarantine else "")
        for k in keys:
            out[k] = columns[k]
        return out


def map_notes(ds: Any, *, options: Mapping[str, Any] | None = None, supplemental: bool = True,
              note_seconds: float | None = None, validator: RecordValidator | None = None,
              actors: int = 2, batch_size: int = 32, max_restarts: int = 3, max_task_retries: int = 3) -> Any:
    """``ds.map_batches(NotePipeline, ...)`` on a pool of ``actors`` (one CPU and one loaded
    pipeline each). A dead actor is restarted up to ``max_restarts`` times and its batch retried
    up to ``max_task_retries`` times by Ray."""
    import warnings

    import ray

    # max_restarts / max_task_retries have no named parameter in Ray 2.60 yet: they go through the
    # remote args, which Ray marks deprecated (named parameters are announced for later releases)
    warnings.filterwarnings("ignore", message=r"`ray_remote_args` is deprecated", category=DeprecationWarning)
    return ds.map_batches(
        NotePipeline,
        fn_constructor_kwargs={"options": dict(options or {}), "supplemental": supplemental,
                               "note_seconds": note_seconds, "validator": validator},
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=batch_size,
        num_cpus=1,
        max_restarts=max_restarts,
        max_task_retries=max_task_retries,
    )


# --------------------------------------------------------------------------- Ray start-up


def _ray_environment(address: str | None) -> None:
    """Settings Ray reads when it is first imported: set them before ``import ray``."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # bind 127.0.0.1 locally
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    # Keep the console to the job's own summary (override with RAY_DATA_LOG_LEVEL=INFO).
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
    if address:
        os.environ.setdefault("RAY_AUTH_MODE", "token")  # clusters require their token


def _check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nobody listens on (Ray itself retries for minutes)."""
    import socket

    if address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise RayConnectionError(
            f"cannot join the Ray cluster at {address!r}: nothing answers there ({exc.__class__.__name__}); "
            "check the address printed by `ray start --head`"
        ) from None


# Settings of the local Ray only (a cluster keeps its own). Ray ends a worker process that has been idle for a
# second (idle_worker_killing_time_threshold_ms, default 1000 ms); the job's stages follow each other, so the
# processes that read the note chunks were gone when the measure tasks came, and each measure and report task
# waited for a new process (about 1 s, plus its imports). Kept for the run instead: a handful of processes
# (bounded by the CPUs and the readers' concurrency), reused by every later task.
LOCAL_SYSTEM_CONFIG: dict[str, Any] = {"idle_worker_killing_time_threshold_ms": 24 * 3600 * 1000}


def start_ray(address: str | None, num_cpus: int) -> None:
    """Join ``address`` or start a quiet local Ray on 127.0.0.1 (no dashboard)."""
    _ray_environment(address)
    import ray

    if address:
        _check_reachable(address)
    if ray.is_initialized():
        return
    if address:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
        except (ConnectionError, RuntimeError) as exc:
            raise RayConnectionError(
                f"cannot join the Ray cluster at {address!r} ({type(exc).__name__}); check the address "
                "and that this machine has the cluster's token (RAY_AUTH_TOKEN or ~/.ray/auth_token)"
            ) from None
    else:
        # address="local": always a new local Ray, never a cluster someone else started on this machine
        # (or one some other `ray start` left in /tmp/ray/ray_current_cluster)
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR, _node_ip_address="127.0.0.1", _system_config=LOCAL_SYSTEM_CONFIG)
    context = ray.data.DataContext.get_current()
    context.print_on_execution_start = False
    context.enable_progress_bars = False  # the job shows its own progress (qae.progress)


# --------------------------------------------------------------------------- validated notes


def _parse(note_id: str, evidence: str, error: str) -> tuple[list[Evidence], ExtractionFailure | None]:
    if error:
        return [], ExtractionFailure(note_id, error)
    items = [Evidence.model_validate_json(line) for line in evidence.splitlines() if line]
    return items, None


def extract_with_ray(
    notes: Sequence[Note],
    options: Mapping[str, Any] | None = None,
    *,
    address: str | None = None,
    num_cpus: int = 2,
    actors: int = 2,
    batch_size: int = 32,
    supplemental: bool = True,
    note_seconds: float | None = None,
) -> tuple[list[Evidence], list[ExtractionFailure]]:
    """Run the pipeline over notes already in memory (``qae extract``, benchmarks); returns
    evidence and failed notes. ``supplemental`` adds the elements measures need beyond the
    guideline's 27 (tobacco cessation, depression follow-up). The batch job streams instead."""
    if not notes:
        return [], []
    start_ray(address, num_cpus)
    import ray

    blocks = max(actors * 4, len(notes) // 200)
    ds = ray.data.from_items([{"note_json": n.model_dump_json()} for n in notes],
                             override_num_blocks=min(blocks, len(notes)))
    ds = map_notes(ds, options=options, supplemental=supplemental, note_seconds=note_seconds, actors=actors,
                   batch_size=batch_size)
    evidence: list[Evidence] = []
    failures: list[ExtractionFailure] = []
    for row in ds.iter_rows():
        items, failure = _parse(row["note_id"], row["evidence"], row["error"])
        evidence.extend(items)
        if failure:
            failures.append(failure)
    return evidence, failures


_NLP_CACHE: dict[str, Any] = {}


def _cached_nlp(options: Mapping[str, Any] | None) -> Any:
    """One pipeline per set of options in this process (building one takes seconds)."""
    key = json.dumps(dict(options or {}), sort_keys=True)
    if key not in _NLP_CACHE:
        _NLP_CACHE[key] = load_pipeline(options)
    return _NLP_CACHE[key]


class InProcessPipeline(NotePipeline):
    """:class:`NotePipeline` without Ray, reusing this process's pipeline (``--no-ray``, tests)."""

    def __init__(self, options: Mapping[str, Any] | None = None, supplemental: bool = True,
                 note_seconds: float | None = None, validator: RecordValidator | None = None) -> None:
        self.nlp = _cached_nlp(options)
        self.supplemental = supplemental
        self.note_seconds = note_seconds
        self.validator = validator


def extract_in_process(
    notes: Sequence[Note], options: Mapping[str, Any] | None = None, batch_size: int = 64,
    supplemental: bool = True, note_seconds: float | None = None,
) -> tuple[list[Evidence], list[ExtractionFailure]]:
    """The same extraction without Ray (small files, tests, ``qae extract --workers 1``)."""
    nlp = _cached_nlp(options)
    evidence: list[Evidence] = []
    failures: list[ExtractionFailure] = []
    for note in notes:
        text, error = _extract_one(nlp, note, supplemental, note_seconds)
        items, failure = _parse(note.note_id, text, error)
        evidence.extend(items)
        if failure:
            failures.append(failure)
    return evidence, failures


def iter_sorted(evidence: Iterable[Evidence]) -> Iterator[Evidence]:
    """Evidence in the deterministic output order: patient, note, offsets, element."""
    return iter(sorted(evidence, key=evidence_sort_key))

