"""What the status model reads: a window of text (a sentence) with the target span marked.

A window is cut to at most ``max_left`` word pieces before the target, ``max_target`` in it and
``max_right`` after it (the words nearest the target are kept), then framed as
``[CLS] left target right [SEP]``. The target is marked by position (a learned vector is added
to its word pieces inside the network), not by inserted characters, so the frozen layers read
the sentence as it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["EncodedWindow", "Window", "WindowShape", "encode_windows"]


@dataclass(frozen=True)
class Window:
    """A target at ``text[start:end]`` inside its sentence or window ``text``."""

    text: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= len(self.text):
            raise ValueError(f"window target [{self.start}, {self.end}) is outside its text of {len(self.text)} chars")


@dataclass(frozen=True)
class WindowShape:
    """How many word pieces of each part a window keeps."""

    max_left: int = 40
    max_target: int = 16
    max_right: int = 24


@dataclass(frozen=True)
class EncodedWindow:
    """Token ids with ``[CLS]``/``[SEP]`` and the target's token range ``[t_start, t_end)``."""

    ids: tuple[int, ...]
    t_start: int
    t_end: int


def encode_windows(
    tokenizer: Any, windows: Sequence[Window], shape: WindowShape = WindowShape()  # noqa: B008 (frozen)
) -> list[EncodedWindow]:
    """Tokenize the left context, the target and the right context of each window separately."""
    if not windows:
        return []
    pieces: list[str] = []
    for w in windows:
        pieces.extend((w.text[: w.start], w.text[w.start : w.end], w.text[w.end :]))
    ids = tokenizer(pieces, add_special_tokens=False)["input_ids"]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    out: list[EncodedWindow] = []
    for k in range(len(windows)):
        left, target, right = ids[3 * k], ids[3 * k + 1], ids[3 * k + 2]
        left = left[len(left) - shape.max_left :] if len(left) > shape.max_left else left
        target = target[: shape.max_target] or [tokenizer.unk_token_id]
        right = right[: shape.max_right]
        seq = (cls, *left, *target, *right, sep)
        out.append(EncodedWindow(seq, 1 + len(left), 1 + len(left) + len(target)))
    return out
