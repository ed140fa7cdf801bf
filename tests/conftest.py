"""One default extraction pipeline for the whole test session (building it takes several seconds)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipelines.build import build_nlp


@pytest.fixture(scope="session")
def shared_nlp() -> Language:
    """``build_nlp()`` with the default options; tests must not change it."""
    return build_nlp()
