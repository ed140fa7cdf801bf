"""CPU time of building the windowed Doc, step by step: normalizing, finding the windows (``Prefilter.hits``
and ``Prefilter.windows``), tokenizing them and building the Doc (``windowed_doc``), and the whole
``nlp.make_doc`` of windowed mode.

Not a test: it prints ms/note of CPU time (``time.process_time``, best of ``--repeat`` rounds) on the same notes
(default: the 2,326 shared MTSamples notes, as windowed_bench loads them). Each step is timed note by note with
the rest of the Doc build run between two notes, as in the pipeline (timed alone in a loop, the prefilter's
automaton stays in the processor's caches and looks faster than it is). ``--base FILE`` times another version
of ``pipelines/prefilter.py`` (e.g. ``git show 6584d3f:pipelines/prefilter.py > /tmp/base_prefilter.py``) in the
same rounds, built from the same rules, and checks that both give the same windows on every note.

    .venv/bin/python benchmarks/window_build_bench.py [--notes PATH] [--limit N] [--repeat K] [--base FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=Path, default=ROOT.parent / "shared/data/mtsamples/notes.jsonl")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base", type=Path, default=None, help="another prefilter.py to time alongside")
    args = parser.parse_args()

    import pipelines.build as build
    from pipelines.normalize import normalize_text
    from pipelines.prefilter import windowed_doc

    warnings.filterwarnings("ignore")
    with args.notes.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    if args.limit:
        texts = texts[: args.limit]
    nlp = build.build_nlp({"mode": "windowed"})
    tokenizer = nlp.tokenizer.tokenizer
    prefilters = {"": nlp.tokenizer.prefilter}
    if args.base is not None:
        spec = importlib.util.spec_from_file_location("base_prefilter", args.base)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        ours, build.Prefilter = build.Prefilter, module.Prefilter
        try:
            prefilters["base "] = build.build_prefilter(tokenizer, build.load_target_rules(), True)
        finally:
            build.Prefilter = ours
    normalized = [normalize_text(t).text for t in texts]
    windows = [prefilters[""].windows(t) for t in normalized]
    for name, prefilter in prefilters.items():
        differing = sum(prefilter.windows(t) != w for t, w in zip(normalized, windows, strict=True))
        print(f"{name or 'this '}prefilter: {differing} notes with other windows")

    clock = time.process_time
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(args.repeat):
        spent: dict[str, float] = defaultdict(float)
        for text, norm, wins in zip(texts, normalized, windows, strict=True):
            t0 = clock()
            normalize_text(text)
            t1 = clock()
            windowed_doc(tokenizer, norm, wins)
            t2 = clock()
            spent["normalize"] += t1 - t0
            spent["windowed_doc"] += t2 - t1
            for name, prefilter in prefilters.items():
                t0 = clock()
                prefilter.hits(norm)
                t1 = clock()
                prefilter.windows(norm)
                t2 = clock()
                spent[f"{name}hits"] += t1 - t0
                spent[f"{name}windows (hits + cut)"] += t2 - t1
        t0 = clock()
        for text in texts:
            nlp.make_doc(text)
        spent["make_doc (all of it)"] = clock() - t0
        for key, value in spent.items():
            best[key] = min(best[key], value)
    for key, value in best.items():
        print(f"{key:28s} {1000 * value / len(texts):7.3f} ms/note CPU")
    print(f"notes {len(texts)}, windows {sum(map(len, windows))}, window chars "
          f"{sum(b - a for w in windows for a, b in w)} of {sum(map(len, normalized))}")


if __name__ == "__main__":
    main()
