"""The training configuration (``configs/status_model.yaml``), validated with pydantic.

Relative paths are resolved against the config file's folder; note paths may be glob patterns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError

__all__ = ["TrainConfig", "load_train_config"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NegexSource(_Strict):
    path: Path
    split: dict[str, float] = Field(default_factory=lambda: {"train": 0.6, "val": 0.15, "test": 0.25})
    weight: float = 1.0


class DevSource(_Strict):
    gold: Path
    notes: list[str]
    split: dict[str, float] = Field(default_factory=lambda: {"train": 0.4, "select": 0.2, "eval": 0.4})
    weight: float = 1.0


class WeakSource(_Strict):
    notes: list[str]
    cap_per_status: dict[str, int] = Field(default_factory=lambda: {"affirmed": 2000, "default": 800})
    weight: float = 0.5


class Sources(_Strict):
    negex: NegexSource | None = None
    dev: DevSource | None = None
    weak: WeakSource | None = None


class TrainSettings(_Strict):
    epochs: int = Field(4, ge=1)
    batch_size: int = Field(32, ge=1)
    lr_top: float = 1e-4
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    dropout: float = 0.1
    threads: int = Field(2, ge=1, description="torch threads: fixed, so a retrain gives the same weights")


class Window(_Strict):
    max_left: int = 40
    max_target: int = 16
    max_right: int = 24


class TrainConfig(_Strict):
    name: str = "minilm-status"
    version: str = "1"
    seed: int = 15
    output: Path = Path("out/models")
    sources: Sources
    train: TrainSettings = TrainSettings()
    window: Window = Window()
    thresholds: list[float] = Field(default_factory=lambda: [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
    evaluate_dev_notes: bool = True  # run the whole pipeline on the dev eval notes (note-level table)
    source_text: str | None = Field(None, exclude=True)  # the YAML as written (kept in the model folder)

    def resolved(self, base: Path) -> TrainConfig:
        def fix(p: Any) -> Any:
            return p if Path(p).is_absolute() else str((base / p).resolve())

        src = self.sources
        data = self.model_dump()
        if src.negex:
            data["sources"]["negex"]["path"] = fix(src.negex.path)
        if src.dev:
            data["sources"]["dev"]["gold"] = fix(src.dev.gold)
            data["sources"]["dev"]["notes"] = [fix(p) for p in src.dev.notes]
        if src.weak:
            data["sources"]["weak"]["notes"] = [fix(p) for p in src.weak.notes]
        data["output"] = fix(self.output)
        return TrainConfig.model_validate(data)


def load_train_config(path: Path) -> TrainConfig:
    if not path.is_file():
        raise ConfigError(f"training config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        config = TrainConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: field '{where}': {err['msg']}") from exc
    resolved = config.resolved(path.parent.resolve())
    resolved.source_text = path.read_text(encoding="utf-8")
    return resolved
