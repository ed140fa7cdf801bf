"""Assemble a run's reports from its partitions, streaming, into the staging folder.

Each partition wrote its own report fragments with ``engine.report.write_reports`` (qae.partitions);
here they become the files of one run, byte for byte what one ``write_reports`` over all patients
would write, without holding more than one row per partition in memory:

- ``evidence.jsonl``: the partitions' fragments concatenated (partitions are ranges of patient
  ids, so the result is sorted like a single write);
- ``outcomes.csv`` and ``care_gaps/<clinic>.csv``: k-way merges on (measure, patient, group);
- ``care_gaps/summary.csv``: counts summed per clinic x measure x group, rates recomputed;
- the summary (console, manifest): the partitions' summaries merged;
- ``quarantine.jsonl``: input-file quarantines merged with the chunks' (already in order).
"""

from __future__ import annotations

import csv
import heapq
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from qae.inputs import QuarantineRecord

__all__ = ["assemble_reports", "merge_summaries", "write_quarantine_stream"]

_POPULATIONS = ("ipp", "denom", "denex", "denexcep", "numer", "numex")


def _rate(entry: Mapping[str, Any]) -> float | None:
    """As engine.report: met / eligible, 4 decimals (None when nobody is eligible)."""
    eligible = entry["denom"] - entry["denex"] - entry["denexcep"]
    met = entry["numer"] - entry["numex"]
    return round(met / eligible, 4) if eligible > 0 else None


def merge_summaries(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary ``engine.report.summarize`` gives for all outcomes, from the partitions' ones."""
    from engine.gaps import REASON_ORDER

    measures: dict[str, dict[str, Any]] = {}
    rows = 0
    files: Counter[str] = Counter()
    clinics: set[str] = set()
    for part in parts:
        rows += part.get("outcome_rows", 0)
        for clinic, n in (part.get("care_gap_files") or {}).items():
            files[clinic] += n
            clinics.add(clinic)
        for label, entry in part.get("measures", {}).items():
            acc = measures.get(label)
            if acc is None:
                acc = measures[label] = {**entry, "gaps_by_reason": Counter(), "closed_by": Counter(), "strata": {}}
                for k in ("patients", *_POPULATIONS, "open_gaps"):
                    acc[k] = 0
            for k in ("patients", *_POPULATIONS, "open_gaps"):
                acc[k] += entry[k]
            acc["gaps_by_reason"].update(entry.get("gaps_by_reason", {}))
            acc["closed_by"].update(entry.get("closed_by", {}))
            for stratum, counts in (entry.get("strata") or {}).items():
                s = acc["strata"].setdefault(stratum, {**dict.fromkeys(_POPULATIONS, 0), "open_gaps": 0})
                for k in (*_POPULATIONS, "open_gaps"):
                    s[k] += counts[k]
    totals: Counter[str] = Counter()
    for entry in measures.values():
        entry["rate"] = _rate(entry)
        entry["gaps_by_reason"] = {r.value: entry["gaps_by_reason"][r.value] for r in REASON_ORDER
                                   if entry["gaps_by_reason"][r.value]}
        entry["closed_by"] = dict(sorted(entry["closed_by"].items()))
        if entry["strata"]:
            entry["strata"] = {k: {**v, "rate": _rate(v)} for k, v in sorted(entry["strata"].items())}
        else:
            del entry["strata"]
        totals.update(entry["gaps_by_reason"])
    return {
        "measures": dict(sorted(measures.items())),
        "open_gaps_by_reason": {r.value: totals[r.value] for r in REASON_ORDER if totals[r.value]},
        "outcome_rows": rows,
        "care_gap_files": {c: files[c] for c in sorted(clinics)},
    }


# --------------------------------------------------------------------------- CSV merges


def _csv_rows(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    fh = path.open(newline="", encoding="utf-8")
    reader = csv.reader(fh)
    header = next(reader, [])

    def rows() -> Iterator[list[str]]:
        try:
            yield from reader
        finally:
            fh.close()

    return header, rows()


def merge_sorted_csv(sources: Sequence[Path], target: Path, key_columns: Sequence[str]) -> int:
    """Merge CSV files with the same header, each sorted by ``key_columns``; returns rows written.
    Files are re-written with the csv module's minimal quoting and ``\\n`` line ends, as the report
    writers write them."""
    header: list[str] | None = None
    streams = []
    for path in sources:
        h, rows = _csv_rows(path)
        if header is None:
            header = h
        elif h != header:
            raise ValueError(f"{path}: header differs from {sources[0]}")
        streams.append(rows)
    idx = [header.index(c) for c in key_columns] if header else []
    n = 0
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        for row in heapq.merge(*streams, key=lambda r: tuple(r[i] for i in idx)):
            writer.writerow(row)
            n += 1
    return n


def _sum_summary_csv(sources: Sequence[Path], target: Path) -> None:
    """care_gaps/summary.csv of all partitions: counts summed per (clinic, measure, group)."""
    from engine.care_gaps import CARE_GAP_SUMMARY_COLUMNS

    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    numeric = [c for c in CARE_GAP_SUMMARY_COLUMNS[5:] if c != "rate"]
    for path in sources:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                key = (row["clinic_id"], row["measure_id"], row["group"])
                acc = rows.get(key)
                if acc is None:
                    rows[key] = {**row, **{c: int(row[c]) for c in numeric}}
                    continue
                for c in numeric:
                    acc[c] += int(row[c])
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CARE_GAP_SUMMARY_COLUMNS), lineterminator="\n",
                                quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for key in sorted(rows):
            row = rows[key]
            row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
            row["met"] = row["numer"] - row["numex"]
            row["rate"] = f"{row['met'] / row['eligible']:.4f}" if row["eligible"] > 0 else ""
            writer.writerow(row)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def write_quarantine_stream(records: Iterable[Mapping[str, Any]], target: Path) -> int:
    n = 0
    with target.open("w", encoding="utf-8", newline="\n") as fh:
        for q in records:
            fh.write(json.dumps(q, sort_keys=True, ensure_ascii=False, default=str) + "\n")
            n += 1
    return n


def _quarantine_key(q: Mapping[str, Any]) -> tuple[str, str, int, str]:
    return (q["kind"], q["file"], q["line"], q["reason"])


def _jsonl(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def assemble_reports(final: Path, parts: Sequence[tuple[int, Path]], clinic_files: Mapping[int, Mapping[str, str]],
                     part_names: Mapping[int, str], input_quarantine: Sequence[QuarantineRecord],
                     chunk_quarantines: Sequence[Path]) -> dict[str, int]:
    """Write the run's files into ``final`` from the partition folders (in partition order);
    ``clinic_files``: per partition, clinic id -> the file name its report fragment used."""
    from engine.care_gaps import clinic_file_names

    final.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    n = 0
    with (final / "evidence.jsonl").open("wb") as out:
        for _, part in parts:
            with (part / "evidence.jsonl").open("rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
    for index, part in parts:
        for kind in ("evidence", "outcomes", "patients"):
            _link_or_copy(part / f"{kind}.parquet", final / kind / f"{part_names[index]}.parquet")
    counts["outcome_rows"] = merge_sorted_csv([p / "reports" / "outcomes.csv" for _, p in parts],
                                              final / "outcomes.csv", ("measure_id", "patient_id", "group"))
    clinics = sorted({c for names in clinic_files.values() for c in names})
    names = clinic_file_names(clinics)
    (final / "care_gaps").mkdir(exist_ok=True)
    for clinic in clinics:
        sources = [p / "reports" / "care_gaps" / f"{clinic_files[i][clinic]}.csv" for i, p in parts
                   if clinic in clinic_files[i]]
        n += merge_sorted_csv(sources, final / "care_gaps" / f"{names[clinic]}.csv",
                              ("measure_id", "patient_id", "group"))
    counts["care_gap_rows"] = n
    _sum_summary_csv([p / "reports" / "care_gaps" / "summary.csv" for _, p in parts],
                     final / "care_gaps" / "summary.csv")
    others = sorted((q.to_json_dict() for q in input_quarantine), key=_quarantine_key)
    counts["quarantined"] = write_quarantine_stream(
        heapq.merge(others, _jsonl(chunk_quarantines), key=_quarantine_key), final / "quarantine.jsonl")
    return counts
