"""``qae train`` and ``qae evaluate-status-model``: the status model's commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["evaluate_status_model_cmd", "train_cmd"]


def train_cmd(
    config: Annotated[Path, typer.Option(help="Training config YAML (configs/status_model.yaml).")],
    out: Annotated[Path | None, typer.Option(
        help="Model folder to write; default OUTPUT/NAME-VERSION (the config's output, name and version).")] = None,
) -> None:
    """Train the status model (the learned second reader) on CPU, seeded: data recipe, training, the
    hybrid chosen per status class on held-out rows, and its scores, in one versioned model folder.

    Example: qae train --config configs/status_model.yaml
    """
    from evaluation.status_model_eval import format_tables

    from .config import load_train_config
    from .train import train_status_model

    cfg = load_train_config(config)
    model_dir = train_status_model(cfg, out, log=lambda m: typer.echo(m, err=True))
    typer.echo(format_tables(json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))))


def evaluate_status_model_cmd(
    model: Annotated[str, typer.Option(help="A model folder or a shipped model name (minilm-status-2).")],
) -> None:
    """Print the scores a status model folder records (metrics.json): rules, model and hybrid on the
    held-out NegEx split and on the dev notes, and the errors among readers_disagree items.

    Example: qae evaluate-status-model --model minilm-status-2
    """
    from evaluation.status_model_eval import format_tables

    from .reader import resolve_model_dir

    folder = resolve_model_dir(model)
    typer.echo(f"{folder.name}: hybrid policy {folder / 'hybrid.yaml'}")
    typer.echo(format_tables(json.loads((folder / "metrics.json").read_text(encoding="utf-8"))))
