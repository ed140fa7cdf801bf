"""How many patient partitions a run cuts (qae.job._partition_count): one per patients_per_partition,
raised to up to MAX_RAISED_PARTITIONS while each keeps MIN_PATIENTS_PER_PARTITION patients, from the patient
count alone (the per-partition Parquet files are outputs: the same whatever the workers); a resumed run keeps
the count its checkpoint planned."""

from __future__ import annotations

from qae.config import Sharding
from qae.job import MAX_RAISED_PARTITIONS, MIN_PATIENTS_PER_PARTITION, _partition_count


def test_count_by_size_raised_for_smaller_runs() -> None:
    default = Sharding()
    assert default.patients_per_partition == 5000 and MIN_PATIENTS_PER_PARTITION == 500
    assert _partition_count(10_000, default, []) == MAX_RAISED_PARTITIONS == 8  # the 10k benchmark
    assert _partition_count(100_000, default, []) == 20  # by size
    assert _partition_count(1_000, default, []) == 2  # 10 notes a patient: two tasks
    assert _partition_count(3_000, default, []) == 6
    assert _partition_count(MIN_PATIENTS_PER_PARTITION * 2 - 1, default, []) == 1
    assert _partition_count(65, default, []) == 1  # a small clinic: one partition
    assert _partition_count(0, default, []) == 1
    assert _partition_count(1_000, Sharding(partitions=3), []) == 3  # given: as given
    assert _partition_count(30_000, Sharding(patients_per_partition=1000), []) == 30


def test_a_resumed_run_keeps_its_planned_count() -> None:
    default = Sharding()
    extracted = [{"stage": "extract", "chunk": 0}]
    assert _partition_count(1_000, default, [{"stage": "plan", "partitions": 2}, *extracted]) == 2
    # a run started before plans were recorded grouped its chunks one partition per 5,000 patients
    assert _partition_count(1_000, default, extracted) is None
