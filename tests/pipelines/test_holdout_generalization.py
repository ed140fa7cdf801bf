"""Rules fixed after a blind chart review of notes outside dev (synthetic text, same styles)."""

from __future__ import annotations

from .conftest import affirmed, statuses


def test_combined_social_family_heading_keeps_the_patients_habits(extract):
    text = (
        "PMH:, HTN for years,SHX/FHX:, Married. 40pk-yr cigarettes (quit '98). Father had diabetes.,"
        "EXAM:, BP 150/90"
    )
    items = extract(text)
    tobacco = [e for e in items if e.element == "tobacco_use"]
    assert [(e.status, e.value) for e in tobacco] == [("affirmed", "former")]
    assert statuses(items, "diabetes") == ["family"]


def test_social_slash_family_history_heading_negation_is_the_patients(extract):
    text = (
        "SOCIAL/FAMILY HISTORY: , Lives with her husband.  No history of tobacco use.  "
        "Family history is noncontributory.,PHYSICAL EXAMINATION:, Alert."
    )
    tobacco = affirmed(extract(text), "tobacco_use")
    assert [e.value for e in tobacco] == ["never"]


def test_family_history_section_ends_at_an_unlisted_heading(extract):
    text = (
        "PMH: , DM, HTN,FH:,  Non-contributory,SOCH: , Retired, lives alone.  He smokes 1 pack a day "
        "for 30 years.,ALLERGIES: , NKDA"
    )
    tobacco = affirmed(extract(text), "tobacco_use")
    assert tobacco and all(e.value == "current" for e in tobacco)


def test_family_history_relative_labels_stay_in_the_family_section(extract):
    text = "FAMILY HISTORY:,MOTHER: Hypertension.,FATHER: Colon cancer.,SOCIAL HISTORY:, Nonsmoker."
    items = extract(text)
    assert statuses(items, "hypertension") == ["family"]
    assert statuses(items, "colorectal_cancer") == ["family"]


def test_an_age_range_in_counselling_does_not_make_an_adult_a_child(extract):
    text = (
        "CHIEF COMPLAINT\n\nHigh cholesterol.\n\nSOCIAL HISTORY\n\nPatient denies any history of smoking; however, "
        "they note that their parents smoked when they lived at home.\n\nASSESSMENT AND PLAN\n\n"
        "We talked about how the guidelines advise that kids aged 9 to 11 years old "
        "get a cholesterol check.\n"
    )
    tobacco = [e for e in extract(text) if e.element == "tobacco_use"]
    assert [(e.span, e.status, e.value) for e in tobacco if e.status == "affirmed"] == [
        ("smoking", "affirmed", "never")
    ]


def test_a_childs_note_still_gives_the_household_smoking_to_the_family(extract):
    text = "HPI: This 4-year-old boy presents with cough. Father smokes outside. Patient is a nonsmoker."
    items = extract(text)
    assert not affirmed(items, "tobacco_use")


def test_a_ppd_is_the_tuberculin_test_not_packs_per_day(extract):
    text = "We are going to check a PPD to rule out tuberculosis.  A PPD should be placed as well."
    assert not [e for e in extract(text) if e.element == "tobacco_use"]


def test_a_count_of_ppd_is_still_packs_per_day(extract):
    items = affirmed(extract("SOCIAL HISTORY: Smokes 1-2 ppd since age 16."), "tobacco_use")
    assert items and {e.value for e in items} == {"current"}


def test_not_to_be_resuscitated_is_a_code_status_decision(extract):
    text = "ASSESSMENT AND PLAN:,1.  COPD.,2.  The patient is not to be resuscitated.  Further care per course."
    assert [e.span for e in affirmed(extract(text), "advance_care_planning")] == ["not to be resuscitated"]


def test_full_code_is_still_not_advance_care_planning(extract):
    assert not affirmed(extract("Code status: full code; she is to be resuscitated."), "advance_care_planning")


def test_cervix_and_uterus_absent_on_exam_is_a_hysterectomy_without_cervix(extract):
    text = "HPI: She had a hysterectomy.,PELVIC:  Vulva normal.  Cervix and uterus are absent.  No adnexal masses."
    spans = [e.span for e in affirmed(extract(text), "hysterectomy_no_cervix")]
    assert spans == ["Cervix and uterus are absent"]


def test_uterus_and_cervix_surgically_absent(extract):
    text = "Pelvic exam: uterus and cervix are surgically absent; vaginal cuff intact."
    assert affirmed(extract(text), "hysterectomy_no_cervix")


def test_a_vitals_reading_described_as_mildly_over_is_a_reading(extract):
    text = "VITALS:  No fever.  Blood pressure is mildly over 96/68, heart rate 70, resp rate 14."
    readings = [e.value for e in affirmed(extract(text), "blood_pressure")]
    assert readings == [{"systolic": 96, "diastolic": 68}]


def test_a_conditional_over_threshold_stays_hypothetical(extract):
    items = extract("Hold the lisinopril if her blood pressure is over 160/100 and call.")
    assert statuses(items, "blood_pressure") == ["hypothetical"]


def test_a_diagnosis_the_patient_only_thinks_he_has_is_uncertain(extract):
    text = "PAST MEDICAL HISTORY:,1.  Alcoholic cirrhosis.,2.  He thinks he is diabetic.,3.  Hypertension."
    items = extract(text)
    assert statuses(items, "diabetes") == ["uncertain"]
    assert statuses(items, "hypertension") == ["affirmed"]


def test_she_believes_she_has_high_blood_pressure_is_uncertain(extract):
    assert statuses(extract("She believes she has hypertension, never treated."), "hypertension") == ["uncertain"]


def test_sent_him_for_an_ophthalmologic_evaluation_is_a_referral(extract):
    text = "His primary care physician sent him for an ophthalmologic evaluation of the double vision."
    assert statuses(extract(text), "retinal_eye_exam") == ["ordered"]


def test_a_relative_range_is_dated_to_the_year_of_its_middle(extract):
    # note date 2026-06-15: 6 to 12 months ago is 2025-06 .. 2025-12
    pap = affirmed(extract("Her latest Pap smear was roughly 6 to 12 months back."), "cervical_cytology")
    assert [(e.event_date.isoformat(), e.date_precision) for e in pap] == [("2025-01-01", "year")]


def test_a_relative_range_within_one_month_keeps_the_month(extract):
    items = affirmed(extract("Mammogram 1 to 2 days ago was benign."), "mammogram")
    assert [(e.event_date.isoformat(), e.date_precision) for e in items] == [("2026-06-01", "month")]


def test_a_tobacco_label_defers_to_its_answer(extract):
    text = "SOCIAL HISTORY\n\nAlcohol Use: None.\nTobacco Use: Non-smoker.\nRecreational Drugs: None.\n"
    tobacco = [e for e in extract(text) if e.element == "tobacco_use"]
    assert [(e.span, e.value) for e in tobacco] == [("Non-smoker", "never")]


def test_a_tobacco_label_with_a_sentence_answer_stays(extract):
    tobacco = affirmed(extract("Tobacco:  Quit in 1998 after 20 years."), "tobacco_use")
    assert tobacco and {e.value for e in tobacco} == {"former"}


def test_smoking_history_as_a_topic_has_no_category(extract):
    text = "PLAN\n\nWe discussed surgery with consideration of her age, BMI, and smoking history.\n"
    tobacco = [e for e in extract(text) if e.element == "tobacco_use"]
    assert [(e.status, e.value) for e in tobacco] == [("affirmed", None)]


def test_a_topic_introducer_defers_to_the_restated_mention(extract):
    text = (
        "No spiritual distress reported.  As to advanced directives, he does not seem to have any "
        "real advanced directives, either written or verbal.  His family is drawing one up."
    )
    items = extract(text)
    assert statuses(items, "advance_care_planning") == ["negated"]


def test_a_topic_introducer_answered_by_a_living_will_is_affirmed(extract):
    text = "As for advance directives, she has a living will on file."
    assert affirmed(extract(text), "advance_care_planning")


def test_a_topic_introducer_without_a_restatement_is_kept(extract):
    items = extract("As to advance directives, she signed them in 2021 with her attorney.")
    assert [e.span for e in affirmed(items, "advance_care_planning")] == ["advance directives"]


_RETINA_VISIT = (
    "PHYSICAL EXAM\n\nEyes\n- Examination of the right eye: Posterior chamber intraocular lens. Cornea clear, "
    "cup-disc ratio 0.3. Fundus of right eye shows the retina attached 360 degrees, drusen of the macula.\n\n"
    "RESULTS\n\nFluorescein angiography:\nLeakage in the right eye consistent with wet macular degeneration.\n"
)


def test_fundus_findings_in_an_eye_care_note_are_a_retinal_exam_on_the_visit_date(extract):
    items = affirmed(extract(_RETINA_VISIT, note_type="outpatient visit"), "retinal_eye_exam")
    assert {e.span for e in items} == {"Fundus", "Fluorescein angiography"}
    assert {(e.event_date.isoformat(), e.date_precision) for e in items} == {("2026-06-15", "day")}


def test_fundi_in_a_general_physical_exam_are_still_not_a_retinal_exam(extract):
    text = "PHYSICAL EXAMINATION:,HEENT:  PERRLA.  Fundi benign.  Optic discs sharp.,NECK:  Supple."
    assert not affirmed(extract(text, title="Annual physical", note_type="General Medicine"), "retinal_eye_exam")


def test_an_angiogram_ordered_at_todays_visit_is_ordered(extract):
    text = "Fluorescein angiogram ordered during this visit to exclude macular edema."
    items = extract(text, title="Ophthalmology Progress Note", note_type="Ophthalmology")
    assert statuses(items, "retinal_eye_exam") == ["ordered"]


def test_an_eye_drop_named_optic_is_no_exam(extract):
    text = "Current meds: V-optic 0.5% drops in each eye two times daily."
    assert not extract(text, title="Decreased Vision Consult", note_type="Ophthalmology")


def test_eye_care_element_must_be_a_trap_rule_naming_a_known_element(tmp_path):
    import pytest

    from pipelines.rules import RuleFileError, load_target_rules

    path = tmp_path / "t.yaml"
    path.write_text(
        "target_rules:\n  - {id: x.1, element: ignore, literal: fundus, eye_care_element: retina_exam}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match=r"x\.1.*eye_care_element.*'retina_exam'.*retinal_eye_exam"):
        load_target_rules(path)


def test_a_smoking_history_that_goes_on_to_this_day_is_current(extract):
    text = (
        "SOCIAL HISTORY:, Works as a mechanic. Pt has a history of smoking 1 ppd of cigarettes for the "
        "past 20 years.,EXAM:, Alert."
    )
    tobacco = affirmed(extract(text), "tobacco_use")
    assert tobacco and {e.value for e in tobacco} == {"current"}


def test_used_to_smoke_more_is_a_reduction_not_a_quit(extract):
    text = (
        "HISTORY OF PRESENT ILLNESS\n\nShe smokes about half a pack a day. She used to smoke more and "
        "finds it hard to stop completely.\n"
    )
    tobacco = affirmed(extract(text), "tobacco_use")
    assert tobacco and {e.value for e in tobacco} == {"current"}


def test_a_bare_smoking_history_yields_to_a_current_habit_stated_later(extract):
    text = (
        "ASSESSMENT AND PLAN\n\n1. Tobacco use.\n- She has a long history of smoking cigarettes. "
        "She is currently smoking 1 pack per day and wants to quit.\n"
    )
    tobacco = affirmed(extract(text), "tobacco_use")
    assert tobacco and {e.value for e in tobacco} == {"current"}


def test_a_bare_smoking_history_without_a_current_habit_stays_former(extract):
    text = "PAST MEDICAL HISTORY:, COPD, history of smoking.,SOCIAL HISTORY:, Lives with his wife."
    tobacco = affirmed(extract(text), "tobacco_use")
    assert [e.value for e in tobacco] == ["former"]


def test_borderline_hypertension_is_not_a_diagnosis(extract):
    text = (
        "CARDIAC RISK FACTORS: , History of borderline hypertension.  Nonsmoker.,PAST MEDICAL HISTORY:,"
        "1.  Hypothyroidism.,2.  Borderline HTN.,3.  Borderline diabetic, diet controlled."
    )
    items = extract(text)
    assert statuses(items, "hypertension") == ["uncertain", "uncertain"]
    assert "affirmed" not in statuses(items, "diabetes")


def test_a_hospice_consult_called_but_never_seen_is_not_hospice_care(extract):
    text = (
        "HOSPITAL COURSE:, She declined over 48 hours and the son asked about comfort measures.  "
        "Hospice was called on day 3.  By the time hospice could see her, she had passed away."
    )
    items = extract(text)
    assert statuses(items, "hospice") == ["ordered", "ordered"]


def test_a_patient_admitted_to_hospice_is_still_hospice_care(extract):
    text = "SOCIAL HISTORY:, Widowed.  She was admitted to hospice in March and is followed by their nurse."
    assert statuses(extract(text), "hospice") == ["affirmed"]


def test_a_bp_rechecked_by_the_examiner_is_a_second_reading(extract):
    text = (
        "Vital signs:  Weight:  212 lbs.  Blood pressure:  152/86, rechecked by myself with a large cuff, "
        "it was 132/78.  Pulse:  72."
    )
    readings = [(e.value["systolic"], e.value["diastolic"]) for e in affirmed(extract(text), "blood_pressure")]
    assert readings == [(152, 86), (132, 78)]
