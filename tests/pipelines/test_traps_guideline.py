"""The traps of docs/evidence-elements.md: phrases that look like an element but do not count."""

from __future__ import annotations

import pytest

from .conftest import affirmed


@pytest.mark.parametrize(
    ("text", "element"),
    [
        ("RECTAL:,  Normal tone, guaiac-negative brown stool.", "fobt"),
        ("Rectal exam: heme negative stool.", "fobt"),
        ("Stool guaiac positive in the ED.", "fobt"),
        ("HEENT:,  Fundi benign.  Funduscopic exam normal.", "retinal_eye_exam"),
        ("PHYSICAL EXAMINATION:,  Eye Exam:  Pupils equal and reactive to light.", "retinal_eye_exam"),
        ("Code status: Full code.", "advance_care_planning"),
        ("Status post supracervical hysterectomy.", "hysterectomy_no_cervix"),
        ("She had a hysterectomy in 1994.", "hysterectomy_no_cervix"),
        ("PAST MEDICAL HISTORY:,  Depression, on sertraline.", "depression_screening"),
        ("She received the HPV vaccine series.", "hpv_test"),
        ("Gardasil #2 given.", "hpv_test"),
        ("Pulmonary hypertension on echo.", "hypertension"),
        ("History of gestational hypertension.", "hypertension"),
        ("Prediabetes, diet controlled.", "diabetes"),
        ("History of gestational diabetes.", "diabetes"),
        ("Diabetes insipidus.", "diabetes"),
        ("Status post partial colectomy.", "total_colectomy"),
        ("Right hemicolectomy in 2010.", "total_colectomy"),
        ("Status post right mastectomy.", "bilateral_mastectomy"),
        ("Here for colon cancer screening.", "colorectal_cancer"),
        ("Colon polyps removed in 2015.", "colorectal_cancer"),
        ("CT abdomen showed no mass.", "ct_colonography"),
        ("Cologuard kit mailed to the patient.", "stool_dna"),
        ("Gravida 2, para 2.", "pregnancy"),
        ("At that time, she was pregnant.", "pregnancy"),
        ("Urine pregnancy test was negative.", "pregnancy"),
        ("She required hemodialysis for a few sessions for acute kidney injury.", "esrd"),
        ("CKD stage 3.", "esrd"),
        ("Palliative radiation to the spine.", "palliative_care"),
        ("Hospice was discussed with the family.", "hospice"),
        ("T2 weighted images show no lesion.", "diabetes"),
        ("PPD test negative.", "tobacco_use"),
        ("She was extubated and put on BI-PAP.", "cervical_cytology"),
        ("He has been on chronic prednisone therapy.", "esrd"),
        ("Right colon tumor.", "colorectal_cancer"),
        ("Neck: No cervical lymphadenopathy.", "hysterectomy_no_cervix"),
        ("RECTAL:,  Stool sent for occult blood test.", "fobt"),
        ("She retains the ability to make decisions on her own behalf.", "advance_care_planning"),
        ("She became pregnant after her 4th cycle in 1996.", "pregnancy"),
        ("An 11-year-old boy who was born at 32 weeks gestation.", "pregnancy"),
        ("A/P: CRC screening - FIT kit given today with instructions.", "fobt"),
        ("A/P: CRC screening UTD.", "colorectal_cancer"),
        ("S: 46M annual. No FH colon ca. O: BP 124/78.", "colorectal_cancer"),
    ],
)
def test_trap_is_not_affirmed(extract, text, element):
    assert affirmed(extract(text), element) == []


@pytest.mark.parametrize(
    ("text", "element"),
    [
        ("Home FIT test was negative in 2025.", "fobt"),
        ("Dilated eye exam by ophthalmology last month, no retinopathy.", "retinal_eye_exam"),
        ("She has a living will and her daughter is her health care proxy.", "advance_care_planning"),
        ("Total abdominal hysterectomy and bilateral salpingo-oophorectomy.", "hysterectomy_no_cervix"),
        ("PHQ-9 score 4.", "depression_screening"),
        ("High-risk HPV testing was negative.", "hpv_test"),
        ("History of HTN and DM2.", "hypertension"),
        ("Status post total proctocolectomy.", "total_colectomy"),
        ("Status post bilateral mastectomies.", "bilateral_mastectomy"),
        ("ESRD on hemodialysis three times a week.", "esrd"),
        ("She is currently pregnant at 12 weeks gestation.", "pregnancy"),
        ("She is on hospice.", "hospice"),
        ("Medications reconciled with the discharge list.", "medication_reconciliation"),
        ("Pneumovax given in 2020.", "pneumococcal_vaccine"),
        ("Cologuard negative in 2024.", "stool_dna"),
        ("Virtual colonoscopy in 2022 was normal.", "ct_colonography"),
    ],
)
def test_real_evidence_is_affirmed(extract, text, element):
    assert affirmed(extract(text), element), text
