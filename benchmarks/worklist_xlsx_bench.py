"""Clinic worklist XLSX written from partitions: seconds and rows/s (prints figures; not a test).

The worklist rows of a finished run folder (``make demo`` writes one) are copied ``--copies`` times
with new patient ids, as ``--parts`` partitions, then ``worklists/<clinic>.xlsx`` is written from them
with ``engine.worklist_files.write_worklist_xlsx_parts`` (the writer ``qae run`` uses), ``--repeat``
times; the fastest time is printed with CPU time and peak RSS.

    .venv/bin/python benchmarks/worklist_xlsx_bench.py RUN_DIR [--copies 200] [--parts 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.quality_summary import summary_material  # noqa: E402
from engine.report_parts import Material, Parts, load_material, save_material  # noqa: E402
from engine.worklist_files import _stats, worklist_material, write_worklist_xlsx_parts  # noqa: E402
from qae.run_folder import load_run  # noqa: E402


def _copies(material: Material, copies: range) -> Material:
    """The worklist rows again for every copy (patient ``X`` becomes ``X~k``), with the same counts."""
    out = Material(counts=dict(material.counts))
    for name in ("worklist_open", "worklist_reopen"):
        for key, payload in material.streams.get(name, []):
            for k in copies:
                pid = f"{payload['patient_id']}~{k}"
                out.add(name, [*key[:5], pid, *key[6:]], {**payload, "patient_id": pid})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run = load_run(args.run_dir, evidence="referenced")
    base = worklist_material(run)
    summary = summary_material(run)
    rows = sum(len(base.streams.get(n, [])) for n in ("worklist_open", "worklist_reopen")) * args.copies
    with tempfile.TemporaryDirectory(prefix="qae-xlsx-bench-") as tmp:
        folders = []
        step = -(-args.copies // args.parts)
        for i in range(args.parts):
            part = _copies(base, range(i * step, min(args.copies, (i + 1) * step)))
            part.counts["worklist_stats"] = _stats(part)  # rows and patients per clinic and service
            folders.append(Path(tmp) / f"part-{i}")
            save_material(part.merge(summary) if i == 0 else part, folders[-1])
        best, cpu = float("inf"), float("inf")
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            write_worklist_xlsx_parts(Parts([load_material(f) for f in folders]), run, Path(tmp) / "out")
            best, cpu = min(best, time.perf_counter() - t), min(cpu, time.process_time() - c)
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((Path(tmp) / "out").rglob("*.xlsx"))))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"worklist XLSX: {rows:,} table rows (+ the service sheets' copies) from {args.parts} partitions: "
          f"best of {args.repeat} {best:.1f} s wall, {cpu:.1f} s CPU = {rows / cpu:,.0f} rows per CPU second; "
          f"peak RSS {peak:.0f} MiB; "
          f"sha256 of the files {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
