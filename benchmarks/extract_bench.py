"""Extraction throughput: notes/s per core and peak RSS, single process, ``nlp.pipe``.

Not a test: it prints figures. Runs the default pipeline (spaCy sentencizer) over the MTSamples
notes, then the PyRuSH variant over a subset for comparison, and reports how much the two
disagree on the evidence they produce.

    .venv/bin/python benchmarks/extract_bench.py [--notes ../shared/data/mtsamples/notes.jsonl]
        [--limit N] [--pyrush-limit 300]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.records import Note  # noqa: E402
from pipelines.build import build_nlp  # noqa: E402
from pipelines.extract import extract_notes  # noqa: E402


def _load(path: Path, limit: int | None) -> list[Note]:
    notes = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                notes.append(Note.model_validate(json.loads(line)))
            if limit and len(notes) >= limit:
                break
    return notes


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _run(options: dict[str, str], notes: list[Note]) -> tuple[float, float, dict[str, set[str]]]:
    nlp = build_nlp(options)
    list(extract_notes(nlp, notes[:20]))  # warm-up
    wall0, cpu0 = time.perf_counter(), time.process_time()
    found: dict[str, set[str]] = {}
    for note, items in extract_notes(nlp, notes):
        found[note.note_id] = {f"{e.element}:{e.start}:{e.status}" for e in items}
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return len(notes) / wall, len(notes) / cpu, found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="only the first N notes")
    parser.add_argument(
        "--pyrush-limit", type=int, default=300, help="notes for the PyRuSH comparison (0: skip)"
    )
    args = parser.parse_args()

    notes = _load(args.notes, args.limit)
    chars = sum(len(n.text) for n in notes)
    print(f"{len(notes)} notes, {chars / len(notes):.0f} chars/note on average")
    wall_rate, cpu_rate, base = _run({"sentences": "sentencizer"}, notes)
    n_items = sum(len(v) for v in base.values())
    print(
        f"sentencizer: {wall_rate:7.1f} notes/s wall, {cpu_rate:7.1f} notes/s per core (CPU time), "
        f"{n_items} evidence items, peak RSS {_peak_rss_mib():.0f} MiB"
    )
    if args.pyrush_limit:
        subset = notes[: args.pyrush_limit]
        sub_wall, sub_cpu, _ = _run({"sentences": "sentencizer"}, subset)
        rush_wall, rush_cpu, rush = _run({"sentences": "pyrush"}, subset)
        same = sum(len(base[n.note_id] & rush[n.note_id]) for n in subset)
        total = sum(len(base[n.note_id] | rush[n.note_id]) for n in subset)
        print(
            f"subset of {len(subset)}: sentencizer {sub_cpu:7.1f} notes/s per core; "
            f"PyRuSH {rush_cpu:7.1f} notes/s per core ({rush_wall:.1f} wall); "
            f"evidence agreement {same}/{total} = {same / max(total, 1):.3f}; "
            f"peak RSS {_peak_rss_mib():.0f} MiB"
        )


if __name__ == "__main__":
    main()
