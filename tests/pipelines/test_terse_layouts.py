"""Terse and templated layouts a second writer's notes showed (issue 10b): one table per class of error, each
with counter-examples that must not fire.

Every phrasing is our own. Day-first notes are extracted with ``date_order="dmy"``, as their source would set it.
"""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import NOTE_DATE, affirmed


def _dates(items, element: str) -> set[str]:
    out = set()
    for e in affirmed(items, element):
        if e.event_date is not None:
            iso = e.event_date.isoformat()
            out.add({"year": iso[:4], "month": iso[:7], "day": iso}[e.date_precision or "day"])
    return out


# ----------------------------------------------------------------------------- HbA1c: every result in the layout
@pytest.mark.parametrize(
    ("text", "order", "values"),
    [
        # a second value in mmol/mol with the percent beside it, before or after
        ("Bloods: HbA1c 61 mmol/mol (7.7%) \u2190 55 (7.2%) 03/25.", "dmy", [7.7, 7.2]),
        ("HbA1c 59 (7.5%), \u2193 from 66 in March.", "dmy", [7.5, 8.2]),  # a bare IFCC value: mmol/mol
        ("HbA1c 50 mmol/mol 02/03/26, rpt 54 on 01/05/26.", "dmy", [6.7, 7.1]),
        ("HbA1c 48.", "dmy", [6.5]),
        # a prior value after a comment in brackets, with its date after it
        ("HbA1c 6.9% (on dialysis, unreliable), prev 7.4% 01/26.", "dmy", [6.9, 7.4]),
        ("A1c 7.8% (POC) today, 8.3% on 01/14/2026.", "mdy", [7.8, 8.3]),
        # checklist and lab-table rows
        ("HbA1c        | Done   | 6.8% (11/02/2025); prior 7.2% (05/2025)", "mdy", [6.8, 7.2]),
        ("Hemoglobin A1c | 8.1 (H) | 7.6 (H) | 7.0", "mdy", [8.1, 7.6, 7.0]),
        # the same result in both units is one value
        ("A1c 7.4% (57 mmol/mol).", "mdy", [7.4]),
        ("HbA1c 64 mmol/mol / 8.0%", "dmy", [8.0]),
        # counter-examples: doses, durations, goals and other tests are no values
        ("A1c 7.2, then 30 units glargine.", "mdy", [7.2]),
        ("A1c 6.9% (goal under 7), LDL 88.", "mdy", [6.9]),
        ("HbA1c due in 3 months; glucose 112.", "mdy", []),
        ("A1c 7.1% - recheck in 90 days.", "mdy", [7.1]),
    ],
)
def test_hba1c_values_in_terse_layouts(read, text, order, values):
    assert [e.value for e in affirmed(read(text, order), "hba1c")] == values


def test_hba1c_prior_values_keep_their_own_dates(read):
    items = affirmed(read("HbA1c 58 (7.5%) today \u2190 62 (7.8%) 11/25.", "dmy"), "hba1c")
    assert [(e.value, e.event_date) for e in items] == [(7.5, NOTE_DATE), (7.8, date(2025, 11, 1))]


# ----------------------------------------------------------------------------- BP: readings in rows, after labels
@pytest.mark.parametrize(
    ("text", "readings"),
    [
        # dated rows of a vitals flowsheet under a BP column
        (
            "Vitals (last 3)\nDate        BP       HR   Wt\n03/01/2026  152/90   78   80\n"
            "11/20/2025  140/85   80   82\n",
            [(152, 90), (140, 85)],
        ),
        ("| Date | BP | Pulse |\n| 03/01/2026 | 152/90 | 78 |\n| 01/10/2026 | 140/85 | 80 |", [(152, 90), (140, 85)]),
        # a place or source right before the reading
        ("HTN review: home average in the 130s, here 136/84.", [(136, 84)]),
        ("Home log 14x/8x per pt; clinic 151/88 (GP 20/05).", [(151, 88)]),
        ("Reports \u201c140s/90s\u201d at home; office 144/92 today.", [(144, 92)]),
        # a position, arm or timing label
        ("Seated 5 min: 128/84. Repeat R arm 124/80.", [(128, 84), (124, 80)]),
        ("Lying 132/78, standing 118/70 after 3 min.", [(132, 78), (118, 70)]),
        # a goal with its own figure after the reading leaves the reading
        ("BP 142/88 (goal <130/80).", [(142, 88)]),
        # counter-examples: other columns, inhaler strengths, goals and targets
        ("Date        Wt    HR\n03/01/2026  82    140/85", []),
        ("Seretide 250/50 one puff bd, here for review.", []),
        ("Target BP <140/90 at home.", []),
        ("BP goal 130/80.", []),
    ],
)
def test_bp_readings_in_rows_and_after_labels(read, text, readings):
    got = [(e.value["systolic"], e.value["diastolic"]) for e in affirmed(read(text), "blood_pressure")]
    assert got == readings


# ----------------------------------------------------------------------------- screening instruments with a score
@pytest.mark.parametrize(
    ("text", "scores"),
    [
        ("Mood r/v. PHQ-9 today 17 (was 21 on 14/3).", [17, 21]),  # "r/v." is no "versus"
        ("PHQ-9: 8 (mild) - was 15 in 01/2026; better.", [8, 15]),
        ("EPDS 13 - discussed, support info given.", [13]),  # a score outweighs the plan words around it
        ("Plan: PHQ-9 19, start sertraline 50mg.", [19]),
        ("PHQ-9 | 16 |", [16]),
        ("Depression screen (PHQ-9) 12", [12]),
        ("PHQ9=16", [16]),
        ("PHQ-9 14/27 today.", [14]),
        ("PHQ-9 20 -> 9 over 3 months.", [20, 9]),
        ("GDS-15 score of 4.", [4]),
        # counter-examples: no score, a plan, a refusal, a threshold
        ("PHQ-9 not done today - next visit.", []),
        ("Repeat PHQ-9 in 4 weeks.", []),
        ("PHQ-9 declined by pt.", []),
        ("If PHQ-9 > 10, refer to behavioural health.", []),
        ("PHQ-9 to be repeated at 12 months.", []),
    ],
)
def test_screening_scores_and_their_series(read, text, scores):
    items = affirmed(read(text, "dmy"), "depression_screening")
    assert [e.value["score"] for e in items] == scores


def test_prior_scores_keep_their_own_dates(read):
    items = affirmed(read("PHQ-9 today 17 (was 21 on 14/3).", "dmy"), "depression_screening")
    assert [(e.value["score"], e.event_date) for e in items] == [(17, NOTE_DATE), (21, date(2026, 3, 14))]
    items = affirmed(read("PHQ-9: 8 (mild) - was 15 in 01/2026.", "mdy"), "depression_screening")
    assert [(e.value["score"], e.event_date) for e in items] == [(8, NOTE_DATE), (15, date(2026, 1, 1))]


# ----------------------------------------------------------------------------- status: what terse words do to a mention
@pytest.mark.parametrize(
    ("text", "element", "expected"),
    [
        # a bracketed aside keeps its words to itself
        ("PMHx: CKD 4 (nephrology f/u, not on dialysis), T2DM diet-controlled.", "diabetes", True),
        ("Bowel: CTC 05/2023 - no polyps (flexi sig 2014 normal).", "flexible_sigmoidoscopy", True),
        ("Colonoscopy (declined).", "colonoscopy", False),  # an aside about the mention before it still counts
        ("No colonoscopy (pt prefers FIT).", "colonoscopy", False),
        # a relative acting with the patient is no family history
        ("Seen by the palliative care team 05/26 - pt & son agreed on comfort care.", "palliative_care", True),
        ("Palliative care team visit 04/26: pt and wife present.", "palliative_care", True),
        ("Mother had palliative care at home.", "palliative_care", False),
        # med rec in other words
        ("Meds list checked against the hospital discharge letter - reconciled.", "medication_reconciliation", True),
        ("Renal meds verified against the dialysis unit list.", "medication_reconciliation", True),
        ("Meds: reconciled w/ the pharmacy printout.", "medication_reconciliation", True),
        ("Meds checked with pt.", "medication_reconciliation", False),
        ("Meds list: reconcile at next visit.", "medication_reconciliation", False),
        # bilateral surgery in shorthand
        ("PSHx: bilat risk-reducing mastectomies 2018.", "bilateral_mastectomy", True),
        ("Bilateral prophylactic mastectomy 2020 (BRCA2).", "bilateral_mastectomy", True),
        ("R risk-reducing mastectomy 2021; L breast intact.", "bilateral_mastectomy", False),
        # what was given was information; a vaccine when it is available is a plan
        ("Hospice info given; pt not ready yet.", "hospice", False),
        ("Shingles and flu leaflets given.", "influenza_vaccine", False),
        ("Flu vax when avail in autumn.", "influenza_vaccine", False),
        ("Flu vax given today, leaflet given.", "influenza_vaccine", True),
        # a query or an answer that no diagnosis was made
        ("?HTN - home readings for 1/52.", "hypertension", False),
        ("HTN: not previously diagnosed; start home log.", "hypertension", False),
        ("Never diagnosed with DM; A1c 5.6%.", "diabetes", False),
        ("HTN, well controlled? Yes, on amlodipine.", "hypertension", True),
        # a test, a risk or advice 'in pregnancy' is about one to come
        ("Discussed GDM risk, early glucose screen in pregnancy.", "pregnancy", False),
        ("Chronic HTN in pregnancy, on labetalol.", "pregnancy", True),
        # a relative's habit
        ("Never smoked; housemates smoke indoors.", "tobacco_use", True),
    ],
)
def test_status_in_terse_forms(read, text, element, expected):
    assert bool(affirmed(read(text), element)) is expected


def test_housemates_smoking_is_not_the_patients_habit(read):
    from evaluation.extraction import note_tobacco_category

    assert note_tobacco_category(read("Never smoked; housemates smoke indoors.")) == "never"


# ----------------------------------------------------------------------------- a checklist row's status cell
@pytest.mark.parametrize(
    ("text", "element", "expected", "dates"),
    [
        ("Diabetic eye exam      | Declined   | says vision fine", "retinal_eye_exam", False, set()),
        ("Advance directive      | Not on file | forms given", "advance_care_planning", False, set()),
        ("Mammogram | Due | last 04/12/2024, BI-RADS 2 - ordered today", "mammogram", True, {"2024-04-12"}),
        ("Influenza       | Done     | high-dose 10/05/2025", "influenza_vaccine", True, {"2025-10-05"}),
        ("Colonoscopy | Ordered | GI referral 05/2026", "colonoscopy", False, set()),
        ("Pneumococcal | Done | PCV20 today", "pneumococcal_vaccine", True, {"2026-06-15"}),
        ("Advance directive | On file | son is HCPOA", "advance_care_planning", True, set()),
        # a bar between two items is still a border: the second item's status is its own
        ("Flu 09/2025 | RSV - declined", "influenza_vaccine", True, {"2025-09"}),
    ],
)
def test_checklist_status_cells(read, text, element, expected, dates):
    items = read(text)
    assert bool(affirmed(items, element)) is expected
    assert _dates(items, element) == dates


# ----------------------------------------------------------------------------- dates of done tests in terse forms
@pytest.mark.parametrize(
    ("text", "order", "element", "dates"),
    [
        # a day and month without a year in a day-first note; a bare date after a done word
        ("Flu vax given 14/04 at pharmacy.", "dmy", "influenza_vaccine", {"2026-04-14"}),
        ("Flu vax given 20/09.", "dmy", "influenza_vaccine", {"2025-09-20"}),  # still to come this year: last year's
        ("flu vax - had at pharmacy 10/25", "dmy", "influenza_vaccine", {"2025-10"}),
        ("Bowel screen kit returned 04/26 - neg.", "dmy", "fobt", {"2026-04"}),
        # a vaccine's date after its dose or brand words, also in a checklist row
        ("Flu - high-dose given 09/29/2025 at pharmacy.", "mdy", "influenza_vaccine", {"2025-09-29"}),
        ("Influenza       | Done     | high-dose 10/05/2025", "mdy", "influenza_vaccine", {"2025-10-05"}),
        # a recall counted from the last test; 'last one' with its year
        ("Colonoscopy due (5-yr recall from 08/2021) - referral sent.", "mdy", "colonoscopy", {"2021-08"}),
        ("Retinal screen overdue - last one 2023 (R0), re-referred.", "dmy", "retinal_eye_exam", {"2023"}),
        # results that name the test, each with its date
        ("Recall: cervical screen due - last 07/2020, normal cytology.", "dmy", "cervical_cytology", {"2020-07"}),
        ("Pap: UTD (co-test 09/2023 neg).", "mdy", "hpv_test", {"2023-09"}),
        ("HPV self-swab collected today.", "dmy", "hpv_test", {"2026-06-15"}),
        ("Eye screening 12/04/2026: R eye R0 M0, L eye R1 M0.", "dmy", "retinal_eye_exam", {"2026-04-12"}),
        ("PMHx: TAH+BSO 2015 (fibroids).", "dmy", "hysterectomy_no_cervix", {"2015"}),
        # several dates of one procedure in the bracket after it
        ("s/p bilateral mastectomies (2010 L, 2014 R).", "mdy", "bilateral_mastectomy", {"2010", "2014"}),
        # weeks ago: the month, not a made-up day
        ("Flu vax given at the dialysis unit 6/52 ago.", "dmy", "influenza_vaccine", {"2026-05"}),
        # a letter's date dates the letter, not the exam it reports
        ("Eye clinic letter dated 02/06/2026: screening 20/05/2026 - R0M0.", "dmy", "retinal_eye_exam", {"2026-05-20"}),
        # a sub-heading under a list item ends with that item
        (
            "Records:\n- Eye letter:\n   Their plan: photos next visit.\n- Colonoscopy 03/02/2026: 1 polyp removed.",
            "mdy",
            "colonoscopy",
            {"2026-03-02"},
        ),
        # counter-examples: durations, future dates, a recall not counted from a date
        ("Cough 2/7, r/v 3/12 if no better; flu vax today.", "dmy", "influenza_vaccine", {"2026-06-15"}),
        ("Colonoscopy (2019, repeat 2029).", "mdy", "colonoscopy", {"2019"}),
        ("Mammogram (last 2019; due 2021).", "mdy", "mammogram", {"2019"}),
        ("Colonoscopy - 10-yr recall, due 2027.", "mdy", "colonoscopy", set()),
        ("Urine cytology normal.", "mdy", "cervical_cytology", set()),
        ("HPV self-test kit offered by letter.", "dmy", "hpv_test", set()),
    ],
)
def test_dates_of_done_tests_in_terse_forms(read, text, order, element, dates):
    assert _dates(read(text, order), element) == dates


# ----------------------------------------------------------------------------- an eye exam's result as its value
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Diabetic eye exam 03/2026 (ophthalmology): dilated, no retinopathy.", "no_apparent_retinopathy"),
        ("Diabetic retinal exam: last 08/2025 (optometrist) - no DR.", "no_apparent_retinopathy"),
        ("DRS: R0M0 03/2026.", "no_apparent_retinopathy"),
        ("Optometrist 02/2026: no diabetic changes.", "no_apparent_retinopathy"),
        ("Dilated fundus exam OU: moderate NPDR OU, no CSME.", "retinopathy"),
        ("Retinal screening 04/2026 - R1M0 both eyes (background DR).", "retinopathy"),
        ("Retinal photos 2025 - no maculopathy, R1 both eyes.", "retinopathy"),  # "no" voids only maculopathy
        # counter-examples: no result stated
        ("Diabetic eye exam 01/2026 at Lakeside Eye.", None),
        ("Retinal screening done 02/2026 at the mobile unit.", None),
    ],
)
def test_eye_exam_result_is_the_value(read, text, value):
    (exam, *_) = affirmed(read(text), "retinal_eye_exam")
    assert exam.value == value
