"""Compare two run folders file by file (sha256 of every file, manifest.json without its timings and paths).

    .venv/bin/python benchmarks/compare_runs.py OUT_A OUT_B
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

VOLATILE = ("timings_seconds", "run", "config", "executor")


def digests(out: Path) -> dict[str, str]:
    found = {}
    for p in sorted(out.rglob("*")):
        if not p.is_file() or ".qae-run" in p.parts:
            continue
        rel = p.relative_to(out).as_posix()
        if rel == "manifest.json":
            m = json.loads(p.read_text(encoding="utf-8"))
            for k in VOLATILE:
                m.pop(k, None)
            for entry in m.get("inputs", {}).values():
                entry.pop("path", None)
                for f in entry.get("files", []):
                    f.pop("path", None)
            found[rel] = hashlib.sha256(json.dumps(m, sort_keys=True).encode()).hexdigest()
        else:
            found[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def main(a: Path, b: Path) -> int:
    da, db = digests(a), digests(b)
    bad = sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))
    print(f"{len(da)} files in {a}, {len(db)} in {b}; differing: {len(bad)}")
    for k in bad[:30]:
        print(f"  {k}: {da.get(k, 'missing')[:12]} {db.get(k, 'missing')[:12]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
