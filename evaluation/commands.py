"""Typer-ready commands; the CLI registers them as ``qae sample``, ``qae evaluate`` (alias
``qae evaluate-extraction``) and ``qae evaluate-negex``.

Each prints a plain-text report and returns it as a dict (handy in tests).
"""

from __future__ import annotations

import json
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer

from .negex import evaluate_negex, format_negex_report

__all__ = ["evaluate_cmd", "evaluate_extraction_cmd", "evaluate_negex_cmd", "sample_cmd"]


class DateOrder(str, Enum):
    mdy = "mdy"
    dmy = "dmy"


class Allocation(str, Enum):
    equal = "equal"
    proportional = "proportional"


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def sample_cmd(
    run: Annotated[Path, typer.Option("--run", help="A finished run folder (qae run --out DIR).")],
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", help="Measure ids or aliases, comma-separated or repeated (default: every measure of the "
                          "run; with --hedis-mrrv its HEDIS measures).")] = None,
    n: Annotated[int, typer.Option("--n", help="Records per measure group, split over the strata "
                                                "(numerator met, gap open, excluded).")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and run give the same sample.")] = 7,
    out: Annotated[Path, typer.Option("--out", help="Review folder to write.")] = Path("review"),
    oversample: Annotated[float, typer.Option(
        help="Extra replacement records per stratum, as a fraction (0.1 = 10%), used in order when a "
             "record cannot be reviewed.")] = 0.0,
    allocation: Annotated[Allocation, typer.Option(
        help="equal: n split evenly over the strata (rare exclusions still checked); proportional: by "
             "stratum size.")] = Allocation.equal,
    hedis_mrrv: Annotated[bool, typer.Option(
        "--hedis-mrrv", help="HEDIS medical record review validation: 16 compliant records (gap closed from "
                             "notes) per measure group plus a second 16 for a one-error first sample.")] = False,
    unblinded: Annotated[bool, typer.Option(
        "--unblinded", help="Add the engine's answers (engine_* columns, highlighted spans) for "
                            "adjudication; default blinded.")] = False,
    notes: Annotated[list[Path] | None, typer.Option(
        "--notes", help="The run's notes file(s), when they have moved since the run (repeat for several).")] = None,
    patients: Annotated[Path | None, typer.Option(help="The run's patients file, when it has moved.")] = None,
    disagree_first: Annotated[bool, typer.Option(
        "--disagree-first", help="Within each stratum, draw first the records whose deciding evidence the rules "
                                 "and the status model read differently (review flag readers_disagree); the "
                                 "sample is then not a simple random one.")] = False,
) -> dict[str, Any]:
    """Draw a stratified review sample of a finished run and write the abstractor worksheets.

    Per measure group: a random sample of the denominator stratified by the engine's outcome
    (numerator met, gap open, excluded), reproducible by --seed. Writes OUT/sample.json (the draw;
    keep it from the abstractors) and per measure OUT/{MEASURE}_worksheet.xlsx (answer drop-downs)
    and .csv, plus OUT/{MEASURE}_notes.html (the sampled patients' notes, for reading). Blinded
    unless --unblinded.

    Example: qae sample --run out/demo --measure COL-E,CBP --n 30 --seed 7 --out review/
    """
    from engine.spec import resolve_measures
    from qae.run_folder import load_run

    from .review_folder import write_review_folder

    run_data = load_run(run, patients=patients)
    wanted = _split(measure)
    ids = [s.id for s in resolve_measures(wanted, dict(run_data.specs))] if wanted else None
    result = write_review_folder(run_data, run, out, measures=ids, n=n, seed=seed, oversample=oversample,
                                 allocation=allocation.value, hedis_mrrv=hedis_mrrv, blinded=not unblinded,
                                 notes_paths=notes, disagree_first=disagree_first)
    sample = result.sample
    preset = "HEDIS MRRV (16 + 16 compliant per group)" if hedis_mrrv else f"n={n} per group ({allocation.value})"
    typer.echo(f"Review sample of run {run_data.job}: {preset}, seed {seed}, "
               f"{'blinded' if not unblinded else 'UNBLINDED'}")
    typer.echo(f"{'measure group':22s} {'numerator':>12s} {'not numer.':>12s} {'excluded':>12s} {'oversample':>10s}")
    for g in sample.groups:
        cells = [f"{g.drawn[s]}/{g.population[s]}" for s in ("numerator", "not_numerator", "excluded")]
        extra = sum(1 for u in g.units if u.role in ("oversample", "mrrv-second"))
        typer.echo(f"{g.label:22s} {cells[0]:>12s} {cells[1]:>12s} {cells[2]:>12s} {extra:10d}")
    for measure_id, rows in result.rows.items():
        typer.echo(f"{measure_id}: {rows} worksheet rows")
    for message in result.messages:
        typer.echo(f"note: {message}")
    typer.echo(f"Written to {out}: " + ", ".join(p.name for p in result.files))
    return {"sample": sample.model_dump(mode="json"), "files": [str(p) for p in result.files],
            "rows": result.rows, "messages": result.messages}


def evaluate_cmd(
    review: Annotated[list[Path], typer.Option(
        "--review", "--gold", exists=True, dir_okay=False, readable=True,
        help="Filled worksheet(s) of `qae sample` (.xlsx or .csv), or chart-review gold JSONL "
             "(docs/evidence-elements.md format, e.g. ../shared/annotations/dev.jsonl). Repeat for several "
             "(two abstractors of one sample: inter-rater agreement).")],
    run: Annotated[Path | None, typer.Option(
        "--run", help="The run folder the worksheets were sampled from (needed for worksheets; with gold "
                      "files: score the run's evidence and outcomes instead of running the pipeline).")] = None,
    notes: Annotated[list[Path] | None, typer.Option(
        "--notes", exists=True, readable=True,
        help="Notes file(s) (input contract): for gold files without --run, or when the run's notes "
             "moved. Repeat for several.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Report folder (validation_report.html, validation.json, CSV/XLSX tables, "
                      "discordance). A path ending in .json writes only the JSON report there.")
    ] = Path("out/validation"),
    config: Annotated[Path | None, typer.Option(
        "--config", help="Validation settings and thresholds: a file with a `validation:` section (a job "
                         "config or configs/validation.yaml). Default: the run's job config, else built-in "
                         "(measure PPV >= 0.95, element F1 >= 0.90, inter-rater kappa >= 0.80).")] = None,
    sample: Annotated[Path | None, typer.Option(
        "--sample", help="The sample.json of the worksheets (default: found beside them).")] = None,
    primary: Annotated[str | None, typer.Option(
        help="With several abstractors: whose answers are the reference where they disagree and no "
             "adjudicator answered (default: the first review given).")] = None,
    date_order: Annotated[DateOrder | None, typer.Option(
        help="How worksheets write numeric dates: mdy (3/4/26 = March 4) or dmy (4 March); overrides the "
             "config.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit with code 1 when a threshold fails (for CI).")] = False,
    patients: Annotated[Path | None, typer.Option(help="The run's patients file, when it has moved.")] = None,
) -> dict[str, Any]:
    """Measure agreement with chart review: element level and measure-outcome level, with 95% intervals.

    Sensitivity, specificity, PPV, NPV (Wilson intervals), F1 (seeded bootstrap) and Cohen's kappa
    (Fleiss-Cohen-Everitt interval), overall, per element and per measure; the reviewer's findings
    run through the same measure engine, so a disagreement on a date shows up as one on the gap;
    value and date agreement; inter-rater agreement with an adjudication sheet; the discordance list;
    pass/fail against the thresholds; a one-file HTML report. Unreadable worksheet rows are listed with
    their sheet and row and left out.

    Example: qae evaluate --run out/demo --review review/COL-E_worksheet.xlsx --out out/validation

    Example: qae evaluate --review ../shared/annotations/dev.jsonl --notes ../shared/data/mtsamples/notes.jsonl
    --notes ../shared/data/aci-bench/notes.jsonl --out out/validation-dev
    """
    from .thresholds import load_validation_config
    from .validation import run_validation
    from .validation_report import format_validation, validation_dict, write_validation_report

    manifest: dict[str, Any] = {}
    if run is not None and (run / "manifest.json").is_file():
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    cfg = load_validation_config(config, manifest)
    if date_order is not None:
        cfg = cfg.model_copy(update={"date_order": date_order.value})
    result = run_validation(list(review), run_dir=run, notes=list(notes or []), config=cfg, sample_path=sample,
                            primary=primary, patients=patients)
    data = validation_dict(result)
    if out.suffix.lower() == ".json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        files = [out]
    else:
        files = write_validation_report(result, out)
    typer.echo(format_validation(result, files))
    if strict and result.verdict == "FAIL":
        raise typer.Exit(1)
    return data


@wraps(evaluate_cmd)
def evaluate_extraction_cmd(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return evaluate_cmd(*args, **kwargs)


evaluate_extraction_cmd.__doc__ = (
    "Alias of `qae evaluate` (one way to measure accuracy): score chart-review gold JSONL (--gold) "
    "against the note pipeline on --notes, or against a run (--run).\n\n"
    "Example: qae evaluate-extraction --gold ../shared/annotations/dev.jsonl "
    "--notes ../shared/data/mtsamples/notes.jsonl --notes ../shared/data/aci-bench/notes.jsonl")


def evaluate_negex_cmd(
    tsv: Annotated[
        Path,
        typer.Option(
            "--tsv",
            exists=True,
            dir_okay=False,
            readable=True,
            help="NegEx/ConText test set TSV (id, condition, sentence, negation, temporality, experiencer), "
            "e.g. ../shared/data/negex/context_test_set.tsv.",
        ),
    ],
) -> dict[str, Any]:
    """Score our ConText rules on the NegEx/ConText test set: accuracy for negation, temporality
    (historical, hypothetical) and experiencer, with per-class precision/recall.

    Example:
        qae evaluate-negex --tsv ../shared/data/negex/context_test_set.tsv
    """
    report = evaluate_negex(tsv)
    typer.echo(format_negex_report(report))
    return report.to_dict()
