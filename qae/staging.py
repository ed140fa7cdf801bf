"""The run folder (``--out``) while a run writes it: its layout, the work area of an unfinished run,
checkpoints, staging and the atomic publish. (Reading a finished run folder back: qae.run_folder.)

Published files (listed, with their sha256, in ``manifest.json``)::

    OUT/
      manifest.json            inputs (sha256), counts, versions, config, this run's files + sha256
      evidence.jsonl           every evidence item, sorted by patient, note, offsets
      outcomes.csv             one row per patient x measure x group
      care_gaps/<clinic>.csv   open gaps and review rows per clinic; care_gaps/summary.csv
      quarantine.jsonl         every rejected input record with file, line, field, reason
      evidence/part-NNNNN.parquet   the evidence of patient partition NNNNN (typed columns)
      outcomes/part-NNNNN.parquet   the full measure outcomes of that partition (re-renderable)
      patients/part-NNNNN.parquet   the patients of that partition

Patients are split into contiguous ranges of ``patient_id`` (partitions), so the partition files
concatenate in ``evidence.jsonl`` order; reports can be re-rendered from ``evidence/``,
``outcomes/`` and ``patients/`` alone (qae.partitions has the loaders).

While a run is unfinished, its state lives in ``OUT/.qae-run/`` (never listed in a manifest)::

    run.json           what this run is: its key (inputs' sha256, config fingerprint, versions,
                       sharding) and the files the previous manifest listed
    lock               held (flock) by the running process: one run per folder at a time
    checkpoint.jsonl   one line per finished piece of work, appended and fsync'ed after the
                       piece's files were renamed into place (written under a temporary name first)
    index.json         records per chunk and duplicate note ids (the index pass)
    chunks/            per input chunk: evidence (Parquet, one row group per partition), quarantine
    parts/pNNNNN/      per partition: evidence, outcomes, patients and its report fragments
    final/             the assembled files, then moved into OUT by the publish step
    publish.json       the publish journal: what to move and which earlier files to remove

A run killed at any point and started again with the same inputs and config skips what its
checkpoint lists and gives the same bytes. Publishing removes the old ``manifest.json`` first,
moves every file into place (``os.replace``, atomic per file), deletes the files of the earlier
run that this run does not produce (only files an earlier manifest listed), and writes the new
manifest last: a folder with a manifest is always complete and consistent with it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from engine.errors import UserError

__all__ = ["RunFolder", "RunFolderError", "atomic_write", "file_sha256"]

WORK = ".qae-run"


class RunFolderError(UserError):
    """The output folder cannot be used (not a folder, not writable, busy, or holding an unfinished
    run with other inputs)."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``path`` under a temporary name, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _previous_files(out: Path) -> list[str]:
    """Files the folder's current manifest lists (this format's ``files`` or the older ``outputs``)."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        return []
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = data.get("files") or data.get("outputs") or []
    names = list(files) if isinstance(files, dict | list) else []
    return sorted({str(n) for n in names if isinstance(n, str) and n != "manifest.json"})


class RunFolder:
    """The output folder of one run, locked for this process."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.work = self.out / WORK
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, out: Path) -> RunFolder:
        """Check that ``out`` is (or can be) a writable folder and lock it; one-line errors."""
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise RunFolderError(f"--out {out} is a file, not a folder; give a folder for the run's reports")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"cannot create the output folder {out} ({exc.strerror or exc})") from None
        folder = cls(out)
        try:
            folder.work.mkdir(exist_ok=True)
            probe = folder.work / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            fd = os.open(folder.work / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunFolderError(f"cannot write in the output folder {out} ({exc.strerror or exc}); "
                                 "give a writable --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunFolderError(f"another qae run is writing to {out}; wait for it or give another --out") from None
        folder._lock_fd = fd
        return folder

    def close(self) -> None:
        """Release the lock; an empty work area (a published run) is removed."""
        if self._lock_fd is None:
            return
        leftovers = [c for c in self.work.iterdir() if c.name != "lock"] if self.work.is_dir() else []
        if not leftovers:
            (self.work / "lock").unlink(missing_ok=True)
            try:
                self.work.rmdir()
            except OSError:
                pass
        os.close(self._lock_fd)
        self._lock_fd = None

    # ------------------------------------------------------------------ paths
    @property
    def chunks_dir(self) -> Path:
        return self.work / "chunks"

    @property
    def parts_dir(self) -> Path:
        return self.work / "parts"

    @property
    def final_dir(self) -> Path:
        return self.work / "final"

    @property
    def checkpoint_path(self) -> Path:
        return self.work / "checkpoint.jsonl"

    # ------------------------------------------------------------------ the run's identity
    def begin(self, key: Mapping[str, Any], *, restart: bool = False) -> tuple[bool, dict[str, Any]]:
        """Start or resume the run described by ``key``.

        Returns (resumed, run_info). An unfinished run with another key is refused unless
        ``restart``; a finished run caught in the middle of publishing is published first.
        """
        if (self.work / "publish.json").is_file():
            self.finish_publish()  # a finished run killed while publishing: complete it first
        run_file = self.work / "run.json"
        info: dict[str, Any] | None = None
        if run_file.is_file():
            try:
                info = json.loads(run_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                info = None
        if info is not None and info.get("key") != dict(key) and not restart:
            differs = sorted(k for k in set(key) | set(info.get("key", {}))
                             if key.get(k) != info.get("key", {}).get(k))
            raise RunFolderError(
                f"{self.out} holds an unfinished run with other {', '.join(differs) or 'settings'}; "
                "rerun with --restart to discard it, or give another --out"
            )
        if info is not None and info.get("key") == dict(key) and not restart:
            self._clean_temporaries()
            return True, info
        self._clear_work()
        info = {"key": dict(key), "previous_files": _previous_files(self.out)}
        atomic_write(run_file, json.dumps(info, indent=2, sort_keys=True) + "\n")
        return False, info

    def _clear_work(self) -> None:
        for child in self.work.iterdir():
            if child.name == "lock":
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    def _clean_temporaries(self) -> None:
        """Remove what a killed process left half-written (temporary names, the assembly)."""
        for path in list(self.work.rglob("*")):
            if ".tmp-" in path.name:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        if self.final_dir.exists():
            shutil.rmtree(self.final_dir)

    # ------------------------------------------------------------------ checkpoint journal
    def checkpoint(self) -> list[dict[str, Any]]:
        """Finished pieces of work, in the order they were recorded (a torn last line is dropped)."""
        path = self.checkpoint_path
        if not path.is_file():
            return []
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):  # killed while appending: drop the partial line
            data = data[: data.rfind(b"\n") + 1]
            with path.open("r+b") as fh:
                fh.truncate(len(data))
        records = []
        for line in data.splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records

    def record(self, entry: Mapping[str, Any]) -> None:
        """Append one finished piece of work to the checkpoint (after its files are in place)."""
        with self.checkpoint_path.open("ab") as fh:
            fh.write((json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())

    # ------------------------------------------------------------------ publishing
    def publish(self, files: Mapping[str, str], previous_files: list[str]) -> None:
        """Move ``final/`` into the folder (``files``: relative path -> sha256, manifest included)."""
        stale = sorted(set(previous_files) - set(files))
        journal = {"files": sorted(files), "stale": stale}
        atomic_write(self.work / "publish.json", json.dumps(journal, indent=2) + "\n")
        self.finish_publish()

    def finish_publish(self) -> None:
        journal = json.loads((self.work / "publish.json").read_text(encoding="utf-8"))
        (self.out / "manifest.json").unlink(missing_ok=True)
        _fsync_dir(self.out)
        for rel in journal["files"]:
            if rel == "manifest.json":
                continue
            src, dst = self.final_dir / rel, self.out / rel
            if src.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
        for rel in journal["stale"]:
            target = self.out / rel
            if target.is_file() and WORK not in Path(rel).parts:
                target.unlink()
                _remove_empty_parents(target.parent, self.out)
        _fsync_dir(self.out)
        if (self.final_dir / "manifest.json").exists():  # else already in place before a kill
            os.replace(self.final_dir / "manifest.json", self.out / "manifest.json")
            _fsync_dir(self.out)
        self._clear_work()  # the run is complete: its work area goes (the lock stays until close)


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def iter_files(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order."""
    return iter(sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix()))
