"""Render every report of a run from its :class:`RunData`: one function for ``qae run`` and ``qae report``.

Reports are rendered from what a run stored (outcomes, evidence, patients, specs), never by
re-running NLP or measure logic, so ``qae report --run DIR`` gives the same bytes ``qae run`` wrote.

Formats and their writers (:data:`REPORT_WRITERS`; a writer is
``fn(run: RunData, out_dir: Path) -> list[Path]`` and returns the files it wrote):

========  ==================================================================================
csv       ``care_gaps/<clinic>.csv`` + ``care_gaps/summary.csv`` (the analyst's audit lists),
          ``worklists/<clinic>.csv`` + ``worklists/reopening/<clinic>.csv``,
          ``summary/by_clinic.csv`` + ``summary/by_provider.csv``
xlsx      ``worklists/<clinic>.xlsx`` (clinic worklist), ``summary/quality_summary.xlsx``
html      the one-file audit report ``audit.html`` (``engine.audit_html.write_audit_html``)
fhir      ``fhir/*.ndjson``: MeasureReports and DEQM gaps-in-care Bundles (``engine.fhir_report.write_fhir``)
========  ==================================================================================

A format that is asked for but has no writer raises :class:`ReportFormatError` (a one-line user
error naming the format and the registered ones).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from engine.audit_html import write_audit_html
from engine.care_gaps import write_care_gaps
from engine.errors import ReportFormatError
from engine.fhir_report import write_fhir
from engine.quality_summary import write_summary_csv, write_summary_xlsx
from engine.run_data import RunData
from engine.worklist_files import write_worklist_csv, write_worklist_xlsx

__all__ = ["FORMAT_ORDER", "REPORT_WRITERS", "ReportFormatError", "ReportWriter", "file_digests",
           "parse_formats", "register_writer", "render_reports"]

ReportWriter = Callable[[RunData, Path], list[Path]]

FORMAT_ORDER = ("csv", "xlsx", "html", "fhir")  # the order reports are rendered in


def _care_gap_csv(run: RunData, out_dir: Path) -> list[Path]:
    folder = Path(out_dir) / "care_gaps"
    write_care_gaps(run.outcomes, list(run.patients.values()), list(run.evidence.values()), folder)
    return sorted(folder.glob("*.csv"))


REPORT_WRITERS: dict[str, list[ReportWriter]] = {
    "csv": [_care_gap_csv, write_worklist_csv, write_summary_csv],
    "xlsx": [write_worklist_xlsx, write_summary_xlsx],
    "html": [write_audit_html],
    "fhir": [write_fhir],
}


def register_writer(fmt: str, writer: ReportWriter) -> None:
    """Add a writer to a format (``register_writer("html", write_audit_html)``); idempotent."""
    writers = REPORT_WRITERS.setdefault(fmt, [])
    if writer not in writers:
        writers.append(writer)


def _registered() -> list[str]:
    return sorted((f for f, w in REPORT_WRITERS.items() if w), key=lambda f: (
        FORMAT_ORDER.index(f) if f in FORMAT_ORDER else len(FORMAT_ORDER), f))


def parse_formats(text: str | Sequence[str] | None) -> list[str]:
    """``"xlsx,html"`` -> ``["xlsx", "html"]`` (None: every registered format); unknown ones fail."""
    if text is None:
        return _registered()
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = list(dict.fromkeys(f.strip().lower() for f in items if f.strip()))
    if not wanted:
        raise ReportFormatError(f"no report format given; registered formats: {', '.join(_registered())}")
    for fmt in wanted:
        if not REPORT_WRITERS.get(fmt):
            raise ReportFormatError(f"report format '{fmt}' has no writer in this build; registered formats: "
                                    f"{', '.join(_registered())}")
    return wanted


def render_reports(run: RunData, out_dir: Path, formats: Iterable[str] | str | None = None) -> list[Path]:
    """Write the reports of ``formats`` (default: every registered format) under ``out_dir``;
    returns the files written, sorted."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = parse_formats(formats if formats is None or isinstance(formats, str) else list(formats))
    written: list[Path] = []
    for fmt in sorted(chosen, key=lambda f: FORMAT_ORDER.index(f) if f in FORMAT_ORDER else len(FORMAT_ORDER)):
        for writer in REPORT_WRITERS[fmt]:
            written.extend(writer(run, out_dir))
    return sorted(dict.fromkeys(written))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digests(paths: Iterable[Path], root: Path) -> dict[str, str]:
    """``{path relative to root: sha256}`` for the manifest, sorted by path."""
    return {str(Path(p).relative_to(root)): _sha256(Path(p)) for p in sorted(paths)}
