"""Supplemental elements (tobacco cessation, depression follow-up): extracted on request only."""

from __future__ import annotations

from datetime import date

import pytest

from engine.records import Note
from pipelines.extract import (
    GUIDELINE_ELEMENTS,
    SUPPLEMENTAL_ELEMENTS,
    extract_note,
    extract_notes,
    is_supplemental,
)


@pytest.fixture(scope="module")
def sup(nlp):
    def run(text: str) -> list:
        note = Note(note_id="s-1", patient_id="p-1", note_date=date(2026, 5, 4), text=text)
        items = extract_note(nlp, note, include_supplemental=True)
        for e in items:
            assert text[e.start : e.end] == e.span
        return items

    return run


def _st(items, element):
    return [e.status for e in items if e.element == element]


def test_api_lists_27_guideline_and_the_supplemental_elements():
    assert len(GUIDELINE_ELEMENTS) == 27 and "tobacco_use" in GUIDELINE_ELEMENTS
    assert {
        "tobacco_cessation_counseling",
        "tobacco_cessation_medication",
        "depression_referral_adult",
        "depression_referral_adolescent",
    } <= set(SUPPLEMENTAL_ELEMENTS)
    assert not set(GUIDELINE_ELEMENTS) & set(SUPPLEMENTAL_ELEMENTS)
    assert is_supplemental("depression_medication_adult") and not is_supplemental("colonoscopy")


def test_supplemental_elements_are_left_out_by_default(nlp):
    text = (
        "A/P: Tobacco use disorder - counseled on smoking cessation for 5 minutes, "
        "nicotine patch 21 mg started."
    )
    note = Note(note_id="s-2", patient_id="p-1", note_date=date(2026, 5, 4), text=text)
    default = {e.element for e in extract_note(nlp, note)}
    assert default == {"tobacco_use"}
    ((_, with_sup),) = list(extract_notes(nlp, [note], include_supplemental=True))
    assert {e.element for e in with_sup} == {
        "tobacco_use",
        "tobacco_cessation_counseling",
        "tobacco_cessation_medication",
    }


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Counseled on smoking cessation for 5 minutes.", "affirmed"),
        ("Smoking cessation counseling provided, pt receptive.", "affirmed"),
        ("Still smoking 1 ppd. Discussed quitting smoking at length, pt set a quit date.", "affirmed"),
        ("I counseled him about why stopping smoking matters.", "affirmed"),
        ("Pt declines smoking cessation counseling today.", "declined"),
        ("Will discuss smoking cessation at next visit.", "planned"),
        ("Tobacco use - declined counseling again.", "declined"),
    ],
)
def test_cessation_counseling_statuses(sup, text, status):
    assert _st(sup(text), "tobacco_cessation_counseling") == [status]


def test_counseling_mentions_document_a_current_user(sup):
    items = sup("Pt declines smoking cessation counseling today.")
    assert [(e.status, e.value) for e in items if e.element == "tobacco_use"] == [("affirmed", "current")]


def test_counseling_about_something_else_is_not_cessation_counseling(sup):
    items = sup("Smokes 1/2 ppd. Counseled on diet and exercise, follow up 3 months.")
    assert _st(items, "tobacco_cessation_counseling") == []
    assert _st(sup("Advised to stop taking ibuprofen."), "tobacco_cessation_counseling") == []


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Started nicotine patch 14 mg daily.", "affirmed"),
        ("Chantix 0.5 mg starter pack prescribed.", "affirmed"),
        ("Varenicline ordered, quit date 6/1.", "affirmed"),
        ("Bupropion SR 150 mg bid for smoking cessation.", "affirmed"),
        ("Smoker, not ready to quit, declines NRT.", "declined"),
    ],
)
def test_cessation_medication_statuses(sup, text, status):
    assert _st(sup(text), "tobacco_cessation_medication") == [status]


def test_bupropion_for_depression_is_not_a_cessation_medication(sup):
    items = sup("A/P: MDD - start bupropion XL 150 mg daily for depression.")
    assert _st(items, "tobacco_cessation_medication") == []
    assert _st(items, "depression_medication_adult") == ["affirmed"]


def test_depression_follow_up_plan_for_an_adult(sup):
    items = sup(
        "HPI: 44 yo M with low mood.\nSCREENING: PHQ-9 = 15.\n"
        "A/P: MDD, moderate - start escitalopram 10 mg. Referral to behavioral health placed, "
        "will also start CBT.\n"
    )
    assert _st(items, "depression_medication_adult") == ["affirmed"]
    assert _st(items, "depression_referral_adult") == ["affirmed"]
    assert _st(items, "depression_followup_adult") == ["affirmed"]  # a documented plan is the follow-up


def test_depression_follow_up_for_an_adolescent_note(sup):
    items = sup("HPI: 15 yo F brought by mom.\nPHQ-A 13.\nPlan: referred to counseling (school-based).\n")
    assert _st(items, "depression_referral_adolescent") == ["affirmed"]
    assert _st(items, "depression_referral_adult") == []


def test_past_antidepressants_and_physical_therapy_are_not_follow_up(sup):
    items = sup("She had been prescribed Wellbutrin in the past. Physical therapy referral ordered for knee.")
    assert _st(items, "depression_medication_adult") == []
    assert _st(items, "depression_referral_adult") == []
    assert _st(sup("Declines referral to psychiatry."), "depression_referral_adult") == ["declined"]
