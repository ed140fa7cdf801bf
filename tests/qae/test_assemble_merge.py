"""outcomes.csv assembled from partition files (qae.assemble.merge_sorted_csv): the merge by runs of one
measure gives the bytes of the record-by-record k-way merge, and of one writer over all rows, whether the
partitions are ranges of patients (runs copied file after file) or not (the k-way merge), with quoted,
multi-line and spreadsheet-unsafe cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cells import SafeDictWriter, unsafe_cell
from qae.assemble import _heap_merge, merge_sorted_csv

FIELDS = ["patient_id", "measure_id", "group", "episode", "numer", "gap_reason", "gap_action"]
KEY = ("measure_id", "patient_id", "group", "episode")
MEASURES = ["BCS-E", "CBP", "COL-E", "DSF-E", "GSD"]
REASONS = ["no mammogram in the 27 months before December 31",
           "last reading 152/94, above 140/90",
           "colonoscopy declined, patient prefers stool test",
           "PHQ-9 of 15 documented, no follow-up plan, \"will revisit\" at next visit",
           "=HbA1c 9.2% (point of care)",
           "- screening deferred\nby patient request",
           "'quoted on purpose"]


def _rows(patients: list[str], multiline: bool) -> list[dict[str, str]]:
    rows = []
    for pid in patients:
        k = sum(map(ord, pid))  # the rows of a patient do not depend on the file it is in
        for m, measure in enumerate(MEASURES):
            if (k + m) % 4 == 3:
                continue  # not every patient is in every measure
            groups = ["1", "2"] if measure == "CBP" else ["1"]
            for group in groups:
                reason = REASONS[(k * 3 + m) % len(REASONS)]
                if not multiline and "\n" in reason:
                    reason = "gap open"
                rows.append({"patient_id": pid, "measure_id": measure, "group": group,
                             "episode": "2026-03-14" if (k + m) % 5 == 0 else "",
                             "numer": str((k + m) % 2), "gap_reason": reason,
                             "gap_action": "=schedule" if (k + m) % 7 == 0 else "call the patient"})
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    rows = sorted(rows, key=lambda r: tuple(r[c] for c in KEY))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = SafeDictWriter(fh, FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow(r)
    return path


@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("ranges", [True, False])
def test_merge_by_runs_equals_the_k_way_merge_and_one_writer(tmp_path: Path, multiline: bool, ranges: bool,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    patients = [f"pt-{i:05d}" for i in range(60)] + ["-7731", "=2+5", "'=x", "@clinic-12"]
    patients.sort(key=lambda p: unsafe_cell(p))
    if ranges:  # partitions are ranges of patients, as qae.partitions cuts them
        parts = [patients[:20], patients[20:21], patients[21:50], patients[50:]]
    else:  # interleaved: runs of one measure overlap between files
        parts = [patients[i::3] for i in range(3)]
    sources = [_write(tmp_path / f"p{i}.csv", _rows(p, multiline)) for i, p in enumerate(parts)]
    sources.append(_write(tmp_path / "empty.csv", []))  # a partition without outcomes: header only
    whole = _write(tmp_path / "whole.csv", _rows(patients, multiline))

    heap_merges: list[Path] = []

    def counted(sources: list[Path], target: Path, key_columns: tuple[str, ...]) -> int:
        heap_merges.append(target)
        return _heap_merge(sources, target, key_columns)

    monkeypatch.setattr("qae.assemble._heap_merge", counted)
    n = merge_sorted_csv(sources, tmp_path / "merged.csv", KEY)
    # plain lines in ranges of patients: merged by runs; else the k-way merge
    assert heap_merges == ([] if ranges and not multiline else [tmp_path / "merged.csv"])
    _heap_merge(sources, tmp_path / "heap.csv", KEY)
    merged = (tmp_path / "merged.csv").read_bytes()
    assert merged == (tmp_path / "heap.csv").read_bytes() == whole.read_bytes()
    assert n == len(_rows(patients, multiline)) > 200


def test_headers_must_agree(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", _rows(["pt-1"], False))
    b = tmp_path / "b.csv"
    b.write_text("patient_id,measure_id\npt-2,CBP\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header differs"):
        merge_sorted_csv([a, b], tmp_path / "out.csv", KEY)
