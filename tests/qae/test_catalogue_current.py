"""The committed measure catalogue matches the specs (regenerate with `qae measures --markdown`)."""

from __future__ import annotations

from pathlib import Path

from engine.catalogue import catalogue_markdown
from engine.spec import NOT_SPECS, load_specs

CATALOGUE = Path(__file__).resolve().parents[2] / "measures" / "CATALOGUE.md"


def test_catalogue_markdown_is_current() -> None:
    expected = catalogue_markdown(load_specs())
    assert CATALOGUE.read_text(encoding="utf-8") == expected, (
        "measures/CATALOGUE.md is stale: run `qae measures --markdown > measures/CATALOGUE.md`"
    )


def test_catalogue_lists_every_spec_file_once() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    ids = sorted(p.stem for p in CATALOGUE.parent.glob("*.yaml") if p.name not in NOT_SPECS)
    assert ids and all(text.count(f"\n## {i}\n") == 1 for i in ids)
