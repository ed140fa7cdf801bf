"""Batch extraction on Ray Data: notes -> evidence, one loaded pipeline per actor.

The shape follows the Ray Data batch-inference guide: a callable class loads the spaCy /
medspaCy pipeline once in ``__init__``; ``Dataset.map_batches`` runs it over batches with
an ``ActorPoolStrategy``; the driver collects the rows. Docs never leave the worker: each
note comes back as JSON evidence rows (or an error string, which the job quarantines).

Without a cluster address the job starts a local Ray bound to 127.0.0.1 with no dashboard;
with ``address`` it joins the cluster.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import RayConnectionError
from engine.records import Evidence, Note

__all__ = [
    "ExtractionFailure",
    "RayConnectionError",
    "NotePipeline",
    "extract_in_process",
    "extract_with_ray",
    "iter_sorted",
    "start_ray",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractionFailure:
    """A note the pipeline could not process (it is quarantined, never silently dropped)."""

    note_id: str
    reason: str


def _note_rows(nlp: Any, notes: Sequence[Note], supplemental: bool) -> list[tuple[str, str, str]]:
    """Extract a batch; returns (note_id, evidence JSON lines, error) per note, in order."""
    from pipelines.extract import extract_note, extract_notes

    out: list[tuple[str, str, str]] = []
    try:
        for note, items in extract_notes(nlp, notes, include_supplemental=supplemental):
            out.append((note.note_id, _dump(items), ""))
        return out
    except Exception:  # noqa: BLE001 - one bad note must not sink the batch: retry one by one
        out = []
    for note in notes:
        try:
            out.append((note.note_id, _dump(extract_note(nlp, note, supplemental)), ""))
        except Exception as exc:  # noqa: BLE001
            # The message may quote text; keep only the exception type (notes are PHI).
            out.append((note.note_id, "", f"extraction failed: {type(exc).__name__}"))
    return out


def _dump(items: Iterable[Evidence]) -> str:
    return "\n".join(json.dumps(e.to_json_dict(), sort_keys=True) for e in items)


class NotePipeline:
    """Ray Data callable class: holds one loaded pipeline per actor."""

    def __init__(self, options: Mapping[str, Any] | None = None, supplemental: bool = True) -> None:
        from pipelines.build import build_nlp

        self.nlp = build_nlp(dict(options or {}))
        self.supplemental = supplemental

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        notes = [Note.model_validate_json(s) for s in batch["note_json"]]
        rows = _note_rows(self.nlp, notes, self.supplemental)
        return {
            "note_id": [r[0] for r in rows],
            "evidence": [r[1] for r in rows],
            "error": [r[2] for r in rows],
        }


def _ray_environment(address: str | None) -> None:
    """Settings Ray reads when it is first imported: set them before ``import ray``."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # bind 127.0.0.1 locally
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    # Keep the console to the job's own summary (override with RAY_DATA_LOG_LEVEL=INFO).
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
    if address:
        os.environ.setdefault("RAY_AUTH_MODE", "token")  # clusters require their token


def start_ray(address: str | None, num_cpus: int) -> None:
    """Join ``address`` or start a quiet local Ray on 127.0.0.1 (no dashboard)."""
    _ray_environment(address)
    import ray

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
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR, _node_ip_address="127.0.0.1")
    ray.data.DataContext.get_current().print_on_execution_start = False


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
) -> tuple[list[Evidence], list[ExtractionFailure]]:
    """Run the pipeline over ``notes`` on Ray Data; returns evidence and failed notes.

    ``supplemental`` adds the elements measures need beyond the guideline's 27 (tobacco
    cessation, depression follow-up); ``qae extract`` leaves them out by default.
    """
    if not notes:
        return [], []
    start_ray(address, num_cpus)
    import ray

    blocks = max(actors * 4, len(notes) // 200)
    ds = ray.data.from_items([{"note_json": n.model_dump_json()} for n in notes],
                             override_num_blocks=min(blocks, len(notes)))
    ds = ds.map_batches(
        NotePipeline,
        fn_constructor_kwargs={"options": dict(options or {}), "supplemental": supplemental},
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=batch_size,
        num_cpus=1,
    )
    evidence: list[Evidence] = []
    failures: list[ExtractionFailure] = []
    for row in ds.iter_rows():
        items, failure = _parse(row["note_id"], row["evidence"], row["error"])
        evidence.extend(items)
        if failure:
            failures.append(failure)
    return evidence, failures


def extract_in_process(
    notes: Sequence[Note], options: Mapping[str, Any] | None = None, batch_size: int = 64,
    supplemental: bool = True,
) -> tuple[list[Evidence], list[ExtractionFailure]]:
    """The same extraction without Ray (small files, tests, ``qae extract --workers 1``)."""
    from pipelines.build import build_nlp

    nlp = build_nlp(dict(options or {}))
    evidence: list[Evidence] = []
    failures: list[ExtractionFailure] = []
    for start in range(0, len(notes), batch_size):
        for note_id, ev, err in _note_rows(nlp, list(notes[start:start + batch_size]), supplemental):
            items, failure = _parse(note_id, ev, err)
            evidence.extend(items)
            if failure:
                failures.append(failure)
    return evidence, failures


def iter_sorted(evidence: Iterable[Evidence]) -> Iterator[Evidence]:
    """Evidence in the deterministic output order: note, offsets, element."""
    return iter(sorted(evidence, key=lambda e: (e.patient_id, e.note_id or "", e.start or -1,
                                                e.end or -1, e.element, e.evidence_id)))
