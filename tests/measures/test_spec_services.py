"""The clinic service each spec names: twins share one, groups may name their own, blanks fail."""

from pathlib import Path

import pytest

from engine.errors import SpecError
from engine.spec import load_spec, load_specs

SPEC = """
id: SVC
title: Service test
version: "1"
service: {service}
populations:
  numer:
    elements: [mammogram]
    window: {{from: mp_start - 2y + 9m, to: mp_end}}
"""


def test_program_twins_name_the_same_service_so_the_worklist_merges_them() -> None:
    specs = load_specs()
    for hedis, ecqm in (("COL-E", "CMS130"), ("BCS-E", "CMS125"), ("CCS", "CMS124"), ("CBP", "CMS165"),
                        ("EED", "CMS131"), ("GSD-POOR", "CMS122")):
        assert specs[hedis].services("1") == specs[ecqm].services("1"), (hedis, ecqm)
    assert specs["DSF-E"].services("2") == ("Depression follow-up",)
    assert specs["TSC"].services("3") == ("Tobacco cessation help", "Tobacco use screening")
    assert specs["AIS-E"].services("zoster") == ("Zoster vaccine series",)


def test_every_shipped_spec_names_a_service_for_every_group() -> None:
    for spec in load_specs().values():
        for group in spec.groups:
            assert spec.services(group.id) and spec.services(group.id) != (spec.title,), (spec.id, group.id)


def test_a_spec_without_service_falls_back_to_its_title_and_a_blank_one_fails(tmp_path: Path) -> None:
    path = tmp_path / "SVC.yaml"
    path.write_text(SPEC.format(service='"Mammogram"'), encoding="utf-8")
    assert load_spec(path).services("1") == ("Mammogram",)
    path.write_text(SPEC.replace("service: {service}\n", "").format(), encoding="utf-8")
    assert load_spec(path).services("1") == ("Service test",)
    path.write_text(SPEC.format(service='["Mammogram", " "]'), encoding="utf-8")
    with pytest.raises(SpecError, match="SVC.yaml.*service"):
        load_spec(path)
