"""The job on real Ray, with real faults: the driver killed with SIGKILL and the run resumed; a
two-node cluster with token authentication on which a pipeline worker is killed mid-batch.

Each case runs ``qae run`` in a subprocess and compares its reports byte for byte with an
uninterrupted in-process run of the same inputs. Processes are found among the descendants of
the subprocess this test started and killed by pid, never by name.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from qae.cli import app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] not in ("Z", "X")
    except OSError:
        return False


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _env() -> dict[str, str]:
    return {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "QAE_PROGRESS": "plain",
            "QAE_PROGRESS_SECONDS": "1"}


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory, syn: Any) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("rayjob")
    patients, notes = syn.corpus(120, 30, seed=7)
    syn.write_patients(d / "patients.csv", patients)
    syn.write_jsonl(d / "notes.jsonl", notes)
    cfg = {"name": "faults", "inputs": {"notes": str(d / "notes.jsonl"), "patients": str(d / "patients.csv")},
           "measures": ["COL-E", "CBP", "TSC", "BCS-E"], "measurement_period": 2026,
           "ray": {"actors": 2, "num_cpus": 2, "batch_size": 4},
           "sharding": {"chunk_kib": 4, "partitions": 3}}
    (d / "job.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--config", str(d / "job.yaml"), "--no-ray", "--progress", "off",
                                      "--out", str(d / "reference")])
    assert result.exit_code == 0, result.output
    return {"dir": d, "config": d / "job.yaml", "reference": d / "reference", "notes": d / "notes.jsonl"}


def _reports(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def _start(job: dict[str, Path], out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "qae.cli", "run", "--config", str(job["config"]), "--out", str(out)],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _checkpointed(out: Path) -> int:
    path = out / ".qae-run" / "checkpoint.jsonl"
    try:
        return sum(1 for line in path.read_text().splitlines() if '"stage":"extract"' in line)
    except OSError:
        return 0


def _wait_for(predicate: Any, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        assert time.monotonic() < end, "timed out waiting for the job"
        time.sleep(0.05)


def test_driver_killed_with_sigkill_resumes_to_the_same_bytes(job: dict[str, Path]) -> None:
    out = job["dir"] / "driver-killed"
    proc = _start(job, out)
    leftovers: list[int] = []
    try:
        _wait_for(lambda: _checkpointed(out) >= 2, proc)
        leftovers = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        time.sleep(1)
        _kill_all(leftovers)  # Ray processes the killed driver started (agents outlive it)
    done_before = _checkpointed(out)
    assert 2 <= done_before and not (out / "manifest.json").exists()

    timeline = job["dir"] / "timeline.json"
    resumed = subprocess.run([sys.executable, "-m", "qae.cli", "run", "--config", str(job["config"]), "--out",
                              str(out)], cwd=ROOT, env={**_env(), "QAE_RAY_TIMELINE": str(timeline)},
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run = json.loads((out / "manifest.json").read_text())["run"]
    assert run["resumed"] and run["chunks_done_before"] >= done_before
    assert run["notes_extracted_this_session"] < 120
    assert "[extract] done: 120/120 notes" in resumed.stderr
    assert _reports(out) == _reports(job["reference"])

    # the benchmark aid: Ray's timeline plus the driver's stages; the small inputs and the index are read
    # on a thread while Ray starts (the index of this session: the one the killed session saved)
    text = timeline.read_text(encoding="utf-8")
    stages = {e["name"]: (e["ts"], e["ts"] + e["dur"]) for e in json.loads(text) if e.get("pid") == "driver"}
    assert {"read", "ray_init", "index", "extract", "measures", "reports", "total"} <= set(stages)
    assert stages["index"][0] < stages["ray_init"][1] <= stages["extract"][0]
    assert stages["index"][1] <= stages["extract"][0] < stages["measures"][0] < stages["reports"][0]
    notes = [json.loads(line) for line in job["notes"].read_text(encoding="utf-8").splitlines() if line.strip()]
    assert not any(n["text"][:40] in text for n in notes)  # never note text


CLUSTER_SCRIPT = """
import json, sys
import ray
from ray.cluster_utils import Cluster
from typer.testing import CliRunner
from qae.cli import app

cluster = Cluster(initialize_head=True, connect=False,
                  head_node_args={"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
cluster.wait_for_nodes()
print("cluster up", flush=True)
try:
    result = CliRunner().invoke(app, ["run", "--config", sys.argv[1], "--out", sys.argv[2], "--progress", "off",
                                      "--ray-address", cluster.address])
    print(json.dumps({"exit": result.exit_code, "output": result.output[-2000:]}), flush=True)
finally:
    ray.shutdown()
    cluster.shutdown()
"""


def test_two_node_cluster_survives_a_killed_worker_and_gives_the_same_outputs(job: dict[str, Path]) -> None:
    """The job joins a two-node cluster (token auth); one pipeline worker is killed mid-batch: Ray
    restarts the actor and retries its batch, and the reports are those of the reference run."""
    out = job["dir"] / "cluster"
    env = {**_env(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    proc = subprocess.Popen([sys.executable, "-c", CLUSTER_SCRIPT, str(job["config"]), str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    killed: list[int] = []
    try:
        def kill_a_busy_worker() -> bool:
            if _checkpointed(out) < 1:
                return False
            workers = [p for p in _descendants(proc.pid) if "NotePipeline" in _cmdline(p)]
            if workers:
                killed.append(workers[0])
                os.kill(workers[0], signal.SIGKILL)
            return bool(workers)

        _wait_for(kill_a_busy_worker, proc, timeout=180)
        stdout, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            _kill_all(_descendants(proc.pid))
            proc.kill()
    assert proc.returncode == 0, stdout[-3000:]
    result = json.loads([line for line in stdout.splitlines() if line.startswith('{"exit"')][-1])
    assert result["exit"] == 0, result["output"]
    assert killed and not _alive(killed[0])
    manifest = json.loads((out / "manifest.json").read_text())
    ray_info, run, c = manifest["run"]["ray"], manifest["run"], manifest["counts"]
    # two nodes of one CPU each: the two one-CPU pipeline actors cannot share a node
    assert ray_info["nodes"] == 2 and ray_info["cpus"] == 2 and ray_info["actors"] == 2
    assert ray_info["address"].startswith("127.0.0.1:")
    assert run["chunks_done_before"] == 0 and run["notes_extracted_this_session"] == 120
    assert c["notes_read"] == 120 == c["notes_processed"] and c["notes_quarantined"] == 0
    assert _reports(out) == _reports(job["reference"])  # nothing lost, nothing twice


def test_an_address_where_no_cluster_listens_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--config", str(ROOT / "configs" / "demo.yaml"), "--out",
                                      str(tmp_path / "o"), "--ray-address", "127.0.0.1:1"])
    assert result.exit_code == 2 and "nothing answers there" in result.output and "Traceback" not in result.output
