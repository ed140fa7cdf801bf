"""``qae sample``: draw the sample of a finished run and write the review folder.

    review/
      sample.json                   the draw: seed, parameters, strata sizes, every sampled unit with
                                    its stratum (the engine's answer: keep it from the abstractors)
      <MEASURE>_worksheet.xlsx      the abstractor worksheet (answer lists), and the same as .csv
      <MEASURE>_notes.html          the reading packet: the sampled patients' notes, escaped

Only the sampled patients' notes are read from the run's notes file(s), streaming.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError

from .note_text import notes_paths_of_run, stream_notes
from .reading_packet import write_reading_packet
from .sampling import Sample, draw_sample
from .worksheets import NoteInfo, notes_from_evidence, worksheet_rows, write_worksheet

__all__ = ["ReviewFolder", "run_manifest", "sampled_notes", "write_review_folder"]


@dataclass
class ReviewFolder:
    sample: Sample
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # measure -> worksheet rows
    notes_found: int = 0
    notes_missing_text: int = 0
    messages: list[str] = field(default_factory=list)


def run_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        raise InputError(f"{run_dir} is not a finished run folder: manifest.json is missing (run `qae run` first).")
    return json.loads(path.read_text(encoding="utf-8"))


def sampled_notes(run: Any, manifest: dict[str, Any], patients: set[str],
                  notes_paths: Sequence[Path] | None = None) -> tuple[dict[str, list[NoteInfo]], list[str]]:
    """Each sampled patient's notes with their text, streamed from the run's notes input (or
    ``notes_paths``); falls back to ids and dates from the evidence when the file is gone."""
    messages: list[str] = []
    paths = list(notes_paths) if notes_paths else notes_paths_of_run(manifest)
    missing = [p for p in paths if not Path(p).exists()]
    if not paths or missing:
        what = f"{missing[0]} is not there any more" if missing else "the run read no notes file"
        messages.append(f"note text not available ({what}); the packet lists note ids and dates only; "
                        "give the notes with --notes")
        return notes_from_evidence(run, patients), messages
    found: dict[str, list[NoteInfo]] = {}
    for note in stream_notes(paths, patients=patients):
        found.setdefault(note.patient_id, []).append(
            NoteInfo(note.note_id, note.patient_id, note.note_date, note.note_type or "", note.title or "", note.text))
    for pid in found:
        found[pid].sort(key=lambda n: (n.note_date, n.note_id))
    return found, messages


def write_review_folder(run: Any, run_dir: Path, out: Path, *, measures: Sequence[str] | None, n: int, seed: int,
                        oversample: float = 0.0, allocation: str = "equal", hedis_mrrv: bool = False,
                        blinded: bool = True, notes_paths: Sequence[Path] | None = None,
                        disagree_first: bool = False) -> ReviewFolder:
    manifest = run_manifest(run_dir)
    sample = draw_sample(run, measures, run_dir=run_dir, n=n, seed=seed, oversample=oversample,
                         allocation=allocation, hedis_mrrv=hedis_mrrv, blinded=blinded,
                         disagree_first=disagree_first)
    result = ReviewFolder(sample, messages=[m for g in sample.groups for m in g.messages])
    patients = {u.patient_id for g in sample.groups for u in g.units}
    notes, messages = sampled_notes(run, manifest, patients, notes_paths)
    result.messages += messages
    result.notes_found = sum(len(v) for v in notes.values())
    result.notes_missing_text = sum(1 for v in notes.values() for n_ in v if n_.text is None)
    out.mkdir(parents=True, exist_ok=True)
    for measure_id in sample.measures():
        rows = worksheet_rows(sample, measure_id, run, notes, blinded=blinded)
        if not rows:
            result.messages.append(f"{measure_id}: nothing sampled, no worksheet written")
            continue
        result.rows[measure_id] = len(rows)
        result.files += write_worksheet(out, measure_id, run.specs[measure_id], rows, notes, blinded=blinded)
        result.files.append(write_reading_packet(out / f"{measure_id}_notes.html", sample, measure_id, run, notes,
                                                 rows, blinded=blinded))
    sample.write(out / "sample.json")
    result.files.append(out / "sample.json")
    return result
