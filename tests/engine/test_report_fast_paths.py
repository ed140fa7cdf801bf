"""The measure task's report fast paths give what their reference paths give.

- ``outcomes.csv``: rows of plain cells are their patient id and the text of their other cells, written
  once per distinct cells; the check that sends a row to :class:`SafeDictWriter` is a few substring tests
  standing for the regex ``_CAREFUL``;
- ``summarize`` skips the rows outside the initial population and builds an entry once;
- ``qae.partitions.write_outcomes`` and ``outcomes.csv`` convert each distinct row (outcomes alike but for
  their patient, ``engine.tally.distinct_rows``) once;
- ``qae.partitions.gc_paused`` restores the collector's state.
"""

from __future__ import annotations

import gc
import io
from collections import Counter
from datetime import date

import pytest

from engine.calculator import MeasureOutcome, calculate
from engine.cells import SafeDictWriter
from engine.gaps import REASON_ORDER, GapReason
from engine.populations import PopulationFlags
from engine.report import (
    _CAREFUL,
    OUTCOME_COLUMNS,
    _careful,
    _write_outcomes_csv,
    outcome_row,
    summarize,
)
from qae.partitions import gc_paused, read_outcomes, write_outcomes


def _outcomes(kit) -> list[MeasureOutcome]:  # noqa: ANN001
    """A small clinic: outcomes of every measure, plus rows whose cells need the careful writer."""
    p = kit.patient
    patients = [p("p-01", date(1970, 4, 2), "F"), p("p-02", date(2010, 1, 1), "M"), p("p-03", date(1950, 8, 8), "F")]
    text = "Colonoscopy 2019: normal. Tobacco: never smoker. Mammogram done 10/2025."
    ev = [kit.note_ev("p-01", "n1", text, "Colonoscopy", "colonoscopy", event_date=date(2019, 1, 1), precision="year"),
          kit.note_ev("p-01", "n1", text, "never smoker", "tobacco_use", value="never"),
          kit.note_ev("p-03", "n2", text, "Mammogram", "mammogram", event_date=date(2025, 10, 1), precision="month")]
    enc = [kit.encounter("p-03", "v1", date(2026, 3, 3), None, "office_visit")]
    outcomes = calculate(list(kit.SPECS.values()), patients, ev, enc, kit.MP)
    odd = [  # cells a spreadsheet would read as a formula, a CR inside a flag, a text cell that is not text
        MeasureOutcome(patient_id="=HYPERLINK(1)", measure_id="COL-E", group="1", measure_version="v",
                       populations=PopulationFlags(ipp=True, denom=True), gap_open=True,
                       gap_reason=GapReason.NO_EVIDENCE, gap_action="-order a FIT", stratum="46-75"),
        MeasureOutcome(patient_id="p-04", measure_id="COL-E", group="1", measure_version="v",
                       populations=PopulationFlags(ipp=True), review_flags=("undated:n9\r:1-2:x",)),
        MeasureOutcome(patient_id="p-05", measure_id="COL-E", group="1", measure_version="+1",
                       populations=PopulationFlags(), episode="@e1"),
        MeasureOutcome(patient_id="p-06", measure_id="COL-E", group="1", measure_version=None,  # type: ignore[arg-type]
                       populations=PopulationFlags()),
    ]
    return sorted(outcomes + odd, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode))


def test_careful_check_equals_the_regex():
    cells = ["p-1", "=1+1", "-2", "+3", "@SUM", "'quoted", "\ttab", "a\rb", "a-b", "x=y", "", "\r", "COL-E",
             "n1:0-5:colonoscopy", "undated:n1:0-5", "2026-12-31", "Order a FIT or a colonoscopy"]
    for a in cells:
        for b in cells:
            for c in ("", "ok", "\x1f"):
                text = "\x1f".join([a, b, c])
                assert _careful("\x1f" + text) == (_CAREFUL.search(text) is not None), (a, b, c)


def _reference_csv(ordered) -> str:
    """outcomes.csv as SafeDictWriter writes outcome_row of each outcome (the reference of the fast path)."""
    ref = io.StringIO()
    writer = SafeDictWriter(ref, OUTCOME_COLUMNS)
    writer.writeheader()
    for o in ordered:
        writer.writerow(outcome_row(o))
    return ref.getvalue()


def test_outcomes_csv_equals_the_safe_dict_writer(kit):
    ordered = _outcomes(kit)
    fast = io.StringIO()
    _write_outcomes_csv(fast, ordered)
    assert fast.getvalue() == _reference_csv(ordered)
    assert "'=HYPERLINK(1)" in fast.getvalue()  # the careful writer made the cell safe


def test_outcomes_csv_repeated_cells_with_any_patient_id(kit):
    """Rows share the text after the patient id (written once per distinct cells): ids csv quotes, ids the
    careful writer changes and plain ids give the reference's bytes, in the reference's order."""
    ids = ["p-mts-0001~0", "a,b", 'say "x"', "two\nlines", "cr\rid", "=1+2", "-7", "'=q", "@home", " lead",
           "Zoë-3", "\tx"]
    patients = [kit.patient(pid, date(1960 + i, 3, 1), "F" if i % 2 else "M") for i, pid in enumerate(ids)]
    outcomes = calculate(list(kit.SPECS.values()), patients, [], [], kit.MP)
    odd = _outcomes(kit)
    ordered = sorted(outcomes + odd, key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode))
    fast = io.StringIO()
    _write_outcomes_csv(fast, ordered)
    assert fast.getvalue() == _reference_csv(ordered)
    assert '"a,b"' in fast.getvalue() and "'=1+2" in fast.getvalue()


def _reference_summary(outcomes):  # noqa: ANN001, ANN202
    """``summarize`` as written before its fast path: every row counted."""
    from collections import defaultdict

    groups = defaultdict(set)
    for o in outcomes:
        groups[o.measure_id].add(o.group)
    multi = {m for m, g in groups.items() if len(g) > 1}
    per, seen, strata = {}, set(), defaultdict(dict)
    pops = ("ipp", "denom", "denex", "denexcep", "numer", "numex")
    for o in outcomes:
        label = f"{o.measure_id}-{o.group}" if o.measure_id in multi else o.measure_id
        entry = per.setdefault(label, {
            "measure_id": o.measure_id, "group": o.group, "patients": 0, **dict.fromkeys(pops, 0),
            "inverse": o.inverse, "open_gaps": 0, "gaps_by_reason": Counter(), "closed_by": Counter()})
        if (label, o.patient_id) not in seen:
            seen.add((label, o.patient_id))
            entry["patients"] += 1
        for k, v in o.populations.as_ints().items():
            entry[k] += v
        if o.gap_open and o.gap_reason is not None:
            entry["open_gaps"] += 1
            entry["gaps_by_reason"][o.gap_reason.value] += 1
        if o.closed_by:
            entry["closed_by"][o.closed_by] += 1
        if o.stratum:
            s = strata[label].setdefault(o.stratum, {**dict.fromkeys(pops, 0), "open_gaps": 0})
            for k, v in o.populations.as_ints().items():
                s[k] += v
            s["open_gaps"] += int(o.gap_open)
    return per, strata


def test_summarize_equals_counting_every_row(kit):
    outcomes = _outcomes(kit)
    summary = summarize(outcomes)
    per, strata = _reference_summary(outcomes)
    assert set(summary["measures"]) == set(per)
    for label, entry in per.items():
        got = summary["measures"][label]
        for k in ("measure_id", "group", "patients", "ipp", "denom", "denex", "denexcep", "numer", "numex",
                  "inverse", "open_gaps"):
            assert got[k] == entry[k], (label, k)
        assert got["gaps_by_reason"] == {r.value: entry["gaps_by_reason"][r.value] for r in REASON_ORDER
                                         if entry["gaps_by_reason"][r.value]}
        assert got["closed_by"] == dict(sorted(entry["closed_by"].items()))
        got_strata = {k: {n: v[n] for n in v if n != "rate"} for k, v in got.get("strata", {}).items()}
        assert got_strata == strata.get(label, {})
    assert any(not o.populations.ipp for o in outcomes) and any(o.stratum for o in outcomes)


def test_write_outcomes_round_trip(kit, tmp_path):
    outcomes = [o for o in _outcomes(kit) if o.measure_version is not None]
    write_outcomes(tmp_path / "o.parquet", outcomes)
    assert read_outcomes(tmp_path / "o.parquet") == outcomes
    write_outcomes(tmp_path / "empty.parquet", [])
    assert read_outcomes(tmp_path / "empty.parquet") == []


def _reference_outcomes_file(path, outcomes) -> None:  # noqa: ANN001
    """``qae.partitions.write_outcomes`` before distinct rows: every field converted outcome by outcome."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from qae.partitions import _outcome_schema

    schema, kinds, flag_names = _outcome_schema()
    columns = {}
    for name, kind in kinds:
        values = [getattr(o, name) for o in outcomes]
        if kind == "flags":
            for k in flag_names:
                columns[f"populations.{k}"] = pa.array([getattr(v, k) for v in values], pa.bool_()).cast(pa.int8())
            continue
        if kind == "enum":
            values = [None if v is None else v.value for v in values]
        elif kind == "list":
            values = [list(v) for v in values]
        elif kind == "json":
            values = [json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values]
        columns[name] = values
    pq.write_table(pa.table(columns, schema=schema), path)


def test_outcome_files_from_distinct_rows_equal_the_reference(kit, tmp_path):
    """Both outcome files of a measure task from one :func:`engine.tally.distinct_rows`: the Parquet file's
    bytes are those of converting every outcome, outcomes.csv those of SafeDictWriter; ``extra`` (not in a
    row) and the patient kept outcome by outcome."""
    import dataclasses

    from engine.tally import distinct_rows

    base = [o for o in _outcomes(kit) if o.measure_version is not None]
    outcomes = [dataclasses.replace(o, extra={"z": "last", "a": "first"}) if i % 7 == 3 else o
                for i, o in enumerate(base)]
    rows = distinct_rows(outcomes)
    assert len(rows.firsts) < len(outcomes) and rows.same_outcomes(list(outcomes))
    assert [rows.index[i] for i in rows.firsts] == list(range(len(rows.firsts)))
    write_outcomes(tmp_path / "fast.parquet", outcomes, rows)
    _reference_outcomes_file(tmp_path / "ref.parquet", outcomes)
    assert (tmp_path / "fast.parquet").read_bytes() == (tmp_path / "ref.parquet").read_bytes()
    assert read_outcomes(tmp_path / "fast.parquet") == outcomes
    fast, ref = io.StringIO(), io.StringIO()
    _write_outcomes_csv(fast, outcomes, rows)
    writer = SafeDictWriter(ref, OUTCOME_COLUMNS)
    writer.writeheader()
    for o in outcomes:
        writer.writerow(outcome_row(o))
    assert fast.getvalue() == ref.getvalue()
    other = io.StringIO()  # rows of other outcomes are not used
    _write_outcomes_csv(other, outcomes, distinct_rows(outcomes[1:]))
    assert other.getvalue() == ref.getvalue()


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("task failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_audit_overall_summary_of_one_clinic_is_its_own(kit):
    """One clinic holds every outcome: the overall summary is the clinic's (a copy), as summarize gives it."""
    import copy

    from engine.audit_html import audit_material
    from engine.run_data import RunData

    outcomes = [o for o in _outcomes(kit) if o.patient_id.startswith("p-0") and o.measure_version is not None]
    ids = sorted({o.patient_id for o in outcomes})
    patients = {pid: kit.patient(pid, date(1970, 1, 1), "F", clinic="north") for pid in ids}
    run = RunData(job="t", period=kit.MP, specs=kit.SPECS, patients=patients, outcomes=outcomes, evidence={})
    audit = audit_material(run).counts["audit"]
    assert list(audit["clinics"]) == ["north"]
    assert audit["overall"] == summarize(outcomes) == audit["clinics"]["north"]["summary"]
    assert audit["overall"] is not audit["clinics"]["north"]["summary"]
    two = dict(patients, **{"p-01": kit.patient("p-01", date(1970, 4, 2), "F", clinic="south")})
    audit2 = audit_material(RunData(job="t", period=kit.MP, specs=kit.SPECS, patients=two, outcomes=outcomes,
                                    evidence={})).counts["audit"]
    assert list(audit2["clinics"]) == ["north", "south"] and audit2["overall"] == copy.deepcopy(audit["overall"])


def test_report_file_writer_task_runs_with_the_collector_paused(tmp_path):
    from qae.report_run import _write

    seen = []

    def writer(parts, run, out_dir):
        seen.append(gc.isenabled())
        path = out_dir / "worklist.csv"
        path.write_text("patient_id,measure_id\r\np-1,COL-E\r\n", encoding="utf-8")
        return [path]

    assert _write(writer, None, None, tmp_path) == [tmp_path / "worklist.csv"]
    assert seen == [False]
    assert gc.isenabled()
