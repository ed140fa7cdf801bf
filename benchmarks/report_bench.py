"""Report rendering speed on a finished run folder: load it, then time every registered writer.

Prints CPU and wall seconds per writer (the machine is shared: CPU seconds are the steadier figure),
the number of worklist rows, and the files' sizes; asserts nothing.

Run: .venv/bin/python benchmarks/report_bench.py RUN_DIR [OUT_DIR]
(e.g. after `qae run --notes ../shared/data/mtsamples/notes.jsonl --patients
../shared/data/mtsamples/patients.csv --out /tmp/mts`: benchmarks/report_bench.py /tmp/mts)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def _timed(fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    result = fn(*args)
    return result, time.process_time() - c0, time.perf_counter() - w0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    from engine.reports import REPORT_WRITERS
    from engine.worklist import open_gap_rows, reopening_rows
    from qae.run_folder import load_run

    run_dir = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="report-bench-"))
    run, cpu, wall = _timed(load_run, run_dir)
    print(f"load_run: {cpu:.2f} s CPU, {wall:.2f} s wall; {len(run.outcomes)} outcomes, {len(run.evidence)} "
          f"evidence items, {len(run.patients)} patients")
    rows, cpu, wall = _timed(open_gap_rows, run)
    print(f"worklist rows: {len(rows)} open, {len(reopening_rows(run))} reopening ({cpu:.2f} s CPU)")
    total_cpu = total_wall = 0.0
    for fmt, writers in REPORT_WRITERS.items():
        for writer in writers:
            files, cpu, wall = _timed(writer, run, out)
            total_cpu, total_wall = total_cpu + cpu, total_wall + wall
            size = sum(f.stat().st_size for f in files) / 1e6
            print(f"{fmt:<5} {getattr(writer, '__name__', str(writer)):<22} {cpu:6.2f} s CPU {wall:6.2f} s wall "
                  f"{len(files):4d} files {size:7.2f} MB")
    print(f"all writers: {total_cpu:.2f} s CPU, {total_wall:.2f} s wall -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
