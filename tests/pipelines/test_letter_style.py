"""Letters, discharge summaries and nurse / portal notes (issue 10c): one table per class of phrasing, each with
counter-examples that must not fire.

Every phrasing is our own. Day-first notes are extracted with ``date_order="dmy"``, as their source would set it.
"""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import affirmed


def _a1c(items) -> list[float]:
    return sorted({float(e.value) for e in affirmed(items, "hba1c") if e.value is not None})


# ----------------------------------------------------------------------------- HbA1c in letter prose
@pytest.mark.parametrize(
    ("text", "values"),
    [
        # a participle and its date between the term and the value
        ("His latest HbA1c, drawn on 11/01/2026, came back at 62 mmol/mol (7.8%).", [7.8]),
        ("The HbA1c, taken last week, was 7.1%.", [7.1]),
        # a prior value introduced by a noun of change
        ("HbA1c is 7.0%, an improvement on 7.9% in the spring.", [7.0, 7.9]),
        ("Her HbA1c of 8.4% is a rise from 7.6% before Christmas.", [7.6, 8.4]),
        ("HbA1c 53 mmol/mol (7.0%), a fall from 69 mmol/mol (8.5%) last year.", [7.0, 8.5]),
        # the setting of the result: admission, discharge, a clinic or lab
        ("HbA1c 9.2% on admission (7.7% at the GP surgery in May).", [7.7, 9.2]),
        ("My A1c at the endocrine clinic was 6.6% so I am pleased.", [6.6]),
        ("A1c at the outside lab last month 7.3%.", [7.3]),
        # a day written with a month name, before or after the value, is a date and no value
        ("Her HbA1c on April 7 was 7.3%.", [7.3]),
        ("His HbA1c, checked on the 2nd of February, was 60 mmol/mol (7.6%).", [7.6]),
        ("HbA1c 6.9% (21 Jan), previously 7.4% (last September).", [6.9, 7.4]),
        ("Your HbA1c result from 9th May 2026 is 6.7%, within the target we set.", [6.7]),
        # a prior value with its age in words, and the verbs of a letter
        ("Her HbA1c, which was 8.6% four months ago, is now 7.9%.", [7.9, 8.6]),
        ("His HbA1c has come down nicely to 7.1%.", [7.1]),
        ("Her last HbA1c reading from the practice nurse, back in February, was 6.8%.", [6.8]),
        ("A1c was 8.8 on admission and 8.5 on the day of discharge.", [8.5, 8.8]),
        # a short year after a month is no IFCC value; a dash after a word, a source, a booking visit
        ("HbA1c 9.4% (79) on 03/03/2026, previously 8.7% in Nov '25.", [8.7, 9.4]),
        ("HbA1c 58 mmol/mol (7.5%) 01/06/2026; prev 6.9% Jan '26.", [6.9, 7.5]),
        ("She had an HbA1c check in May — 44 mmol/mol, fine.", [6.2]),
        ("HbA1c measured by the diabetes nurse 6.6% in the winter.", [6.6]),
        ("Her A1c at the antenatal visit on 2/9/2026 was 5.3%.", [5.3]),
        ("The referral gives her HbA1c as 8.8% in April; an earlier result was 7.9% in 2025.", [7.9, 8.8]),
        ("His A1c has crept up: 7.3% on 4/11/2025 and 7.9% on the meter today.", [7.3, 7.9]),
        # counter-examples: a target, a dose and a glucose after the words are no A1c values
        ("HbA1c target 6.5 - 7.0 agreed with her.", []),
        ("HbA1c Feb 8%, glucose 11 mmol/l fasting.", [8.0]),
        ("HbA1c drawn 3 days ago, result awaited; weight 91 kg.", []),
        ("HbA1c taken today; result awaited. Target below 7% agreed.", []),
        ("HbA1c, an important marker, will be checked; gliclazide 80 mg continued.", []),
        ("HbA1c at the clinic pending. Glucose 8.4 mmol/L on the meter.", []),
    ],
)
def test_a1c_results_in_letter_prose(read, text, values):
    assert _a1c(read(text, order="dmy")) == values


# ----------------------------------------------------------------------------- BP: a patient's own record
def _bp(items) -> list[tuple[int, int]]:
    return [(e.value["systolic"], e.value["diastolic"]) for e in affirmed(items, "blood_pressure")]


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("Home readings: 141/86 on Tuesday and 137/84 yesterday.", [(141, 86), (137, 84)]),
        ("He showed me his home diary, mostly around 128/78.", [(128, 78)]),
        ("She keeps a home log which averages 146/90.", [(146, 90)]),
        ("Pt reads own record over the phone: 133/81 and 129/79.", [(133, 81), (129, 79)]),
        ("He measures his pressure at home and it averaged 150/92 over the week.", [(150, 92)]),
        ("My home readings this week were 135 over 85 and 131 over 80.", [(135, 85), (131, 80)]),
        # a patient's own device or log, a repeat, a label with its source and date
        ("She reads from her log: 3/2 AM 158/92, PM 150/90; this morning 161/95.", [(158, 92), (150, 90), (161, 95)]),
        ("My machine at home says 137/88 and 142/90 this week.", [(137, 88), (142, 90)]),
        ("Obs: BP 152/94, HR 88, SpO2 98%. Repeat 141/86 after rest.", [(152, 94), (141, 86)]),
        ("Vitals @ discharge: 126/78, HR 70.", [(126, 78)]),
        ("- BP: practice nurse reading 02/06/2026 139/84.", [(139, 84)]),
        # counter-examples: a target or a threshold, and a number pair that is not a pressure
        ("Repeat 10/12 months if stable.", []),
        ("Her log of sugars: 12/06 fasting 7.1.", []),
        ("Home readings should stay below 135/85, the target we agreed.", []),
        ("Home diary of glucose: fasting 7/8 days in range.", []),
        ("Wound home log: dressing changed 12/14 days.", []),
    ],
)
def test_bp_from_home_record(read, text, readings):
    assert _bp(read(text, order="dmy")) == readings


# ----------------------------------------------------------------------------- events dated in letter prose
def _dated(items, element) -> list[tuple[date | None, str | None]]:
    return [(e.event_date, e.date_precision) for e in affirmed(items, element)]


@pytest.mark.parametrize(
    ("text", "element", "dated"),
    [
        ("She tells me her colonoscopy on the 5th of March was reassuring.", "colonoscopy", (date(2026, 3, 5), "day")),
        ("He had his flu jab at the chemist on 17 Oct and felt fine.", "influenza_vaccine",
         (date(2025, 10, 17), "day")),
        ("Her retinal screening, done in early December, was clear.", "retinal_eye_exam", (date(2025, 12, 1), "month")),
        ("He received the Pneumovax in February this year.", "pneumococcal_vaccine", (date(2026, 2, 1), "month")),
        ("She attended for her mammogram on Wednesday and it was normal.", "mammogram",
         (date(2026, 6, 10), "day")),
        ("He was admitted on 22 April with anaemia. Three days later he had a colonoscopy.", "colonoscopy",
         (date(2026, 4, 25), "day")),
    ],
)
def test_events_dated_in_letter_prose(read, text, element, dated):
    assert _dated(read(text, order="dmy"), element) == [dated]


def test_a_counted_date_with_nothing_to_count_from_leaves_the_event_undated(read):
    items = read("He went on to have a colonoscopy two days later, which was normal.", order="dmy")
    assert _dated(items, "colonoscopy") == [(None, None)]


# ----------------------------------------------------------------------------- medication reconciliation in prose
@pytest.mark.parametrize(
    ("text", "done"),
    [
        ("Her medications were reviewed and reconciled with her at this visit.", True),
        ("I reconciled her list against the care home MAR chart.", True),
        ("Medicines reconciled by the ward pharmacist before discharge.", True),
        ("Blister pack compared with the GP list - reconciled, no discrepancies.", True),
        ("Meds checked with daughter against the discharge summary; two errors corrected.", True),
        # counter-examples: to be done, not done, and a list checked with nobody's source
        ("Medicines to be reconciled at the next visit.", False),
        ("Medication reconciliation not completed; she forgot her bottles.", False),
        ("Meds reviewed with patient, no changes.", False),
    ],
)
def test_medication_reconciliation_in_prose(read, text, done):
    assert bool(affirmed(read(text), "medication_reconciliation")) is done


def test_month_first_day_after_a_done_word_dates_the_vaccine(read):
    items = read("TCM call. Flu shot: got it 6/3 at the hospital before discharge.", order="mdy")
    assert _dated(items, "influenza_vaccine") == [(date(2026, 6, 3), "day")]


# ----------------------------------------------------------------------------- a missed appointment
@pytest.mark.parametrize(
    ("text", "element", "done"),
    [
        ("DNA'd her last two breast screening appointments.", "mammogram", False),
        ("He did not attend for his retinal screening in March.", "retinal_eye_exam", False),
        ("Mammogram done 2024. DNA'd colonoscopy in May.", "colonoscopy", False),
        ("Eye screening: DNA'd the last two retinal photo appointments.", "retinal_eye_exam", False),
        ("Bowel scope: did not attend.", "flexible_sigmoidoscopy", False),
        # counter-examples: the test done before the missed one, and a stool DNA test
        ("Mammogram done 2024. DNA'd colonoscopy in May.", "mammogram", True),
        ("Stool DNA test negative last year.", "stool_dna", True),
    ],
)
def test_a_missed_appointment_is_no_test(read, text, element, done):
    assert bool(affirmed(read(text), element)) is done
