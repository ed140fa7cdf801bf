"""Saved material of slices (or partitions) whose keys follow each other is copied as it is, file by file
(merge_saved, Parts.write_encoded); slices that interleave are merged row by row. Both give the rows of a
k-way merge by key (stable: equal keys in slice order), for plain and encoded streams."""

from __future__ import annotations

import heapq
import io
import json
from pathlib import Path

from engine.report_parts import BOUNDS_FILE, Material, Parts, in_order, load_material, merge_saved, save_material


def _report(patient: str, note: str) -> str:
    return json.dumps({"resourceType": "MeasureReport", "subject": {"reference": f"Patient/{patient}"},
                       "note": note}, ensure_ascii=False, separators=(",", ":"))


def _slice(patients: list[str], clinic_of: dict[str, str]) -> Material:
    m = Material()
    for n, p in enumerate(patients):
        m.add_encoded("reports", [p, n], _report(p, f"revue du dossier «{p}» – café"))
        m.add("worklist", [clinic_of[p], False, p], {"patient": p, "due": "2026-12-31", "why": "no FIT → order"})
    m.counts["n"] = len(patients)
    return m


CLINICS = {"pt-001": "clinic-b", "pt-002": "clinic-a", "pt-003": "clinic-b", "pt-004": "clinic-a",
           "pt-005": "Clinique Éloi", "pt-006": "clinic-a"}


def _expected(slices: list[list[str]], stream: str) -> list[object]:
    materials = [_slice(s, CLINICS).sort() for s in slices]
    return [p for _, p in heapq.merge(*(m.streams.get(stream, []) for m in materials), key=lambda kp: kp[0])]


def _saved(tmp_path: Path, slices: list[list[str]], tag: str) -> list[Path]:
    folders = []
    for k, s in enumerate(slices):
        save_material(_slice(s, CLINICS), tmp_path / f"{tag}-{k}")
        folders.append(tmp_path / f"{tag}-{k}")
    return folders


def test_slices_that_follow_each_other_are_copied_and_interleaved_ones_merged(tmp_path: Path) -> None:
    for tag, slices in (("follow", [["pt-001", "pt-002"], ["pt-003"], [], ["pt-004", "pt-005", "pt-006"]]),
                        ("interleave", [["pt-001", "pt-004"], ["pt-002", "pt-003", "pt-006"], ["pt-005"]])):
        folders = _saved(tmp_path, slices, tag)
        target = tmp_path / f"{tag}-merged"
        merge_saved(folders, target)
        parts = Parts([load_material(target)])
        assert list(parts.encoded_payloads("reports")) == _expected(slices, "reports"), tag
        assert list(parts.payloads("worklist")) == _expected(slices, "worklist"), tag
        assert sum(parts.counts("n")) == 6  # counts without a combine function: one per slice
        # the partitions read side by side: the same rows as the merged folder
        side = Parts([load_material(f) for f in folders])
        assert list(side.payloads("worklist")) == _expected(slices, "worklist"), tag
        out = io.BytesIO()
        side.write_encoded("reports", out)
        assert out.getvalue().decode("utf-8") == "".join(f"{t}\n" for t in _expected(slices, "reports")), tag
        bounds = json.loads((target / BOUNDS_FILE).read_text(encoding="utf-8"))
        assert bounds["reports"] == [["pt-001", 0], ["pt-006", 2]]
    assert in_order([[["a"], ["b"]], None, [["b"], ["c"]]]) and not in_order([[["a"], ["c"]], [["b"], ["d"]]])


def test_folders_saved_without_bounds_are_merged_row_by_row(tmp_path: Path) -> None:
    slices = [["pt-001", "pt-002"], ["pt-003", "pt-004"]]
    folders = _saved(tmp_path, slices, "old")
    for f in folders:
        (f / BOUNDS_FILE).unlink()
    merge_saved(folders, tmp_path / "merged")
    parts = Parts([load_material(tmp_path / "merged")])
    assert list(parts.encoded_payloads("reports")) == _expected(slices, "reports")
    assert list(parts.payloads("worklist")) == _expected(slices, "worklist")


def test_linked_slices_are_read_in_turn_and_interleaved_ones_merged(tmp_path: Path) -> None:
    """merge_saved(link=True), as a measure task saves its slices: the slices stay inside the partition's
    folder; a stream whose slices follow each other is read from them in turn (not copied), one that
    interleaves is merged into the folder; both read as the k-way merge, as the copied folder reads."""
    for tag, slices in (("follow", [["pt-001", "pt-002"], ["pt-003"], [], ["pt-004", "pt-005", "pt-006"]]),
                        ("interleave", [["pt-001", "pt-004"], ["pt-002", "pt-003", "pt-006"], ["pt-005"]])):
        target = tmp_path / tag
        folders = []
        for k, s in enumerate(slices):
            save_material(_slice(s, CLINICS), target / f"slice-{k:04d}")
            folders.append(target / f"slice-{k:04d}")
        merge_saved(folders, target, link=True)
        copied = tmp_path / f"{tag}-copied"
        merge_saved(_saved(tmp_path, slices, f"{tag}-c"), copied)
        links = json.loads((target / "links.json").read_text(encoding="utf-8"))
        if tag == "follow":  # patients in order: read from the slices (those that have rows), not copied
            assert links["reports"] == [f"slice-{k:04d}" for k, s in enumerate(slices) if s]
            assert not (target / "reports.ndjson").exists()
        else:  # patients interleave: merged into the folder, the slices' copies removed
            assert links == {} and (target / "reports.ndjson").is_file() and (target / "worklist.jsonl").is_file()
            assert not any((f / "worklist.jsonl").exists() or (f / "reports.ndjson").exists() for f in folders)
        assert "worklist" not in links  # clinics interleave in both
        save_material(Material(), tmp_path / f"{tag}-empty")
        for parts in (Parts([load_material(target)]),
                      Parts([load_material(target), load_material(tmp_path / f"{tag}-empty")])):
            assert list(parts.encoded_payloads("reports")) == _expected(slices, "reports"), tag
            assert list(parts.payloads("worklist")) == _expected(slices, "worklist"), tag
            assert sum(parts.counts("n")) == 6
        out, ref = io.BytesIO(), io.BytesIO()
        Parts([load_material(target)]).write_encoded("reports", out)
        Parts([load_material(copied)]).write_encoded("reports", ref)
        assert out.getvalue() == ref.getvalue() == "".join(f"{t}\n" for t in _expected(slices, "reports")).encode()
        assert (target / BOUNDS_FILE).read_text(encoding="utf-8") == (copied / BOUNDS_FILE).read_text(encoding="utf-8")


def test_saved_rows_are_the_json_text_of_key_and_payload(tmp_path: Path) -> None:
    """save_material writes each plain row as orjson's bytes (json's text where orjson refuses: dict keys that
    are not text, integers past 64 bits); read back, the same values."""
    from engine.report_parts import _plain_line, _plain_text

    rows = [(["clinique Éloi", "pt-001"], {"why": "FIT «refusé» → call", "n": 3, "ok": True, "gap": None}),
            (["clinic-a", "pt-002"], {1: "a count keyed by a number"}),
            (["clinic-a", "pt-003"], {"big": 2 ** 70, "ids": ("n-1:4-9:fobt", "n-2:0-3:ldl")})]
    for row in rows:
        assert _plain_line(row) == (_plain_text(list(row)) + "\n").encode("utf-8")
    m = Material()
    for key, payload in rows:
        m.add("s", key, payload)
    save_material(m, tmp_path / "m")
    assert list(load_material(tmp_path / "m").rows("s")) == [
        (["clinic-a", "pt-002"], {"1": "a count keyed by a number"}),
        (["clinic-a", "pt-003"], {"big": 2 ** 70, "ids": ["n-1:4-9:fobt", "n-2:0-3:ldl"]}),
        (["clinique Éloi", "pt-001"], {"why": "FIT «refusé» → call", "n": 3, "ok": True, "gap": None})]
