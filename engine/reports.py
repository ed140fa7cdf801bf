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

Every built-in writer is written from partitions (engine/report_parts.py, :data:`PART_WRITERS`):
each partition of a run gives its sorted rows and counts (:func:`report_material`), the files are
merged from them (:func:`render_parts`). ``qae run`` and ``qae report --run`` do that per partition of
the run folder (qae/report_run.py); :func:`render_reports` does it for a :class:`RunData` in memory
(one partition). A writer added with :func:`register_writer` reads a whole :class:`RunData`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from engine.audit_html import audit_material, write_audit_html, write_audit_html_parts
from engine.care_gaps import care_gap_material, write_care_gaps, write_care_gaps_parts
from engine.errors import ReportFormatError
from engine.fhir_report import fhir_material, write_fhir, write_fhir_parts
from engine.quality_summary import (
    summary_material,
    write_summary_csv,
    write_summary_csv_parts,
    write_summary_xlsx,
    write_summary_xlsx_parts,
)
from engine.report_parts import Material, Parts
from engine.run_data import RunData
from engine.worklist_files import (
    worklist_material,
    write_worklist_csv,
    write_worklist_csv_parts,
    write_worklist_xlsx,
    write_worklist_xlsx_parts,
)

__all__ = ["FORMAT_ORDER", "REPORT_WRITERS", "ReportFormatError", "ReportWriter", "WriterCall", "file_digests",
           "parse_formats", "register_writer", "render_parts", "render_reports", "report_material"]

ReportWriter = Callable[[RunData, Path], list[Path]]
PartsWriter = Callable[[Parts, RunData, Path], list[Path]]

FORMAT_ORDER = ("csv", "xlsx", "html", "fhir")  # the order reports are rendered in


def _care_gap_csv(run: RunData, out_dir: Path) -> list[Path]:
    folder = Path(out_dir) / "care_gaps"
    write_care_gaps(run.outcomes, list(run.patients.values()), list(run.evidence.values()), folder)
    return sorted(folder.glob("*.csv"))


def _care_gap_csv_parts(parts: Parts, run: RunData, out_dir: Path) -> list[Path]:
    folder = Path(out_dir) / "care_gaps"
    write_care_gaps_parts(parts, folder)
    return sorted(folder.glob("*.csv"))


def _care_gap_material(run: RunData) -> Material:
    return care_gap_material(run.outcomes, list(run.patients.values()), list(run.evidence.values()), run.tally)


REPORT_WRITERS: dict[str, list[ReportWriter]] = {
    "csv": [_care_gap_csv, write_worklist_csv, write_summary_csv],
    "xlsx": [write_worklist_xlsx, write_summary_xlsx],
    "html": [write_audit_html],
    "fhir": [write_fhir],
}

# Material of one partition, by name (engine/report_parts.py).
MATERIALS: dict[str, Callable[[RunData], Material]] = {
    "care_gaps": _care_gap_material, "worklists": worklist_material, "summary": summary_material,
    "audit": audit_material, "fhir": fhir_material,
}

# The built-in writers written from partitions: (the material they read, the writer from Parts).
PART_WRITERS: dict[ReportWriter, tuple[tuple[str, ...], PartsWriter]] = {
    _care_gap_csv: (("care_gaps",), _care_gap_csv_parts),
    write_worklist_csv: (("worklists",), write_worklist_csv_parts),
    write_summary_csv: (("summary",), write_summary_csv_parts),
    write_worklist_xlsx: (("worklists", "summary"), write_worklist_xlsx_parts),
    write_summary_xlsx: (("summary",), write_summary_xlsx_parts),
    write_audit_html: (("audit",), write_audit_html_parts),
    write_fhir: (("fhir",), write_fhir_parts),
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


def _ordered(formats: Iterable[str] | str | None) -> list[str]:
    chosen = parse_formats(formats if formats is None or isinstance(formats, str) else list(formats))
    return sorted(chosen, key=lambda f: FORMAT_ORDER.index(f) if f in FORMAT_ORDER else len(FORMAT_ORDER))


def report_material(run: RunData, formats: Iterable[str] | str | None = None) -> Material:
    """One partition's material for every built-in writer of ``formats`` (a :class:`RunData` of the
    partition: its patients, its outcomes, the evidence they name, its encounters)."""
    names = dict.fromkeys(m for fmt in _ordered(formats) for w in REPORT_WRITERS[fmt] if w in PART_WRITERS
                          for m in PART_WRITERS[w][0])
    material = Material()
    for name in names:
        material.merge(MATERIALS[name](run))
    return material


# The file writers from partitions, the longest first (what a pool of workers should start with).
_LONGEST_FIRST = (write_worklist_xlsx, write_audit_html, write_fhir, _care_gap_csv, write_worklist_csv,
                  write_summary_xlsx, write_summary_csv)

WriterCall = tuple[PartsWriter, Parts, RunData, Path]


def render_parts(parts: Parts, run: RunData, out_dir: Path, formats: Iterable[str] | str | None = None,
                 whole: Callable[[], RunData] | None = None,
                 each: Callable[[Sequence[WriterCall]], Iterable[list[Path]]] | None = None) -> list[Path]:
    """Write the reports of ``formats`` under ``out_dir`` from the partitions' material; ``run`` gives
    what is not per partition (job, period, specs, versions, warnings). A writer registered with
    :func:`register_writer` reads a whole :class:`RunData`: ``whole()`` (loaded only then).

    ``each`` runs the file writers (``(writer, parts, run, out_dir)`` calls, each writing its own files,
    the longest first) and yields the files each wrote, e.g. as parallel Ray tasks (qae/report_run.py);
    default: one after the other, here. With a registered writer among ``formats`` every writer runs
    here, in format order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = [w for fmt in _ordered(formats) for w in REPORT_WRITERS[fmt]]
    if each is not None and all(w in PART_WRITERS for w in chosen):
        order = sorted(chosen, key=lambda w: _LONGEST_FIRST.index(w) if w in _LONGEST_FIRST else len(_LONGEST_FIRST))
        found = [p for paths in each([(PART_WRITERS[w][1], parts, run, out_dir) for w in order]) for p in paths]
        return sorted(dict.fromkeys(found))
    written: list[Path] = []
    for fmt in _ordered(formats):
        for writer in REPORT_WRITERS[fmt]:
            if writer in PART_WRITERS:
                written.extend(PART_WRITERS[writer][1](parts, run, out_dir))
            elif whole is not None:
                written.extend(writer(whole(), out_dir))
            else:
                raise ReportFormatError(f"report format '{fmt}': writer {getattr(writer, '__name__', writer)} "
                                        "needs the whole run in memory")
    return sorted(dict.fromkeys(written))


def render_reports(run: RunData, out_dir: Path, formats: Iterable[str] | str | None = None) -> list[Path]:
    """Write the reports of ``formats`` (default: every registered format) under ``out_dir``;
    returns the files written, sorted. ``run`` is one partition held in memory: the same writers as
    a run folder's partitions (``qae.report_run.render_run``)."""
    return render_parts(Parts([report_material(run, formats)]), run, out_dir, formats, whole=lambda: run)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digests(paths: Iterable[Path], root: Path) -> dict[str, str]:
    """``{path relative to root: sha256}`` for the manifest, sorted by path."""
    return {str(Path(p).relative_to(root)): _sha256(Path(p)) for p in sorted(paths)}
