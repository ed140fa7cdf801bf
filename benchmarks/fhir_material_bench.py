"""CPU seconds of the FHIR material of one measure task (``engine.fhir_report.fhir_material``), alone.

Runs the first partition's measure task of a finished run folder (``benchmarks/report_profile.py
--measures``, FHIR material only) and keeps the run slices it hands to ``fhir_material``; then times
``fhir_material`` on those slices ``--repeat`` times (best and median CPU seconds), and, with
``--reference``, the slow path (every resource built as a dict and encoded whole, ``_reference_lines``)
and checks that both give the same lines; with ``--base REV``, ``fhir_material`` of ``engine/fhir_report.py``
as it is at git revision REV (passes interleaved with this one's) and checks that both give the same
material. ``--profile`` prints a cProfile of one ``fhir_material`` pass.

Run: .venv/bin/python benchmarks/fhir_material_bench.py RUN_DIR [--repeat 5] [--reference] [--base REV]
[--profile]
(RUN_DIR: e.g. the ``out-2`` folder a ``benchmarks/scale_bench.py --keep --work DIR`` run leaves)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference", action="store_true", help="time the slow path too and compare the lines")
    parser.add_argument("--base", default=None, help="a git revision to compare fhir_material with")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    import report_profile

    import engine.fhir_report as fr
    import engine.reports as reports

    runs: list[Any] = []
    original = reports.MATERIALS["fhir"]

    def keep(run: Any) -> Any:
        runs.append(run)
        return original(run)

    reports.MATERIALS["fhir"] = keep
    sys.argv = [sys.argv[0], str(args.run_dir), "--measures", "--formats", "fhir"]
    with contextlib.redirect_stdout(io.StringIO()):
        report_profile.main()
    reports.MATERIALS["fhir"] = original
    patients = sum(len({o.patient_id for o in r.outcomes}) for r in runs)
    outcomes = sum(len(r.outcomes) for r in runs)
    print(f"{len(runs)} slices, {patients} patients, {outcomes} outcomes")

    def timed(fn: Any, repeat: int = args.repeat) -> list[float]:
        cpu = []
        for _ in range(repeat):
            fr.resource_id.cache_clear()
            gc.collect()  # each pass starts without garbage (a full collection costs ~0.5 s CPU here)
            c0 = time.process_time()
            for run in runs:
                fn(run)
            cpu.append(time.process_time() - c0)
        return cpu

    def show(name: str, cpu: list[float]) -> None:
        print(f"  {name:<28} best {min(cpu):6.3f} s CPU, median {statistics.median(cpu):6.3f} s CPU "
              f"({len(cpu)} passes)")

    if args.base:
        base = _module_at(args.base)
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(args.repeat):  # interleaved: the machine's load changes
            mine += timed(fr.fhir_material, 1)
            theirs += timed(base.fhir_material, 1)
        show("fhir_material", mine)
        show(f"fhir_material at {args.base}", theirs)
        same = all(_material(fr.fhir_material(r)) == _material(base.fhir_material(r)) for r in runs)
        print(f"  material == material at {args.base}: {same}")
        if not same:
            return 1
    else:
        show("fhir_material", timed(fr.fhir_material))
    show("lines only (_fast_lines)", timed(lambda run: list(fr._fast_lines(run))))
    if args.reference:
        show("reference (_reference_lines)", timed(lambda run: list(fr._reference_lines(run))))
        same = all(list(fr._fast_lines(r)) == list(fr._reference_lines(r)) for r in runs)
        print(f"  fast lines == reference lines: {same}")
        if not same:
            return 1
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for run in runs:
            fr.fhir_material(run)
        prof.disable()
        for order in ("cumulative", "tottime"):
            print(f"\n--- cProfile, by {order} ---")
            pstats.Stats(prof).sort_stats(order).print_stats(args.top)
    return 0


def _module_at(rev: str) -> Any:
    """``engine.fhir_report`` as it is at git revision ``rev``, imported under another name."""
    import importlib.util
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parent.parent
    text = subprocess.run(["git", "show", f"{rev}:engine/fhir_report.py"], cwd=root, check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="fhir-base-")) / "fhir_report_base.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("fhir_report_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import engine.fhir_report as fr
    from engine.report_parts import register_counts

    register_counts("fhir_summary", fr._combine_summary)  # this one's, as before the import
    return module


def _material(material: Any) -> tuple[Any, ...]:
    import json

    return (json.dumps(material.streams, sort_keys=True), json.dumps(material.counts, sort_keys=True),
            sorted(material.encoded))


if __name__ == "__main__":
    raise SystemExit(main())
