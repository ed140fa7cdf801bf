"""Statuses from our ConText and section rules, including the medspaCy pitfalls we fix."""

from __future__ import annotations

import pytest

from .conftest import statuses


@pytest.mark.parametrize(
    ("text", "element", "status"),
    [
        ("She has never had a colonoscopy.", "colonoscopy", "negated"),
        ("No prior mammogram.", "mammogram", "negated"),
        ("She declined a sigmoidoscopy at this time.", "flexible_sigmoidoscopy", "declined"),
        ("Colonoscopy was offered but he refuses.", "colonoscopy", "declined"),
        ("Screening mammogram ordered.", "mammogram", "ordered"),
        ("She is scheduled for a colonoscopy next week.", "colonoscopy", "ordered"),
        ("Referred to ophthalmology for a dilated eye exam.", "retinal_eye_exam", "ordered"),
        ("She is due for a Pap smear.", "cervical_cytology", "planned"),
        ("Recommend pneumococcal vaccine.", "pneumococcal_vaccine", "planned"),
        ("We will check a hemoglobin A1c.", "hba1c", "planned"),
        ("Colonoscopy, barium enema, and CT colonography were discussed.", "ct_colonography", "planned"),
        ("If BP is above 160/100, call the office.", "blood_pressure", "hypothetical"),
        ("Rule out colon cancer.", "colorectal_cancer", "uncertain"),
        ("Possible early diabetes.", "diabetes", "uncertain"),
        ("Her mother died of colon cancer.", "colorectal_cancer", "family"),
        ("There is a family history of diabetes.", "diabetes", "family"),
        ("Colonoscopy in 2015 was normal.", "colonoscopy", "affirmed"),
        ("She is s/p mammogram last year.", "mammogram", "affirmed"),
        ("History of hypertension.", "hypertension", "affirmed"),
        ("Pap smear was negative.", "cervical_cytology", "affirmed"),  # a negative RESULT is a test done
    ],
)
def test_status(extract, text, element, status):
    assert statuses(extract(text), element) == [status]


def test_family_scope_stops_at_semicolon(extract):
    items = extract("Mother had breast cancer; she had a mammogram in 2024.")
    assert statuses(items, "mammogram") == ["affirmed"]


def test_family_scope_stops_at_the_patient(extract):
    items = extract("Father with diabetes and the patient has hypertension.")
    assert statuses(items, "diabetes") == ["family"]
    assert statuses(items, "hypertension") == ["affirmed"]


def test_terminator_cuts_a_max_scope_modifier(extract):
    # medspaCy's limit_scope misses a terminator whose scope contains the modifier's window
    items = extract("He has refused a colonoscopy, and so we have been doing stool cards for occult blood.")
    assert statuses(items, "colonoscopy") == ["declined"]
    assert statuses(items, "fobt") == ["affirmed"]


def test_modifier_inside_a_target_does_not_negate_it_or_its_neighbours(extract):
    items = extract(
        "Acquired absence of bilateral breasts.  Do not resuscitate, healthcare proxy, "
        "palliative care orders in place."
    )
    assert statuses(items, "bilateral_mastectomy") == ["affirmed"]
    assert set(statuses(items, "advance_care_planning")) == {"affirmed"}
    assert statuses(items, "palliative_care") == ["affirmed"]


def test_plan_section_makes_tests_planned_unless_done(extract):
    items = extract("PLAN:,  Mammogram.  Pap smear was obtained today.")
    assert statuses(items, "mammogram") == ["planned"]
    assert statuses(items, "cervical_cytology") == ["affirmed"]


def test_ros_dash_list_negates_forward(extract):
    items = extract("REVIEW OF SYSTEMS:,  Endocrine - No diabetes, thyroid disease or hypertension.")
    assert statuses(items, "diabetes") == ["negated"]
    assert statuses(items, "hypertension") == ["negated"]


def test_living_with_a_relative_is_not_family_history(extract):
    items = extract("She lives with her 21-year-old daughter, works as a CNA, smokes one pack per day.")
    assert statuses(items, "tobacco_use") == ["affirmed"]


@pytest.mark.parametrize(
    ("text", "element", "status"),
    [
        ("Seen in the emergency department with a blood pressure of 97/52.", "blood_pressure", "affirmed"),
        ("The family wanted a hospice consult, and she is now on hospice.", "hospice", "affirmed"),
        ("Neuropathy consistent with diabetes.", "diabetes", "affirmed"),
        ("Presented for evaluation of worsening hypertension.", "hypertension", "affirmed"),
        ("Temperature not taken, pulse 98, blood pressure 148/89.", "blood_pressure", "affirmed"),
        ("Colonoscopy will be done next week.", "colonoscopy", "planned"),
        (
            "She chose definitive treatment by total vaginal hysterectomy.",
            "hysterectomy_no_cervix",
            "planned",
        ),
    ],
)
def test_status_regressions_from_unseen_notes(extract, text, element, status):
    assert status in statuses(extract(text), element)


def test_modifier_ids_are_reported(extract):
    items = extract("She declined a colonoscopy.")
    (e,) = [e for e in items if e.element == "colonoscopy"]
    assert e.modifiers == ("declined.decline",)
    section_items = extract("FAMILY HISTORY:,  Colon cancer in an uncle.")
    assert any(m.startswith(("fam.", "sec.")) for e in section_items for m in e.modifiers)


def test_plan_in_a_new_clause_after_a_negation_decides(extract):
    items = extract("ACP: Not addressed today - will discuss advance directives at next visit.")
    assert statuses(items, "advance_care_planning") == ["planned"]


def test_plan_inside_the_negated_phrase_keeps_the_negation(extract):
    items = extract("She cannot have the flu shot because of an egg allergy.")
    assert statuses(items, "influenza_vaccine") == ["negated"]
    assert statuses(extract("No mammogram in 3 years, will order today."), "mammogram") == ["negated"]


def test_rules_matching_the_same_tokens_all_stay():
    from pipelines.target_context import prune_keeping_ties

    matches = [(7, 3, 5), (9, 3, 5), (4, 2, 3), (5, 3, 6), (1, 8, 9)]
    # (3, 6) is the longest of the spans overlapping (3, 5); (2, 3) and (8, 9) overlap nothing
    assert prune_keeping_ties(matches) == [(4, 2, 3), (5, 3, 6), (1, 8, 9)]
    assert prune_keeping_ties([(9, 3, 5), (7, 3, 5), (1, 8, 9)]) == [(7, 3, 5), (9, 3, 5), (1, 8, 9)]


@pytest.mark.parametrize(
    ("text", "element", "status"),
    [
        ("Pt cancelled her 12/16 mammogram appt (work conflict), wants January.", "mammogram", "ordered"),
        ("Missed her colonoscopy appointment last week, will reschedule.", "colonoscopy", "ordered"),
        ("Never had a colonoscopy; prefers a stool test.", "fobt", "planned"),
        ("Care coordinator call re: yearly diabetic eye exam, left message.", "retinal_eye_exam", "planned"),
        ("Urine culture was negative. Diabetes screen was negative.", "diabetes", "negated"),
        ("Colonoscopy 2019 was normal.", "colonoscopy", "affirmed"),
    ],
)
def test_appointments_preferences_and_outreach_topics(extract, text, element, status):
    assert statuses(extract(text), element) == [status]


def test_prior_to_a_procedure_is_not_a_past_event(extract):
    text = "PROCEDURE:,  Colonoscopy.,PREMEDICATIONS:,  Prior to the colonoscopy, fentanyl was given."
    items = [e for e in extract(text, title="Colonoscopy") if e.element == "colonoscopy"]
    assert [e.event_date is not None for e in items] == [True, True]


def test_declined_eye_exam_is_kept_without_a_diabetes_mention(extract):
    items = extract("Outreach call: pt declines eye exam this year, no vision insurance.")
    assert statuses(items, "retinal_eye_exam") == ["declined"]
    assert statuses(extract("Eye exam yearly with optician, glasses updated."), "retinal_eye_exam") == []


def test_a_test_named_in_a_question_is_not_documented(extract):
    items = extract("PREVENTIVE:\nPap - aged out after normal hx? pt is 64, last Pap 2020 normal.\n")
    assert [(e.status, e.event_date is not None) for e in items if e.element == "cervical_cytology"] == [
        ("uncertain", False),
        ("affirmed", True),
    ]
