"""Typer-ready commands; the CLI registers them as ``qae evaluate-extraction`` / ``qae evaluate-negex``.

Both print a plain-text report and return it as a dict (handy in tests).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .extraction import evaluate_extraction, format_extraction_report
from .negex import evaluate_negex, format_negex_report

__all__ = ["evaluate_extraction_cmd", "evaluate_negex_cmd"]


def evaluate_extraction_cmd(
    gold: Annotated[
        Path,
        typer.Option(
            "--gold",
            exists=True,
            dir_okay=False,
            readable=True,
            help="Chart-review annotations (JSONL, docs/evidence-elements.md format), "
            "e.g. ../shared/annotations/dev.jsonl.",
        ),
    ],
    notes: Annotated[
        list[Path],
        typer.Option(
            "--notes",
            exists=True,
            dir_okay=False,
            readable=True,
            help="Notes JSONL (input contract). Repeat for several files: --notes a.jsonl --notes b.jsonl. "
            "Only notes with gold annotations are scored; each note's own date_order (mdy/dmy) is honoured.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            dir_okay=False,
            help="Also write the full report (scores, misses) as JSON to this file.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Score evidence extraction against chart review: per-element P/R/F1 at note level (positive =
    affirmed), micro and macro, value accuracy (BP readings, A1c values, tobacco category), date
    accuracy, span exactness, and the false positives / negatives with their spans.

    Example:
        qae evaluate-extraction --gold ../shared/annotations/dev.jsonl \\
            --notes ../shared/data/mtsamples/notes.jsonl --notes ../shared/data/aci-bench/notes.jsonl

    Example (our terse-style development set):
        qae evaluate-extraction --gold evaluation/devsets/terse/gold.jsonl --notes evaluation/devsets/terse/notes.jsonl
    """
    report = evaluate_extraction(gold, list(notes))
    typer.echo(format_extraction_report(report))
    data = report.to_dict()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
        typer.echo(f"Report written to {out}")
    return data


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
