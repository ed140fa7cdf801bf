"""Load a trained status model directory and read windows with it (batched, offline, CPU).

A model directory (written by ``qae train``) holds:
  model.json          name, version, the encoder package and the sha256 of its weights, window shape, labels
  weights.safetensors the trained part (target vector, top layer, heads): never a pickle
  hybrid.yaml         who decides each status class (pipelines.status_model.hybrid)
  metrics.json, data.json, config.yaml   what it scored, on which data (sources, shares, sha256), how trained
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.errors import ConfigError

from .encoder import encoder_fingerprint, load_encoder
from .hybrid import HybridPolicy, load_policy
from .windows import EncodedWindow, Window, WindowShape, encode_windows

__all__ = ["BUILTIN_MODELS", "Reading", "StatusReader", "load_reader", "resolve_model_dir"]

BUILTIN_MODELS = Path(__file__).resolve().parent / "models"
MODEL_FORMAT = 1
INFERENCE_THREADS = 1  # one torch thread: the same readings on any machine; Ray runs one actor per core


@dataclass(frozen=True)
class Reading:
    """The model's reading of one target: its status and temporality with their probabilities."""

    status: str
    probability: float
    temporality: str
    temporality_probability: float
    status_probs: tuple[float, ...]
    temporality_probs: tuple[float, ...]


def resolve_model_dir(name_or_path: str | Path) -> Path:
    """A model directory by path, or by name among the models shipped in the package."""
    path = Path(name_or_path)
    if (path / "model.json").is_file():
        return path.resolve()
    builtin = BUILTIN_MODELS / str(name_or_path)
    if (builtin / "model.json").is_file():
        return builtin
    shipped = sorted(p.name for p in BUILTIN_MODELS.glob("*") if (p / "model.json").is_file())
    raise ConfigError(
        f"status model {str(name_or_path)!r} not found: neither a folder with a model.json nor a shipped "
        f"model name (shipped: {shipped}); train one with `qae train --config configs/status_model.yaml`."
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class StatusReader:
    """A loaded status model: ``read(windows)`` gives one ``Reading`` per window."""

    def __init__(self, model_dir: Path) -> None:
        import torch
        from safetensors.torch import load_file

        from .network import FROZEN_LAYERS, FrozenLayers, StatusNet

        self.dir = model_dir
        meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
        if meta.get("format") != MODEL_FORMAT:
            raise ConfigError(
                f"{model_dir}/model.json: format {meta.get('format')!r}; this engine reads format {MODEL_FORMAT}."
            )
        expected = meta["encoder"]
        actual = encoder_fingerprint()
        if expected["sha256"] != actual["sha256"]:
            raise ConfigError(
                f"{model_dir}: trained on {expected['package']} {expected['version']} but the installed encoder "
                f"({actual['version']}) has other weights; reinstall the pinned version or retrain."
            )
        weights = model_dir / meta["weights"]
        if _sha256(weights) != meta["weights_sha256"]:
            raise ConfigError(f"{weights}: sha256 differs from model.json; the model directory is damaged.")
        self.meta = meta
        self.name = f"{meta['name']}-{meta['version']}"
        self.status_labels: tuple[str, ...] = tuple(meta["status_labels"])
        self.temporality_labels: tuple[str, ...] = tuple(meta["temporality_labels"])
        self.shape = WindowShape(**meta["window"])
        torch.set_num_threads(INFERENCE_THREADS)
        self.tokenizer, bert = load_encoder()
        self.frozen = FrozenLayers(bert, meta.get("frozen_layers", FROZEN_LAYERS))
        self.hidden = int(bert.config.hidden_size)
        self.net = StatusNet(bert.encoder.layer[-1], hidden=self.hidden)
        self.net.load_state_dict(load_file(str(weights)))
        self.net.eval()
        self.policy: HybridPolicy = load_policy(model_dir / "hybrid.yaml", self.status_labels)
        self._torch = torch

    def read(self, windows: Sequence[Window], batch_size: int = 64) -> list[Reading]:
        """Readings in input order; batches of similar length. The frozen layers read each distinct
        word-piece sequence once (the targets of one short sentence share it); the top layer reads
        each distinct (sequence, target) once."""
        torch = self._torch
        encoded = encode_windows(self.tokenizer, windows, self.shape)
        unique = list(dict.fromkeys(encoded))
        order = sorted(range(len(unique)), key=lambda i: (len(unique[i].ids), i))
        readings: dict[Any, Reading] = {}
        from .network import pad_batch

        with torch.inference_mode():
            frozen: dict[tuple[int, ...], Any] = {}
            sequences = sorted({w.ids for w in unique}, key=lambda ids: (len(ids), ids))
            for k in range(0, len(sequences), batch_size):
                chunk_ids = sequences[k : k + batch_size]
                ids, attn, _ = pad_batch([EncodedWindow(seq, 0, 0) for seq in chunk_ids])
                out = self.frozen(ids, attn)
                for j, seq in enumerate(chunk_ids):
                    frozen[seq] = out[j, : len(seq)]
            for k in range(0, len(order), batch_size):
                chunk = [unique[i] for i in order[k : k + batch_size]]
                _, attn, target = pad_batch(chunk)
                states = torch.zeros((len(chunk), attn.shape[1], self.hidden))
                for j, w in enumerate(chunk):
                    states[j, : len(w.ids)] = frozen[w.ids]
                s_logits, t_logits = self.net(states, attn, target)
                s_probs = torch.softmax(s_logits, dim=-1).tolist()
                t_probs = torch.softmax(t_logits, dim=-1).tolist()
                for w, sp, tp in zip(chunk, s_probs, t_probs, strict=True):
                    si = max(range(len(sp)), key=sp.__getitem__)
                    ti = max(range(len(tp)), key=tp.__getitem__)
                    readings[w] = Reading(
                        self.status_labels[si], round(sp[si], 4), self.temporality_labels[ti], round(tp[ti], 4),
                        tuple(round(x, 4) for x in sp), tuple(round(x, 4) for x in tp),
                    )
        return [readings[w] for w in encoded]


@lru_cache(maxsize=4)
def load_reader(name_or_path: str) -> StatusReader:
    """One loaded model per process (each Ray actor loads it once)."""
    return StatusReader(resolve_model_dir(name_or_path))
