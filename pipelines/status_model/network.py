"""The status network: frozen MiniLM layers, one fine-tuned top layer, two small heads.

    word pieces -> MiniLM embeddings + layers 1..5 (frozen, from the PyPI package)
                -> + a learned "target" vector on the target's word pieces
                -> layer 6 (initialised from MiniLM, trained)
                -> [mean of the target's states ; the [CLS] state]
                -> status head (the engine's 8 statuses) and temporality head (recent/historical/hypothetical)

Only the top layer, the target vector and the heads are trained and stored (about 7 MB); the
frozen part is rebuilt from the package, whose weights' sha256 the model directory records.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .windows import EncodedWindow

__all__ = ["FROZEN_LAYERS", "STATUS_LABELS", "TEMPORALITY_LABELS", "FrozenLayers", "StatusNet", "pad_batch"]

STATUS_LABELS: tuple[str, ...] = (
    "affirmed", "negated", "declined", "ordered", "planned", "hypothetical", "uncertain", "family"
)
TEMPORALITY_LABELS: tuple[str, ...] = ("recent", "historical", "hypothetical")
FROZEN_LAYERS = 5  # MiniLM-L6 has 6; the last one is fine-tuned


def pad_batch(windows: Sequence[EncodedWindow]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(input ids, attention mask, target mask), right-padded to the longest window."""
    width = max(len(w.ids) for w in windows)
    ids = torch.zeros((len(windows), width), dtype=torch.long)
    attn = torch.zeros((len(windows), width), dtype=torch.float32)
    target = torch.zeros((len(windows), width), dtype=torch.float32)
    for i, w in enumerate(windows):
        ids[i, : len(w.ids)] = torch.tensor(w.ids, dtype=torch.long)
        attn[i, : len(w.ids)] = 1.0
        target[i, w.t_start : w.t_end] = 1.0
    return ids, attn, target


def _additive(attn: torch.Tensor) -> torch.Tensor:
    return ((1.0 - attn) * torch.finfo(torch.float32).min)[:, None, None, :]


class FrozenLayers(nn.Module):
    """MiniLM's embeddings and first ``FROZEN_LAYERS`` layers, no gradients."""

    def __init__(self, bert: Any, n_layers: int = FROZEN_LAYERS) -> None:
        super().__init__()
        self.embeddings = bert.embeddings
        self.layers = nn.ModuleList(list(bert.encoder.layer[:n_layers]))
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor, attn: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(input_ids=ids)
        mask = _additive(attn)
        for layer in self.layers:
            x = layer(x, attention_mask=mask)
            x = x[0] if isinstance(x, tuple) else x
        return x


class StatusNet(nn.Module):
    """The trained part: target vector, top layer and the two heads."""

    def __init__(self, top_layer: nn.Module, hidden: int = 384, dropout: float = 0.1) -> None:
        super().__init__()
        self.target = nn.Parameter(torch.zeros(hidden))
        self.layer = copy.deepcopy(top_layer)
        for p in self.layer.parameters():
            p.requires_grad_(True)
        self.dropout = nn.Dropout(dropout)
        self.status = nn.Linear(2 * hidden, len(STATUS_LABELS))
        self.temporality = nn.Linear(2 * hidden, len(TEMPORALITY_LABELS))

    def forward(
        self, states: torch.Tensor, attn: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (status, temporality) for frozen-layer ``states`` of shape (batch, tokens, hidden)."""
        x = states + target[..., None] * self.target
        x = self.layer(x, attention_mask=_additive(attn))
        x = x[0] if isinstance(x, tuple) else x
        weights = target / target.sum(dim=1, keepdim=True).clamp(min=1.0)
        pooled = torch.cat([(x * weights[..., None]).sum(dim=1), x[:, 0]], dim=-1)
        pooled = self.dropout(pooled)
        return self.status(pooled), self.temporality(pooled)
