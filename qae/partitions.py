"""Patient partitions: measure logic per partition, and the partition files of a run folder.

Patients are split into contiguous ranges of ``patient_id`` (:class:`Partitioning`); every
evidence item, structured event and encounter goes to its patient's partition. A partition is
calculated on its own (:func:`measure_partition`, a Ray task in the job): its note evidence is read
from the chunk files of the extraction, structured events become evidence, ``engine.calculator``
gives the outcomes and ``engine.report.write_reports`` the partition's ``outcomes.csv``, which
qae.assemble merges, and (``PartitionTask.report``) the partition's report material is computed from what
the task holds (qae.report_run.memory_material); the reports are then rendered from the assembled run
(engine.reports). Same inputs, same partitions, same bytes: nothing depends on the number of workers or input shards.

Partition files (Parquet; loaders here so that reports can be re-rendered from a run folder):

- ``evidence/part-NNNNN.parquet``: one row per evidence item, the columns of
  ``engine.records.Evidence`` (dates as dates, ``modifiers`` as a list, ``value`` as JSON text),
  sorted like ``evidence.jsonl``;
- ``outcomes/part-NNNNN.parquet``: one row per ``engine.calculator.MeasureOutcome`` with all its
  fields (populations as 0/1 columns, id tuples as lists, ``extra`` as JSON text);
- ``patients/part-NNNNN.parquet``: the partition's patients.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import enum
import functools
import gc
import json
import math
import os
import shutil
import types
import typing
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from engine.records import Evidence, Patient, evidence_sort_key

__all__ = [
    "Partitioning",
    "PartitionTask",
    "measure_partition",
    "models_from_table",
    "outcomes_from_table",
    "part_name",
    "read_evidence",
    "read_outcomes",
    "read_patients_part",
    "write_model_table",
]


def part_name(index: int) -> str:
    return f"part-{index:05d}"


@dataclasses.dataclass(frozen=True)
class Partitioning:
    """``boundaries[i]`` is the first patient id of partition ``i + 1``."""

    boundaries: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.boundaries) + 1

    def of(self, patient_id: str) -> int:
        return bisect.bisect_right(self.boundaries, patient_id)

    @classmethod
    def of_patients(cls, patient_ids: Iterable[str], per_partition: int, count: int | None = None) -> Partitioning:
        """Equal ranges of the sorted ids: ``count`` of them, or one per ``per_partition`` patients."""
        ids = sorted(set(patient_ids))
        return cls.of_sorted(len(ids), iter(ids), per_partition, count)

    @classmethod
    def of_sorted(cls, total: int, sorted_ids: Iterable[str], per_partition: int,
                  count: int | None = None) -> Partitioning:
        """:meth:`of_patients` from ``total`` distinct ids given in sorted order (read once, not held)."""
        n = count if count else max(1, math.ceil(total / max(1, per_partition)))
        n = max(1, min(n, total or 1))
        positions = [round(i * total / n) for i in range(1, n)]
        boundaries: list[str] = []
        at = 0
        for k, pid in enumerate(sorted_ids):
            while at < len(positions) and positions[at] == k:
                boundaries.append(pid)
                at += 1
            if at == len(positions):
                break
        return cls(tuple(boundaries))


# --------------------------------------------------------------------------- pydantic models <-> Arrow


def _plain(annotation: Any) -> tuple[Any, bool]:
    """(the type inside ``X | None``, optional?)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else Any), True
    return annotation, False


def _arrow_type(annotation: Any) -> tuple[pa.DataType, str]:
    """The column type of a model field and how values are encoded (plain, json, list)."""
    inner, _ = _plain(annotation)
    origin = typing.get_origin(inner)
    if inner is str or origin is typing.Literal:
        return pa.string(), "plain"
    if inner is bool:
        return pa.bool_(), "plain"
    if inner is int:
        return pa.int64(), "plain"
    if inner is date:
        return pa.date32(), "plain"
    if origin is tuple and typing.get_args(inner)[:1] == (str,):
        return pa.list_(pa.string()), "list"
    return pa.string(), "json"


@functools.lru_cache(maxsize=16)
def _model_schema(model: type[Any]) -> tuple[pa.Schema, Mapping[str, str]]:
    """The Arrow schema of a pydantic model and each field's encoding (computed once per model: a measure
    task asks for it per record it stores; the result is shared, never changed)."""
    fields, kinds = [], {}
    for name, info in model.model_fields.items():
        arrow, kind = _arrow_type(info.annotation)
        fields.append(pa.field(name, arrow))
        kinds[name] = kind
    return pa.schema(fields), types.MappingProxyType(kinds)


@functools.lru_cache(maxsize=16)
def json_fields(model: type[Any]) -> tuple[str, ...]:
    """The fields of a pydantic model :func:`write_model_table` stores as JSON text (sorted keys)."""
    return tuple(name for name, kind in _model_schema(model)[1].items() if kind == "json")


def write_model_table(path: Path, model: type[Any], records: Sequence[Any]) -> None:
    """Pydantic records (Evidence, Patient) as a Parquet file with one typed column per field."""
    schema, kinds = _model_schema(model)
    columns: dict[str, list[Any]] = {}
    for name in schema.names:
        values = [getattr(r, name) for r in records]
        if kinds[name] == "json":
            values = [None if v is None else json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values]
        elif kinds[name] == "list":
            values = [list(v) for v in values]
        columns[name] = values
    pq.write_table(pa.table(columns, schema=schema), path)


def _read_model_table(path: Path, model: type[Any]) -> list[Any]:
    return models_from_table(pq.read_table(path), model)


def models_from_table(table: pa.Table, model: type[Any]) -> list[Any]:
    """The records of (a slice of) a table :func:`write_model_table` wrote."""
    _, kinds = _model_schema(model)
    out = []
    for row in table.to_pylist():
        for name, kind in kinds.items():
            if kind == "json" and row.get(name) is not None:
                row[name] = json.loads(row[name])
        out.append(model.model_validate(row))
    return out


def read_evidence(path: Path) -> list[Evidence]:
    """The evidence of one ``evidence/part-NNNNN.parquet`` file."""
    return _read_model_table(path, Evidence)


def read_patients_part(path: Path) -> list[Patient]:
    """The patients of one ``patients/part-NNNNN.parquet`` file."""
    return _read_model_table(path, Patient)


# --------------------------------------------------------------------------- outcomes <-> Arrow


def _outcome_columns(outcome_type: type[Any]) -> list[tuple[str, str]]:
    """(field, kind) for every field of MeasureOutcome: populations, enum, ids, json or plain."""
    hints = typing.get_type_hints(outcome_type)
    cols = []
    for f in dataclasses.fields(outcome_type):
        inner, _ = _plain(hints[f.name])
        if dataclasses.is_dataclass(inner):
            kind = "flags"
        elif isinstance(inner, type) and issubclass(inner, enum.Enum):
            kind = "enum"
        elif typing.get_origin(inner) is tuple:
            kind = "list"
        elif inner in (str, int, bool, date):
            kind = "plain"
        else:
            kind = "json"
        cols.append((f.name, kind))
    return cols


def _outcome_schema() -> tuple[pa.Schema, list[tuple[str, str]], list[str]]:
    from engine.calculator import MeasureOutcome

    hints = typing.get_type_hints(MeasureOutcome)
    kinds = _outcome_columns(MeasureOutcome)
    flag_names = [f.name for f in dataclasses.fields(hints["populations"])]
    fields: list[pa.Field] = []
    for name, kind in kinds:
        if kind == "flags":
            fields += [pa.field(f"populations.{k}", pa.int8()) for k in flag_names]
        elif kind == "list":
            fields.append(pa.field(name, pa.list_(pa.string())))
        elif kind == "plain":
            inner, _ = _plain(hints[name])
            fields.append(pa.field(name, {str: pa.string(), int: pa.int64(), bool: pa.bool_(),
                                          date: pa.date32()}[inner]))
        else:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields), kinds, flag_names


def _json_texts(values: Sequence[Any]) -> list[str]:
    """A JSON column's cells: each value as JSON with sorted keys ("{}" for the usual empty dict)."""
    return ["{}" if v == {} else json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values]


def write_outcomes(path: Path, outcomes: Sequence[Any], rows: Any = None) -> None:
    """Measure outcomes with every field (populations as ``populations.<name>`` 0/1 columns).

    Outcomes that differ in their patient only are one distinct row (``rows``: engine.tally.distinct_rows of
    the outcomes; None: taken here): a column is converted once per distinct row, then taken for every
    outcome (``Array.take``); the patient and ``extra`` (not in a row) are converted outcome by outcome."""
    from engine.tally import distinct_rows

    schema, kinds, flag_names = _outcome_schema()
    if rows is None or not rows.same_outcomes(outcomes):
        rows = distinct_rows(outcomes)
    firsts = [outcomes[i] for i in rows.firsts]
    at = pa.array(rows.index, pa.int64())
    columns: dict[str, Any] = {}
    for name, kind in kinds:
        if name in ("patient_id", "extra"):  # outcome by outcome
            values = [getattr(o, name) for o in outcomes]
            if kind == "json":
                values = _json_texts(values)
            columns[name] = pa.array(values, schema.field(name).type)
            continue
        values = [getattr(o, name) for o in firsts]
        if kind == "flags":
            for k in flag_names:
                bits = pa.array([getattr(v, k) for v in values], pa.bool_()).cast(pa.int8())
                columns[f"populations.{k}"] = bits.take(at)
            continue
        if kind == "enum":
            values = [None if v is None else v.value for v in values]
        elif kind == "list":  # tuples of str: Arrow takes them as they are
            values = [v if type(v) is tuple else list(v) for v in values]
        elif kind == "json":
            values = _json_texts(values)
        columns[name] = pa.array(values, schema.field(name).type).take(at)
    pq.write_table(pa.table(columns, schema=schema), path)


def read_outcomes(path: Path) -> list[Any]:
    """The measure outcomes of one ``outcomes/part-NNNNN.parquet`` file."""
    return outcomes_from_table(pq.read_table(path))


def outcomes_from_table(table: pa.Table) -> list[Any]:
    """The measure outcomes of (a slice of) a table :func:`write_outcomes` wrote."""
    from engine.calculator import MeasureOutcome

    hints = typing.get_type_hints(MeasureOutcome)
    columns = [(name, kind, _plain(hints[name])[0]) for name, kind in _outcome_columns(MeasureOutcome)]
    flags = [(c.split(".", 1)[1], c) for c in table.column_names if c.startswith("populations.")]
    out = []
    for row in table.to_pylist():
        values: dict[str, Any] = {}
        for name, kind, inner in columns:
            if kind == "flags":
                values[name] = inner(**{k: bool(row[c]) for k, c in flags})
            elif kind == "enum":
                values[name] = None if row[name] is None else inner(row[name])
            elif kind == "list":
                values[name] = tuple(row[name] or ())
            elif kind == "json":
                values[name] = json.loads(row[name])
            else:
                values[name] = row[name]
        out.append(MeasureOutcome(**values))
    return out


# --------------------------------------------------------------------------- the measure task


MATERIAL_DIR = "material"  # in a partition's folder: its report material (qae.report_run.memory_material)


@dataclasses.dataclass
class PartitionTask:
    """Where one partition's calculation finds its data (small: paths; the task reads the data)."""

    index: int
    parts_dir: str
    evidence_sources: list[tuple[str, int]]  # (chunk file, row group) holding this partition's evidence
    shards: str | None  # the folder of input shards (qae.input_store): its patients, events, encounters
    period: tuple[date, date]
    # the job's name and report formats: the partition's report material is computed here, from what the
    # task holds (qae.report_run.memory_material, saved in ``material/``); None: reports read the files
    report: tuple[str, tuple[str, ...]] | None = None


def _note_evidence(sources: Sequence[tuple[str, int]]) -> list[Evidence]:
    items: list[Evidence] = []
    for path, row_group in sources:
        column = pq.ParquetFile(path).read_row_group(row_group, columns=["evidence"]).column("evidence")
        items.extend(Evidence.model_validate_json(line) for line in column.to_pylist())
    return items


@contextlib.contextmanager
def gc_paused() -> typing.Iterator[None]:
    """Python's cyclic garbage collector off for a block (its state restored after it).

    A measure task builds a few million small objects that live until it ends (evidence, 23 outcomes per
    patient, report rows) and makes almost no reference cycles (42 cyclic objects in a whole 5,000-patient
    task): the collector's passes, each a walk over every live object, found nothing and cost a third of
    the report material's CPU. Memory is freed by reference counting as before; the few cycles are
    collected once the collector is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def measure_partition(task: PartitionTask, specs: Sequence[Any], options: Any = None) -> dict[str, Any]:
    """Calculate one partition for ``specs`` and write its files to ``parts_dir/pNNNNN`` (atomically,
    as a folder renamed into place). Returns what the job records in its checkpoint. Runs with the
    cyclic garbage collector paused (:func:`gc_paused`)."""
    with gc_paused():
        return _measure_partition(task, specs, options)


def _measure_partition(task: PartitionTask, specs: Sequence[Any], options: Any) -> dict[str, Any]:
    from engine.calculator import calculate
    from engine.periods import MeasurementPeriod
    from engine.report import write_reports
    from engine.structured import events_to_evidence
    from engine.tally import distinct_rows
    from qae.input_store import read_shard

    patients = read_shard(task.shards, task.index, "patients")
    events = read_shard(task.shards, task.index, "events")
    encounters = read_shard(task.shards, task.index, "encounters")
    note_items = _note_evidence(task.evidence_sources)
    structured = events_to_evidence(events)
    evidence = sorted([*note_items, *structured], key=evidence_sort_key)
    outcomes = calculate(specs, patients, evidence, encounters, MeasurementPeriod(*task.period), options=options)

    final = Path(task.parts_dir) / f"p{task.index:05d}"
    tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with (tmp / "evidence.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for item in evidence:
            fh.write(json.dumps(item.to_json_dict(), sort_keys=True, ensure_ascii=False) + "\n")
    write_model_table(tmp / "evidence.parquet", Evidence, evidence)
    write_model_table(tmp / "patients.parquet", Patient, sorted(patients, key=lambda p: p.patient_id))
    rows = distinct_rows(outcomes)  # for both outcome files
    write_outcomes(tmp / "outcomes.parquet", outcomes, rows)
    summary = None
    if task.report is not None:  # the HTML audit's material summarizes the outcomes: not done twice
        from qae.report_run import memory_material

        summary = memory_material(task.report[0], MeasurementPeriod(*task.period), specs, patients, outcomes,
                                  evidence, encounters, task.report[1], tmp / MATERIAL_DIR)
    summary = write_reports(outcomes, patients, evidence, tmp / "reports", care_gaps=False, summary=summary,
                            rows=rows)
    if final.exists():  # an earlier attempt got this far but was not recorded: same content
        shutil.rmtree(final)
    os.replace(tmp, final)
    return {
        "partition": task.index,
        "summary": summary,
        "counts": {
            "patients": len(patients),
            "evidence": len(evidence),
            "structured_evidence": len(structured),
            "outcomes": len(outcomes),
            "note_evidence_by_element": dict(Counter(e.element for e in note_items)),
            "note_evidence_by_status": dict(Counter(e.status for e in note_items)),
        },
    }


def group_by_partition(records: Iterable[Any], partitioning: Partitioning) -> dict[int, list[Any]]:
    """Records with a ``patient_id`` grouped by partition index (every partition present)."""
    groups: dict[int, list[Any]] = {i: [] for i in range(partitioning.count)}
    for r in records:
        groups[partitioning.of(r.patient_id)].append(r)
    return groups


def merge_counts(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum the partitions' counts (dicts of counters are summed key-wise, keys sorted)."""
    total: dict[str, Any] = {}
    for counts in parts:
        for key, value in counts.items():
            if isinstance(value, Mapping):
                acc = total.setdefault(key, Counter())
                acc.update(value)
            else:
                total[key] = total.get(key, 0) + value
    return {k: (dict(sorted(v.items())) if isinstance(v, Counter) else v) for k, v in total.items()}
