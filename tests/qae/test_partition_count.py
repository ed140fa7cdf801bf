"""How many patient partitions a run cuts (qae.job._partition_count): one per patients_per_partition,
raised to one per pipeline actor while each keeps MIN_PATIENTS_PER_PARTITION patients; a resumed run keeps
the count its checkpoint planned, whatever its actors now."""

from __future__ import annotations

from qae.config import Sharding
from qae.job import MIN_PATIENTS_PER_PARTITION, _partition_count


def test_count_by_size_and_by_actors() -> None:
    default = Sharding()
    assert default.patients_per_partition == 5000
    assert _partition_count(10_000, default, 2, []) == 2  # the 10k benchmark: unchanged
    assert _partition_count(10_000, default, 1, []) == 2
    assert _partition_count(1_000, default, 2, []) == 2  # 10 notes a patient: both CPUs measure
    assert _partition_count(1_000, default, 8, []) == 1_000 // MIN_PATIENTS_PER_PARTITION
    assert _partition_count(MIN_PATIENTS_PER_PARTITION * 2 - 1, default, 2, []) == 1
    assert _partition_count(65, default, 2, []) == 1  # a small clinic: one partition
    assert _partition_count(0, default, 2, []) == 1
    assert _partition_count(30_000, default, 16, []) == 16
    assert _partition_count(1_000, Sharding(partitions=3), 2, []) == 3  # given: as given


def test_a_resumed_run_keeps_its_planned_count() -> None:
    default = Sharding()
    extracted = [{"stage": "extract", "chunk": 0}]
    assert _partition_count(1_000, default, 4, [{"stage": "plan", "partitions": 2}, *extracted]) == 2
    # a run started before plans were recorded grouped its chunks one partition per 5,000 patients
    assert _partition_count(1_000, default, 4, extracted) is None
