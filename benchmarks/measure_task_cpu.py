"""CPU seconds per step of one measure task (``qae.partitions.measure_partition``), without a profiler.

cProfile inflates code that makes many small Python calls (csv rows, JSON); this wraps the steps'
functions with ``time.process_time`` instead (a nested step's time is also in its caller's), and runs
``benchmarks/report_profile.py --measures`` (the run's first partition).

Run: .venv/bin/python benchmarks/measure_task_cpu.py RUN_DIR [--detail]  (--detail: also the parts of the steps)
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

CPU: dict[str, float] = defaultdict(float)
STEPS = [
    ("qae.partitions", "_note_evidence"), ("engine.structured", "events_to_evidence"),
    ("engine.calculator", "calculate"), ("engine.report", "write_reports"), ("engine.report", "summarize"),
    ("qae.partitions", "write_model_table"), ("qae.partitions", "write_outcomes"),
    ("qae.report_run", "memory_material"), ("engine.reports", "report_material"),
    ("engine.report_parts", "save_material"), ("engine.report_parts", "merge_saved"),
]
# ``--detail``: the parts of the steps above (each wrapped where its callers look it up)
DETAIL = [
    ("engine.report", "_write_outcomes_csv"), ("qae.report_run", "_as_stored"), ("qae.report_run", "_referenced"),
    ("engine.audit_html", "_prepared"), ("engine.audit_html", "summarize"), ("engine.audit_html", "_payload_stats"),
    ("engine.care_gaps", "_cell_rows"), ("engine.care_gaps", "_summary_rows"),
    ("engine.quality_summary", "_both_summaries"), ("engine.worklist_files", "open_gap_rows"),
    ("engine.worklist_files", "reopening_rows"), ("engine.worklist_files", "_stats"),
    ("engine.report_parts", "Material.sort"), ("engine.report_parts", "_plain_line"),
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

    detail = "--detail" in sys.argv
    if detail:
        sys.argv.remove("--detail")
    for module, name in STEPS + (DETAIL if detail else []):
        owner: Any = importlib.import_module(module)
        *path, attr = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, attr, _timed(f"{module}.{name}", getattr(owner, attr)))
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
