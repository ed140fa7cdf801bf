"""Where the report stage of ``qae run`` spends its CPU, on a finished run folder with partitions.

Times, in this process (no Ray), what ``qae.report_run.render_run`` does: per partition, reading it back
(outcomes, evidence, patients from Parquet), each writer's material and saving it; then each file writer
from the saved material. Prints CPU seconds per step (the machine is shared: CPU seconds are the steadier
figure); ``--profile`` adds the top functions of a cProfile of the whole (cumulative and own time).

``--measures``: the measure task of the first partition instead (``qae.partitions.measure_partition``;
``--partition K``: the K-th), its note evidence read back from the run's ``evidence.jsonl`` into a chunk file as
extraction writes it; prints its CPU and the peak RSS of this process (the partition's memory, run alone).

Run: .venv/bin/python benchmarks/report_profile.py RUN_DIR [--partitions 2] [--measures [--partition K]] [--profile]
(RUN_DIR: e.g. the ``out-2`` folder a ``benchmarks/scale_bench.py --keep --work DIR`` run leaves)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

CPU: dict[str, float] = defaultdict(float)


def _timed(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    c0 = time.process_time()
    result = fn(*args, **kwargs)
    CPU[name] += time.process_time() - c0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--partitions", type=int, default=0, help="material of the first N partitions only "
                        "(0: all; the file writers then read those)")
    parser.add_argument("--formats", default=None, help="report formats (default: every registered one)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the whole")
    parser.add_argument("--measures", action="store_true", help="profile the first partition's measure task")
    parser.add_argument("--partition", type=int, default=0, metavar="K",
                        help="--measures: the K-th partition (in name order) instead of the first")
    parser.add_argument("--no-material", action="store_true", help="--measures without the report material")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    if args.measures:
        return measure_task(args)

    import engine.reports as reports
    import qae.report_run as rr
    from engine.report_parts import Parts, load_material
    from qae.run_folder import read_manifest

    run_dir = args.run_dir
    manifest = read_manifest(run_dir)
    base = rr._base(run_dir, manifest)
    names = rr._partitions(run_dir)
    if args.partitions:
        names = names[:args.partitions]
    chosen = reports.parse_formats(args.formats)

    # wrap the material functions and the file writers so that each one's CPU is summed
    for key, fn in list(reports.MATERIALS.items()):
        reports.MATERIALS[key] = (lambda f, k: lambda run: _timed(f"material {k}", f, run))(fn, key)
    for writer, (mats, parts_writer) in list(reports.PART_WRITERS.items()):
        name = getattr(writer, "__name__", str(writer))
        reports.PART_WRITERS[writer] = (mats, (lambda f, n: lambda *a: _timed(f"file {n}", f, *a))(parts_writer, name))
    import engine.report_parts as rp
    import qae.partitions as qp
    for mod, fname in ((qp, "outcomes_from_table"), (qp, "models_from_table"), (qp, "read_patients_part"),
                       (rp, "save_material"), (rp, "merge_saved")):
        orig = getattr(mod, fname)
        setattr(mod, fname, (lambda f, n: lambda *a, **k: _timed(n, f, *a, **k))(orig, fname))

    scratch = Path(tempfile.mkdtemp(prefix="report-profile-"))
    out = scratch / "out"
    prof = cProfile.Profile() if args.profile else None
    try:
        c0, w0 = time.process_time(), time.perf_counter()
        if prof:
            prof.enable()
        jobs = [rr._PartitionJob(str(run_dir), n, str(scratch / n), tuple(chosen), i, None, False)
                for i, n in enumerate(names)]
        for job in jobs:
            _timed("partition material (total)", rr.partition_material, job, base)
        c1 = time.process_time()
        parts = Parts([load_material(Path(j.target)) for j in jobs])
        reports.render_parts(parts, base, out, chosen)
        if prof:
            prof.disable()
        c2, w2 = time.process_time(), time.perf_counter()
        print(f"{len(names)} partitions: material {c1 - c0:.2f} s CPU, files {c2 - c1:.2f} s CPU "
              f"(all {c2 - c0:.2f} s CPU, {w2 - w0:.2f} s wall)")
        for name, cpu in sorted(CPU.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<44} {cpu:7.2f} s CPU")
        if prof:
            for order in ("cumulative", "tottime"):
                print(f"\n--- cProfile, by {order} ---")
                pstats.Stats(prof).sort_stats(order).print_stats(args.top)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def measure_task(args: argparse.Namespace) -> int:
    """cProfile of ``measure_partition`` on the run's first partition (its note evidence as a chunk file)."""
    import json
    from datetime import date

    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.spec import load_specs
    from qae.input_store import shard_path
    from qae.partitions import PartitionTask, measure_partition, read_patients_part
    from qae.run_folder import read_manifest

    run_dir = args.run_dir
    manifest = read_manifest(run_dir)
    name = sorted((run_dir / "patients").glob("part-*.parquet"))[args.partition]
    patients = read_patients_part(name)
    ids = {p.patient_id for p in patients}
    lines = []
    with (run_dir / "evidence.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if item["patient_id"] in ids and item.get("origin") == "note":
                lines.append(line.rstrip("\n"))
    specs = load_specs()
    specs = [specs[m] for m in sorted((manifest.get("versions") or {}).get("measures", {})) if m in specs]
    mp = manifest["measurement_period"]
    scratch = Path(tempfile.mkdtemp(prefix="measure-profile-"))
    try:
        chunk = scratch / "c000000.parquet"
        pq.write_table(pa.table({"evidence": lines}), chunk, row_group_size=len(lines) + 1)
        shards = scratch / "shards"  # the partition's patients as qae.input_store writes them
        shards.mkdir()
        with shard_path(shards, 0, "patients").open("w", encoding="utf-8") as fh:
            fh.writelines(f"{i}\t{p.model_dump_json()}\n" for i, p in enumerate(patients))
        task = PartitionTask(0, str(scratch / "parts"), [(str(chunk), 0)], str(shards),
                             (date.fromisoformat(mp["start"]), date.fromisoformat(mp["end"])))
        if hasattr(task, "report") and not args.no_material:  # as qae run: the report material too
            from engine.reports import parse_formats

            task.report = (str(manifest.get("job", run_dir.name)), tuple(parse_formats(args.formats)))
        prof = cProfile.Profile() if args.profile else None
        c0, w0 = time.process_time(), time.perf_counter()
        if prof:
            prof.enable()
        result = measure_partition(task, specs)
        if prof:
            prof.disable()
        print(f"measure task, {name.stem}: {len(patients)} patients, {len(lines)} note evidence items, "
              f"{result['counts']['outcomes']} outcomes: {time.process_time() - c0:.2f} s CPU, "
              f"{time.perf_counter() - w0:.2f} s wall; peak RSS of this process "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        for order in ("cumulative", "tottime") if prof else ():
            print(f"\n--- cProfile, by {order} ---")
            pstats.Stats(prof).sort_stats(order).print_stats(args.top)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
