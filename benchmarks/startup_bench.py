"""What a pipeline actor spends before its first note: imports and ``build_nlp``, CPU seconds by step.

Not a test: it prints figures. Each measurement runs in a fresh Python process (a child of this
script), as a Ray actor starts: the import of ``pipelines.build`` (spaCy, medSpaCy and what they pull
in) and then ``build_nlp`` with the given options, its steps timed by wrapping the functions it calls
(rule loading, each matcher's ``add``, the speed-ups applied afterwards, the prefilter). It also
counts the rules each matcher got (phrase, token-pattern and regular-expression rules).

    .venv/bin/python benchmarks/startup_bench.py [--runs 3] [--mode windowed|full] [--status-model NAME]
        [--all-imports]

CPU seconds (``time.process_time``) are steadier than wall time on a shared machine; the figures are
the median over ``--runs`` fresh processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
options = json.loads(sys.argv[1])
cpu = time.process_time
import contextlib
import pipelines.batch as batch  # what a pipeline actor has loaded before it builds its pipeline
t0 = cpu()
skipping = contextlib.nullcontext() if "--all-imports" in sys.argv else batch.skipping_imports(
    batch.unused_imports(options))
with skipping:
    import medspacy
    import pipelines.build as build
t_import = cpu() - t0
heavy = sorted(m for m in ("torch", "transformers", "sklearn", "scipy", "pandas", "nltk") if m in sys.modules)

steps = {}
def timed(label, fn):
    def wrapper(*args, **kwargs):
        t = cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            steps[label] = steps.get(label, 0.0) + cpu() - t
    return wrapper

for name in ("load_target_rules", "target_rule_sets", "load_section_rules", "load_context_rules",
             "context_rule_sets", "read_text_once", "gate_token_patterns", "build_prefilter"):
    if hasattr(build, name):
        setattr(build, name, timed(name, getattr(build, name)))

from medspacy.target_matcher import TargetMatcher
from pipelines.sections import SectionsOnly
from pipelines.target_context import TargetSentenceConText

counts = {}
def counting_add(cls, label_of):
    original = cls.add
    def add(self, rules):
        rules = list(rules)
        label = label_of(self)
        kinds = counts.setdefault(label, {"phrase": 0, "token": 0, "regex": 0})
        for r in rules:
            kinds["phrase" if r.pattern is None else "regex" if isinstance(r.pattern, str) else "token"] += 1
        return timed(label + ".add", original)(self, rules)
    cls.add = add

counting_add(TargetMatcher, lambda self: self.name)
counting_add(SectionsOnly, lambda self: "qm_sections")
counting_add(TargetSentenceConText, lambda self: "qm_context")

if hasattr(build, "add_rule_sets"):  # rules added in sets (pipelines.phrase_sets)
    add_rule_sets = build.add_rule_sets
    def add_sets(component, sets, **kwargs):
        label = getattr(component, "name", type(component).__name__)
        kinds = counts.setdefault(label, {"phrase": 0, "token": 0, "regex": 0})
        for s in sets:
            if s.phrases is not None:
                kinds["phrase"] += len(s.phrases)
            else:
                kinds["regex" if isinstance(s.rule.pattern, str) else "token"] += 1
        return timed(label + ".add (sets)", add_rule_sets)(component, sets, **kwargs)
    build.add_rule_sets = add_sets

t1 = cpu()
nlp = build.build_nlp(options)
t_build = cpu() - t1
steps["other (spacy.blank, add_pipe, tokenizer)"] = t_build - sum(steps.values())
print(json.dumps({"import": t_import, "build_nlp": t_build, "steps": steps, "counts": counts, "heavy": heavy}))
"""


def _run(options: dict, all_imports: bool) -> dict:
    cmd = [sys.executable, "-c", _CHILD, json.dumps(options)] + (["--all-imports"] if all_imports else [])
    out = subprocess.run(cmd, cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes to take the median over")
    parser.add_argument("--mode", default="windowed", choices=("windowed", "full"))
    parser.add_argument("--status-model", default=None, help="a status model name or folder (default: none)")
    parser.add_argument("--all-imports", action="store_true",
                        help="import everything spaCy and medSpaCy import (no pipelines.batch.skipping_imports)")
    args = parser.parse_args()
    options = {"mode": args.mode, "status_model": args.status_model}
    runs = [_run(options, args.all_imports) for _ in range(args.runs)]

    def med(values: list[float]) -> float:
        return statistics.median(values)

    imports, builds = med([r["import"] for r in runs]), med([r["build_nlp"] for r in runs])
    print(f"pipeline start-up, CPU seconds (median of {args.runs} fresh processes; options {options}):")
    heavy = ", ".join(runs[0]["heavy"]) or "none"
    print(f"  {'imports (spaCy, medSpaCy, pipelines.build)':<46}{imports:6.2f}   (heavy modules loaded: {heavy})")
    print(f"  {'build_nlp':<46}{builds:6.2f}")
    for step in runs[0]["steps"]:
        print(f"    {step:<44}{med([r['steps'].get(step, 0.0) for r in runs]):6.2f}")
    print(f"  {'total':<46}{imports + builds:6.2f}")
    print("rules added per component (phrase / token pattern / regex):")
    for name, kinds in runs[0]["counts"].items():
        print(f"  {name:<32} {kinds['phrase']:>7,} / {kinds['token']:>5,} / {kinds['regex']:>4,}")


if __name__ == "__main__":
    main()
