"""The job's throughput with and without the status model, back to back in one session (prints
figures; not a test). The machine is shared: compare the two figures of one run, not across runs.

    .venv/bin/python benchmarks/status_model_bench.py [--notes ../shared/data/mtsamples/notes.jsonl]
        [--limit 300] [--model minilm-status-2] [--actors 2] [--no-ray]

For each reader setting (rules only, rules + model) it times the in-process extraction (one core,
pipeline already built) and the Ray Data job (local Ray, actor start-up included), and prints
notes/s, the evidence items and how many the model decided or flagged.
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
from pipelines.batch import extract_with_ray, start_ray  # noqa: E402
from pipelines.build import build_nlp  # noqa: E402
from pipelines.extract import extract_notes  # noqa: E402


def _in_process(notes: list[Note], options: dict) -> tuple[float, list]:
    nlp = build_nlp(options)
    list(extract_notes(nlp, notes[:5], include_supplemental=True))  # warm up (model load, first batch)
    t = time.perf_counter()
    items = [e for _, ev in extract_notes(nlp, notes, include_supplemental=True) for e in ev]
    return time.perf_counter() - t, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--model", default="minilm-status-2")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    with args.notes.open(encoding="utf-8") as fh:
        notes = [Note.model_validate(json.loads(line)) for line in fh if line.strip()][: args.limit]
    settings = {"rules only": {}, f"rules + {args.model}": {"status_model": args.model}}
    rates: dict[str, float] = {}
    for name, options in settings.items():
        dt, items = _in_process(notes, options)
        rates[f"in-process {name}"] = len(notes) / dt
        by = {k: sum(1 for e in items if e.decided_by == k) for k in ("rules", "model", "both")}
        flagged = sum(1 for e in items if "readers_disagree" in e.review_flags)
        print(f"in-process (1 core), {name}: {len(notes)} notes, {len(items)} items {by}, {flagged} readers_disagree; "
              f"{dt:.1f} s, {len(notes) / dt:.1f} notes/s")
    if not args.no_ray:
        start_ray(None, args.actors)
        for name, options in settings.items():
            t = time.perf_counter()
            evidence, failures = extract_with_ray(notes, options, actors=args.actors, num_cpus=args.actors)
            dt = time.perf_counter() - t
            rates[f"Ray {name}"] = len(notes) / dt
            print(f"Ray Data job, {args.actors} actors, {name}: {len(notes)} notes, {len(evidence)} items, "
                  f"{len(failures)} failures, {dt:.1f} s, {len(notes) / dt:.1f} notes/s (actor start-up included)")
    for where in ("in-process", "Ray"):
        keys = [k for k in rates if k.startswith(where)]
        if len(keys) == 2:
            print(f"{where}: with the model {rates[keys[1]] / rates[keys[0]]:.0%} of rules-only throughput")


if __name__ == "__main__":
    main()
