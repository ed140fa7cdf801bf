"""CPU seconds per step of one measure task (``qae.partitions.measure_partition``), without a profiler.

cProfile inflates code that makes many small Python calls (csv rows, JSON); this wraps the steps'
functions with ``time.process_time`` instead (a nested step's time is also in its caller's), and runs
``benchmarks/report_profile.py --measures`` (the run's first partition).

Run: .venv/bin/python benchmarks/measure_task_cpu.py RUN_DIR [--repeat 1]
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CPU: dict[str, float] = defaultdict(float)
STEPS = [
    ("qae.partitions", "_note_evidence"), ("engine.structured", "events_to_evidence"),
    ("engine.calculator", "calculate"), ("engine.report", "write_reports"), ("engine.report", "summarize"),
    ("qae.partitions", "write_model_table"), ("qae.partitions", "write_outcomes"),
    ("qae.report_run", "memory_material"), ("engine.reports", "report_material"),
    ("engine.report_parts", "save_material"), ("engine.report_parts", "merge_saved"),
]
MATERIALS = ("care_gaps", "worklists", "summary", "audit", "fhir")


def _timed(name: str, fn):  # noqa: ANN001, ANN202
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        c0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            CPU[name] += time.process_time() - c0
    return wrapper


def main() -> int:
    import engine.reports as reports

    for module, name in STEPS:
        mod = importlib.import_module(module)
        setattr(mod, name, _timed(f"{module}.{name}", getattr(mod, name)))
    for name in MATERIALS:
        reports.MATERIALS[name] = _timed(f"material {name}", reports.MATERIALS[name])
    import report_profile

    sys.argv = [sys.argv[0], *sys.argv[1:2], "--measures"]
    report_profile.main()
    for name, cpu in sorted(CPU.items(), key=lambda kv: -kv[1]):
        print(f"  {cpu:7.2f} s  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
