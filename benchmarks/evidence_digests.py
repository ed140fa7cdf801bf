"""Evidence digests of every note of the shared, demo and dev-set notes, in both pipeline modes.

Not a test: a check to run before and after a change to the pipeline. It prints one digest per note set
and mode, checks that windowed and full modes agree on every note, and with ``--save`` / ``--against``
writes / compares the per-note digests of another run (e.g. the branch base):

    .venv/bin/python benchmarks/evidence_digests.py --save /tmp/base.json      # on the base commit
    .venv/bin/python benchmarks/evidence_digests.py --against /tmp/base.json   # after the change

A change to a rule file changes ``pipeline_version`` on every item: ``--without-version`` leaves it out of the
digests (on both runs) so that only the evidence itself is compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SETS = {
    "mtsamples": ROOT.parent / "shared/data/mtsamples/notes.jsonl",
    "aci-bench": ROOT.parent / "shared/data/aci-bench/notes.jsonl",
    "demo": ROOT / "data/demo/notes.jsonl",
    "terse": ROOT / "evaluation/devsets/terse/notes.jsonl",
    "terse2": ROOT / "evaluation/devsets/terse2/notes.jsonl",
}


def digests(mode: str, without_version: bool = False) -> dict[str, dict[str, str]]:
    from engine.records import Note
    from pipelines.build import build_nlp
    from pipelines.extract import extract_notes

    nlp = build_nlp({"mode": mode})
    out: dict[str, dict[str, str]] = {}
    for name, path in SETS.items():
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        notes = [Note.model_validate(json.loads(line)) for line in lines]
        out[name] = {}
        for note, items in extract_notes(nlp, notes, include_supplemental=True):
            exclude = {"pipeline_version"} if without_version else None
            rows = json.dumps([e.model_dump(mode="json", exclude=exclude) for e in items], sort_keys=True)
            assert all(note.text[e.start : e.end] == e.span for e in items), note.note_id
            out[name][note.note_id] = hashlib.sha1(rows.encode()).hexdigest()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", type=Path, help="write the per-note digests here")
    parser.add_argument("--against", type=Path, help="compare with the per-note digests of another run")
    parser.add_argument(
        "--without-version", action="store_true", help="leave pipeline_version out of the digests (a rule file changed)"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    runs = {mode: digests(mode, args.without_version) for mode in ("windowed", "full")}
    for name in SETS:
        w, f = runs["windowed"][name], runs["full"][name]
        total = hashlib.sha1(json.dumps(f, sort_keys=True).encode()).hexdigest()[:12]
        differing = sorted(k for k in f if w[k] != f[k])
        print(f"{name:10} {len(f):5} notes  full digest {total}  windowed != full: {len(differing)} {differing[:5]}")
    if args.save:
        args.save.write_text(json.dumps(runs, sort_keys=True), encoding="utf-8")
    if args.against:
        other = json.loads(args.against.read_text(encoding="utf-8"))
        for mode, run in runs.items():
            changed = sorted(f"{s}/{k}" for s in run for k in run[s] if other[mode][s].get(k) != run[s][k])
            print(f"{mode:8} vs {args.against.name}: {len(changed)} notes differ {changed[:5]}")


if __name__ == "__main__":
    main()
