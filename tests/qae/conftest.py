"""Fixtures for the job tests: the synthetic corpus helpers (tests/qae/synthetic_corpus.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_corpus_module() -> ModuleType:
    name = "qae_tests_synthetic_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("synthetic_corpus.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def syn() -> ModuleType:
    """The corpus helpers: corpus(), write_patients/jsonl/csv/parquet()."""
    return _load_corpus_module()
