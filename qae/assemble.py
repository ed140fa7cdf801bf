"""Assemble a run's stored results from its partitions, streaming, into the staging folder.

Each partition wrote its own ``outcomes.csv`` with ``engine.report.write_reports`` and its evidence
(qae.partitions); here they become the files of one run, byte for byte what one ``write_reports``
over all patients would write, without holding more than one row per partition in memory:

- ``evidence.jsonl``: the partitions' fragments concatenated (partitions are ranges of patient
  ids, so the result is sorted like a single write);
- ``outcomes.csv``: a k-way merge on (measure, patient, group, episode);
- ``evidence/``, ``outcomes/``, ``patients/``: the partitions' Parquet files;
- the summary (console, manifest): the partitions' summaries merged;
- ``quarantine.jsonl``: input-file quarantines merged with the chunks' (already in order).

The reports (care gaps, worklists, summaries, audit HTML, FHIR) are then rendered from the assembled
folder by ``engine.reports.render_reports``, the code ``qae report --run`` runs (qae.job).
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from engine.report import merge_summaries

__all__ = ["assemble_reports", "merge_summaries", "write_quarantine_stream"]  # merge_summaries: engine.report



# --------------------------------------------------------------------------- CSV merges


def _csv_records(rows: Iterator[str], width: int, idx: Sequence[int]) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key, text) of each record after a CSV file's header: the key is the cells ``idx`` as
    :func:`engine.cells.unsafe_cell` gives them back, the text what :func:`merge_sorted_csv` writes. A line of
    ``width`` plain cells (no quote, no CR: nothing the csv module would quote) is its own text; any other
    record (quoted cells, perhaps over several lines) is parsed and written again as before (a row holding a
    CR fully quoted)."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    pending = ""
    for line in rows:
        if not pending and '"' not in line and "\r" not in line and line.endswith("\n"):
            cells = line[:-1].split(",")
            if len(cells) == width > 1:
                yield (tuple(cells[i] for i in idx) if "'" not in line else _key(cells, idx)), line
                continue
        pending += line
        if pending.count('"') % 2:  # inside a quoted cell: the record goes on
            continue
        for cells in csv.reader(io.StringIO(pending, newline="")):
            out.seek(0)
            out.truncate()
            (quoted if any("\r" in c for c in cells) else plain).writerow(cells)
            yield _key(cells, idx), out.getvalue()
        pending = ""
    if pending:
        for cells in csv.reader(io.StringIO(pending, newline="")):
            out.seek(0)
            out.truncate()
            (quoted if any("\r" in c for c in cells) else plain).writerow(cells)
            yield _key(cells, idx), out.getvalue()


def _key(cells: Sequence[str], idx: Sequence[int]) -> tuple[str, ...]:
    from engine.cells import unsafe_cell

    return tuple(unsafe_cell(cells[i]) for i in idx)


def merge_sorted_csv(sources: Sequence[Path], target: Path, key_columns: Sequence[str]) -> int:
    """Merge CSV files with the same header, each sorted by ``key_columns``; returns rows written.
    Rows are written back as engine.cells.SafeDictWriter writes them (cells as they are, already
    spreadsheet-safe; ``\n`` line ends; a row holding a CR fully quoted): a plain line as it is read;
    the key is the cell's value before it was made safe, as the writers sorted it.

    Files whose records are all plain lines are merged by runs of equal first key column (the measure
    of outcomes.csv), the runs of one key copied file after file when that keeps the key order (as for
    partitions that are ranges of patients): the bytes of the k-way merge (:func:`_heap_merge`, which
    is used whenever that does not hold) at a fraction of its cost."""
    header = _common_header(sources)
    if header is not None and len(header) > 1 and key_columns:
        try:
            return _run_merge(sources, target, header, key_columns)
        except _NotRuns:
            pass
    return _heap_merge(sources, target, key_columns)


def _common_header(sources: Sequence[Path]) -> list[str] | None:
    header: list[str] | None = None
    for path in sources:
        with path.open(newline="", encoding="utf-8") as fh:
            header = _header_of(fh, path, header, sources[0])
    return header


def _header_of(fh: IO[str], path: Path, header: list[str] | None, first_source: Path) -> list[str]:
    """The header row of ``fh`` (at its start), checked against the ``header`` of the sources before it."""
    first = fh.readline()
    h = next(csv.reader([first]), []) if first else []
    if header is not None and h != header:
        raise ValueError(f"{path}: header differs from {first_source}")
    return h


class _NotRuns(Exception):
    """The files cannot be merged by runs (a quoted record, or runs whose keys interleave)."""


def _plain_records(fh: Any, commas: int, col: int) -> Iterator[tuple[str, str]]:
    """(cell ``col``, line) of each record after the header, each a line of its own that
    :func:`_csv_records` would write back as it is: plain cells, or quoted ones without a line break
    or CR; raises :class:`_NotRuns` at any other record, or one whose cells up to ``col`` are quoted."""
    fh.readline()
    for line in fh:
        if "\r" in line or not line.endswith("\n"):
            raise _NotRuns
        cells = line.split(",", col + 1)
        if '"' in line:
            if line.count('"') % 2 or any('"' in c for c in cells[:col + 1]):
                raise _NotRuns  # a cell over several lines, or a quoted cell up to the run's column
        elif line.count(",") != commas:
            raise _NotRuns
        yield cells[col], line


def _line_key(line: str, idx: Sequence[int]) -> tuple[str, ...]:
    """The key of a record as :func:`_csv_records` gives it."""
    if '"' in line:
        return _key(next(csv.reader([line[:-1]])), idx)
    cells = line[:-1].split(",")
    return tuple(cells[i] for i in idx) if "'" not in line else _key(cells, idx)


def _run_merge(sources: Sequence[Path], target: Path, header: list[str], key_columns: Sequence[str]) -> int:
    from engine.cells import unsafe_cell

    idx = [header.index(c) for c in key_columns]
    first_col = idx[0]
    handles = [path.open(newline="", encoding="utf-8") for path in sources]
    try:
        streams = [_plain_records(fh, len(header) - 1, first_col) for fh in handles]
        heads: list[tuple[str, str] | None] = [next(s, None) for s in streams]
        n = 0
        done_key: str | None = None
        with target.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out, lineterminator="\n").writerow(header)
            while True:
                live = [(i, h) for i, h in enumerate(heads) if h is not None]
                if not live:
                    return n
                run_key = min(unsafe_cell(h[0]) for _, h in live)
                if done_key is not None and run_key <= done_key:
                    raise _NotRuns  # a file out of order, or two raw cells with one key
                last: tuple[str, ...] | None = None
                for i, head in live:
                    if unsafe_cell(head[0]) != run_key:
                        continue
                    cell, line = head
                    if last is not None and _line_key(line, idx) < last:
                        raise _NotRuns  # this file's run starts before the previous file's ended
                    out.write(line)
                    n += 1
                    heads[i] = None
                    for next_cell, next_line in streams[i]:
                        if next_cell != cell:
                            heads[i] = (next_cell, next_line)
                            break
                        out.write(next_line)
                        n += 1
                        line = next_line
                    last = _line_key(line, idx)
                done_key = run_key
    finally:
        for fh in handles:
            fh.close()


def _heap_merge(sources: Sequence[Path], target: Path, key_columns: Sequence[str]) -> int:
    """:func:`merge_sorted_csv` record by record (a k-way merge on the key of each record)."""
    header: list[str] | None = None
    streams = []
    handles = []
    try:
        for path in sources:
            fh = path.open(newline="", encoding="utf-8")
            handles.append(fh)
            h = header = _header_of(fh, path, header, sources[0])
            streams.append(_csv_records(fh, len(h), [header.index(c) for c in key_columns] if header else []))
        n = 0
        with target.open("w", newline="", encoding="utf-8") as out:
            if header is not None:
                csv.writer(out, lineterminator="\n").writerow(header)
            for _, text in heapq.merge(*streams, key=itemgetter(0)):
                out.write(text)
                n += 1
        return n
    finally:
        for fh in handles:
            fh.close()


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


def assemble_reports(final: Path, parts: Sequence[tuple[int, Path]], part_names: Mapping[int, str],
                     input_quarantine: Path, chunk_quarantines: Sequence[Path]) -> dict[str, int]:
    """Write the run's stored results into ``final`` from the partition folders (in partition order);
    ``input_quarantine``: the input files' quarantine rows, sorted (qae.input_store)."""
    final.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with (final / "evidence.jsonl").open("wb") as out:
        for _, part in parts:
            with (part / "evidence.jsonl").open("rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
    for index, part in parts:
        for kind in ("evidence", "outcomes", "patients"):
            _link_or_copy(part / f"{kind}.parquet", final / kind / f"{part_names[index]}.parquet")
    counts["outcome_rows"] = merge_sorted_csv([p / "reports" / "outcomes.csv" for _, p in parts],
                                              final / "outcomes.csv", ("measure_id", "patient_id", "group", "episode"))
    counts["quarantined"] = write_quarantine_stream(
        heapq.merge(_jsonl([input_quarantine]), _jsonl(chunk_quarantines), key=_quarantine_key),
        final / "quarantine.jsonl")
    return counts
