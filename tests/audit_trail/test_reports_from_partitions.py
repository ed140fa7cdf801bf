"""Reports are written from partitions (each partition's sorted rows and counts, merged): the files equal
the ones rendered from the whole run in memory, whatever the number of partitions, clinics included;
the whole run is never loaded; an XLSX table streamed while the workbook is saved has the same bytes as
the same rows held in memory."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from engine.report_parts import Material, Parts, load_material, save_material
from engine.reports import render_reports
from engine.run_data import RunData
from engine.xlsx import Column, add_table, new_workbook, rich_quote, save_workbook, table_sheet

REPORT_DIRS = ("care_gaps", "worklists", "summary", "fhir", "audit")


def _report_files(root: Path) -> dict[str, bytes]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for d in REPORT_DIRS for p in (root / d).rglob("*")
             if p.is_file()}
    if (root / "audit.html").is_file():
        files["audit.html"] = (root / "audit.html").read_bytes()
    return files


def _recut(src: Path, dst: Path, count: int) -> Path:
    """A copy of a run folder with its partition files cut again into ``count`` ranges of patients."""
    from engine.records import Evidence, Patient
    from qae.partitions import (
        Partitioning,
        read_evidence,
        read_outcomes,
        read_patients_part,
        write_model_table,
        write_outcomes,
    )

    patients = [p for f in sorted((src / "patients").glob("*.parquet")) for p in read_patients_part(f)]
    outcomes = [o for f in sorted((src / "outcomes").glob("*.parquet")) for o in read_outcomes(f)]
    evidence = [e for f in sorted((src / "evidence").glob("*.parquet")) for e in read_evidence(f)]
    shutil.copytree(src, dst)
    for kind in ("patients", "outcomes", "evidence"):
        shutil.rmtree(dst / kind)
        (dst / kind).mkdir()
    cut = Partitioning.of_patients((p.patient_id for p in patients), 1, count)
    for i in range(cut.count):
        name = f"part-{i:05d}.parquet"
        write_model_table(dst / "patients" / name, Patient, [p for p in patients if cut.of(p.patient_id) == i])
        write_outcomes(dst / "outcomes" / name, [o for o in outcomes if cut.of(o.patient_id) == i])
        write_model_table(dst / "evidence" / name, Evidence, [e for e in evidence if cut.of(e.patient_id) == i])
    return dst


@pytest.fixture(scope="module")
def recut_run(demo_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _recut(demo_run_dir, tmp_path_factory.mktemp("recut") / "demo", 6)


@pytest.fixture(scope="module")
def from_memory(demo_run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports rendered from the whole run loaded in memory (load_run: the path before partitions)."""
    from qae.run_folder import load_run

    out = tmp_path_factory.mktemp("whole")
    render_reports(load_run(demo_run_dir, evidence="referenced"), out)
    return out


def test_reports_from_six_partitions_equal_the_whole_run_in_memory(recut_run: Path, from_memory: Path,
                                                                   demo_run_dir: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import qae.report_run
    import qae.run_folder
    from qae.report_run import render_run

    def no_whole_run(*_a, **_k):
        raise AssertionError("a run folder with partition files is rendered partition by partition")

    monkeypatch.setattr(qae.run_folder, "load_run", no_whole_run)
    monkeypatch.setattr(qae.report_run, "SLICE_PATIENTS", 4)  # and each partition in slices of 4 patients
    assert len(list((recut_run / "outcomes").glob("*.parquet"))) == 6
    render_run(recut_run, tmp_path)
    got, want = _report_files(tmp_path), _report_files(from_memory)
    clinics = {Path(name).stem for name in want if name.startswith("worklists/") and name.endswith(".xlsx")}
    assert len(clinics) >= 3, clinics  # several clinics, each merged from several partitions
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name
    # and what `qae run` itself wrote into the run folder (one partition)
    ran = _report_files(demo_run_dir)
    assert sorted(ran) == sorted(want)
    assert all(ran[n] == want[n] for n in want)


def test_audit_split_per_clinic_from_partitions_equals_memory(recut_run: Path, demo_run_dir: Path,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.audit_html
    from qae.report_run import render_run
    from qae.run_folder import load_run

    monkeypatch.setattr(engine.audit_html, "SPLIT_ROWS", 40)  # the demo's rows: several clinic files
    render_run(recut_run, tmp_path / "parts", "html")
    render_reports(load_run(demo_run_dir, evidence="referenced"), tmp_path / "memory", "html")
    got, want = _report_files(tmp_path / "parts"), _report_files(tmp_path / "memory")
    pages = [n for n in want if n.startswith("audit/")]
    assert len(pages) >= 3, pages
    index = want["audit.html"].decode("utf-8")
    assert all(f'href="{p}"' in index for p in pages)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name


def test_merged_streams_keep_key_order_and_partition_order_on_ties(tmp_path: Path) -> None:
    a, b = Material(), Material()
    for key, payload in ((["clinic-b", "p-07"], "b7"), (["clinic-a", "p-02"], "a2"), (["clinic-a", "p-09"], "a9")):
        a.add("rows", key, payload)
    for key, payload in ((["clinic-a", "p-02"], "a2 again"), (["clinic-a", "p-05"], "a5")):
        b.add("rows", key, payload)
    a.counts["n"] = 3
    b.counts["n"] = 2
    save_material(a, tmp_path / "a")
    parts = Parts([load_material(tmp_path / "a"), b])
    assert list(parts.payloads("rows")) == ["a2", "a2 again", "a5", "a9", "b7"]
    assert parts.counts("n") == [3, 2]
    assert list(parts.payloads("absent")) == []


def test_encoded_payloads_are_saved_and_read_back_as_their_text(tmp_path: Path) -> None:
    """A stream added as JSON text is saved as that text (not re-encoded as a JSON string) and read back
    as the same text, held or saved; its rows read as values are the decoded objects."""
    import io
    import json

    a, b = Material(), Material()
    report_a = json.dumps({"resourceType": "MeasureReport", "subject": "pt-0031",
                           "note": 'colonoscopy "normal", café\u2028next'}, ensure_ascii=False, separators=(",", ":"))
    report_b = json.dumps({"resourceType": "Bundle", "entry": [{"id": "pt-0017"}]}, separators=(",", ":"))
    a.add_encoded("resources", ["pt-0031", 0], report_a)
    b.add_encoded("resources", ["pt-0017", 0], report_b)
    save_material(a, tmp_path / "a")
    assert (tmp_path / "a" / "resources.keys.jsonl").read_text(encoding="utf-8") == '["pt-0031",0]\n'
    assert (tmp_path / "a" / "resources.ndjson").read_text(encoding="utf-8") == f"{report_a}\n"
    parts = Parts([load_material(tmp_path / "a"), b])
    assert list(parts.encoded_payloads("resources")) == [report_b, report_a]
    out = io.BytesIO()
    parts.write_encoded("resources", out)  # out of order: merged line by line
    assert out.getvalue().decode("utf-8") == f"{report_b}\n{report_a}\n"
    save_material(b, tmp_path / "b")
    out = io.BytesIO()
    Parts([load_material(tmp_path / "b"), load_material(tmp_path / "a")]).write_encoded("resources", out)  # copied
    assert out.getvalue().decode("utf-8") == f"{report_b}\n{report_a}\n"
    assert [p["resourceType"] for p in parts.payloads("resources")] == ["Bundle", "MeasureReport"]
    # material saved before add_encoded (the text as a JSON string) reads back as the same text
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "counts.json").write_text("[{}]", encoding="utf-8")
    (tmp_path / "old" / "resources.jsonl").write_text(json.dumps([["pt-0031", 0], report_a], ensure_ascii=False,
                                                                  separators=(",", ":")) + "\n", encoding="utf-8")
    assert list(Parts([load_material(tmp_path / "old")]).encoded_payloads("resources")) == [report_a]


COLUMNS = (Column("patient", "Patient", 20), Column("due", "Due date", 11),
           Column("evidence", "Evidence", 40, True), Column("missing", "What is missing", 30, True),
           Column("rows", "Rows", 8))


def _rows() -> list[dict[str, object]]:
    return [
        {"patient": "Marsh, Odette", "due": date(2026, 12, 31),
         "evidence": rich_quote("Patient ", "declines colonoscopy", " again today."), "missing": "Colonoscopy"},
        {"patient": "=HYPERLINK(\"x\")", "due": None, "evidence": "none found",
         "missing": "A long line that wraps over several lines of the cell because it says a lot " * 3},
        {"patient": "Pell, Arnaud", "due": date(2026, 6, 30), "evidence": rich_quote("", "FIT negative", ""),
         "missing": "FIT"},
        # text XML must escape, spaces at either end, empty text, an integer, control characters
        {"patient": "  Ruiz & <Okafor>  ", "due": None, "evidence": "A1c > 9 & rising <see flowsheet>",
         "missing": " trailing only ", "rows": 3},
        {"patient": "", "due": date(2025, 1, 2), "evidence": "scan\x0cpage two\x00 of the note\x1b",
         "missing": "line one\nline two", "rows": 0},
        {"patient": "+1 555 0100", "due": None, "evidence": rich_quote("BP ", "150/95", " & <retake>  "),
         "missing": "@risk", "rows": None},
        {"patient": "-dash first", "due": None, "evidence": "   ", "missing": "\t=SUM(A1:A2)", "rows": 1234567},
    ]


@pytest.mark.parametrize("n", [0, 1, 3, 7])
def test_streamed_xlsx_table_has_the_bytes_of_the_table_in_memory(tmp_path: Path, n: int) -> None:
    rows = _rows()[:n]
    held = new_workbook()
    add_table(held.create_sheet("All open gaps"), COLUMNS, rows)
    add_table(held.create_sheet("Empty"), COLUMNS, [])
    streamed = new_workbook()
    add_table(table_sheet(streamed, "All open gaps"), COLUMNS, lambda: iter(_rows()[:n]), count=n,
              dated={"due"} if any(r["due"] for r in rows) else ())
    add_table(table_sheet(streamed, "Empty"), COLUMNS, lambda: iter(()), count=0)
    a = save_workbook(held, tmp_path / "held.xlsx").read_bytes()
    b = save_workbook(streamed, tmp_path / "streamed.xlsx").read_bytes()
    assert a == b


class _XmlFileWithoutRawWrites:
    """An incremental XML writer offering only ``element`` and ``write`` (as lxml's does, which openpyxl uses
    when lxml is installed): the streamed table must fall back to openpyxl's cell writer for every cell."""

    def __init__(self, xf: object) -> None:
        self._xf = xf

    def element(self, *args: object, **kwargs: object) -> object:
        return self._xf.element(*args, **kwargs)  # type: ignore[attr-defined]

    def write(self, *args: object, **kwargs: object) -> object:
        return self._xf.write(*args, **kwargs)  # type: ignore[attr-defined]


def test_streamed_xlsx_table_without_raw_writes_has_the_same_bytes(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import xlsx

    fast = save_workbook(_streamed_workbook(), tmp_path / "fast.xlsx").read_bytes()
    own_write_row = xlsx._TableSheetWriter.write_row
    calls = []

    def write_row(self: object, xf: object, row: object, row_idx: int) -> None:
        calls.append(row_idx)
        own_write_row(self, _XmlFileWithoutRawWrites(xf), row, row_idx)

    monkeypatch.setattr(xlsx._TableSheetWriter, "write_row", write_row)
    slow = save_workbook(_streamed_workbook(), tmp_path / "slow.xlsx").read_bytes()
    assert calls  # the fallback path ran
    assert slow == fast


def _streamed_workbook() -> object:
    wb = new_workbook()
    add_table(table_sheet(wb, "All open gaps"), COLUMNS, lambda: iter(_rows()), count=len(_rows()), dated={"due"})
    return wb


def test_streamed_xlsx_table_refuses_a_wrong_row_count(tmp_path: Path) -> None:
    wb = new_workbook()
    add_table(table_sheet(wb, "Rows"), COLUMNS, lambda: iter(_rows()[:3]), count=2)
    with pytest.raises(ValueError, match="3 rows written, 2 expected"):
        save_workbook(wb, tmp_path / "bad.xlsx")
    assert not (tmp_path / "bad.xlsx").exists()


# --------------------------------------------------------------------------- no writer holds the whole run


@pytest.fixture(scope="module")
def demo_material(demo_run: RunData) -> Material:
    from engine.reports import report_material

    return report_material(demo_run)


def _partitions_of(material: Material, copies: int, count: int, folder: Path) -> list[Path]:
    """``count`` saved partitions, each holding every row of ``material`` ``copies`` times (equal keys:
    kept in order) with the counts of as many copies, as a run ``copies`` times larger would give."""
    from engine.report_parts import fold_counts

    big = Material({n: [r for r in rows for _ in range(copies)] for n, rows in material.streams.items()},
                   fold_counts([material.counts] * copies)[0])
    for i in range(count):
        save_material(big, folder / f"part-{i}")
    return [folder / f"part-{i}" for i in range(count)]


def _content_bytes(path: Path) -> int:
    """A file's size; an XLSX's uncompressed (the copies of a row compress to nothing)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return sum(i.file_size for i in z.infolist())
    return path.stat().st_size


def test_counts_reach_each_writer_folded_to_one_partitions_worth(demo_material: Material, tmp_path: Path) -> None:
    folders = _partitions_of(demo_material, 1, 12, tmp_path)
    parts = Parts([load_material(f) for f in folders])
    assert demo_material.counts
    for name in demo_material.counts:
        assert len(parts.counts(name)) == 1, name  # not one entry per partition: folded as they are read
    # the fold is a sum: twelve partitions' care-gap patients are twelve times one partition's
    one = sum(r["patients"] for r in demo_material.counts["care_gap_summary"])
    assert sum(r["patients"] for r in parts.counts("care_gap_summary")[0]) == 12 * one


def test_no_report_writer_holds_the_rows_of_the_run(demo_material: Material, demo_run: RunData,
                                                    tmp_path: Path) -> None:
    """Every built-in writer, from 2 partitions holding the demo's rows twice, then 8 times each: the
    files of rows grow fourfold (summaries stay as they are), the writer's peak memory (Python
    allocations) does not (twice, not once: a zip writer's buffers fill up to their size first)."""
    import tracemalloc

    from engine.reports import MATERIALS, PART_WRITERS

    small = _partitions_of(demo_material, 2, 2, tmp_path / "x2")
    large = _partitions_of(demo_material, 8, 2, tmp_path / "x8")
    for writer, (names, write) in PART_WRITERS.items():
        rows = any(MATERIALS[n](demo_run).streams for n in names if n != "summary")
        peaks, sizes = [], []
        for k, folders in (("x2", small), ("x8", large)):
            out = tmp_path / f"out-{k}-{writer.__name__}"
            tracemalloc.start()
            written = write(Parts([load_material(f) for f in folders]), demo_run, out)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            sizes.append(sum(_content_bytes(Path(p)) for p in written))
        assert sizes[1] > 3 * sizes[0] if rows else sizes[1] < 1.1 * sizes[0], writer.__name__  # 4x the rows ...
        # ... in the same memory, give or take the zip and temporary-file buffers that fill up to their size
        # (the XLSX writer's peak rises about 2 MiB from 2 to 8 copies and a further 0.3 MiB to 16)
        assert peaks[1] < 1.25 * peaks[0] + 2**21, (writer.__name__, peaks)
