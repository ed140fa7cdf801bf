"""CPU of each report file writer alone, on a run folder's saved material (what ``qae run``'s writer tasks do).

The partitions' material is computed once (as ``qae report --run`` computes it) into ``--work`` (kept, and
reused by a later call with the same folder); then each file writer of engine/reports.py is run
``--repeat`` times on it, into a scratch folder, and its CPU seconds are printed (the least of the
repeats: the machine is shared, the least is the steadiest figure; the median too). ``--profile NAME``
prints a cProfile of that writer.

Run: .venv/bin/python benchmarks/report_writers_bench.py RUN_DIR --work /tmp/material [--repeat 3]
     [--writers write_audit_html,write_worklist_xlsx] [--profile write_worklist_xlsx]
(RUN_DIR: e.g. the ``out-2`` folder a ``benchmarks/scale_bench.py --keep --work DIR`` run leaves)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--work", type=Path, required=True, help="the partitions' material (computed when missing)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--writers", default="", help="comma-separated writer names (default: every one)")
    parser.add_argument("--profile", default="", help="a writer to profile (cProfile, once)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    import engine.reports as reports
    import qae.report_run as rr
    from engine.report_parts import Parts, load_material
    from qae.run_folder import read_manifest

    run_dir = args.run_dir
    base = rr._base(run_dir, read_manifest(run_dir))
    names = rr._partitions(run_dir)
    chosen = reports.parse_formats(None)
    work = args.work
    jobs = [rr._PartitionJob(str(run_dir), n, str(work / n), tuple(chosen), i, None, False)
            for i, n in enumerate(names)]
    if not all((work / n / rr.FORMATS_FILE).is_file() for n in names):
        c0 = time.process_time()
        for job in jobs:
            rr.partition_material(job, base)
        print(f"material of {len(names)} partitions computed into {work}: {time.process_time() - c0:.2f} s CPU")
    wanted = {w for w in args.writers.split(",") if w}
    writers = [(getattr(w, "__name__", str(w)), pw) for w, (_, pw) in reports.PART_WRITERS.items()
               if not wanted or getattr(w, "__name__", "") in wanted]
    from qae.partitions import gc_paused

    for name, parts_writer in writers:
        times = []
        for k in range(args.repeat + (1 if name == args.profile else 0)):
            out = Path(tempfile.mkdtemp(prefix="writers-bench-"))
            try:
                parts = Parts([load_material(Path(j.target)) for j in jobs])
                prof = cProfile.Profile() if name == args.profile and k == args.repeat else None
                with gc_paused():  # as qae.report_run._write runs a writer
                    c0 = time.process_time()
                    if prof:
                        prof.enable()
                    parts_writer(parts, base, out)
                    if prof:
                        prof.disable()
                    cpu = time.process_time() - c0
                if prof:
                    for order in ("cumulative", "tottime"):
                        print(f"\n--- cProfile of {name}, by {order} ---")
                        pstats.Stats(prof).sort_stats(order).print_stats(args.top)
                else:
                    times.append(cpu)
            finally:
                shutil.rmtree(out, ignore_errors=True)
        print(f"  {name:<24} {min(times):6.2f} s CPU (least of {len(times)}; median {statistics.median(times):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
