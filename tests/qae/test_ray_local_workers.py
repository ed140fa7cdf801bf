"""The local Ray the job starts keeps its idle worker processes for the run.

The job's stages follow each other: the note readers' processes are idle while the pipeline actors extract,
then the measure and report tasks come. With Ray's default (a worker idle for a second is ended) each of
those tasks waited for a new process and its imports. The script below plays that sequence on the Ray that
``pipelines.batch.start_ray`` starts (a fresh one, in a subprocess): two readers (no CPU) while two actors
hold the CPUs, a pause, the actors gone, then two one-CPU tasks. It reports how many of those ran in a
reader's process; with Ray's default settings the same script reports none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, os, sys, time
import pipelines.batch as batch
if sys.argv[1] == "ray-default":
    batch.LOCAL_SYSTEM_CONFIG = {}
batch.start_ray(None, 2)
import ray

@ray.remote(num_cpus=0)
def read(seconds):
    time.sleep(seconds)
    return os.getpid()

@ray.remote(num_cpus=1)
def measure(seconds):
    time.sleep(seconds)
    return os.getpid()

@ray.remote(num_cpus=1)
class Pipeline:
    def pid(self):
        return os.getpid()

actors = [Pipeline.remote() for _ in range(2)]
ray.get([a.pid.remote() for a in actors])
readers = set(ray.get([read.remote(0.5) for _ in range(2)]))
time.sleep(3)  # the extraction: readers idle for longer than Ray's one second
for a in actors:
    ray.kill(a)
measures = set(ray.get([measure.remote(0.5) for _ in range(2)]))
print(json.dumps({"reused": len(readers & measures), "tasks": len(measures)}))
ray.shutdown()
"""


def _reused(mode: str) -> dict[str, int]:
    env = {**os.environ, "RAY_ADDRESS": "local", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_later_tasks_run_in_the_processes_kept_from_earlier_stages() -> None:
    assert _reused("job") == {"reused": 2, "tasks": 2}


def test_ray_default_ends_idle_workers_which_is_what_the_setting_changes() -> None:
    assert _reused("ray-default")["reused"] == 0
