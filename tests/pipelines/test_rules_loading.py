"""Rule files are validated: a typo names the file, the rule, the bad key and the valid options."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.build import build_nlp
from pipelines.factories import FACTORY_NAMES, register_factories
from pipelines.rules import (
    RuleFileError,
    heading_variants,
    load_context_rules,
    load_section_rules,
    load_target_rules,
    load_value_patterns,
    pattern_phrases,
    rules_digest,
)


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_shipped_rule_files_load_with_unique_ids():
    targets, contexts = load_target_rules(), load_context_rules()
    assert {r.category for r in targets} >= {"colonoscopy", "hba1c", "tobacco_use", "ignore"}
    assert all(r.metadata["id"] for r in targets + contexts)
    assert load_section_rules() and load_value_patterns()


def test_unknown_target_key_is_named(tmp_path):
    path = _write(
        tmp_path,
        "t.yaml",
        "target_rules:\n  - {id: x.1, element: colonoscopy, literal: scope, colour: red}\n",
    )
    with pytest.raises(RuleFileError, match=r"t\.yaml.*x\.1.*unknown key\(s\) \['colour'\].*allowed keys"):
        load_target_rules(path)


def test_unknown_element_lists_valid_ones(tmp_path):
    path = _write(tmp_path, "t.yaml", "target_rules:\n  - {id: x.1, element: colonscopy, literal: scope}\n")
    with pytest.raises(
        RuleFileError,
        match=r"t\.yaml: rule 'x\.1' names unknown element 'colonscopy' \(did you mean 'colonoscopy'\?\); valid",
    ):
        load_target_rules(path)


def test_yaml_boolean_in_a_pattern_is_caught(tmp_path):
    body = (
        "target_rules:\n"
        "  - {id: x.1, element: colonoscopy, literal: on scope, pattern: [{LOWER: {IN: [on]}}]}\n"
    )
    with pytest.raises(RuleFileError, match=r"x\.1.*must be strings.*quote"):
        load_target_rules(_write(tmp_path, "t.yaml", body))


def test_context_category_and_group_are_checked(tmp_path):
    body = "context_rules:\n  - {id: c.1, category: NEGATED, direction: FORWARD, literal: nope}\n"
    with pytest.raises(RuleFileError, match=r"category 'NEGATED'; valid categories: NEGATED_EXISTENCE"):
        load_context_rules(_write(tmp_path, "c.yaml", body))
    body = (
        "groups: {tests: [colonoscopy]}\ncontext_rules:\n"
        "  - {id: c.1, category: PLANNED, direction: FORWARD, literal: due, allowed_types: ['@test']}\n"
    )
    with pytest.raises(RuleFileError, match=r"unknown group '@test'; groups: \['tests'\]"):
        load_context_rules(_write(tmp_path, "c.yaml", body))


def test_duplicate_ids_are_rejected(tmp_path):
    body = (
        "target_rules:\n  - {id: d.1, element: mammogram, literal: mammogram}\n"
        "  - {id: d.1, element: mammogram, literal: mammo}\n"
    )
    with pytest.raises(RuleFileError, match=r"'d\.1' is used twice"):
        load_target_rules(_write(tmp_path, "t.yaml", body))


def test_simple_patterns_compile_to_phrases():
    phrases, cased = pattern_phrases(
        [{"LOWER": {"IN": ["flexible", "flex"]}, "OP": "?"}, {"LOWER": "sigmoidoscopy"}]
    )
    assert (sorted(phrases), cased) == (
        ["flex sigmoidoscopy", "flexible sigmoidoscopy", "sigmoidoscopy"],
        False,
    )
    phrases, cased = pattern_phrases([{"ORTH": "DM"}, {"LOWER": "type"}])
    assert cased and "DM type" in phrases and "DM TYPE" in phrases and "dm type" not in phrases
    assert pattern_phrases([{"LIKE_NUM": True}, {"LOWER": "ppd"}]) is None
    assert pattern_phrases([{"LOWER": "f.o.b."}]) is None


def test_heading_variants():
    assert heading_variants("family history") == [
        "FAMILY HISTORY",
        "FAMILY HISTORY:",
        "Family History:",
        "Family history:",
        "family history:",
    ]


def test_build_options_are_validated():
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['sentence'\]; valid options"):
        build_nlp({"sentence": "pyrush"})
    with pytest.raises(ValueError, match=r"choose one of \('sentencizer', 'pyrush'\)"):
        build_nlp({"sentences": "nltk"})


def test_factories_register_idempotently():
    from spacy.language import Language

    register_factories()
    register_factories()
    assert all(Language.has_factory(name) for name in FACTORY_NAMES)
    assert list(FACTORY_NAMES) == sorted(FACTORY_NAMES)


def test_rules_digest_changes_with_a_rule(tmp_path):
    a = _write(tmp_path, "a.yaml", "target_rules: []\n")
    before = rules_digest(tmp_path)
    a.write_text("target_rules: [] # edited\n", encoding="utf-8")
    assert rules_digest(tmp_path) != before


@pytest.mark.slow
def test_pyrush_option_gives_the_same_evidence(extract):
    from datetime import date

    from engine.records import Note
    from pipelines.extract import extract_note

    text = (
        "SOCIAL HISTORY:,  She quit smoking in 1996.  Colonoscopy in 2019 was normal."
        ",PLAN:,  Mammogram ordered."
    )
    note = Note(note_id="t-1", patient_id="p", note_date=date(2026, 6, 15), text=text)
    rush = build_nlp({"sentences": "pyrush"})
    assert [(e.element, e.status, e.start) for e in extract_note(rush, note)] == [
        (e.element, e.status, e.start) for e in extract(text)
    ]
