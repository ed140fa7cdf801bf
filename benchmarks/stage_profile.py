"""CPU per pipeline step: ms/note of each component of ``extract_notes``, and optionally a cProfile.

Not a test: it prints figures. Loads the notes as ``windowed_bench.py`` does (default: the 2,326 shared
MTSamples notes), builds the pipeline (``--mode windowed`` by default), warms it up on 20 notes, then runs
``pipelines.extract.extract_notes`` over all of them ``--repeat`` times with every component's ``__call__``
timed (``time.process_time``). The tokenizer (the windowed Doc build) and the rows -> records step
(``doc_to_evidence``) are timed too. ``--cprofile N`` prints the N costliest functions (cumulative) of one
more run under cProfile instead (its own overhead inflates every figure).

    .venv/bin/python benchmarks/stage_profile.py [--mode windowed|full] [--limit N] [--repeat K] [--cprofile N]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn, name: str, totals: dict[str, float]):
    def run(*args, **kwargs):
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.process_time() - t0

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--mode", choices=("windowed", "full"), default="windowed")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cprofile", type=int, default=0, help="print the N costliest functions of a cProfile run")
    args = parser.parse_args()

    from engine.records import Note
    from pipelines import extract
    from pipelines.build import build_nlp

    warnings.filterwarnings("ignore")
    with args.notes.open(encoding="utf-8") as fh:
        notes = [Note.model_validate(json.loads(line)) for line in fh if line.strip()]
    notes = notes[: args.limit] if args.limit else notes
    nlp = build_nlp({"mode": args.mode})

    def run() -> int:
        return sum(len(items) for _, items in extract.extract_notes(nlp, notes, include_supplemental=True))

    list(extract.extract_notes(nlp, notes[:20], include_supplemental=True))  # warm-up
    if args.cprofile:
        profile = cProfile.Profile()
        profile.enable()
        run()
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(args.cprofile)
        return

    totals: dict[str, float] = defaultdict(float)
    for i, (name, proc) in enumerate(nlp._components):  # noqa: SLF001  (timing wrappers, this run only)
        nlp._components[i] = (name, _timed(proc, name, totals))  # noqa: SLF001
    nlp.tokenizer = _timed(nlp.tokenizer, "tokenizer (Doc build)", totals)
    extract.doc_to_evidence = _timed(extract.doc_to_evidence, "doc_to_evidence (rows -> records)", totals)
    cpu0 = time.process_time()
    items = 0
    for _ in range(args.repeat):
        items = run()
    cpu = time.process_time() - cpu0
    n = len(notes) * args.repeat
    print(f"{len(notes)} notes x {args.repeat}, mode {args.mode}: {items} items, {1000 * cpu / n:.3f} ms/note CPU")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {name:40s} {1000 * seconds / n:7.3f} ms/note")
    rest = cpu - sum(totals.values())
    print(f"  {'(the rest: nlp.pipe, batching)':40s} {1000 * rest / n:7.3f} ms/note")


if __name__ == "__main__":
    main()
