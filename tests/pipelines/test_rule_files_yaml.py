"""pipelines.rules.safe_load: the rule files read by libyaml's parser give the data yaml.safe_load gives, and
the loader stays a safe one (no Python objects from a rule file)."""

from __future__ import annotations

import pytest
import yaml

from pipelines.rules import RESOURCES, safe_load


@pytest.mark.parametrize("path", sorted(RESOURCES.glob("*.yaml")), ids=lambda p: p.name)
def test_rule_files_read_as_yaml_safe_load_reads_them(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)


def test_safe_load_keeps_yaml_1_1_scalars_and_anchors() -> None:
    text = "a: &words [on, no, '2', 2, 1.5, ~]\nb: *words\nc: {LOWER: {IN: [yes, 'yes']}}\n"
    assert safe_load(text) == yaml.safe_load(text) == {
        "a": [True, False, "2", 2, 1.5, None], "b": [True, False, "2", 2, 1.5, None],
        "c": {"LOWER": {"IN": [True, "yes"]}},
    }


def test_safe_load_refuses_python_objects() -> None:
    with pytest.raises(yaml.YAMLError):
        safe_load("rule: !!python/object/apply:os.getcwd []\n")
