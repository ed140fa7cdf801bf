"""``qae run`` end to end at scale: notes/s, peak memory of the driver and of each worker, disk written.

Not a test: it prints figures. The shared MTSamples notes are replicated with new ids up to N notes
(copy k of note ``X`` is ``X~k`` of patient ``P~k``), with a patient for every note (from the shared
patients file, or a deterministic synthetic one where that file has none), written as JSONL shards
into a temporary folder; then ``qae run`` runs on them as a subprocess, once per worker count.

``--notes-per-patient K`` groups the copies so that each patient has K notes (real ACO data has many
notes per patient per year): notes ``i`` with the same ``i // K`` share the patient of the group's
first note. K=1 (the default) gives every note its own patient.

    .venv/bin/python benchmarks/scale_bench.py --notes 10000 [--workers 1 2] [--shards 4]
        [--notes-per-patient 1] [--measures all] [--reports csv] [--config job.yaml] [--kill-at 0.5]
        [--work /tmp/qae-scale] [--keep] [--rss-log F] [--extract-reference]

CPU seconds are summed over the process tree (user + system, sampled from /proc with the memory), by
kind: the pipeline actors (extraction), the driver, Ray's task workers (index, measures, report material
and files), Ray's daemons; on a shared machine they are steadier than wall times.

``--extract-reference`` also times ``qae extract --workers W --include-supplemental`` (the elements
``qae run`` extracts) on the same corpus, with the same Ray setting (a local Ray unless RAY_ADDRESS
says otherwise; with one worker ``qae extract`` runs without Ray), after each ``qae run``: the
extraction benchmark's rate for the same number of workers. It prints that rate and the ratio of the
end-to-end rate to it; issue 13's target is a ratio of at least 0.80 (the job adds little on top of
extraction).
Both wall times are taken on the same machine within a minute, so a load from others weighs on both.

Memory is sampled every half second from /proc (VmHWM, the peak resident set, of the driver and of
every process it starts: Ray's pipeline actors, tasks and daemons), with the peak anonymous RSS of each (its own
memory: Ray workers also map object-store pages into their RSS). Disk written is the size of the
output folder at the end, the peak of the output folder during the run (its work area included)
and the bytes the process tree wrote (/proc/<pid>/io, Ray's logs and spilling included).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mtsamples"


def _synthetic_patient(pid: str) -> dict[str, str]:
    h = int(hashlib.sha1(pid.encode()).hexdigest(), 16)
    birth = date(1935, 1, 1) + timedelta(days=h % (365 * 70))
    return {"patient_id": pid, "birth_date": birth.isoformat(), "sex": "FM"[h % 2]}


def build_corpus(n: int, folder: Path, shards: int, notes_src: Path, patients_src: Path,
                 per_patient: int = 1) -> tuple[Path, Path, int, int]:
    """Write ``n`` notes as ``shards`` JSONL files and a patients CSV, ``per_patient`` notes to a patient
    (the last patient may have fewer); returns (notes dir, patients, bytes, patient count)."""
    if per_patient < 1:
        raise ValueError("per_patient must be at least 1")
    with notes_src.open(encoding="utf-8") as fh:
        source = [json.loads(line) for line in fh if line.strip()]
    with patients_src.open(newline="", encoding="utf-8") as fh:
        known = {r["patient_id"]: r for r in csv.DictReader(fh)}
    notes_dir = folder / "notes"
    notes_dir.mkdir(parents=True)
    outs = [(notes_dir / f"part-{i:03d}.jsonl").open("w", encoding="utf-8") for i in range(shards)]
    patients: dict[str, dict[str, str]] = {}
    for i in range(n):
        copy, note = divmod(i, len(source))
        row = dict(source[note])
        row["note_id"] = f"{row['note_id']}~{copy}"
        # the patient of the group's first note (with one note per patient: this note's own)
        first_copy, first_note = divmod(i - i % per_patient, len(source))
        pid = source[first_note]["patient_id"]
        row["patient_id"] = f"{pid}~{first_copy}"
        if row["patient_id"] not in patients:
            base = known.get(pid) or _synthetic_patient(pid)
            patients[row["patient_id"]] = {"patient_id": row["patient_id"], "birth_date": base["birth_date"],
                                           "sex": base["sex"]}
        outs[i * shards // n].write(json.dumps(row) + "\n")
    for fh in outs:
        fh.close()
    patients_path = folder / "patients.csv"
    with patients_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["patient_id", "birth_date", "sex"])
        writer.writeheader()
        writer.writerows(patients[k] for k in sorted(patients))
    size = sum(p.stat().st_size for p in notes_dir.iterdir())
    return notes_dir, patients_path, size, len(patients)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _tree(pid: int) -> list[int]:
    found, todo = [pid], [pid]
    while todo:
        for c in _children(todo.pop()):
            found.append(c)
            todo.append(c)
    return found


def _status(pid: int) -> tuple[str, int, int] | None:
    """(command line, peak RSS, current anonymous RSS): Ray workers map object-store pages (shared
    memory) into their RSS, so the anonymous part is the worker's own memory."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        fields = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "RssAnon"):
                fields[key] = int(value.split()[0]) * 1024
        return cmd, fields.get("VmHWM", 0), fields.get("RssAnon", 0)
    except (OSError, ValueError, IndexError):
        return None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return None


def _written(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _du(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def _label(cmd: str) -> str:
    if "qae.cli" in cmd:
        return "driver"
    for key in ("NotePipeline", "ReadNoteChunks", "measure_partition", "raylet", "gcs_server", "DashboardAgent",
                "RuntimeEnvAgent", "_StatsActor", "AutoscalingCoordinator", "ActorLocationTracker"):
        if key in cmd:
            return key
    return cmd.split(" ")[0].rsplit("/", 1)[-1][:40] or "?"


def _job_command(notes: Path, patients: Path, out: Path, workers: int, measures: str,
                 reports: str | None, config: Path | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "qae.cli", "run", "--notes", str(notes), "--patients", str(patients),
           "--out", str(out), "--num-cpus", str(workers), "--measurement-period", "2026"]
    if config is not None:
        cmd += ["--config", str(config)]
    if measures != "all":
        cmd += ["--measures", measures]
    if reports:
        cmd += ["--reports", reports]
    return cmd


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_job(notes: Path, patients: Path, out: Path, workers: int, measures: str,
            reports: str | None = None, rss_log: Path | None = None, config: Path | None = None) -> dict[str, Any]:
    cmd = _job_command(notes, patients, out, workers, measures, reports, config)
    r = _sampled(cmd, out, rss_log)
    r["manifest"] = json.loads((out / "manifest.json").read_text())
    return r


def run_extract_reference(notes: Path, out: Path, workers: int) -> dict[str, Any]:
    """``qae extract --notes NOTES --out OUT --workers W --include-supplemental``, sampled as ``qae run``
    is: the extraction benchmark the end-to-end rate is compared with (the same Ray setting: the
    environment's; the same elements as ``qae run`` extracts, supplemental ones included)."""
    cmd = [sys.executable, "-m", "qae.cli", "extract", "--notes", str(notes), "--out", str(out),
           "--workers", str(workers), "--include-supplemental"]
    return _sampled(cmd, out, None)


def _sampled(cmd: list[str], out: Path, rss_log: Path | None) -> dict[str, Any]:
    """Run ``cmd`` and sample its process tree every half second: wall, peak RSS, CPU, bytes written."""
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "QAE_PROGRESS": "plain",
           "QAE_PROGRESS_SECONDS": "30"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, tuple[str, int]] = {}
    anon: dict[int, int] = {}
    written: dict[int, int] = {}
    cpu: dict[int, float] = {}  # CPU seconds per process, as last sampled (a process's last 0.5 s can be missed)
    peak_out = 0
    last_du = 0.0
    log = rss_log.open("w", encoding="utf-8") if rss_log else None
    while proc.poll() is None:
        if log:
            log.write(f"{time.perf_counter() - started:.1f}\t{_rss(proc.pid) / 2**20:.0f}\n")
        for pid in _tree(proc.pid):
            st = _status(pid)
            if st:
                cmd_before, peak_before = peaks.get(pid, ("", 0))
                # a process that has exited (a zombie) shows an empty command line: keep the one seen before
                peaks[pid] = (st[0] or cmd_before, max(st[1], peak_before))
                anon[pid] = max(st[2], anon.get(pid, 0))
            w = _written(pid)
            if w is not None:
                written[pid] = w
            c = _cpu(pid)
            if c is not None:
                cpu[pid] = max(c, cpu.get(pid, 0.0))
        if time.monotonic() - last_du > 5:
            peak_out = max(peak_out, _du(out))
            last_du = time.monotonic()
        time.sleep(0.5)
    wall = time.perf_counter() - started
    if log:
        log.close()
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} failed ({proc.returncode}):\n{stderr[-3000:]}")
    by_kind: dict[str, list[int]] = {}
    anon_kind: dict[str, list[int]] = {}
    cpu_kind: dict[str, float] = {}
    cpu_label: dict[str, float] = {}  # the same by process label (daemons and helper actors one by one)
    for pid, (cmdline, rss) in peaks.items():
        by_kind.setdefault(_label(cmdline), []).append(rss)
        anon_kind.setdefault(_label(cmdline), []).append(anon.get(pid, 0))
    for pid, seconds in cpu.items():
        label = _label(peaks.get(pid, ("", 0))[0])
        kind = label if label in ("driver", "NotePipeline") else "tasks" if label.startswith("ray::") or label in (
            "measure_partition", "ReadNoteChunks") else "Ray daemons and others"
        cpu_kind[kind] = cpu_kind.get(kind, 0.0) + seconds
        cpu_label[label] = cpu_label.get(label, 0.0) + seconds
    return {"wall": wall, "peaks": by_kind, "anon": anon_kind, "cpu": cpu_kind, "cpu_by_label": cpu_label,
            "written": sum(written.values()),
            "out_bytes": _du(out), "peak_out": max(peak_out, _du(out)), "stderr": stderr}


def kill_and_resume(notes: Path, patients: Path, out: Path, workers: int, measures: str, chunks: int,
                    fraction: float, reports: str | None = None, config: Path | None = None) -> dict[str, Any]:
    """Start the job, SIGKILL the driver once ``fraction`` of the chunks are checkpointed (and the
    Ray processes it started), then run the same command again; times both."""
    import signal

    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "QAE_PROGRESS": "off"}
    cmd = _job_command(notes, patients, out, workers, measures, reports, config)
    checkpoint = out / ".qae-run" / "checkpoint.jsonl"
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    while proc.poll() is None:
        try:
            done = sum(1 for line in checkpoint.read_text().splitlines() if '"stage":"extract"' in line)
        except OSError:
            done = 0
        if done >= fraction * chunks:
            break
        time.sleep(0.2)
    tree = _tree(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_after = time.perf_counter() - started
    time.sleep(1)
    for pid in tree[1:]:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"killed_after": killed_after, "chunks_done": done, "resume": time.perf_counter() - started,
            "manifest": json.loads((out / "manifest.json").read_text())}


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, required=True, help="number of notes to replicate to")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="pipeline actors per run")
    parser.add_argument("--shards", type=int, default=4, help="JSONL files the notes are split into")
    parser.add_argument("--notes-per-patient", type=int, default=1, metavar="K",
                        help="notes of each patient (default 1: a patient per note)")
    parser.add_argument("--measures", default="all", help="measure ids (comma-separated) or all")
    parser.add_argument("--reports", default=None, help="report formats qae run renders (default: all)")
    parser.add_argument("--config", type=Path, default=None,
                        help="a job config YAML for qae run (e.g. sharding settings); the flags above override it")
    parser.add_argument("--work", type=Path, default=None, help="folder for corpus and outputs (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and outputs")
    parser.add_argument("--rss-log", type=Path, default=None,
                        help="write the driver's resident set (MiB) every half second to this file (seconds, MiB)")
    parser.add_argument("--kill-at", type=float, default=None,
                        help="also kill -9 the driver when this fraction of chunks is done, then resume")
    parser.add_argument("--extract-reference", action="store_true",
                        help="also time `qae extract --workers W --include-supplemental` on the same corpus (same "
                             "Ray setting) and print its notes/s and the ratio of the end-to-end rate to it (issue "
                             "13's target: >= 0.80)")
    parser.add_argument("--source-notes", type=Path, default=SHARED / "notes.jsonl")
    parser.add_argument("--source-patients", type=Path, default=SHARED / "patients.csv")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="qae-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        notes, patients, size, n_patients = build_corpus(args.notes, work / "input", args.shards, args.source_notes,
                                                         args.source_patients, args.notes_per_patient)
        print(f"corpus: {args.notes:,} notes of {n_patients:,} patients ({args.notes_per_patient} note(s) per "
              f"patient) in {args.shards} JSONL shards, {_mib(size)}, "
              f"built in {time.perf_counter() - t:.0f} s", flush=True)
        for workers in args.workers:
            out = work / f"out-{workers}"
            if out.exists():
                shutil.rmtree(out)
            r = run_job(notes, patients, out, workers, args.measures, args.reports,
                        args.rss_log.with_suffix(f".{workers}.tsv") if args.rss_log else None, args.config)
            m, c = r["manifest"], r["manifest"]["counts"]
            timings = ", ".join(f"{k} {v:.0f} s" for k, v in m["timings_seconds"].items())
            print(f"\n{workers} worker(s): {args.notes:,} notes end to end in {r['wall']:.0f} s = "
                  f"{args.notes / r['wall']:.1f} notes/s ({args.notes / r['wall'] / workers:.1f} per worker)")
            print(f"  notes read {c['notes_read']:,} = processed {c['notes_processed']:,} + quarantined "
                  f"{c['notes_quarantined']:,}; {c['evidence']:,} evidence items; {c['outcomes']:,} outcome rows; "
                  f"{m['run']['chunks']} chunks, {m['run']['partitions']} partitions")
            print(f"  stages: {timings}")
            cpu = r["cpu"]
            total, extraction = sum(cpu.values()), cpu.get("NotePipeline", 0.0)
            print(f"  CPU: {total:.0f} s in all; pipeline actors (extraction) {extraction:.0f} s, driver "
                  f"{cpu.get('driver', 0):.0f} s, tasks (reading, index, measures, report material and files) "
                  f"{cpu.get('tasks', 0):.0f} s, Ray daemons and others {cpu.get('Ray daemons and others', 0):.0f} s "
                  f"(all / extraction: {total / max(extraction, 1e-9):.2f}; load average "
                  f"{os.getloadavg()[0]:.1f} at the end)")
            print("  CPU by process: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(
                r["cpu_by_label"].items(), key=lambda kv: -kv[1]) if v >= 0.05))
            driver = max(r["peaks"].get("driver", [0]))
            print(f"  peak RSS: driver {_mib(driver)}; pipeline workers "
                  + ", ".join(_mib(x) for x in sorted(r["peaks"].get("NotePipeline", []), reverse=True)[:workers * 2])
                  + " (peak anonymous RSS, without object-store pages: "
                  + ", ".join(_mib(x) for x in sorted(r["anon"].get("NotePipeline", []), reverse=True)[:workers * 2])
                  + ")")
            others = {k: max(v) for k, v in r["peaks"].items() if k not in ("driver", "NotePipeline")}
            print("  other processes (max each; peak anonymous RSS in brackets): " + ", ".join(
                f"{k} {_mib(v)} ({_mib(max(r['anon'].get(k, [0])))})" for k, v in sorted(others.items())))
            print(f"  disk: output folder {_mib(r['out_bytes'])} (peak {_mib(r['peak_out'])} with its work area); "
                  f"written by the process tree {_mib(r['written'])}", flush=True)
            if args.extract_reference:
                ref_out = work / f"extract-{workers}"
                if ref_out.exists():
                    shutil.rmtree(ref_out)
                x = run_extract_reference(notes, ref_out, workers)
                e2e_rate, ref_rate = args.notes / r["wall"], args.notes / x["wall"]
                xcpu = x["cpu"]
                print(f"  extraction reference (qae extract --workers {workers}, same corpus): {x['wall']:.0f} s = "
                      f"{ref_rate:.1f} notes/s; CPU {sum(xcpu.values()):.0f} s (pipeline actors "
                      f"{xcpu.get('NotePipeline', 0):.0f} s, driver {xcpu.get('driver', 0):.0f} s); "
                      f"end to end / extraction rate: {e2e_rate / ref_rate:.2f} (target: >= 0.80; load average "
                      f"{os.getloadavg()[0]:.1f} at the end)", flush=True)
            if args.kill_at is not None:
                k = kill_and_resume(notes, patients, work / f"out-{workers}-killed", workers, args.measures,
                                    m["run"]["chunks"], args.kill_at, args.reports, args.config)
                same = {f: e["sha256"] for f, e in k["manifest"]["files"].items()} == \
                    {f: e["sha256"] for f, e in m["files"].items()}
                print(f"  kill -9 of the driver after {k['killed_after']:.0f} s ({k['chunks_done']} of "
                      f"{m['run']['chunks']} chunks checkpointed), resumed run {k['resume']:.0f} s "
                      f"(uninterrupted {r['wall']:.0f} s); outputs identical to the uninterrupted run: {same}",
                      flush=True)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
