"""Batch extraction on Ray Data against one in-process pipeline: notes/s (prints figures; not a test).

    .venv/bin/python benchmarks/ray_bench.py [--notes ../shared/data/mtsamples/notes.jsonl]
        [--limit N] [--actors 1 2] [--batch-size 64]

The Ray figure includes actor start-up (each actor imports spaCy/medspaCy and builds the
pipeline once); local Ray start-up is timed separately.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.records import Note  # noqa: E402
from pipelines.batch import extract_in_process, extract_with_ray, start_ray  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    with args.notes.open(encoding="utf-8") as fh:
        notes = [Note.model_validate(json.loads(line)) for line in fh if line.strip()]
    notes = notes[: args.limit] if args.limit else notes

    t = time.perf_counter()
    evidence, _ = extract_in_process(notes)
    dt = time.perf_counter() - t
    print(f"in-process (1 core): {len(notes)} notes, {len(evidence)} evidence items, "
          f"{dt:.1f} s, {len(notes) / dt:.1f} notes/s (pipeline build included)")

    t = time.perf_counter()
    start_ray(None, max(args.actors))
    print(f"local Ray start: {time.perf_counter() - t:.1f} s")
    for actors in args.actors:
        t = time.perf_counter()
        evidence, failures = extract_with_ray(notes, actors=actors, num_cpus=max(args.actors),
                                              batch_size=args.batch_size)
        dt = time.perf_counter() - t
        print(f"Ray Data, {actors} actor(s): {len(notes)} notes, {len(evidence)} evidence items, "
              f"{len(failures)} failures, {dt:.1f} s, {len(notes) / dt:.1f} notes/s, "
              f"{len(notes) / dt / actors:.1f} notes/s per actor")


if __name__ == "__main__":
    main()
