"""CPU seconds of every process of one ``qae run`` (or ``qae extract``), with every role it had.

Not a test: it prints figures. ``scale_bench.py`` sums CPU by the last name a process showed, so a Ray
worker that read notes and then waited shows up as ``ray::IDLE``; here each process is listed with every
name it showed while sampled (``ray::ReadNoteChunks``, ``ray::MapBatches(_index_batch)``, the pipeline
actors' ``__init__``/``submit``, ...), grouped by that list: how many worker processes the reader and the
index started, and what each cost. Uses the sampling of ``scale_bench.py`` (every half second, from /proc).

    .venv/bin/python benchmarks/scale_bench.py --notes 10000 --notes-per-patient 10 --workers 2 --keep \
        --work /tmp/sb                                     # builds the corpus in /tmp/sb/input
    .venv/bin/python benchmarks/process_cpu.py /tmp/sb          # qae run, 2 workers
    .venv/bin/python benchmarks/process_cpu.py /tmp/sb --extract  # qae extract --workers 2 --include-supplemental
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_bench as sb  # noqa: E402 - the benchmark next to this file


def _name(cmdline: str) -> str:
    if cmdline.startswith("ray::"):
        return cmdline.split(" ")[0]
    return sb._label(cmdline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path, help="a scale_bench --keep work folder (its input/ is used)")
    parser.add_argument("--extract", action="store_true", help="time qae extract instead of qae run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    names: dict[int, list[str]] = {}
    status = sb._status

    def remember(pid: int) -> tuple[str, int, int] | None:
        st = status(pid)
        if st and st[0]:
            seen = names.setdefault(pid, [])
            if _name(st[0]) not in seen:
                seen.append(_name(st[0]))
        return st

    cpu: dict[int, float] = {}
    sample_cpu = sb._cpu

    def cpu_of(pid: int) -> float | None:
        seconds = sample_cpu(pid)
        if seconds is not None:
            cpu[pid] = max(seconds, cpu.get(pid, 0.0))
        return seconds

    sb._status, sb._cpu = remember, cpu_of
    notes, patients = args.work / "input" / "notes", args.work / "input" / "patients.csv"
    out = args.work / ("cpu-extract" if args.extract else "cpu-run")
    shutil.rmtree(out, ignore_errors=True)
    if args.extract:
        result = sb.run_extract_reference(notes, out, args.workers)
    else:
        result = sb.run_job(notes, patients, out, args.workers, "all")
        stages = result["manifest"]["timings_seconds"]
        print("stages:", ", ".join(f"{k} {v:.1f} s" for k, v in sorted(stages.items())))
    print(f"wall {result['wall']:.1f} s")
    groups: dict[str, list[float]] = {}
    for pid, seconds in cpu.items():
        roles = [n for n in names.get(pid, ["?"]) if n != "ray::IDLE"] or ["ray::IDLE"]
        groups.setdefault(" / ".join(roles), []).append(seconds)
    for roles, seconds in sorted(groups.items(), key=lambda kv: -sum(kv[1])):
        each = ", ".join(f"{s:.2f}" for s in sorted(seconds, reverse=True))
        print(f"  {sum(seconds):7.2f} s  {len(seconds)} process(es) [{each}]  {roles}")
    print(f"  {sum(sum(v) for v in groups.values()):7.2f} s  in all")


if __name__ == "__main__":
    main()
