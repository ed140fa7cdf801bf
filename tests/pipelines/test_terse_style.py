"""Terse, telegraphic EHR notes (issue 10): one table per class of error, with counter-examples.

Every phrasing is our own; each row names the element, whether it must come out affirmed, and
(where it matters) the value or the date.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.records import Note
from evaluation.extraction import note_tobacco_category
from pipelines.extract import extract_note

from .conftest import NOTE_DATE, affirmed


def _is_affirmed(items, element: str) -> bool:
    return bool(affirmed(items, element))


# ----------------------------------------------------------------------------- absence, telegraphic
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("Nil known asthma, IHD or diabetes.", "diabetes", False),
        ("PMHx: nil. No hx of HTN.", "hypertension", False),
        ("Diabetes - no.", "diabetes", False),
        ("HTN: nil", "hypertension", False),
        ("Screen: DM -ve, lipids fine.", "diabetes", False),
        ("Neg for diabetes and HTN.", "hypertension", False),
        ("\u00d8 DM", "diabetes", False),
        ("No known DM, HTN or CKD.", "hypertension", False),
        ("Hx: no DM, no HTN.", "diabetes", False),
        # counter-examples: the condition is there, something else is absent
        ("DM2 - no hypos this month.", "diabetes", True),
        ("HTN - no med changes.", "hypertension", True),
        ("T2DM, nil complications.", "diabetes", True),
        ("PMHx: HTN, DM (dx 2015).", "hypertension", True),
        ("FIT -ve 02/2026.", "fobt", True),  # a result, not a negation
    ],
)
def test_telegraphic_absence(extract, text, element, expected):
    assert _is_affirmed(extract(text), element) is expected


# ----------------------------------------------------------------------------- plans, telegraphic
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("Med rec to do at the next long appt.", "medication_reconciliation", False),
        ("Med rec not finished - pt to bring bottles.", "medication_reconciliation", False),
        ("Bring all meds next visit so we can reconcile your meds.", "medication_reconciliation", False),
        ("Flu vax once pt recovered.", "influenza_vaccine", False),
        ("Book colonoscopy.", "colonoscopy", False),
        ("Pap TBD.", "cervical_cytology", False),
        ("Pneumovax - pt will think about it.", "pneumococcal_vaccine", False),
        ("Mammogram: pt requests next visit.", "mammogram", False),
        ("Walking daily to prevent diabetes.", "diabetes", False),
        ("Counselled: smoking raises the risk of HTN.", "hypertension", False),
        ("Risk factors for diabetes reviewed: weight, family hx.", "diabetes", False),
        # counter-examples: done now, or done before with the next one planned
        ("Meds reconciled today w/ pt.", "medication_reconciliation", True),
        ("Flu vax given today, recheck BP 2/52.", "influenza_vaccine", True),
        ("Colonoscopy 2020 normal, repeat in 5 yrs.", "colonoscopy", True),
    ],
)
def test_telegraphic_plans(extract, text, element, expected):
    assert _is_affirmed(extract(text), element) is expected


# ----------------------------------------------------------------------------- prior results beside the current one
@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("HbA1c 7.1% (previously 7.9% in spring).", [7.1, 7.9]),
        ("A1c 6.4%, down from 7.2% last yr.", [6.4, 7.2]),
        ("HbA1c 8.0% (64 mmol/mol), prev 8.6% 03/26.", [8.0, 8.6]),
        ("HbA1c   4.0 - 5.6 %   7.7 (H)   7.3 (H)", [7.7, 7.3]),
        ("A1c trend: 01/2025 8.8% \u2192 07/2025 8.1% \u2192 today 7.5%", [8.8, 8.1, 7.5]),
        ("A1c 6.9% up from 6.5% (Oct).", [6.9, 6.5]),
        ("HbA1c 53 mmol/mol.", [7.0]),  # IFCC only: converted to percent
        ("A1c overdue (last 7.8% 06/2025).", [7.8]),  # a number documents a result
        ("HbA1c 59 (7.5%) on 12/01/26.", [7.5]),  # an IFCC value before the percent one is skipped
        ("Last HbA1c 7.8% 3 months ago; today 7.1%.", [7.8, 7.1]),
        # counter-examples
        ("Goal A1c < 7%.", []),
        ("Recheck A1c in 3 months.", []),
        ("A1c 7.2%, glucose 6.1.", [7.2]),
        ("A1c ordered, not yet resulted.", []),
    ],
)
def test_prior_results_are_read_with_the_current_one(extract, text, values):
    assert [e.value for e in affirmed(extract(text), "hba1c")] == values


def test_each_result_has_its_own_date(extract):
    items = affirmed(extract("A1c 7.4% (02/2026); 8.1% in 10/2025, 8.6% 04/25."), "hba1c")
    assert [(e.value, e.event_date, e.date_precision) for e in items] == [
        (7.4, date(2026, 2, 1), "month"),
        (8.1, date(2025, 10, 1), "month"),
        (8.6, date(2025, 4, 1), "month"),
    ]
    (current, prior) = affirmed(extract("HbA1c 6.8% today, was 7.5% last year."), "hba1c")
    assert (current.event_date, prior.event_date) == (NOTE_DATE, date(2025, 1, 1))


# ----------------------------------------------------------------------------- tobacco category, terse
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("SH: non smoker, EtOH social.", "never"),
        ("Ex-smoker since the 80s.", "former"),
        ("Nil tobacco.", "never"),
        ("Still off cigarettes, 2 yrs now.", "former"),
        ("Smokes ~15/day.", "current"),
        ("Smoking: ex.", "former"),
        ("Smoke-free since Jan.", "former"),
        ("Tob - denies.", "never"),
        ("Smoker? - says he quit years ago.", "former"),
        ("Vapes nicotine + ~5 cig/day.", "current"),
        ("Never smoked cigarettes; chews tobacco daily.", "current"),
        ("Smoker: N", "never"),
        ("Z87.891 Personal history of nicotine dependence.", "former"),
        ("F17.210 Nicotine dependence, cigarettes, uncomplicated.", "current"),
        ("Smoker: Y, 20/day.", "current"),
        # counter-examples: no status of the patient's own
        ("Son smokes outside the house.", None),
        ("Smoke-free home, no pets.", None),
        ("Lives with wife who smokes.", None),
    ],
)
def test_tobacco_category_in_terse_form(extract, text, category):
    assert note_tobacco_category(extract(text)) == category


# ----------------------------------------------------------------------------- visit dates, relative dates, date order
def _extract_with_order(nlp, text: str, date_order: str | None):
    note = Note(note_id="t-2", patient_id="p-1", note_date=NOTE_DATE, text=text, date_order=date_order)
    items = extract_note(nlp, note, include_supplemental=True)
    assert all(text[e.start : e.end] == e.span for e in items)
    return items


@pytest.mark.parametrize(
    ("text", "date_order", "element", "expected"),
    [
        ("Flu vax given today L deltoid.", None, "influenza_vaccine", (NOTE_DATE, "day")),
        ("Flu vaccine 0.5 mL IM given R deltoid.", None, "influenza_vaccine", (NOTE_DATE, "day")),
        ("PHQ-9 done: 12.", None, "depression_screening", (NOTE_DATE, "day")),
        ("Smear 6/12 ago - normal.", None, "cervical_cytology", (date(2025, 12, 1), "month")),
        ("Mammo 3/52 ago, BI-RADS 1.", None, "mammogram", (date(2026, 5, 1), "month")),
        ("Colonoscopy last yr, normal.", None, "colonoscopy", (date(2025, 1, 1), "year")),
        ("Colonoscopy 2 yrs ago - polyp removed.", None, "colonoscopy", (date(2024, 1, 1), "year")),
        ("Colonoscopy 04/03/25 - normal.", "dmy", "colonoscopy", (date(2025, 3, 4), "day")),
        ("Colonoscopy 04/03/25 - normal.", "mdy", "colonoscopy", (date(2025, 4, 3), "day")),
        ("Colonoscopy 04/03/25 - normal.", None, "colonoscopy", (date(2025, 4, 3), "day")),  # the default
        ("Colonoscopy 14/03/25 - normal.", "mdy", "colonoscopy", (date(2025, 3, 14), "day")),  # only dmy is a date
        ("Shingrix #1 given 12.01.2026.", "dmy", "zoster_vaccine", (date(2026, 1, 12), "day")),
        # a done test is not in the future: "12/01/26" read month-first would be December 2026
        ("Colonoscopy 12/01/26 - normal.", None, "colonoscopy", (date(2026, 1, 12), "day")),
        ("DRS: R0M0 03/2026.", None, "retinal_eye_exam", (date(2026, 3, 1), "month")),  # a label's answer
        # counter-examples: no visit date for what was done elsewhere; no date in the future
        ("Flu vax - had at pharmacy.", None, "influenza_vaccine", (None, None)),
        ("Colonoscopy 2019, repeat 2029.", None, "colonoscopy", (date(2019, 1, 1), "year")),
    ],
)
def test_visit_and_relative_dates(nlp, text, date_order, element, expected):
    items = affirmed(_extract_with_order(nlp, text, date_order), element)
    assert items and {(e.event_date, e.date_precision) for e in items} == {expected}


def test_pipeline_date_order_is_the_default_a_note_overrides(nlp):
    from pipelines.build import build_nlp

    tagger = nlp.get_pipe("qm_dates")
    assert tagger.date_order == "mdy"  # the default
    tagger.date_order = "dmy"  # what build_nlp({"date_order": "dmy"}) configures
    try:
        (e,) = affirmed(_extract_with_order(nlp, "Mammo 05/04/2025 normal.", None), "mammogram")
        assert e.event_date == date(2025, 4, 5)
        (e,) = affirmed(_extract_with_order(nlp, "Mammo 05/04/2025 normal.", "mdy"), "mammogram")
        assert e.event_date == date(2025, 5, 4)
    finally:
        tagger.date_order = "mdy"
    with pytest.raises(ValueError, match="date_order"):
        build_nlp({"date_order": "ymd"})


# ----------------------------------------------------------------------------- a done test: result and interval
@pytest.mark.parametrize(
    ("text", "element", "expected", "when"),
    [
        ("Colonoscopy 2019, normal, repeat in 10 yrs.", "colonoscopy", True, date(2019, 1, 1)),
        ("Stool test negative in March, repeat yearly.", "fobt", True, date(2026, 3, 1)),
        ("HPV negative.", "hpv_test", True, None),
        ("FIT 04/2026 negative.", "fobt", True, date(2026, 4, 1)),
        ("Mammogram 08/2025 normal - due now, order placed.", "mammogram", True, date(2025, 8, 1)),
        ("Cologuard 03/2024 neg, next 03/2027.", "stool_dna", True, date(2024, 3, 1)),
        ("hrHPV 16/18 not detected.", "hpv_test", True, None),
        ("Pap 2022 NILM, HPV neg.", "hpv_test", True, date(2022, 1, 1)),
        ("Smear up to date (2024, normal).", "cervical_cytology", True, date(2024, 1, 1)),
        ("Pap: 2022 - neg; HPV: 2022 - neg", "cervical_cytology", True, date(2022, 1, 1)),
        ("Pap: 2022 - neg; HPV: 2022 - neg", "hpv_test", True, date(2022, 1, 1)),
        ("Breast screening 06/2025 - normal.", "mammogram", True, date(2025, 6, 1)),
        ("Bowel screening kit returned, normal, 2024.", "fobt", True, date(2024, 1, 1)),
        # counter-examples
        ("Colonoscopy due, repeat in 10 yrs.", "colonoscopy", False, None),
        ("FIT kit mailed, not yet returned.", "fobt", False, None),
        ("Colonoscopy recommended.", "colonoscopy", False, None),
        ("Gardasil series done.", "hpv_test", False, None),
        ("Mammogram: none.", "mammogram", False, None),
    ],
)
def test_a_result_states_a_done_test(extract, text, element, expected, when):
    items = affirmed(extract(text), element)
    assert bool(items) is expected
    if expected:
        assert {e.event_date for e in items} == {when}


# ----------------------------------------------------------------------------- vaccines by every name
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        ("Flu shot given.", "influenza_vaccine", True),
        ("Flu vax done.", "influenza_vaccine", True),
        ("High-dose flu vaccine given.", "influenza_vaccine", True),
        ("Flublok administered.", "influenza_vaccine", True),
        ("Flu: UTD (10/2025).", "influenza_vaccine", True),
        ("Pneumovax 2021.", "pneumococcal_vaccine", True),
        ("PPSV23 given.", "pneumococcal_vaccine", True),
        ("Vaxneuvance 2024.", "pneumococcal_vaccine", True),
        ("Capvaxive given.", "pneumococcal_vaccine", True),
        ("PCV21 today.", "pneumococcal_vaccine", True),
        ("Had Pneumovax years ago, unsure when.", "pneumococcal_vaccine", True),
        ("Pneumovax - pt unsure if ever given.", "pneumococcal_vaccine", False),
        ("Tdap 2019.", "td_tdap_vaccine", True),
        ("Td booster given.", "td_tdap_vaccine", True),
        ("Boostrix given at 28 wks.", "td_tdap_vaccine", True),
        ("Tetanus up to date (2018).", "td_tdap_vaccine", True),
        ("Shingrix #2 given.", "zoster_vaccine", True),
        ("RZV 2024.", "zoster_vaccine", True),
        ("Shingles vaccine done 2023.", "zoster_vaccine", True),
        # declined, due, and words that are not vaccines
        ("Shingrix declined.", "zoster_vaccine", False),
        ("Flu vax - refused.", "influenza_vaccine", False),
        ("Tdap due.", "td_tdap_vaccine", False),
        ("Hx of shingles 2019.", "zoster_vaccine", False),
        ("Flu-like illness x3 days.", "influenza_vaccine", False),
        ("Tetanus immune globulin given.", "td_tdap_vaccine", False),
        ("Hb 131, PCV 0.41.", "pneumococcal_vaccine", False),
        ("TD on antipsychotics.", "td_tdap_vaccine", False),
    ],
)
def test_vaccines_by_every_common_name(nlp, text, element, expected):
    items = _extract_with_order(nlp, text, None)
    assert _is_affirmed(items, element) is expected


def test_declined_vaccines_keep_their_status(nlp):
    items = _extract_with_order(nlp, "Shingrix declined. Tdap: refused.", None)
    assert {(e.element, e.status) for e in items} == {("zoster_vaccine", "declined"), ("td_tdap_vaccine", "declined")}


def test_new_vaccine_elements_are_supplemental(extract):
    # the 27-element output (qae extract, chart-review scoring) leaves them out
    assert not [e for e in extract("Tdap 2019. Shingrix 2024.") if e.element in ("td_tdap_vaccine", "zoster_vaccine")]


# ----------------------------------------------------------------------------- pregnancy in obstetric shorthand
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("G2P1 at 24+3/40, well.", True),
        ("Seen at 31+2, FM+.", True),
        ("Twin pregnancy 12+0 weeks.", True),
        ("Antenatal check 32/40.", True),
        ("EDD 20/09/26 by scan.", True),
        ("AN visit - urine NAD.", True),
        ("+UPT today, LMP 6 wks ago.", True),
        ("Pregnancy test positive.", True),
        # counter-examples
        ("G3P3, last delivery 2015.", False),
        ("UPT negative.", False),
        ("SVD at 39+2, 2/52 postnatal.", False),
        ("Gleason 4+3 adenocarcinoma.", False),
        ("Vision 20/40 OU.", False),
        ("Atorvastatin/ezetimibe 10/40 mg daily.", False),
        ("When she was 5 months pregnant with her son she had pre-eclampsia.", False),
        ("Had a seizure while 3 months pregnant in 2010.", False),
        ("She is 7 months pregnant.", True),
    ],
)
def test_pregnancy_in_obstetric_shorthand(extract, text, expected):
    assert _is_affirmed(extract(text), "pregnancy") is expected


# ----------------------------------------------------------------------------- eye care
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T2DM. DRS 10/2025 - no DR.", True),
        ("T2DM. Retinal screening 03/2026: background DR.", True),
        ("T2DM. Diabetic eye screening today - no retinopathy.", True),
        ("T2DM. RetinaScreen 2025 - no retinopathy.", True),
        ("T2DM. Eyes: optom 02/2026 - mild NPDR.", True),
        ("T2DM. Saw ophthalmologist 01/2026, no DR.", True),
        ("T2DM. Last dilated eye exam 2024.", True),
        ("T2DM. Retinal photos in clinic today: no DR.", True),
        ("T2DM. Eyes checked by optician 02/2026, no diabetic changes.", True),
        # counter-examples: referrals, missed screens, consults without findings, a GP's fundoscopy
        ("T2DM. Referred to optometry for diabetic eye screening.", False),
        ("T2DM. Ophthalmology consult requested.", False),
        ("T2DM. Missed RetinaScreen appt, re-referred.", False),
        ("T2DM. O/E fundi benign.", False),
        ("T2DM. Retinal screening due.", False),
        ("Seen by ophthalmology for conjunctivitis.", False),
    ],
)
def test_eye_care(extract, text, expected):
    assert _is_affirmed(extract(text), "retinal_eye_exam") is expected


# ----------------------------------------------------------------------------- blood pressure, terse
@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("BP at pharmacy kiosk 131/79.", [(131, 79)]),
        ("HTN - home cuff 144/90, 140/88 avg.", [(144, 90), (140, 88)]),
        ("ABPM daytime avg 138/86.", [(138, 86)]),
        ("Home BP log: 01/02 142/80 \u2022 01/04 138/78", [(142, 80), (138, 78)]),
        ("BP 150/96 \u2192 144/92 on recheck.", [(150, 96), (144, 92)]),
        ("Own machine: 136/84 this morning.", [(136, 84)]),
        ("Pre-dialysis BP per unit book 162/80.", [(162, 80)]),
        ("BP 138/88 L, 132/84 R.", [(138, 88), (132, 84)]),
        # counter-examples
        ("Pulmonary artery pressure equals 45/20.", []),
        ("BP goal <130/80.", []),
        ("BP cuff range 110-140/70-90.", []),
        ("BP check 2/52, pulse 72, weight 80/..", []),
    ],
)
def test_blood_pressure_in_terse_form(extract, text, readings):
    got = [(e.value["systolic"], e.value["diastolic"]) for e in affirmed(extract(text), "blood_pressure")]
    assert got == readings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DNACPR in place, discussed with family.", True),
        ("HCPOA: daughter.", True),
        ("ACP - discussed today with pt and son.", True),
        ("Advance care plan completed and uploaded.", True),
        ("ACP: pt wants time to think.", False),
        ("Discuss ACP next visit.", False),
        ("Code status: full code.", False),
        ("ACP - to do at the long appointment.", False),
    ],
)
def test_advance_care_planning_in_terse_form(extract, text, expected):
    assert _is_affirmed(extract(text), "advance_care_planning") is expected


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Dx on CCM plan: T2DM, HTN.\nFlu vax: rec'd 10/2025.", "affirmed"),  # "plan:" inside a sentence
        ("Care plan: reviewed.\nFlu vaccine 10/2025 done.", "affirmed"),
        ("PLAN: flu vaccine.", "planned"),  # a heading in capitals, anywhere
        ("Stable.  Plan: flu vaccine.", "planned"),  # after punctuation
        ("Plan:\n- flu vaccine", "planned"),  # at the start of a line
        ("Seen today.,PLAN:, Flu vaccine.", "planned"),  # transcribed line breaks
    ],
)
def test_a_lower_case_heading_only_starts_a_section_where_a_heading_can(extract, text, status):
    assert {e.status for e in extract(text) if e.element == "influenza_vaccine"} == {status}


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("PSH: L mastectomy 2012, then prophylactic R mastectomy 2014.", {date(2012, 1, 1), date(2014, 1, 1)}),
        ("Right mastectomy 2009. Left simple mastectomy 2013.", {date(2009, 1, 1), date(2013, 1, 1)}),
        ("Bilat mastectomies 2008.", {date(2008, 1, 1)}),
        ("R mastectomy 2018 (breast CA); L breast mammo 11/2025 normal.", None),  # one side only
        ("Mother: L mastectomy. Pt: R mastectomy 2020.", None),  # the left one is the mother's
    ],
)
def test_left_and_right_mastectomies_make_a_bilateral_one(extract, text, dates):
    items = affirmed(extract(text), "bilateral_mastectomy")
    assert ({e.event_date for e in items} if items else None) == dates

