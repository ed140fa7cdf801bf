"""What holding the patients costs the driver: the in-memory readers (qae.inputs.read_patients, as the job
held them until issue 13e: the records, the id sets and the per-partition lists) against the job's on-disk
store (qae.input_store: SQLite, then per-partition shards). Prints the Python memory held (tracemalloc).

    .venv/bin/python benchmarks/input_memory_bench.py --patients 10000 100000
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path


def write_patients(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["patient_id", "birth_date", "sex", "clinic_id"])
        for i in range(n):
            h = int(hashlib.sha1(str(i).encode()).hexdigest(), 16)
            w.writerow([f"MTS-{i % 2326:05d}~{i // 2326}", (date(1935, 1, 1) + timedelta(days=h % 25000)).isoformat(),
                        "FM"[h % 2], "clinic-a"])


def in_memory(path: Path) -> tuple[int, int]:
    from qae.inputs import read_patients
    from qae.partitions import Partitioning, group_by_partition

    tracemalloc.start()
    patients = read_patients(path).records
    known = frozenset(p.patient_id for p in patients)
    copies = (set(known), set(known))  # the known sets events and encounters were checked against
    cut = Partitioning.of_patients(known, 5000)
    groups = group_by_partition(patients, cut)
    held = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del patients, known, copies, groups
    return held


def on_disk(path: Path, work: Path) -> tuple[int, int]:
    from qae.input_store import InputStore
    from qae.partitions import Partitioning

    tracemalloc.start()
    store = InputStore(work / "inputs.sqlite")
    store.load_patients(path)
    cut = Partitioning.of_sorted(store.patients, store.patient_ids(), 5000)
    store.write_shards(work / "inputs", cut)
    store.close()
    held = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    import qae.input_store  # noqa: F401  (imports outside the measurement)
    import qae.partitions  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        for n in args.patients:
            path = Path(tmp) / f"patients-{n}.csv"
            write_patients(path, n)
            for name in ("in memory", "on disk"):
                t = time.perf_counter()
                current, peak = in_memory(path) if name == "in memory" else \
                    on_disk(path, Path(tempfile.mkdtemp(dir=tmp)))
                print(f"{n:>9,} patients, {name:9}: held {current / 2**20:6.1f} MiB (peak {peak / 2**20:6.1f} MiB), "
                      f"{time.perf_counter() - t:.1f} s under tracemalloc", flush=True)


if __name__ == "__main__":
    main()
