"""The validation report: printed headline, ``validation.json``, CSV tables, sheets, one-file HTML.

Files written to the output folder (same inputs and config -> the same bytes):

=============================== ===============================================================
``validation_report.html``      thresholds, outcome figures with confusion matrices, element
                                figures, value/date agreement, inter-rater agreement, the
                                discordance list, unreadable rows, methods (no external assets)
``validation.json``             every figure with its interval and method
``element_agreement.csv``       one row per scope (overall, element, measure's elements)
``outcome_agreement.csv``       one row per measure group
``discordance.csv`` / ``.xlsx`` engine-reviewer disagreements, with an adjudication column
``adjudication_<a>_vs_<b>.*``   two abstractors' disagreements, to adjudicate and read back
``unreadable_rows.csv``         rows left out, with file, sheet, row and reason
=============================== ===============================================================
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.cells import safe_row

from .agreement import Estimate, wilson
from .categories import CATEGORIES, category_label
from .discordance import write_adjudication, write_discordance
from .reading_packet import template_env
from .validation import ValidationResult

__all__ = ["format_validation", "validation_dict", "write_validation_report"]

_METRICS = ("sensitivity", "specificity", "ppv", "npv", "f1", "kappa", "agreement")

METHODS = (
    "Proportions (sensitivity, specificity, PPV, NPV, agreement, value and date agreement): Wilson score "
    "interval without continuity correction (Wilson 1927; Newcombe 1998, method 3).",
    "Cohen's kappa: Fleiss, Cohen & Everitt (1969) large-sample standard error (SAS PROC FREQ's ASE); "
    "interval kappa +/- z*SE clipped to [-1, 1]. The outcome kappa uses all four categories (numerator, "
    "not numerator, excluded, not in denominator).",
    "F1: percentile bootstrap resampling whole clusters (patients for worksheets, notes for gold files); "
    "weighted outcome figures: bootstrap within the sampling strata with weights N_h/n_h.",
    "Element positive = documented as done / present (affirmed). Worksheets: one unit per measure, patient "
    "and element; values and dates compare the most recent occasion (the one the measures read), dates at the "
    "coarser of the two precisions. Gold files: one unit per note and element; values and dates compare the "
    "note's sets.",
    "Outcome level: each reviewed patient's answers become evidence (source review:<abstractor>) replacing the "
    "engine's note evidence of the reviewed elements; structured data and encounters stay; the run's specs, "
    "period and engine options compute the reviewer's outcome.",
    "Reference answer per unit: an adjudicator's, else the abstractors' common answer, else the primary "
    "abstractor's (the first review given, or --primary).",
    "HEDIS MRRV (--hedis-mrrv samples): 16 compliant records per measure group; 0 errors pass, 2 or more "
    "fail, exactly 1 needs the second sample of 16, which must have none.",
)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _metrics_dict(metrics: Mapping[str, Estimate]) -> dict[str, Any]:
    return {k: v.to_dict() for k, v in metrics.items()}


def validation_dict(result: ValidationResult) -> dict[str, Any]:
    el = result.element
    out: dict[str, Any] = {
        "mode": result.mode,
        "run": str(result.run_dir) if result.run_dir else None,
        "job": result.job,
        "verdict": result.verdict,
        "config": result.config.model_dump(mode="json"),
        "reviews": [{"file": f.path.name, "kind": f.kind, "rows": len(f.rows), "unreadable": len(f.unreadable),
                     "unreviewed": len(f.unreviewed), "abstractors": f.abstractors} for f in result.files],
        "element_level": {
            "units": el.units,
            "overall": {**el.overall.to_dict(), **_metrics_dict(result.element_figures["element_overall"]["all"])},
            "per_element": {k: {**el.per_element[k].to_dict(), **_metrics_dict(v)}
                            for k, v in result.element_figures["element"].items()},
            "per_measure": {k: {**el.per_measure[k].to_dict(), **_metrics_dict(v)}
                            for k, v in result.element_figures["measure_elements"].items()},
            "values": {k: wilson(t.agree, t.total, result.config.confidence).to_dict()
                       for k, t in sorted(el.values.items())},
            "dates": {k: wilson(t.agree, t.total, result.config.confidence).to_dict()
                      for k, t in sorted(el.dates.items())},
            "gap_statuses": wilson(el.statuses.agree, el.statuses.total, result.config.confidence).to_dict(),
        },
        "outcome_level": {label: {"units": f.units, "categories": list(CATEGORIES), "table": f.table,
                                  **f.binary.to_dict(), **_metrics_dict(f.metrics),
                                  "weighted": _metrics_dict(f.weighted), "mrrv": f.mrrv}
                          for label, f in sorted(result.outcome_figures.items())},
        "interrater": [{"a": p.a, "b": p.b, **p.elements.to_dict(), "kappa": p.kappa.to_dict(),
                        "agreement": p.agreement.to_dict(), "outcome_table": p.outcome_table,
                        "outcome_kappa": p.outcome_kappa.to_dict() if p.outcome_kappa else None,
                        "disagreements": len(p.disagreements)} for p in result.pairs],
        "reference_disagreements": result.reference_disagreements,
        "thresholds": [t.model_dump() | {"verdict": t.verdict} for t in result.thresholds],
        "discordances": len(result.discordances),
        "unreadable": [{"where": u.where(), "reason": u.reason} for u in result.unreadable],
        "unreviewed": [{"file": f, "measure": m, "patient": p} for f, m, p in result.unreviewed],
        "messages": result.messages,
        "methods": list(METHODS),
    }
    if result.extraction is not None:
        extraction = result.extraction.to_dict()
        extraction["misses"] = sorted(extraction["misses"], key=lambda m: (m["note_id"], m["element"], m["kind"]))
        out["extraction"] = extraction
    return out


def _element_rows(result: ValidationResult) -> list[dict[str, Any]]:
    el, figs = result.element, result.element_figures
    rows = [{"scope": "overall", "name": "all elements", "counts": el.overall,
             "metrics": figs["element_overall"]["all"]}]
    rows += [{"scope": "element", "name": k, "counts": el.per_element[k], "metrics": v}
             for k, v in figs["element"].items()]
    rows += [{"scope": "measure", "name": f"{k} (its elements)", "counts": el.per_measure[k], "metrics": v}
             for k, v in figs["measure_elements"].items()]
    return rows


def _csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(safe_row({c: row.get(c, "") for c in columns}))
    return path


def _metric_cells(metrics: Mapping[str, Estimate]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _METRICS:
        est = metrics.get(name)
        if est is not None:
            out[name] = "" if est.value is None else round(est.value, 4)
            out[f"{name}_low"] = "" if est.low is None else round(est.low, 4)
            out[f"{name}_high"] = "" if est.high is None else round(est.high, 4)
    return out


def _metric_columns() -> list[str]:
    return [c for m in _METRICS for c in (m, f"{m}_low", f"{m}_high")]


def write_validation_report(result: ValidationResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    data = validation_dict(result)
    json_path = out / "validation.json"
    json_path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    files.append(json_path)
    files.append(_csv(out / "element_agreement.csv", ["scope", "name", "tp", "fp", "fn", "tn", *_metric_columns()],
                      [{"scope": r["scope"], "name": r["name"], **r["counts"].to_dict(), **_metric_cells(r["metrics"])}
                       for r in _element_rows(result)]))
    if result.outcome_figures:
        files.append(_csv(out / "outcome_agreement.csv",
                          ["measure_group", "units", "tp", "fp", "fn", "tn", *_metric_columns(), "mrrv"],
                          [{"measure_group": k, "units": f.units, **f.binary.to_dict(), **_metric_cells(f.metrics),
                            "mrrv": (f.mrrv or {}).get("verdict", "")}
                           for k, f in sorted(result.outcome_figures.items())]))
    files += write_discordance(out, result.discordances)
    for pair in result.pairs:
        if pair.disagreements:
            files += write_adjudication(out, pair.a, pair.b, pair.disagreements)
    if result.unreadable:
        files.append(_csv(out / "unreadable_rows.csv", ["file", "sheet", "row", "reason"],
                          [{"file": u.source, "sheet": u.sheet or "", "row": u.row, "reason": u.reason}
                           for u in result.unreadable]))
    html_path = out / "validation_report.html"
    html_path.write_text(render_html(result), encoding="utf-8")
    files.append(html_path)
    return files


def render_html(result: ValidationResult) -> str:
    cfg = result.config

    def texts(metrics: Mapping[str, Estimate]) -> dict[str, str]:
        return {k: v.text() for k, v in metrics.items()}

    outcomes = []
    for label, f in sorted(result.outcome_figures.items()):
        weighted = " / ".join(f.weighted[k].text() for k in ("sensitivity", "specificity", "agreement")
                              if k in f.weighted)
        mrrv = ""
        if f.mrrv:
            m = f.mrrv
            mrrv = (f"{m['verdict']}: first {m['first_errors']} errors in {m['first_reviewed']}/{m['first_drawn']}"
                    + (f"; second {m['second_errors']} in {m['second_reviewed']}" if m["second_reviewed"] else ""))
        names = [category_label(c, f.inverse).replace(" (gap closed)", "").replace(" / exception", "")
                 .replace(" (gap open)", "") for c in CATEGORIES]
        outcomes.append({"label": label, "units": f.units, "m": texts(f.metrics), "weighted": weighted, "mrrv": mrrv,
                         "categories": names,
                         "rows": [{"name": names[i], "cells": f.table[i], "index": i} for i in range(len(CATEGORIES))]})
    element_rows = [{"name": r["name"], "c": r["counts"], "m": texts(r["metrics"]), "bold": r["scope"] != "element"}
                    for r in _element_rows(result)]
    el = result.element
    value_rows = [{"name": f"{k} values", "agree": t.agree, "total": t.total,
                   "est": wilson(t.agree, t.total, cfg.confidence).text()} for k, t in sorted(el.values.items())]
    value_rows += [{"name": f"{k} dates", "agree": t.agree, "total": t.total,
                    "est": wilson(t.agree, t.total, cfg.confidence).text()} for k, t in sorted(el.dates.items())]
    if el.statuses.total:
        value_rows.append({"name": "declined / ordered / planned status", "agree": el.statuses.agree,
                           "total": el.statuses.total,
                           "est": wilson(el.statuses.agree, el.statuses.total, cfg.confidence).text()})
    extraction = []
    if result.extraction is not None:
        x = result.extraction
        for name, acc in (("BP reading sets", x.bp_values), ("HbA1c value sets", x.a1c_values),
                          ("tobacco category", x.tobacco_category), ("dates", x.dates),
                          ("span offsets match the text", x.span_integrity),
                          ("affirmed spans inside the gold quotes", x.span_exact)):
            extraction.append({"name": name, "agree": acc.correct, "total": acc.total,
                               "est": wilson(acc.correct, acc.total, cfg.confidence).text()})
    pairs = [{"name": f"{p.a} vs {p.b}", "n": p.elements.n, "kappa": p.kappa.text(), "agreement": p.agreement.text(),
              "outcome_kappa": p.outcome_kappa.text() if p.outcome_kappa else "-",
              "disagreements": len(p.disagreements)}
             for p in result.pairs]
    files = [{"name": f.path.name, "kind": f.kind, "rows": len(f.rows), "unreadable": len(f.unreadable),
              "unreviewed": len(f.unreviewed), "abstractors": ", ".join(f.abstractors) or "-"} for f in result.files]
    mode_text = ("Filled worksheets scored against the run they were sampled from" if result.mode == "worksheet"
                 else "Chart-review gold annotations scored against "
                 + ("the run's evidence" if result.run_dir else "the note pipeline run on the gold notes"))
    config_text = (f"Confidence {cfg.confidence:g}; bootstrap {cfg.bootstrap.replicates} replicates, seed "
                   f"{cfg.bootstrap.seed}; worksheet dates read {cfg.date_order}.")
    return template_env().get_template("validation_report.html.j2").render(
        job=result.job, verdict=result.verdict, mode_text=mode_text, files=files, config_text=config_text,
        messages=result.messages, thresholds=result.thresholds, fmt=_fmt, outcomes=outcomes,
        outcome_unit_name="sampled patient" if result.mode == "worksheet" else "patient with every note annotated",
        element_units=el.units, element_unit_name="note x element units" if result.mode == "gold"
        else "measure x patient x element units", cluster_name="note" if result.mode == "gold" else "patient",
        element_rows=element_rows, value_rows=value_rows, extraction=extraction, pairs=pairs,
        reference_disagreements=result.reference_disagreements, discordances=result.discordances,
        unreadable=[{"where": u.where(), "reason": u.reason} for u in result.unreadable],
        unreviewed=[f"{f}: {m or ''} {p}".strip() for f, m, p in result.unreviewed], methods=METHODS,
        replicates=cfg.bootstrap.replicates, seed=cfg.bootstrap.seed)


def format_validation(result: ValidationResult, files: list[Path] | None = None, show_discordance: int = 20) -> str:
    """The printed summary: headline figures, per measure outcome figures, thresholds."""
    lines: list[str] = []
    el = result.element
    overall = result.element_figures["element_overall"]["all"]
    what = "note x element" if result.mode == "gold" else "measure x patient x element"
    lines.append(f"Validation against chart review: {result.verdict}")
    for f in result.files:
        lines.append(f"  {f.path.name}: {len(f.rows)} rows read, {len(f.unreadable)} unreadable, "
                     f"{len(f.unreviewed)} patients not reviewed; abstractors {', '.join(f.abstractors) or '-'}")
    lines.append(f"Elements ({el.units} {what} units; TP {el.overall.tp} FP {el.overall.fp} FN {el.overall.fn} "
                 f"TN {el.overall.tn}):")
    for name in ("sensitivity", "specificity", "ppv", "npv", "f1", "kappa"):
        lines.append(f"  {name:12s} {overall[name].text()}")
    lines.append(f"{'element':28s} {'n':>4s} {'sensitivity':>21s} {'PPV':>21s} {'F1':>21s} {'kappa':>22s}")
    for element, m in result.element_figures["element"].items():
        c = el.per_element[element]
        lines.append(f"{element:28s} {c.n:4d} {m['sensitivity'].text():>21s} {m['ppv'].text():>21s} "
                     f"{m['f1'].text():>21s} {m['kappa'].text():>22s}")
    for k, t in sorted(el.values.items()):
        lines.append(f"  {k} values: {wilson(t.agree, t.total, result.config.confidence).text()} ({t.agree}/{t.total})")
    for k, t in sorted(el.dates.items()):
        lines.append(f"  {k} dates: {wilson(t.agree, t.total, result.config.confidence).text()} ({t.agree}/{t.total})")
    if result.outcome_figures:
        lines.append(f"Measure outcomes ({len(result.outcomes)} units):")
        lines.append(f"{'measure group':22s} {'n':>3s} {'PPV':>21s} {'NPV':>21s} {'kappa':>22s} {'agreement':>21s}")
        for label, f in sorted(result.outcome_figures.items()):
            extra = f"  MRRV {f.mrrv['verdict']}" if f.mrrv else ""
            lines.append(f"{label:22s} {f.units:3d} {f.metrics['ppv'].text():>21s} {f.metrics['npv'].text():>21s} "
                         f"{f.metrics['kappa'].text():>22s} {f.metrics['agreement'].text():>21s}{extra}")
    for p in result.pairs:
        lines.append(f"Inter-rater {p.a} vs {p.b}: kappa {p.kappa.text()} on {p.elements.n} element units"
                     + (f"; outcome kappa {p.outcome_kappa.text()}" if p.outcome_kappa else "")
                     + f"; {len(p.disagreements)} disagreements to adjudicate")
    if result.thresholds:
        verdicts = [t.verdict for t in result.thresholds]
        lines.append(f"Thresholds: {verdicts.count('PASS')} pass, {verdicts.count('FAIL')} fail, "
                     f"{verdicts.count('n/a')} not evaluable")
        for t in sorted(result.thresholds, key=lambda t: t.passed is not False):
            if t.passed is not None:
                lines.append(f"  {t.verdict:4s} {t.threshold} [{t.scope}] = {_fmt(t.value)} "
                             f"({_fmt(t.low)}-{_fmt(t.high)})")
        undefined = [t.scope for t in result.thresholds if t.passed is None]
        if undefined:
            lines.append(f"  n/a  (no positives on either side): {', '.join(undefined)}")
    lines.append(f"Discordances: {len(result.discordances)}")
    for d in result.discordances[:show_discordance]:
        lines.append(f"  {d.level} {d.kind} {d.element} {d.patient_id}{(' ' + d.unit) if d.unit else ''}: "
                     f"engine {d.engine_answer!s} / reviewer {d.reviewer_answer!s}")
    if len(result.discordances) > show_discordance:
        lines.append(f"  ... {len(result.discordances) - show_discordance} more in discordance.csv")
    for u in result.unreadable[:show_discordance]:
        lines.append(f"Unreadable: {u.where()}: {u.reason}")
    if len(result.unreadable) > show_discordance:
        lines.append(f"  ... {len(result.unreadable) - show_discordance} more in unreadable_rows.csv")
    for m in result.messages:
        lines.append(f"Note: {m}")
    if files:
        lines.append("Written: " + ", ".join(str(p) for p in files))
    return "\n".join(lines)
