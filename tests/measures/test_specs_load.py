"""Every measures/*.yaml loads; broken specs fail naming the file and the field."""

from pathlib import Path

import pytest

from engine.catalogue import catalogue_rows, describe
from engine.errors import SpecError, UnknownMeasureError
from engine.spec import load_specs, resolve_measures

REQUIRED = {"COL-E", "BCS-E", "CCS", "CBP", "GSD-POOR", "GSD-CONTROL", "EED", "DSF-E", "TSC",
            "TRC-MRP", "ACP", "AIS-E"}

GOOD = """
id: {id}
title: Test measure
version: "1"
aliases: [{alias}]
populations:
  numer:
    elements: [colonoscopy]
    window: {{from: mp_start - 9y, to: mp_end}}
"""


def test_every_shipped_spec_loads_and_the_required_measures_are_there() -> None:
    specs = load_specs()
    assert REQUIRED <= set(specs)
    for spec in specs.values():
        assert spec.groups, spec.id
        assert describe(spec).startswith(spec.id)
    assert [r["id"] for r in catalogue_rows(specs)] == sorted(specs)


def test_inverse_flag_only_on_poor_control() -> None:
    specs = load_specs()
    assert specs["GSD-POOR"].inverse and not specs["GSD-CONTROL"].inverse


def test_resolve_accepts_ids_and_aliases_case_insensitively() -> None:
    specs = load_specs()
    got = resolve_measures(["col", "bcs-e", "COL-E", "Tobacco"], specs)
    assert [s.id for s in got] == ["COL-E", "BCS-E", "TSC"]
    assert [s.id for s in resolve_measures(None, specs)] == sorted(specs)


def test_unknown_measure_lists_valid_ids() -> None:
    with pytest.raises(UnknownMeasureError) as info:
        resolve_measures(["COLX"], load_specs())
    assert "COLX" in str(info.value) and "COL-E" in str(info.value)


def _write(tmp: Path, name: str, text: str) -> None:
    (tmp / name).write_text(text, encoding="utf-8")


def test_misspelt_rule_parameter_names_file_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "X1.yaml", GOOD.format(id="X1", alias="X1").replace("window:", "windw:"))
    with pytest.raises(SpecError) as info:
        load_specs(tmp_path)
    message = str(info.value)
    assert "X1.yaml" in message and "populations.numer.windw" in message
    assert "window" in message  # lists what the rule takes


def test_bad_date_expression_names_the_window_field(tmp_path: Path) -> None:
    _write(tmp_path, "X2.yaml", GOOD.format(id="X2", alias="X2").replace("mp_start - 9y", "jan 1 - 9y"))
    with pytest.raises(SpecError) as info:
        load_specs(tmp_path)
    assert "X2.yaml" in str(info.value) and "window" in str(info.value)
    assert "mp_start" in str(info.value)


def test_unknown_rule_lists_registered_rules(tmp_path: Path) -> None:
    text = GOOD.format(id="X3", alias="X3").replace("    elements: [colonoscopy]\n",
                                                    "    rule: qm.nope.v1\n")
    _write(tmp_path, "X3.yaml", text)
    with pytest.raises(SpecError) as info:
        load_specs(tmp_path)
    assert "qm.nope.v1" in str(info.value) and "qm.evidence.v1" in str(info.value)


def test_invalid_undated_policy_and_file_name_mismatch(tmp_path: Path) -> None:
    _write(tmp_path, "X4.yaml", GOOD.format(id="X4", alias="X4") + "undated_policy: sometimes\n")
    with pytest.raises(SpecError) as info:
        load_specs(tmp_path)
    assert "X4.yaml" in str(info.value) and "undated_policy" in str(info.value)
    (tmp_path / "X4.yaml").unlink()
    _write(tmp_path, "X5.yaml", GOOD.format(id="OTHER", alias="X5"))
    with pytest.raises(SpecError, match="X5.yaml.*'id'"):
        load_specs(tmp_path)


def test_duplicate_alias_across_files_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "A1.yaml", GOOD.format(id="A1", alias="SHARED"))
    _write(tmp_path, "A2.yaml", GOOD.format(id="A2", alias="shared"))
    with pytest.raises(SpecError, match="A2.yaml.*aliases.*A1"):
        load_specs(tmp_path)


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "B1.yaml", "id: B1\npopulations: [unclosed\n")
    with pytest.raises(SpecError, match="B1.yaml"):
        load_specs(tmp_path)
