"""Windowed extraction against an off-the-shelf medSpaCy pipeline: notes/s per core and peak memory.

Not a test: it prints figures. In one run, on the same notes (default: the 2,326 shared MTSamples
notes), each in its own process (so each peak RSS is its own):

  baseline   ``medspacy.load()`` (PyRuSH sentences, target matcher, ConText) with our target rules
  full       our pipeline, ``pipeline: {mode: full}`` (whole notes: the reference)
  windowed   our pipeline, ``pipeline: {mode: windowed}`` (the default)

notes/s per core is notes / CPU seconds of that process (the machine is shared: CPU time is steadier
than wall time, which is printed too). Pipeline build and a 20-note warm-up are not timed. It also
checks that full and windowed modes give the same evidence on every note: the timed loop of our two
pipelines only keeps each note's evidence items, and their digests (``model_dump`` + JSON + SHA-1) are
computed after it, so the timed work matches the baseline's, which only counts its entities (the
digesting is the benchmark's check, not extraction).

    .venv/bin/python benchmarks/windowed_bench.py [--notes PATH] [--limit N] [--baseline-limit N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _load(path: Path, limit: int | None) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        notes = [json.loads(line) for line in fh if line.strip()]
    return notes[:limit] if limit else notes


def _timed(run, items: list) -> tuple[float, float, object]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = run(items)
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def _baseline(notes: list[dict]) -> dict:
    import medspacy

    from pipelines.rules import load_target_rules

    warnings.filterwarnings("ignore")
    nlp = medspacy.load()
    with nlp.select_pipes(enable=[]):
        nlp.get_pipe("medspacy_target_matcher").add(load_target_rules())
    texts = [n["text"] for n in notes]

    def run(batch: list[str]) -> int:
        return sum(len(doc.ents) for doc in nlp.pipe(batch, batch_size=64))

    run(texts[:20])
    wall, cpu, ents = _timed(run, texts)
    return {"wall": wall, "cpu": cpu, "items": ents}


def _ours(notes: list[dict], mode: str) -> dict:
    from engine.records import Note
    from pipelines.build import build_nlp
    from pipelines.extract import extract_notes

    warnings.filterwarnings("ignore")
    nlp = build_nlp({"mode": mode})
    parsed = [Note.model_validate(n) for n in notes]
    evidence: dict[str, list] = {}

    def run(batch: list[Note]) -> int:
        count = 0
        for note, items in extract_notes(nlp, batch, include_supplemental=True):
            evidence[note.note_id] = items  # digested after the timed loop
            count += len(items)
        return count

    run(parsed[:20])
    wall, cpu, count = _timed(run, parsed)
    digests = {}
    for note_id, items in evidence.items():
        rows = json.dumps([e.model_dump(mode="json") for e in items], sort_keys=True)
        digests[note_id] = hashlib.sha1(rows.encode()).hexdigest()
    return {"wall": wall, "cpu": cpu, "items": count, "digests": digests}


def _child(args: argparse.Namespace) -> None:
    limit = args.baseline_limit if args.child == "baseline" and args.baseline_limit else args.limit
    notes = _load(args.notes, limit)
    out = _baseline(notes) if args.child == "baseline" else _ours(notes, args.child)
    out.update(notes=len(notes), chars=sum(len(n["text"]) for n in notes), peak_rss_mib=_peak_rss_mib())
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="only the first N notes")
    parser.add_argument(
        "--baseline-limit", type=int, default=None, help="only the first N notes for the (slow) baseline"
    )
    parser.add_argument("--child", choices=("baseline", "full", "windowed"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    results = {}
    for name in ("baseline", "full", "windowed"):
        cmd = [sys.executable, __file__, "--child", name, "--notes", str(args.notes)]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        if args.baseline_limit:
            cmd += ["--baseline-limit", str(args.baseline_limit)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    first = results["full"]
    print(f"{first['notes']} notes ({args.notes}), {first['chars'] / first['notes']:.0f} chars/note on average")
    print(f"{'pipeline':10s} {'notes':>6s} {'notes/s per core':>17s} {'notes/s wall':>13s} {'peak RSS MiB':>13s}")
    for name, r in results.items():
        print(
            f"{name:10s} {r['notes']:6d} {r['notes'] / r['cpu']:17.1f} {r['notes'] / r['wall']:13.1f} "
            f"{r['peak_rss_mib']:13.0f}"
        )
    per_core = {name: r["notes"] / r["cpu"] for name, r in results.items()}
    print(
        f"windowed / baseline: {per_core['windowed'] / per_core['baseline']:.1f}x per core; "
        f"windowed / full: {per_core['windowed'] / per_core['full']:.1f}x; "
        f"full / baseline: {per_core['full'] / per_core['baseline']:.1f}x"
    )
    full, windowed = results["full"]["digests"], results["windowed"]["digests"]
    differing = sorted(k for k in full if full[k] != windowed.get(k))
    print(
        f"evidence: full {results['full']['items']} items, windowed {results['windowed']['items']} items; "
        f"notes whose evidence differs: {len(differing)}" + (f" (first: {differing[:5]})" if differing else "")
    )


if __name__ == "__main__":
    main()
