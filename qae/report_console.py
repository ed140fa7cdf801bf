"""A few lines on the console after a job: where the reports are and what they say."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["print_job_summary"]


def _measure_rows(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    measures = summary.get("measures", summary)
    if isinstance(measures, dict):
        return [(k, v) for k, v in sorted(measures.items()) if isinstance(v, dict)]
    return []


def print_job_summary(result: Any, console: Console) -> None:
    m = result.manifest
    c = m["counts"]
    console.print(
        f"[bold]qae run[/] {m['job']}: measurement period {m['measurement_period']['start']}.."
        f"{m['measurement_period']['end']}, {c['patients']} patients",
        highlight=False,
    )
    console.print(
        f"notes read {c['notes_read']} = processed {c['notes_processed']} + quarantined "
        f"{c['notes_quarantined']}; {c['evidence']} evidence items "
        f"({c['structured_evidence']} from structured data); "
        f"{c['records_quarantined']} records quarantined in all",
        highlight=False,
    )
    rows = _measure_rows(result.summary or {})
    if rows:
        table = Table(show_edge=False, pad_edge=False, box=None)
        for col in ("measure", "denominator", "excluded", "numerator", "rate", "open gaps"):
            table.add_column(col, justify="left" if col == "measure" else "right")
        for mid, s in rows:
            rate = s.get("rate")
            table.add_row(
                mid,
                str(s.get("denom", "")),
                str(s.get("denex", 0) + s.get("denexcep", 0)),
                str(s.get("numer", "")),
                "" if rate is None else f"{rate:.0%}",
                str(s.get("open_gaps", "")),
            )
        console.print(table)
    top = [o for o in m["outputs"] if "/" not in o or o.startswith("care_gaps/")]
    parts = sorted({o.split("/", 1)[0] for o in m["outputs"] if "/" in o and not o.startswith("care_gaps/")})
    tail = f"; partition files in {', '.join(p + '/' for p in parts)}" if parts else ""
    console.print(f"reports in {result.out_dir}: " + ", ".join(top) + tail, highlight=False)
    run = m.get("run") or {}
    if run.get("resumed"):
        console.print(f"resumed: {run['chunks_done_before']} of {run['chunks']} input chunks were done before; "
                      f"{run['notes_extracted_this_session']} notes extracted in this session", highlight=False)
