"""Where a ``qae run`` spends its wall time: a summary of the timeline ``QAE_RAY_TIMELINE=FILE`` writes.

Not a test: it prints, for the driver's stages and for every Ray worker process (pipeline actors,
Ray Data's read tasks and helper actors, measure and report tasks), what ran there, how many times,
for how long in all, and from when to when (seconds since the run started), in the order the
processes started. Gaps between the stages and the first task of the next one show up directly:
e.g. the pipeline actors' ``__init__`` (loading spaCy) against the start of the ``extract`` stage,
or the first ``measure_partition`` against the end of ``extract``.

    QAE_RAY_TIMELINE=/tmp/tl.json .venv/bin/qae run ...   (or benchmarks/scale_bench.py with it set)
    .venv/bin/python benchmarks/timeline_summary.py /tmp/tl.json
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

# Ray's own bookkeeping events: left out unless --all
_BOOKKEEPING = {"task:deserialize_arguments", "task:execute", "task:store_outputs", "submit_task", "get_location",
                "update_actor_location", "cancel_request", "get_reserved_resources"}


def summarise(events: list[dict[str, Any]], everything: bool = False) -> list[str]:
    spans = [e for e in events if e.get("ph") == "X" and "dur" in e]
    driver = [e for e in spans if e.get("pid") == "driver"]
    t0 = min(e["ts"] for e in (driver or spans))
    rows: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in spans:
        rows[(str(e.get("pid")), str(e.get("tid")))].append(e)
    lines = []
    for (pid, tid), found in sorted(rows.items(), key=lambda kv: min(e["ts"] for e in kv[1])):
        names: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, float("inf"), 0.0])
        for e in found:
            n = names[e["name"]]
            n[0] += 1
            n[1] += e["dur"] / 1e6
            n[2] = min(n[2], (e["ts"] - t0) / 1e6)
            n[3] = max(n[3], (e["ts"] + e["dur"] - t0) / 1e6)
        shown = [(k, v) for k, v in names.items() if everything or k not in _BOOKKEEPING]
        if not shown:
            continue
        lines.append(f"{pid} {tid[:48]}")
        for name, (count, total, start, end) in sorted(shown, key=lambda kv: kv[1][2]):
            lines.append(f"    {name[-64:]:64s} x{int(count):<4d} {total:8.2f} s   {start:7.2f} -> {end:7.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("timeline", type=Path, help="the file QAE_RAY_TIMELINE named")
    parser.add_argument("--all", action="store_true", help="also Ray's bookkeeping events (argument "
                        "deserialisation, output storing, location calls)")
    args = parser.parse_args()
    print("\n".join(summarise(json.loads(args.timeline.read_text(encoding="utf-8")), args.all)))


if __name__ == "__main__":
    main()
