"""Clinician shorthand, topic mentions and non-events found while checking the demo answer key.

Each case is a general rule (docs/evidence-elements.md), written on synthetic text.
"""

from __future__ import annotations

from datetime import date

from .conftest import affirmed, statuses


def test_c_scope_shorthand_is_a_dated_colonoscopy(extract):
    items = extract("HPI:,  He had his c-scope last year with GI, two small polyps, told 5 years.")
    (colo,) = affirmed(items, "colonoscopy")
    assert colo.span == "c-scope"
    assert (colo.event_date, colo.date_precision) == (date(2025, 1, 1), "year")


def test_cscope_written_as_one_word_and_planned(extract):
    assert affirmed(extract("Cscope 2019 normal per pt."), "colonoscopy")
    assert statuses(extract("Plan: due for c scope, GI referral placed."), "colonoscopy") != ["affirmed"]


def test_smoke_in_the_air_is_not_tobacco_use(extract):
    text = "Phone note: rescue inhaler 2-3x/wk since the wildfire smoke started, asks for refill."
    assert statuses(extract(text), "tobacco_use") == []
    assert statuses(extract("Bovie smoke evacuator used. Cautery smoke plume removed."), "tobacco_use") == []
    assert statuses(extract("LA appendage with dense smoke effect, no thrombus."), "tobacco_use") == []


def test_smoke_as_a_verb_is_still_tobacco_use(extract):
    (item,) = [
        e for e in extract("SOCIAL HISTORY:,  She does not smoke or drink.") if e.element == "tobacco_use"
    ]
    assert (item.status, item.value) == ("affirmed", "never")


def test_gestational_age_notation_is_a_current_pregnancy(extract):
    items = extract("HPI:\n29 y/o G3P2 at 31w2d by LMP, here for routine OB visit.\n")
    # "OB visit" (an obstetric visit) is a second mention of the same current pregnancy
    assert [e.span for e in affirmed(items, "pregnancy")] == ["31w2d", "OB visit"]


def test_iup_and_condition_in_pregnancy_are_current(extract):
    assert affirmed(extract("A/P: IUP at 18 wks, dating by US."), "pregnancy")
    assert affirmed(extract("Chronic hypertension in pregnancy, on nifedipine."), "pregnancy")


def test_gravida_para_history_and_drug_statements_are_not_pregnancy(extract):
    assert affirmed(extract("OB history: G4P3, last delivery 2015."), "pregnancy") == []
    assert affirmed(extract("Lisinopril is contraindicated in pregnancy; on OCPs."), "pregnancy") == []


def test_delivery_note_names_the_baby_but_the_patient_is_the_mother(extract):
    text = (
        "PREOPERATIVE DIAGNOSIS:,  Intrauterine pregnancy at 39 weeks, failure to progress.,"
        "FINDINGS:,  Viable female infant, Apgars 8 and 9.,"
        "SOCIAL HISTORY:,  She quit smoking when she found out she was pregnant."
    )
    items = extract(text, title="Primary Low-Transverse C-Section")
    assert affirmed(items, "pregnancy")
    assert [(e.status, e.value) for e in items if e.element == "tobacco_use"] == [("affirmed", "former")]


def test_advance_care_planning_heading_is_a_topic_not_evidence(extract):
    text = (
        "ADVANCE CARE PLANNING\n"
        "Not addressed today - will discuss advance directives at next visit, booklet given.\n"
    )
    assert affirmed(extract(text), "advance_care_planning") == []
    assert (
        affirmed(
            extract("ALLERGIES:,  NKDA.,ADVANCED DIRECTIVES: , Unknown.,EXAM:,  Alert."),
            "advance_care_planning",
        )
        == []
    )


def test_heading_with_an_affirming_body_still_counts(extract):
    assert affirmed(extract("Advance directive: on file, daughter is HCP."), "advance_care_planning")
    text = "ADVANCE CARE PLANNING\nDiscussed goals with pt and son; he has a living will.\n"
    assert [e.span for e in affirmed(extract(text), "advance_care_planning")] == [
        "ADVANCE CARE PLANNING",
        "living will",
    ]


def test_advance_directive_in_a_sentence_is_unchanged(extract):
    assert affirmed(extract("He completed an advance directive in 2024."), "advance_care_planning")


def test_fit_with_its_result_is_a_dated_fobt_even_from_a_mailed_kit(extract):
    (fit,) = affirmed(extract("S: 58M sore throat. Hx FIT negative 10/2025 - mailed kit program."), "fobt")
    assert (fit.span, fit.event_date, fit.date_precision) == ("FIT negative", date(2025, 10, 1), "month")
    assert affirmed(extract("PATIENT IS FIT FOR SURGERY FROM A CARDIAC STANDPOINT."), "fobt") == []


def test_diabetes_prevention_program_is_not_diabetes(extract):
    assert affirmed(extract("Enrolled in the Diabetes Prevention Program, down 5 lb."), "diabetes") == []
    assert affirmed(extract("Prediabetes - diabetes risk discussed, A1c 6.0%."), "diabetes") == []


def test_quit_date_is_not_a_quit_and_still_smoking_is_current(extract):
    items = extract("HPI: Still smoking 1/2 ppd, declines to set a quit date.")
    assert {e.value for e in items if e.element == "tobacco_use"} == {"current"}
    items = extract("Social: tried to quit twice, still smoking about 5 cigarettes a day.")
    assert {e.value for e in items if e.element == "tobacco_use"} == {"current"}
