"""The ``qae`` command line: run jobs, extract evidence, list measures, evaluate.

Errors a user can fix (``engine.errors.UserError``: a missing file, a bad config or
``pipeline:`` option, an invalid spec, an unknown measure id, a Ray cluster that cannot be
joined) print one line naming what and where, and exit with code 2, without a traceback.
Internal errors (``InternalError``, a bug) keep their traceback.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from datetime import date
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evaluation.commands import evaluate_cmd, evaluate_extraction_cmd, evaluate_negex_cmd, sample_cmd
from evaluation.conformance import conformance_cmd
from pipelines.status_model.commands import evaluate_status_model_cmd, train_cmd

app = typer.Typer(
    help="Quality-measure abstraction engine: clinical notes -> evidence with spans -> "
    "HEDIS / eCQM / ACO measure outcomes and care-gap lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # a docstring's lines join into paragraphs that wrap to the terminal
)
measures_app = typer.Typer(
    help="The measure catalogue: id, title, programs, version. Example: qae measures; qae measures show COL-E",
    no_args_is_help=False,
)
app.add_typer(measures_app, name="measures")

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


class DateOrderOption(str, Enum):
    """How numeric dates are written: month first (03/04/25 = March 4) or day first (4 March)."""

    mdy = "mdy"
    dmy = "dmy"


def _user_errors() -> tuple[type[BaseException], ...]:
    """Every error a user can fix: the project's ``UserError`` tree, and a missing file."""
    from engine.errors import UserError

    return (UserError, FileNotFoundError)


def _print_warning(message: Warning | str) -> None:
    err_console.print(f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False, markup=True,
                      soft_wrap=True)


def friendly_errors(fn: F) -> F:
    """Turn user errors into one line on stderr and exit code 2; print qae warnings as one line."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.errors import QaeWarning

        shown = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
            if issubclass(category, QaeWarning):
                _print_warning(message)
            else:
                shown(message, category, *rest, **kw)

        try:
            with warnings.catch_warnings():  # restores the filters and showwarning afterwards
                warnings.simplefilter("always", QaeWarning)
                warnings.showwarning = show
                return fn(*args, **kwargs)
        except _user_errors() as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            err_console.print(f"[bold red]error:[/] {escape(msg)}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _period(value: str | None) -> dict[str, date] | None:
    if value is None:
        return None
    from qae.config import ConfigError

    value = value.strip()
    if value.isdigit() and len(value) == 4:
        y = int(value)
        return {"start": date(y, 1, 1), "end": date(y, 12, 31)}
    try:
        start_s, end_s = value.split("..")
        return {"start": date.fromisoformat(start_s), "end": date.fromisoformat(end_s)}
    except ValueError:
        raise ConfigError(
            f"--measurement-period {value!r}: give a year (2026) or START..END (2026-01-01..2026-12-31)"
        ) from None


@app.command()
@friendly_errors
def run(
    config: Annotated[Path | None, typer.Option(help="Job config YAML (configs/demo.yaml).")] = None,
    notes: Annotated[Path | None, typer.Option(
        help="Notes: a JSONL, CSV or Parquet file, or a folder of them.")] = None,
    patients: Annotated[Path | None, typer.Option(help="Patients file: CSV or Parquet.")] = None,
    events: Annotated[Path | None, typer.Option(help="Structured events (claims/EHR): CSV or Parquet.")] = None,
    encounters: Annotated[Path | None, typer.Option(help="Encounters: CSV or Parquet.")] = None,
    measures: Annotated[str | None, typer.Option(help="Comma-separated measure ids or aliases; default all.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder for the run's reports.")] = None,
    measurement_period: Annotated[str | None, typer.Option(
        help="A year (2026) or START..END in ISO dates.")] = None,
    ray_address: Annotated[str | None, typer.Option(
        help="Join this Ray cluster (HOST:PORT, or auto for the cluster this machine belongs to) instead of "
             "starting a local Ray.")] = None,
    num_cpus: Annotated[int | None, typer.Option(help="CPUs for the local Ray and pipeline actors.")] = None,
    no_ray: Annotated[bool, typer.Option("--no-ray", help="Extract in this process (small inputs).")] = False,
    restart: Annotated[bool, typer.Option(
        "--restart", help="Discard an unfinished run in --out (by default a rerun with the same inputs and "
                          "config resumes it, and other inputs are refused).")] = False,
    progress: Annotated[str | None, typer.Option(
        help="Progress display: rich (a bar), plain (a line every few seconds) or off; default: rich on a "
             "terminal, plain otherwise.")] = None,
    date_order: Annotated[DateOrderOption | None, typer.Option(
        help="How the notes write numeric dates: mdy (03/04/25 = March 4, the default) or dmy "
             "(4 March); overrides the config's pipeline.date_order; a note's own date_order wins.")] = None,
    reports: Annotated[str | None, typer.Option(
        "--reports", help="Report formats to render, comma-separated (csv, xlsx, html, fhir; default: the "
                          "config's reports, all); render the others later with qae report --run.")] = None,
    audit_page_patients: Annotated[int | None, typer.Option(
        min=1, help="Patients per page of a clinic's HTML audit; overrides the config's "
                    "reports.audit_page_patients and is recorded in the run (default 500).")] = None,
) -> None:
    """Run the batch job: notes -> evidence -> measure outcomes -> reports.

    Notes may be one file or a folder of .jsonl/.csv/.parquet shards. Patients, events and encounters
    are validated into --out/.qae-run and split into per-partition shards (the job keeps counts, not
    records). The run checkpoints each finished chunk in --out/.qae-run: a killed run started again
    with the same command resumes where it stopped. The reports (care gaps, worklists, quality
    summary, HTML audit, FHIR) are rendered from the assembled run as `qae report --run` renders them
    (from its patient partitions, one at a time: memory does not grow with the run), and published
    into --out only when complete, with manifest.json listing this run's files and their sha256. The
    HTML audit shows at most 500 patients per page of a clinic: --audit-page-patients or the config's
    reports: {audit_page_patients: N} set another size (recorded in the run; qae report --run reuses it),
    else the environment variable QAE_AUDIT_PAGE_PATIENTS.

    Example: qae run --config configs/demo.yaml

    Example (structured data only): qae run --patients P.csv --events E.csv --encounters C.csv
    --measures CMS130,CMS125 --measurement-period 2026 --out out/ecqm

    Example (a Ray cluster): qae run --config job.yaml --notes /shared/notes/ --ray-address auto
    """
    from qae.config import ConfigError, Inputs, load_config
    from qae.job import run_job
    from qae.progress import JobProgress
    from qae.report_console import print_job_summary

    cfg = load_config(config)
    updates: dict[str, Any] = {}
    given = {"notes": notes, "patients": patients, "events": events, "encounters": encounters}
    if any(v is not None for v in given.values()):
        merged = cfg.inputs.model_dump()
        merged.update({k: v.resolve() for k, v in given.items() if v is not None})
        updates["inputs"] = Inputs(**merged)
    if measures:
        updates["measures"] = [m.strip() for m in measures.split(",") if m.strip()]
    if out is not None:
        updates["output"] = out.resolve()
    period = _period(measurement_period)
    if period:
        updates["measurement_period"] = period
    ray_updates: dict[str, Any] = {}
    if ray_address:
        ray_updates["address"] = ray_address
    if num_cpus:
        ray_updates.update(num_cpus=num_cpus, actors=num_cpus)
    if ray_updates:
        updates["ray"] = cfg.ray.model_copy(update=ray_updates)
    if date_order is not None:
        updates["pipeline"] = {**cfg.pipeline, "date_order": date_order.value}
    if reports is not None:
        from engine.reports import parse_formats

        updates["reports"] = cfg.reports.model_copy(update={"formats": parse_formats(reports)})
    if audit_page_patients is not None:
        updates["reports"] = updates.get("reports", cfg.reports).model_copy(
            update={"audit_page_patients": audit_page_patients})
    cfg = cfg.model_validate({**cfg.model_dump(), **{k: (v.model_dump() if hasattr(v, "model_dump") else v)
                                                     for k, v in updates.items()}})
    if progress not in (None, "rich", "plain", "off"):
        raise ConfigError(f"--progress {progress!r}: choose rich, plain or off")
    result = run_job(cfg, use_ray=not no_ray, restart=restart, progress=JobProgress(mode=progress))
    print_job_summary(result, console)


@app.command()
@friendly_errors
def report(
    run_dir: Annotated[Path, typer.Option("--run", help="A finished run folder (what `qae run` wrote).")],
    formats_text: Annotated[str | None, typer.Option(
        "--format", help="Comma-separated report formats: csv, xlsx, html, fhir (default: every one this "
                         "build has).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the reports here instead of into the run folder.")] = None,
    patients: Annotated[Path | None, typer.Option(
        help="The run's patients file, if it has moved since the run (default: the path in the manifest).")] = None,
    encounters: Annotated[Path | None, typer.Option(help="The run's encounters file, if it has moved.")] = None,
    audit_page_patients: Annotated[int | None, typer.Option(
        min=1, help="Patients per page of a clinic's HTML audit (default: the size the run's config set, "
                    "else QAE_AUDIT_PAGE_PATIENTS, else 500).")] = None,
) -> None:
    """Render a finished run's reports again from its stored outcomes and evidence, partition by partition (no NLP).

    Clinic worklists (XLSX + CSV), the quality summary, care-gap CSVs, and the HTML audit and FHIR when built in.
    The HTML audit shows at most 500 patients per page of a clinic, or the size the run's config set
    (reports: {audit_page_patients: N}); --audit-page-patients overrides it, and QAE_AUDIT_PAGE_PATIENTS
    sets it when neither does.

    Re-rendering gives byte-identical files. Into the run folder: the manifest's "reports" (file, sha256) is updated;
    with --out: OUT/reports.json lists them.

    Example: qae report --run out/demo --format xlsx,csv
    """
    import json
    import time

    from engine.reports import file_digests, parse_formats
    from qae.report_run import render_run

    formats = parse_formats(formats_text)
    started = time.perf_counter()
    target = (out or run_dir).resolve()
    files = render_run(run_dir, target, formats, patients=patients, encounters=encounters,
                       audit_page_patients=audit_page_patients)
    digests = file_digests(files, target)
    if target == run_dir.resolve():
        manifest_path = run_dir / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["reports"] = dict(sorted({**manifest.get("reports", {}), **digests}.items()))
        manifest["outputs"] = sorted(set(manifest.get("outputs", [])) | set(digests))
        if "files" in manifest:  # qae run's listing of its files: the re-rendered ones, with their digests
            for name, digest in digests.items():
                manifest["files"][name] = {"sha256": digest, "bytes": (target / name).stat().st_size}
            manifest["files"] = dict(sorted(manifest["files"].items()))
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    else:
        listing = {"run": str(run_dir.resolve()), "formats": formats, "reports": digests}
        (target / "reports.json").write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n",
                                             encoding="utf-8")
    stored = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    console.print(f"[bold]qae report[/] {stored.get('job', run_dir.name)}: {len(files)} files ({', '.join(formats)}) "
                  f"from {stored.get('counts', {}).get('outcomes', '?')} outcomes in "
                  f"{time.perf_counter() - started:.1f} s -> {target}", highlight=False)
    for name, digest in digests.items():
        console.print(f"  {name}  sha256 {digest[:16]}", highlight=False, markup=False)


@app.command()
@friendly_errors
def extract(
    notes: Annotated[Path, typer.Option(help="Notes file: JSONL, CSV or Parquet.")],
    out: Annotated[Path, typer.Option(help="Output folder; evidence goes to OUT/evidence.jsonl.")],
    patients: Annotated[Path | None, typer.Option(help="Optional patients file: notes of unknown "
                                                       "patients are then quarantined.")] = None,
    workers: Annotated[int, typer.Option(help="1 = in this process; >1 = that many Ray actors.")] = 1,
    include_supplemental: Annotated[bool, typer.Option(
        "--include-supplemental",
        help="Also write the elements measures read beyond the guideline's 27 (tobacco cessation "
             "counseling/medication, depression follow-up, falls screening, Td/Tdap and zoster vaccines); "
             "`qae run` always extracts them.")] = False,
    date_order: Annotated[DateOrderOption | None, typer.Option(
        help="How the notes write numeric dates: mdy (03/04/25 = March 4, the default) or dmy "
             "(4 March); a note's own date_order wins.")] = None,
) -> None:
    """Extract evidence only: OUT/evidence.jsonl (one JSON object per line) and OUT/quarantine.jsonl.

    Example: qae extract --notes ../shared/data/aci-bench/notes.jsonl --out out/aci
    """
    from qae.job import run_extract

    options = {"date_order": date_order.value} if date_order is not None else None
    counts = run_extract(notes, out, patients_path=patients, workers=workers,
                         supplemental=include_supplemental, options=options)
    console.print(
        f"notes read {counts['notes_read']} = processed {counts['notes_processed']} + quarantined "
        f"{counts['notes_quarantined']}; {counts['evidence']} evidence items -> {out / 'evidence.jsonl'}",
        highlight=False,
    )


@measures_app.callback(invoke_without_command=True)
@friendly_errors
def measures_list(
    ctx: typer.Context,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the catalogue as Markdown "
                                           "(the source of measures/CATALOGUE.md).")] = False,
) -> None:
    """List the measure catalogue: id, title, programs, version.

    Example: qae measures
    """
    if ctx.invoked_subcommand is not None:
        return
    from engine.catalogue import catalogue_markdown, catalogue_rows, catalogue_text
    from engine.spec import load_specs

    if markdown:
        sys.stdout.write(catalogue_markdown(load_specs()))
        return
    specs = load_specs()
    if not console.is_terminal or console.width < 120:  # piped, or a narrow terminal: wrapped plain text
        sys.stdout.write(catalogue_text(specs, width=min(console.width, 100) if console.is_terminal else 80))
        return
    table = Table(title="Measure catalogue")
    for col, kw in (("id", {"no_wrap": True}), ("title", {"ratio": 3}), ("programs", {"ratio": 3}),
                    ("version", {}), ("age", {}), ("sex", {}), ("direction", {}), ("groups", {"justify": "right"})):
        table.add_column(col, overflow="fold", **kw)
    for row in catalogue_rows(specs):
        programs = "; ".join(str(row[k]) for k in ("hedis", "cms_ecqm", "mips_quality", "mssp_app_plus") if row[k])
        table.add_row(row["id"], row["title"], programs, row["version"], row["age"], row["sex"],
                      "lower is better" if row["inverse"] else "higher", str(row["groups"]))
    console.print(table)


@measures_app.command("show")
@friendly_errors
def measures_show(measure: Annotated[str, typer.Argument(help="Measure id or alias, e.g. COL-E.")]) -> None:
    """Describe one measure in plain words: population, exclusions, numerator, windows.

    Example: qae measures show COL-E
    """
    from engine.catalogue import describe
    from engine.spec import load_specs, resolve_measures

    (spec,) = resolve_measures([measure], load_specs())
    console.print(describe(spec), highlight=False, markup=False, soft_wrap=True)


@measures_app.command("elements")
@friendly_errors
def measures_elements() -> None:
    """List the element vocabulary (measures/elements.yaml): id, kind, sources, what counts.

    Example: qae measures elements
    """
    from engine.elements import load_vocabulary

    table = Table(title="Evidence elements (measures/elements.yaml)")
    for col in ("id", "kind", "sources", "dated by visit", "description"):
        table.add_column(col)
    for e in load_vocabulary():
        table.add_row(e.id, e.kind, e.sources, "yes" if e.dated_by_visit else "", e.description)
    console.print(table)


def _register(name: str, fn: Callable[..., Any]) -> None:
    """Register a command implemented in the layer it belongs to (evaluation/...)."""
    app.command(name)(friendly_errors(fn))


_register("sample", sample_cmd)
_register("evaluate", evaluate_cmd)
_register("evaluate-extraction", evaluate_extraction_cmd)
_register("evaluate-negex", evaluate_negex_cmd)
_register("conformance", conformance_cmd)
_register("train", train_cmd)
_register("evaluate-status-model", evaluate_status_model_cmd)


def main() -> None:  # pragma: no cover
    app(prog_name="qae")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
