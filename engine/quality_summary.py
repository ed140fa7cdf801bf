"""For quality teams: every measure's populations and rate by clinic and by provider, with charts.

Rows count outcome rows (episodes for TRC) per clinic (or clinic x provider) x measure x group:
``patients`` (distinct), ``ipp``, ``denom``, ``denex``, ``denexcep``, ``numer``, ``numex``,
``eligible`` (denom - denex - denexcep), ``met`` (numer - numex), ``rate`` (met / eligible, empty
when nobody is eligible), ``open_gaps`` and ``reopening`` (closed gaps that reopen in the next
measurement period). Inverse measures (lower is better: a patient in the numerator has the gap)
say so in ``direction``. An ``All clinics`` row per measure gives the run's total.

Files (written by :func:`write_summary_csv` / :func:`write_summary_xlsx`):
``summary/by_clinic.csv``, ``summary/by_provider.csv`` and ``summary/quality_summary.xlsx``
(a "Rates" sheet with a bar chart of every measure's rate per clinic, the two tables, and notes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.utils import get_column_letter

from engine.calculator import MeasureOutcome
from engine.cells import SafeDictWriter
from engine.report_parts import Material, Parts, register_counts, sum_rows
from engine.run_data import RunData
from engine.tally import Cell
from engine.worklist import NO_PROVIDER, UNASSIGNED, short_id
from engine.xlsx import Column, add_table, bold, new_workbook, print_setup, put, save_workbook

__all__ = ["ALL_CLINICS", "SUMMARY_COLUMNS", "merged_summary_rows", "rates_chart", "summary_material", "summary_rows",
           "write_summary_csv", "write_summary_csv_parts", "write_summary_xlsx", "write_summary_xlsx_parts"]

ALL_CLINICS = "All clinics"
LOWER = "lower is better"
HIGHER = "higher is better"
_COUNTS = ("ipp", "denom", "denex", "denexcep", "numer", "numex")

SUMMARY_COLUMNS = (
    Column("clinic", "Clinic", 18), Column("provider", "Provider", 16), Column("measure", "Measure", 18),
    Column("title", "Title", 44, wrap=True), Column("direction", "Direction", 15),
    Column("patients", "Patients", 9), Column("ipp", "IPP", 7), Column("denom", "DENOM", 8),
    Column("denex", "DENEX", 8), Column("denexcep", "DENEXCEP", 10), Column("numer", "NUMER", 8),
    Column("numex", "NUMEX", 8), Column("eligible", "Eligible", 9), Column("met", "Met", 7),
    Column("rate", "Rate", 8), Column("open_gaps", "Open gaps", 10), Column("reopening", "Reopen next MP", 10),
)


def _title(o: MeasureOutcome, run: RunData) -> str:
    spec = run.specs.get(o.measure_id)
    title = o.measure_title or (spec.title if spec else "")
    if spec is not None and len(spec.groups) > 1:
        group = o.group_title or next((g.title for g in spec.groups if g.id == o.group), "") or ""
        return f"{title}: {group}" if group else title
    return title


_MEMO: dict[tuple[int, bool], tuple[RunData, list[dict[str, Any]]]] = {}


def summary_rows(run: RunData, by_provider: bool = False) -> list[dict[str, Any]]:
    """One row per clinic (x provider) x measure x group, then an ``All clinics`` row per measure
    (computed once per run: every workbook's summary sheet reads it; do not modify the rows)."""
    key = (id(run), by_provider)
    memo = _MEMO.get(key)
    if memo is not None and memo[0] is run:
        return memo[1]
    if len(_MEMO) > 8:
        _MEMO.clear()
    rows = _summary_rows(run, by_provider)
    _MEMO[key] = (run, rows)
    return rows


def _summary_rows(run: RunData, by_provider: bool) -> list[dict[str, Any]]:
    return _both_summaries(run)[by_provider]


def _both_summaries(run: RunData) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows by clinic and by provider, from the outcomes' tally (``RunData.tally``, engine/tally.py: its
    counts per clinic, provider, measure and group): each (clinic, provider, measure) cell sums its groups'
    counts; a clinic's and the ``All clinics`` rows sum their cells (a patient has one clinic and one
    provider: distinct patients add up too). A row's title and direction are those of its first outcome."""
    ids: dict[tuple[str, str], str] = {}  # (measure, group) -> short_id (one spec lookup each)
    cells: dict[tuple[str, str, str], list[int]] = {}  # (clinic, provider, label) -> counts, open, reopening
    first: dict[tuple[str, str, str], int] = {}  # -> index of its first outcome
    firsts: dict[tuple[str, str, str], Cell] = {}  # -> its first tally cell
    patients: dict[tuple[str, str, str], set[str]] = {}  # -> its patients, when several tally cells add up to it
    outcomes = run.outcomes
    for (clinic, provider, measure_id, group), t in run.tally.cells.items():
        label = ids.get((measure_id, group))
        if label is None:
            label = ids[measure_id, group] = short_id(outcomes[t.first], run)
        key = (clinic, provider, label)
        cell = cells.get(key)
        if cell is None:
            cells[key] = [len(t.patients), *t.counts, t.open_gaps, t.prospective]
            first[key], firsts[key] = t.first, t
            continue
        seen = patients.get(key)  # groups with one label (a measure without its spec): distinct patients
        if seen is None:
            seen = patients[key] = set(firsts[key].patients)
        seen |= t.patients
        cell[0] = len(seen)
        for k, v in enumerate(t.counts, start=1):
            cell[k] += v
        cell[7] += t.open_gaps
        cell[8] += t.prospective
        first[key] = min(first[key], t.first)
    measures: dict[str, int] = {}  # label -> its first outcome
    for key, i in first.items():
        if measures.get(key[2], i) >= i:
            measures[key[2]] = i
    out = []
    for by_provider in (False, True):
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        firsts: dict[tuple[str, str, str], int] = {}
        sums: dict[tuple[str, str, str], list[int]] = {}
        for (clinic, provider, label), cell in cells.items():
            i = first[clinic, provider, label]
            for key in ((clinic, provider if by_provider else "", label), (ALL_CLINICS, "", label)):
                acc = sums.get(key)
                if acc is None:
                    sums[key] = list(cell)
                    firsts[key] = i
                else:
                    for k in range(9):
                        acc[k] += cell[k]
                    if i < firsts[key]:
                        firsts[key] = i
        for key, acc in sums.items():
            row = rows[key] = _empty(key[:2], key[2], outcomes[firsts[key]], run)
            row["patients"] = acc[0]
            for k, name in enumerate(_COUNTS, start=1):
                row[name] = acc[k]
            row["open_gaps"] = acc[7]
            row["reopening"] = acc[8]
        units = {((p.clinic_id or UNASSIGNED), (p.provider_id or NO_PROVIDER) if by_provider else "")
                 for p in run.patients.values()}
        units |= {(c, p if by_provider else "") for c, p, _ in cells}
        for clinic, provider in units:  # every clinic (provider) has a row per measure, zeros included
            for label, i in measures.items():
                if (clinic, provider, label) not in rows:
                    rows[clinic, provider, label] = _empty((clinic, provider), label, outcomes[i], run)
        for row in rows.values():
            row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
            row["met"] = row["numer"] - row["numex"]
            row["rate"] = round(row["met"] / row["eligible"], 4) if row["eligible"] > 0 else None
        out.append([rows[k] for k in sorted(rows, key=lambda k: (k[0] == ALL_CLINICS, k[0], k[1], k[2]))])
    return out[0], out[1]


def _empty(unit: tuple[str, str], label: str, o: MeasureOutcome, run: RunData) -> dict[str, Any]:
    return {"clinic": unit[0], "provider": unit[1], "measure": label, "title": _title(o, run),
            "direction": LOWER if o.inverse else HIGHER, "patients": 0, **dict.fromkeys(_COUNTS, 0),
            "open_gaps": 0, "reopening": 0}


def summary_material(run: RunData) -> Material:
    """One partition's summary rows (counts ``summary_by_clinic`` and ``summary_by_provider``), summed
    over partitions by :func:`merged_summary_rows`."""
    by_clinic, by_provider = _both_summaries(run)
    return Material(counts={"summary_by_clinic": by_clinic, "summary_by_provider": by_provider})


_SUMMED = ("patients", *_COUNTS, "open_gaps", "reopening")
_KEY = ("clinic", "provider", "measure")
for _name in ("summary_by_clinic", "summary_by_provider"):
    register_counts(_name, lambda a, b: list(sum_rows([a, b], _KEY, _SUMMED).values()))


def merged_summary_rows(parts: Parts, by_provider: bool = False) -> list[dict[str, Any]]:
    """:func:`summary_rows` of the whole run from the partitions' rows (patients are in one partition
    each, so distinct patients add up)."""
    name = "summary_by_provider" if by_provider else "summary_by_clinic"
    rows = sum_rows(parts.counts(name), _KEY, _SUMMED)
    for row in rows.values():
        row["eligible"] = row["denom"] - row["denex"] - row["denexcep"]
        row["met"] = row["numer"] - row["numex"]
        row["rate"] = round(row["met"] / row["eligible"], 4) if row["eligible"] > 0 else None
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0] == ALL_CLINICS, k[0], k[1], k[2]))]


def _csv_row(row: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    out = {c.header: row.get(c.key) for c in columns}
    rate = row.get("rate")
    out["Rate"] = "" if rate is None else f"{rate:.4f}"
    return out


def _columns(by_provider: bool) -> list[Column]:
    return [c for c in SUMMARY_COLUMNS if by_provider or c.key != "provider"]


def write_summary_csv_parts(parts: Parts, run: RunData, out_dir: Path) -> list[Path]:
    """``summary/by_clinic.csv`` and ``summary/by_provider.csv`` from the partitions' rows."""
    folder = Path(out_dir) / "summary"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, by_provider in (("by_clinic.csv", False), ("by_provider.csv", True)):
        columns = _columns(by_provider)
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = SafeDictWriter(fh, [c.header for c in columns])
            writer.writeheader()
            for row in merged_summary_rows(parts, by_provider):
                writer.writerow(_csv_row(row, columns))
        paths.append(path)
    return paths


def write_summary_csv(run: RunData, out_dir: Path) -> list[Path]:
    """``summary/by_clinic.csv`` and ``summary/by_provider.csv``."""
    return write_summary_csv_parts(Parts([summary_material(run)]), run, out_dir)


def rates_chart(ws: Any, first_row: int, n_measures: int, n_series: int, title: str, anchor: str) -> None:
    """A horizontal bar chart of the rate table at ``first_row`` (measures down, series across)."""
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.title = title
    chart.y_axis.title = "rate (inverse measures: lower is better)"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.number_format = "0%"
    chart.y_axis.majorGridlines = None
    chart.x_axis.scaling.orientation = "maxMin"  # the first measure at the top, as in the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=2, max_col=1 + n_series, min_row=first_row, max_row=first_row + n_measures)
    cats = Reference(ws, min_col=1, min_row=first_row + 1, max_row=first_row + n_measures)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    if n_series == 1:
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showVal = True
        chart.legend = None
    chart.width = 24
    chart.height = max(8.0, 0.45 * n_measures * max(1, n_series) ** 0.5 + 3)
    ws.add_chart(chart, anchor)


def rate_table(ws: Any, first_row: int, rows: Sequence[dict[str, Any]], series: Sequence[str]) -> int:
    """Measures down, one rate column per series (clinic); returns the number of measures."""
    measures: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = measures.setdefault(r["measure"], {"label": r["measure"] + (" (lower is better)"
                                                                          if r["direction"] == LOWER else "")})
        entry[r["clinic"]] = r["rate"]
    put(ws, first_row, 1, "Measure")
    for j, name in enumerate(series, start=2):
        put(ws, first_row, j, name)
    for i, (_, entry) in enumerate(sorted(measures.items()), start=first_row + 1):
        put(ws, i, 1, entry["label"])
        for j, name in enumerate(series, start=2):
            value = entry.get(name)
            put(ws, i, j, value)
            ws.cell(row=i, column=j).number_format = "0%"
    return len(measures)


def write_summary_xlsx_parts(parts: Parts, run: RunData, out_dir: Path) -> list[Path]:
    """``summary/quality_summary.xlsx`` from the partitions' rows."""
    wb = new_workbook()
    by_clinic = merged_summary_rows(parts)
    clinics = sorted({r["clinic"] for r in by_clinic if r["clinic"] != ALL_CLINICS}) + [ALL_CLINICS]
    ws = wb.create_sheet("Rates")
    print_setup(ws)
    put(ws, 1, 1, f"Measure rates by clinic: {run.job}, measurement period {run.period}")
    bold(ws, 1, size=13)
    put(ws, 2, 1, "Rate = met / eligible. Inverse measures (lower is better) are marked; an empty cell: "
                  "nobody eligible (e.g. an eCQM that needs encounters the run did not have).")
    row0 = 4
    for warning in run.warnings:
        put(ws, row0, 1, f"WARNING: {warning}")
        bold(ws, row0, color="C00000")
        row0 += 1
    n = rate_table(ws, row0 + 1, by_clinic, clinics)
    ws.column_dimensions["A"].width = 34
    for j in range(2, 2 + len(clinics)):
        ws.column_dimensions[get_column_letter(j)].width = 16
    ws.freeze_panes = ws.cell(row=row0 + 2, column=2)
    rates_chart(ws, row0 + 1, n, len(clinics), "Rate per measure and clinic", f"{get_column_letter(len(clinics) + 3)}4")
    for name, by_provider in (("By clinic", False), ("By provider", True)):
        sheet = wb.create_sheet(name)
        add_table(sheet, _columns(by_provider), merged_summary_rows(parts, True) if by_provider else by_clinic)
        rate_col = next(i for i, c in enumerate(_columns(by_provider), start=1) if c.key == "rate")
        for r in range(2, sheet.max_row + 1):
            sheet.cell(row=r, column=rate_col).number_format = "0.0%"
    path = Path(out_dir) / "summary" / "quality_summary.xlsx"
    return [save_workbook(wb, path)]


def write_summary_xlsx(run: RunData, out_dir: Path) -> list[Path]:
    """``summary/quality_summary.xlsx``: rates by measure and clinic with a bar chart, and the tables."""
    return write_summary_xlsx_parts(Parts([summary_material(run)]), run, out_dir)
