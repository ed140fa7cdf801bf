"""CPU time of each pipeline component per note, ConText (``qm_context``) first: where a change to one component shows.

Not a test: it prints figures. It runs the pipeline component by component on each note (as ``nlp.pipe`` does, one
Doc at a time) and adds up the CPU time (``time.process_time``) spent in each, after a 20-note warm-up; the Doc
build (``make_doc``: the prefilter and the windowed tokenizer) is one line. With ``--digest`` it also prints one
SHA-1 over every target's ConText modifiers (category, rule literal, modifier and scope tokens) of every note: two
versions of ConText that give the same digest gave the same modifiers to every target.

    .venv/bin/python benchmarks/context_bench.py [--notes PATH] [--limit N] [--mode windowed|full] [--digest]
        [--profile qm_context]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def modifier_rows(doc) -> list:  # type: ignore[no-untyped-def]
    """Every target's modifiers, as plain values (what the digest covers)."""
    return [
        [ent.start, ent.end, ent.label_,
         [[m.category, m.rule.literal, *m.modifier_span, *m.scope_span] for m in ent._.modifiers]]
        for ent in doc.ents
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="only the first N notes")
    parser.add_argument("--mode", choices=("windowed", "full"), default="windowed")
    parser.add_argument("--digest", action="store_true", help="print a digest of every target's modifiers")
    parser.add_argument("--profile", metavar="COMPONENT", help="print a cProfile of this component's calls")
    args = parser.parse_args()

    from engine.records import Note
    from pipelines.build import build_nlp
    from pipelines.extract import _release, make_doc

    warnings.filterwarnings("ignore")
    nlp = build_nlp({"mode": args.mode})
    with args.notes.open(encoding="utf-8") as fh:
        notes = [Note.model_validate(json.loads(line)) for line in fh if line.strip()]
    if args.limit:
        notes = notes[: args.limit]
    names = ["make_doc"] + [name for name, _ in nlp.pipeline]
    cpu = dict.fromkeys(names, 0.0)
    digest = hashlib.sha1()
    profiler = cProfile.Profile() if args.profile else None
    for warm_up, batch in ((True, notes[:20]), (False, notes)):
        for note in batch:
            t0 = time.process_time()
            doc = make_doc(nlp, note)
            t1 = time.process_time()
            if not warm_up:
                cpu["make_doc"] += t1 - t0
            for name, proc in nlp.pipeline:
                profiled = profiler is not None and not warm_up and name == args.profile
                if profiled:
                    profiler.enable()
                t0 = time.process_time()
                doc = proc(doc)
                t1 = time.process_time()
                if profiled:
                    profiler.disable()
                if not warm_up:
                    cpu[name] += t1 - t0
            if not warm_up and args.digest:
                digest.update(json.dumps(modifier_rows(doc)).encode())
            _release(doc)
    n = len(notes)
    print(f"{n} notes ({args.notes}), mode {args.mode}; CPU ms/note per component")
    for name in sorted(names, key=lambda k: -cpu[k]):
        print(f"  {name:32s} {1000 * cpu[name] / n:7.3f}")
    print(f"  {'total':32s} {1000 * sum(cpu.values()) / n:7.3f}")
    if args.digest:
        print(f"modifiers digest: {digest.hexdigest()}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
