"""What ``qae run`` prints at the end: what a reader needs to trust the run, and where the reports are.

* the run and its counts (notes read = processed + quarantined);
* WARNING lines first when an input was empty or wholly quarantined (qae/run_checks.py);
* per measure: denominator, exclusions, numerator, rate and open gaps, with inverse measures marked
  "lower is better" (their open gaps are the patients in the numerator), and measures that could
  not apply shown as ``n/a`` with the reason below the table;
* quarantined records counted by input and reason;
* the report folders, with how many files each holds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["print_job_summary"]


def _measure_rows(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    measures = summary.get("measures", summary)
    if isinstance(measures, dict):
        return [(k, v) for k, v in sorted(measures.items()) if isinstance(v, dict)]
    return []


def _not_applicable(m: dict[str, Any], summary: dict[str, Any]) -> dict[str, str]:
    from engine.spec import load_specs
    from qae.run_checks import not_applicable

    enc = (m.get("inputs") or {}).get("encounters") or {}
    return not_applicable(summary, load_specs(), has_encounters=bool(enc.get("accepted")))


def _report_folders(outputs: list[str]) -> str:
    folders: Counter[str] = Counter(Path(o).parts[0] if len(Path(o).parts) > 1 else o for o in outputs)
    return ", ".join(f"{name}/ ({n} file{'s' if n != 1 else ''})" if n > 1 or "." not in name else name
                     for name, n in sorted(folders.items()))


def print_job_summary(result: Any, console: Console) -> None:
    from qae.run_checks import quarantine_reasons

    m = result.manifest
    c = m["counts"]
    console.print(
        f"[bold]qae run[/] {escape(str(m['job']))}: measurement period {m['measurement_period']['start']}.."
        f"{m['measurement_period']['end']}, {c['patients']} patients",
        highlight=False,
    )
    for warning in m.get("warnings") or ():
        # one line whatever the console's width (a long input path must not cut it): grep finds it whole
        console.print(f"[bold red]WARNING:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    console.print(
        f"notes read {c['notes_read']} = processed {c['notes_processed']} + quarantined "
        f"{c['notes_quarantined']}; {c['evidence']} evidence items "
        f"({c['structured_evidence']} from structured data); "
        f"{c['records_quarantined']} records quarantined in all",
        highlight=False,
    )
    summary = result.summary or {}
    rows = _measure_rows(summary)
    missing = _not_applicable(m, summary) if rows else {}
    if rows:
        table = Table(show_edge=False, pad_edge=False, box=None)
        for col in ("measure", "denom", "excluded", "numer", "rate", "open gaps", ""):
            table.add_column(col, justify="left" if col in ("measure", "") else "right", no_wrap=col != "")
        for mid, s in rows:
            rate = s.get("rate")
            note = "lower is better" if s.get("inverse") else ""
            if mid in missing:
                note = "n/a: see below"
            table.add_row(
                mid,
                str(s.get("denom", "")),
                str(s.get("denex", 0) + s.get("denexcep", 0)),
                str(s.get("numer", "")),
                "n/a" if rate is None else f"{rate:.0%}",
                str(s.get("open_gaps", "")),
                note,
            )
        console.print(table)
        if any(s.get("inverse") for _, s in rows):
            console.print("lower is better: an inverse measure (e.g. HbA1c poor control): its rate counts the "
                          "patients with the problem, and they are its open gaps", highlight=False)
    for label, why in missing.items():
        console.print(f"n/a {escape(label)}: {escape(why)}", highlight=False)
    reasons = quarantine_reasons(Path(result.out_dir) / "quarantine.jsonl")
    if reasons:
        console.print("quarantined records by reason:", highlight=False)
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            console.print(f"  {n:>6}  {escape(reason)}", highlight=False)
    console.print(f"reports in {result.out_dir}: {_report_folders(m.get('outputs', []))}", highlight=False)
    run = m.get("run") or {}
    if run.get("resumed"):
        console.print(f"resumed: {run['chunks_done_before']} of {run['chunks']} input chunks were done before; "
                      f"{run['notes_extracted_this_session']} notes extracted in this session", highlight=False)
