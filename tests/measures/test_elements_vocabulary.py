"""The element vocabulary (measures/elements.yaml): one list of evidence elements that specs, the
note pipeline, structured input and evaluation all read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.elements import Vocabulary, load_vocabulary
from engine.errors import InputError, SpecError, VocabularyError
from engine.spec import default_measures_dir, load_spec, load_specs

ROOT = Path(__file__).resolve().parents[2]


def test_vocabulary_has_one_entry_per_element_with_its_facts() -> None:
    vocab = load_vocabulary()
    for new in ("td_tdap_vaccine", "zoster_vaccine", "vaccine_anaphylaxis", "falls_screening", "depression"):
        assert new in vocab, new
    colonoscopy = vocab["colonoscopy"]
    assert (colonoscopy.kind, colonoscopy.dated_by_visit, colonoscopy.sources) == ("procedure", False, "both")
    assert vocab["hypertension"].kind == "condition" and vocab["hypertension"].dated_by_visit
    assert vocab["frailty"].sources == "structured"
    assert vocab["depression_referral_adult"].plan_or_order_counts == ("ordered", "planned")
    assert all(e.description for e in vocab.elements.values())


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "elements.yaml"
    path.write_text(yaml.safe_dump({"elements": entries}), encoding="utf-8")
    return path


GOOD = {"id": "colonoscopy", "kind": "procedure", "dated_by_visit": False, "sources": "both",
        "description": "a colonoscopy performed"}


@pytest.mark.parametrize(("entries", "message"), [
    ([{**GOOD, "kind": "surgery"}], r"entry 'colonoscopy'.*kind"),
    ([GOOD, GOOD], r"'colonoscopy' is listed twice"),
    ([{**GOOD, "sourcez": "both"}], r"sourcez"),
    ([{**GOOD, "id": "Colonoscopy"}], r"id"),
])
def test_each_vocabulary_entry_is_validated(tmp_path: Path, entries: list[dict], message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        Vocabulary.from_file(_write(tmp_path, entries))


def test_spec_naming_an_unknown_element_is_rejected_with_the_valid_ones(tmp_path: Path) -> None:
    text = (default_measures_dir() / "COL-E.yaml").read_text(encoding="utf-8")
    assert "elements: [colonoscopy]" in text
    (tmp_path / "COL-E.yaml").write_text(text.replace("elements: [colonoscopy]", "elements: [colonscopy]"))
    with pytest.raises(SpecError) as err:
        load_spec(tmp_path / "COL-E.yaml")
    msg = str(err.value)
    assert "COL-E.yaml" in msg and "unknown element 'colonscopy'" in msg
    assert "did you mean 'colonoscopy'" in msg
    assert "valid elements:" in msg and "fobt" in msg and "mammogram" in msg


def test_every_element_a_shipped_spec_names_is_in_the_vocabulary() -> None:
    from engine.spec import spec_elements

    vocab = load_vocabulary()
    used = {e for spec in load_specs().values() for e in spec_elements(spec)}
    assert used and used <= set(vocab.ids)
    assert {"colonoscopy", "blood_pressure", "falls_screening", "zoster_vaccine", "depression"} <= used


def _target_rule_elements() -> set[str]:
    data = yaml.safe_load((ROOT / "pipelines" / "resources" / "target_rules.yaml").read_text(encoding="utf-8"))
    named = {r["element"] for r in data["target_rules"]} - {"ignore"}
    return named | set(data.get("supplemental_elements") or ())


def test_note_pipeline_elements_are_a_subset_of_the_vocabulary() -> None:
    from pipelines.rules import ELEMENTS

    vocab = load_vocabulary()
    from_notes = {e.id for e in vocab.elements.values() if e.sources in ("notes", "both")}
    assert _target_rule_elements() <= from_notes, sorted(_target_rule_elements() - from_notes)
    assert set(ELEMENTS) <= from_notes
    # the chart-review guideline's elements are flagged as such (evaluation scores those)
    assert {e.id for e in vocab.elements.values() if e.guideline} == set(ELEMENTS)


def test_pipeline_plan_and_order_sets_agree_with_the_vocabulary() -> None:
    """Until the pipeline reads the vocabulary itself (issue 14), its sets must say the same."""
    from pipelines.status import ORDER_IS_EVIDENCE, PLAN_IS_EVIDENCE

    vocab = load_vocabulary()
    assert {e.id for e in vocab.elements.values() if "ordered" in e.plan_or_order_counts} == ORDER_IS_EVIDENCE
    assert {e.id for e in vocab.elements.values() if "planned" in e.plan_or_order_counts} == PLAN_IS_EVIDENCE


def test_structured_events_with_an_unknown_element_are_quarantined(tmp_path: Path) -> None:
    from qae.inputs import read_events

    path = tmp_path / "events.csv"
    path.write_text("patient_id,element,event_date,value,code,code_system,source,end_date\n"
                    "p1,colonscopy,2021-03-03,,45378,CPT,fhir:Procedure,2021-03-03\n"
                    "p1,colonoscopy,2021-03-03,,45378,CPT,fhir:Procedure,2021-03-03\n", encoding="utf-8")
    result = read_events(path)
    assert [e.element for e in result.records] == ["colonoscopy"]
    (bad,) = result.quarantine
    assert (bad.line, bad.field) == (2, "element")
    assert "unknown element 'colonscopy'" in bad.reason and "did you mean 'colonoscopy'" in bad.reason


def test_gold_annotations_naming_an_unknown_element_are_rejected(tmp_path: Path) -> None:
    from evaluation.extraction import load_gold

    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"note_id": "n1", "elements": {"colonoscopy": "affirmed"}}) + "\n"
                    + json.dumps({"note_id": "n2", "elements": {"mamogram": "affirmed"}}) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"gold.jsonl:2: unknown element 'mamogram'.*did you mean 'mammogram'"):
        load_gold(path)


def test_cli_lists_the_vocabulary() -> None:
    from typer.testing import CliRunner

    from qae.cli import app

    result = CliRunner().invoke(app, ["measures", "elements"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "falls_screening" in result.output and "zoster_vaccine" in result.output


def test_pipeline_element_facts_come_from_the_vocabulary():
    """Which elements a note dates by its visit, which a score dates, which are never a relative's: the
    element vocabulary says so (measures/elements.yaml), the pipeline keeps no list of its own."""
    from engine.elements import load_vocabulary
    from pipelines.evidence_builder import ALWAYS_VISIT_DATED, VISIT_DATED_ELEMENTS
    from pipelines.status import NEVER_FAMILY

    vocab = load_vocabulary()
    assert VISIT_DATED_ELEMENTS == {e.id for e in vocab if e.visit_dated_in_notes}
    assert {"colonoscopy", "influenza_vaccine", "hba1c"} <= VISIT_DATED_ELEMENTS
    assert "diabetes" not in VISIT_DATED_ELEMENTS  # a condition is dated by the engine's dated_by_visit
    assert ALWAYS_VISIT_DATED == {e.id for e in vocab if e.scored_at_visit} == {"depression_screening"}
    assert NEVER_FAMILY == {e.id for e in vocab if e.never_family} == {"advance_care_planning", "blood_pressure"}


def test_more_element_facts_come_from_the_vocabulary():
    """Which mentions ignore a nearby date, which describe the household in a child's note, which are planned
    when a plan section names them, which note titles name a procedure, which parser reads a value, and which
    adult element a teenager's note gives instead: all read from measures/elements.yaml."""
    from engine.elements import load_vocabulary
    from pipelines.evidence_builder import (
        ADOLESCENT_ELEMENT,
        HOUSEHOLD_IN_CHILD_NOTES,
        NEVER_DATED_IN_NOTES,
        VACCINES,
    )
    from pipelines.note_facts import title_elements
    from pipelines.status import ACTION_ELEMENTS

    vocab = load_vocabulary()
    assert NEVER_DATED_IN_NOTES == {e.id for e in vocab if e.never_dated_in_notes}
    assert {"tobacco_use", "blood_pressure", "diabetes"} <= NEVER_DATED_IN_NOTES
    assert HOUSEHOLD_IN_CHILD_NOTES == {"tobacco_use", "pregnancy"}
    assert ACTION_ELEMENTS == {e.id for e in vocab if e.planned_in_plan_section}
    assert "mammogram" in ACTION_ELEMENTS and "diabetes" not in ACTION_ELEMENTS
    assert VACCINES == {"influenza_vaccine", "pneumococcal_vaccine", "td_tdap_vaccine", "zoster_vaccine"}
    assert ADOLESCENT_ELEMENT["depression_followup_adult"] == "depression_followup_adolescent"
    assert title_elements("Screening Colonoscopy", None) == {"colonoscopy"}
    assert title_elements("PAP SMEAR AND PELVIC EXAM", "Obstetrics / Gynecology") == {"cervical_cytology"}
    assert title_elements("Papilledema follow-up", None) == frozenset()  # "pap" only as a word
    assert title_elements(None, "Ophthalmology") == {"retinal_eye_exam"}
    assert {e.id: e.value_parser for e in vocab if e.value_parser} == {
        "hba1c": "a1c_series",
        "tobacco_use": "tobacco_category",
        "retinal_eye_exam": "retinal_result",
        "depression_screening": "screening_score",
    }


def _vocabulary_file(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "elements.yaml"
    path.write_text(
        "elements:\n"
        "  - {id: mammogram, kind: procedure, dated_by_visit: false, sources: both, description: a mammogram}\n"
        f"  - {{id: tobacco_use, kind: status, dated_by_visit: true, sources: both, description: tobacco, {extra}}}\n",
        encoding="utf-8",
    )
    return path


def test_a_bad_note_title_pattern_is_named(tmp_path: Path) -> None:
    from engine.elements import Vocabulary

    path = _vocabulary_file(tmp_path, "note_title: 'smok(ing'")
    with pytest.raises(VocabularyError, match=r"elements\.yaml: entry 'tobacco_use', field 'note_title'.*regular"):
        Vocabulary.from_file(path)


@pytest.mark.parametrize("field", ["adolescent_element", "shares_sample_with"])
def test_an_unknown_element_reference_names_the_closest_id(tmp_path: Path, field: str) -> None:
    from engine.elements import Vocabulary

    path = _vocabulary_file(tmp_path, f"{field}: mamogram")
    with pytest.raises(
        VocabularyError,
        match=rf"elements\.yaml: entry 'tobacco_use', field '{field}': unknown element 'mamogram' "
        r"\(did you mean 'mammogram'\?\)",
    ):
        Vocabulary.from_file(path)


def test_an_unknown_value_parser_names_the_closest_one(tmp_path: Path) -> None:
    from engine.elements import Vocabulary
    from engine.errors import RuleFileError
    from pipelines.rules import load_value_patterns
    from pipelines.value_parsers import TobaccoCategory, parsers_for

    good = Vocabulary.from_file(_vocabulary_file(tmp_path, "value_parser: tobacco_category"))
    parsers = parsers_for(good, load_value_patterns())
    assert set(parsers) == {"tobacco_use"} and isinstance(parsers["tobacco_use"], TobaccoCategory)
    bad = Vocabulary.from_file(_vocabulary_file(tmp_path, "value_parser: tobaco_category"))
    with pytest.raises(
        RuleFileError,
        match=r"elements\.yaml: element 'tobacco_use' names unknown value parser 'tobaco_category' "
        r"\(did you mean 'tobacco_category'\?\); registered value parsers: a1c_series, retinal_result",
    ):
        parsers_for(bad, load_value_patterns())
