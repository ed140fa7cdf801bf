"""The streamed job in this process (--no-ray): outputs independent of shards, chunks and partitions;
resume after an interruption; the output folder is never left inconsistent; per-note failures.

Ray itself (actors, a killed worker, a killed driver, a two-node cluster) is tested in
test_job_ray_faults.py and test_job_end_to_end.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from qae.cli import app

REPORTS = ("evidence.jsonl", "outcomes.csv")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, syn: Any) -> Path:
    d = tmp_path_factory.mktemp("stream")
    patients, notes = syn.corpus(60, 24)
    syn.write_patients(d / "patients.csv", patients)
    dup = {**notes[5], "text": "A second copy of this note id, written later. Colonoscopy 2011."}
    ghost = {**notes[7], "note_id": "note-ghost", "patient_id": "syn-9999"}
    empty = {**notes[8], "note_id": "note-empty", "text": "   "}
    syn.write_jsonl(d / "notes.jsonl", [*notes, dup, ghost, empty], [b'{"note_id": "torn', b"[1, 2]"])
    shards = d / "shards"
    shards.mkdir()
    syn.write_jsonl(shards / "a.jsonl", notes[:20], [b'{"note_id": "torn'])
    syn.write_csv(shards / "b.csv", [*notes[20:40], empty])
    syn.write_parquet(shards / "c.parquet", [*notes[40:], dup, ghost], row_group_size=3)
    syn.write_jsonl(shards / "d.jsonl", [], [b"[1, 2]"])
    return d


def _config(d: Path, name: str, notes: Path, **extra: Any) -> Path:
    # one job name for all: reports (the audit page) name the job
    cfg = {"name": "stream", "inputs": {"notes": str(notes), "patients": str(d / "patients.csv")},
           "measures": ["COL-E", "CBP", "TSC", "GSD-POOR", "BCS-E"], "measurement_period": 2026, **extra}
    path = d / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, ["run", "--no-ray", "--progress", "off", *args])
    return result


def _report_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json" and p.suffix != ".parquet" and p.name != "quarantine.jsonl"}


@pytest.fixture(scope="module")
def reference(data: Path) -> Path:
    out = data / "ref"
    result = _run("--config", str(_config(data, "ref", data / "notes.jsonl")), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def sharded(data: Path) -> Path:
    """The same records in four shards of three formats, cut in 1 KiB chunks, 4 patient partitions."""
    out = data / "sharded"
    cfg = _config(data, "sharded", data / "shards", sharding={"chunk_kib": 1, "partitions": 4})
    result = _run("--config", str(cfg), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_outputs_do_not_depend_on_shards_chunks_or_partitions(sharded: Path, reference: Path, syn: Any) -> None:
    out = sharded
    ref_files, files = _report_files(reference), _report_files(out)
    assert set(ref_files) == set(files) and {"care_gaps/clinic-harbor.csv", "audit.html", *REPORTS} <= set(files)
    ref_m, m = (json.loads((o / "manifest.json").read_text()) for o in (reference, out))
    # the config fingerprint (shown in the audit page and FHIR) names the notes input: notes.jsonl vs shards/
    ref_fp, fp = ref_m["versions"]["config"].encode(), m["versions"]["config"].encode()
    assert ref_fp != fp
    for rel in ref_files:
        assert files[rel] == ref_files[rel].replace(ref_fp, fp), rel
    assert m["counts"] == ref_m["counts"] and m["summary"] == ref_m["summary"]
    assert m["run"]["chunks"] > 8 and m["run"]["partitions"] == 4 and ref_m["run"]["partitions"] == 1
    assert len(list((out / "evidence").glob("part-*.parquet"))) == 4
    c = m["counts"]
    assert c["notes_read"] == 65 == c["notes_processed"] + c["notes_quarantined"] and c["notes_quarantined"] == 5
    per_file = {Path(f["path"]).name: f for f in m["inputs"]["notes"]["files"]}
    assert per_file["c.parquet"]["read"] == 22 and per_file["c.parquet"]["quarantined"] == 2
    assert all(f["read"] == f["accepted"] + f["quarantined"] for f in per_file.values())

    def reasons(o: Path) -> list[tuple[str | None, str]]:
        rows = [json.loads(line) for line in (o / "quarantine.jsonl").read_text().splitlines()]
        return sorted((q["record_id"] or "", q["reason"].split(" (first occurrence")[0]) for q in rows)

    assert reasons(out) == reasons(reference)
    dup_id = syn.corpus(60, 24)[1][5]["note_id"]
    assert (dup_id, f"duplicate note_id '{dup_id}'") in reasons(out)
    dup = [json.loads(x) for x in (out / "quarantine.jsonl").read_text().splitlines() if "duplicate" in x][0]
    assert dup["file"].endswith("c.parquet") and "a.jsonl line" in dup["reason"]


def test_manifest_lists_only_this_runs_files_and_old_files_go(data: Path, reference: Path) -> None:
    out = data / "reused"
    out.mkdir()
    (out / "care_gaps").mkdir()
    (out / "care_gaps" / "clinic-closed-2019.csv").write_text("stale\n")
    (out / "my-notes.txt").write_text("the analyst's own file\n")
    (out / "manifest.json").write_text(json.dumps({"outputs": ["care_gaps/clinic-closed-2019.csv", "outcomes.csv"]}))
    result = _run("--config", str(_config(data, "reused", data / "notes.jsonl")), "--out", str(out))
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert not (out / "care_gaps" / "clinic-closed-2019.csv").exists()
    assert (out / "my-notes.txt").read_text() == "the analyst's own file\n"
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk - set(manifest["files"]) == {"manifest.json", "my-notes.txt"}
    from qae.staging import file_sha256

    assert all(file_sha256(out / rel) == entry["sha256"] for rel, entry in manifest["files"].items())
    assert not (out / ".qae-run").exists()


def test_interrupted_run_resumes_and_gives_the_same_bytes(data: Path, reference: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import qae.job

    out = data / "resumed"
    cfg = _config(data, "resumed", data / "notes.jsonl", sharding={"chunk_kib": 4})
    finish = qae.job._ChunkWriter.finish
    calls = {"n": 0}

    def finish_then_die(self: Any, index: int) -> None:
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process stops after three chunks are checkpointed
        calls["n"] += 1
        finish(self, index)

    monkeypatch.setattr(qae.job._ChunkWriter, "finish", finish_then_die)
    with pytest.raises(KeyboardInterrupt):
        qae.job.run_job(qae.config.load_config(cfg).model_copy(update={"output": out}), use_ray=False)
    monkeypatch.undo()
    assert not (out / "manifest.json").exists() and not (out / "outcomes.csv").exists()
    assert len((out / ".qae-run" / "checkpoint.jsonl").read_text().splitlines()) == 3

    other = _config(data, "resumed-other", data / "notes.jsonl", sharding={"chunk_kib": 4},
                    measures=["COL-E"])
    refused = _run("--config", str(other), "--out", str(out))
    assert refused.exit_code == 2 and "unfinished run with other config" in refused.output
    assert "--restart" in refused.output and "Traceback" not in refused.output

    result = _run("--config", str(cfg), "--out", str(out))
    assert result.exit_code == 0, result.output
    run = json.loads((out / "manifest.json").read_text())["run"]
    assert run["resumed"] and run["chunks_done_before"] == 3 and run["notes_extracted_this_session"] < 65
    assert "resumed: 3 of" in result.output
    assert _report_files(out) == _report_files(reference)

    restarted = _run("--config", str(other), "--out", str(out), "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert not json.loads((out / "manifest.json").read_text())["run"]["resumed"]


def test_raised_partitions_are_kept_on_resume_and_do_not_depend_on_the_actors(
        data: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run cuts 2 partitions (MIN_PATIENTS_PER_PARTITION lowered to this small clinic's size, at most 2);
    killed after two chunks with 2 actors and resumed with 1, it keeps its 2 partitions (the chunks are
    grouped by them) and gives the reference's reports; a fresh run with 1 actor gives every file the
    resumed run gave, its per-partition Parquet files too."""
    import qae.config
    import qae.job

    monkeypatch.setattr(qae.job, "MIN_PATIENTS_PER_PARTITION", 5)
    monkeypatch.setattr(qae.job, "MAX_RAISED_PARTITIONS", 2)
    out = data / "planned"
    cfg = qae.config.load_config(_config(data, "planned", data / "notes.jsonl", sharding={"chunk_kib": 4}))
    finish = qae.job._ChunkWriter.finish
    calls = {"n": 0}

    def finish_then_die(self: Any, index: int) -> None:
        if calls["n"] == 2:
            raise KeyboardInterrupt
        calls["n"] += 1
        finish(self, index)

    two = cfg.model_copy(update={"output": out, "ray": cfg.ray.model_copy(update={"actors": 2})})
    with monkeypatch.context() as m:
        m.setattr(qae.job._ChunkWriter, "finish", finish_then_die)
        with pytest.raises(KeyboardInterrupt):
            qae.job.run_job(two, use_ray=False)
    lines = [json.loads(x) for x in (out / ".qae-run" / "checkpoint.jsonl").read_text().splitlines()]
    assert lines[0] == {"stage": "plan", "partitions": 2} and len(lines) == 3

    one = cfg.model_copy(update={"output": out, "ray": cfg.ray.model_copy(update={"actors": 1})})
    result = qae.job.run_job(one, use_ray=False)
    assert result.manifest["run"]["resumed"] and result.manifest["run"]["chunks_done_before"] == 2
    assert result.manifest["run"]["partitions"] == 2
    assert _report_files(out) == _report_files(reference)

    fresh = data / "planned-one-actor"
    qae.job.run_job(one.model_copy(update={"output": fresh}), use_ray=False)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and p.name != "manifest.json"}
    assert any(name.endswith("part-00001.parquet") for name in files)
    assert files == {p.relative_to(fresh).as_posix(): p.read_bytes() for p in sorted(fresh.rglob("*"))
                     if p.is_file() and p.name != "manifest.json"}


def test_a_run_killed_while_publishing_is_completed_by_the_next(data: Path, reference: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import qae.job
    import qae.staging

    out = data / "publish"
    cfg = _config(data, "publish", data / "notes.jsonl")
    assert _run("--config", str(cfg), "--out", str(out)).exit_code == 0  # an earlier complete run
    real_replace = qae.staging.os.replace
    moved = {"n": 0}

    def replace_then_die(src: Any, dst: Any) -> None:
        if Path(dst).parent == out and moved["n"] >= 2:
            raise KeyboardInterrupt
        moved["n"] += Path(dst).parent == out
        real_replace(src, dst)

    monkeypatch.setattr(qae.staging.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        qae.job.run_job(qae.config.load_config(cfg).model_copy(update={"output": out}), use_ray=False,
                        restart=True)
    monkeypatch.undo()
    assert not (out / "manifest.json").exists()  # half-published: no manifest claims the folder is complete
    result = _run("--config", str(cfg), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists() and _report_files(out) == _report_files(reference)


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_out_must_be_a_writable_folder_checked_first(data: Path, where: str) -> None:
    blocker = data / "occupied.txt"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "sub"
    started = time.perf_counter()
    result = _run("--notes", str(data / "notes.jsonl"), "--patients", str(data / "patients.csv"), "--out", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert ("is a file, not a folder" if where == "file" else "cannot create the output folder") in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert time.perf_counter() - started < 5  # refused before reading or extracting anything


def test_a_note_that_raises_or_runs_too_long_is_quarantined(data: Path, reference: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.extract

    real = pipelines.extract.extract_note

    def fragile(nlp: Any, note: Any, include_supplemental: bool = False) -> Any:
        if note.note_id == "note-00011":
            raise ValueError("a component choked on this note")
        if note.note_id == "note-00012":
            end = time.monotonic() + 30
            while time.monotonic() < end:  # a runaway rule: pure Python, interruptible
                pass
        return real(nlp, note, include_supplemental)

    monkeypatch.setattr(pipelines.extract, "extract_note", fragile)
    out = data / "fragile"
    cfg = _config(data, "fragile", data / "notes.jsonl", limits={"note_seconds": 0.5})
    started = time.perf_counter()
    result = _run("--config", str(cfg), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 25
    rows = {q["record_id"]: q for q in map(json.loads, (out / "quarantine.jsonl").read_text().splitlines())}
    assert rows["note-00011"]["reason"] == "extraction failed: ValueError"
    assert "per-note time limit of 0.5 s" in rows["note-00012"]["reason"]
    assert rows["note-00012"]["field"] == "text" and rows["note-00012"]["record"]["note_id"] == "note-00012"
    c = json.loads((out / "manifest.json").read_text())["counts"]
    assert c["notes_read"] == 65 == c["notes_processed"] + c["notes_quarantined"] and c["notes_quarantined"] == 7
    failed = ('"note_id": "note-00011"', '"note_id": "note-00012"')
    expected = [line for line in (reference / "evidence.jsonl").read_text().splitlines()
                if not any(f in line for f in failed)]
    assert (out / "evidence.jsonl").read_text().splitlines() == expected  # every other note as before


def test_reports_re_render_from_the_partition_files(sharded: Path, reference: Path, tmp_path: Path) -> None:
    """What a report writer needs is in the run folder: evidence, outcomes and patients per partition."""
    from engine.report import write_reports
    from qae.partitions import read_evidence, read_outcomes, read_patients_part

    out = sharded
    outcomes, evidence, patients = [], [], []
    for part in sorted((out / "outcomes").glob("part-*.parquet")):
        outcomes += read_outcomes(part)
        evidence += read_evidence(out / "evidence" / part.name)
        patients += read_patients_part(out / "patients" / part.name)
    assert len(outcomes) == json.loads((out / "manifest.json").read_text())["counts"]["outcomes"]
    write_reports(outcomes, patients, evidence, tmp_path)
    for rel in ("outcomes.csv", "care_gaps/summary.csv", "care_gaps/clinic-mesa.csv"):
        assert (tmp_path / rel).read_bytes() == (reference / rel).read_bytes(), rel


def test_report_formats_chosen_for_the_run_and_the_rest_rendered_later(data: Path, reference: Path) -> None:
    """--reports csv: a large run skips the slower formats; `qae report --run` renders them later, the same bytes."""
    out = data / "csv-only"
    result = _run("--config", str(_config(data, "csv-only", data / "notes.jsonl")), "--out", str(out),
                  "--reports", "csv")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reports"] and all(name.endswith(".csv") for name in manifest["reports"])
    assert not (out / "audit.html").exists() and not list(out.rglob("*.xlsx")) and not (out / "fhir").exists()
    assert (out / "worklists").is_dir() and (out / "care_gaps" / "summary.csv").read_bytes() == (
        reference / "care_gaps" / "summary.csv").read_bytes()
    later = CliRunner().invoke(app, ["report", "--run", str(out), "--format", "html,xlsx"])
    assert later.exit_code == 0, later.output
    for rel in ("audit.html", "summary/quality_summary.xlsx"):
        assert (out / rel).read_bytes() == (reference / rel).read_bytes(), rel
    bad = _run("--config", str(_config(data, "bad-format", data / "notes.jsonl")), "--out", str(data / "bad"),
               "--reports", "pdf")
    assert bad.exit_code == 2 and "report format 'pdf'" in bad.output and not (data / "bad").exists()
