"""Date expressions: parsing, resolution against the note date, and attachment to mentions."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.dates import find_dates, resolve

from .conftest import NOTE_DATE, affirmed


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("03/2019", date(2019, 3, 1), "month"),
        ("March 2019", date(2019, 3, 1), "month"),
        ("June, 2005", date(2005, 6, 1), "month"),
        ("in 2019", date(2019, 1, 1), "year"),
        ("3/14/19", date(2019, 3, 14), "day"),
        ("2019-03-14", date(2019, 3, 14), "day"),
        ("November 2, 2001", date(2001, 11, 2), "day"),
        ("done on 10/99", date(1999, 10, 1), "month"),
        ("5 years ago", date(2021, 1, 1), "year"),
        ("about three years ago", date(2023, 1, 1), "year"),
        ("2 months ago", date(2026, 4, 1), "month"),
        ("two weeks ago", date(2026, 6, 1), "month"),  # weeks: the month, not a made-up day
        ("last year", date(2025, 1, 1), "year"),
        ("last month", date(2026, 5, 1), "month"),
        ("today", NOTE_DATE, "day"),
        ("in March", date(2026, 3, 1), "month"),
        ("in September", date(2025, 9, 1), "month"),  # after the note month: last year's
    ],
)
def test_find_and_resolve(text, expected, precision):
    (mention,) = find_dates(text)
    assert resolve(mention, NOTE_DATE) == (expected, precision)


@pytest.mark.parametrize(
    "text",
    [
        "2/6 systolic murmur",
        "5/5 strength",
        "metformin 1000 mg",
        "in the 1980s",
        "a few years ago",
        "BP 142/88",
        "32/13/2020",
    ],
)
def test_not_dates(text):
    assert [text[d.start : d.end] for d in find_dates(text) if resolve(d, NOTE_DATE)] == []


def test_relative_date_needs_note_date():
    (mention,) = find_dates("5 years ago")
    assert resolve(mention, None) is None


def test_date_attaches_to_its_own_mention(extract):
    items = extract("She had a mammogram in 2021 and a colonoscopy in March 2019.")
    assert [(e.event_date, e.date_precision) for e in affirmed(items, "mammogram")] == [
        (date(2021, 1, 1), "year")
    ]
    assert [(e.event_date, e.date_precision) for e in affirmed(items, "colonoscopy")] == [
        (date(2019, 3, 1), "month")
    ]


def test_joined_mentions_share_a_date(extract):
    items = extract("Her last Pap smear with HPV cotesting was in 2022 and both were negative.")
    assert [e.event_date for e in affirmed(items, "cervical_cytology")] == [date(2022, 1, 1)]
    assert [e.event_date for e in affirmed(items, "hpv_test")] == [date(2022, 1, 1)]


def test_screening_score_is_dated_on_the_visit(extract):
    (e,) = affirmed(extract("SCREENING: PHQ-A score 4 (minimal)."), "depression_screening")
    assert (e.value, e.event_date) == ({"instrument": "PHQ-A", "score": 4}, NOTE_DATE)


def test_returned_kit_earlier_this_month_is_dated(extract):
    (e,) = affirmed(extract("She returned her FIT kit earlier this month, and it was negative."), "fobt")
    assert (e.event_date, e.date_precision) == (date(2026, 6, 1), "month")


def test_date_before_the_mention(extract):
    items = extract("In 2001, colonoscopy that was normal.")
    assert affirmed(items, "colonoscopy")[0].event_date == date(2001, 1, 1)


def test_relative_date_resolved_against_note_date(extract):
    items = extract("Her most recent colonoscopy was roughly 5 years ago, done by Dr. Y.")
    (e,) = affirmed(items, "colonoscopy")
    assert (e.event_date, e.date_precision) == (date(2021, 1, 1), "year")


def test_procedure_note_is_dated_on_note_date(extract):
    text = "PROCEDURE PERFORMED:,  Colonoscopy with polypectomy.,FINDINGS:,  Two small polyps were removed."
    (e,) = affirmed(extract(text, title="Colonoscopy - 2", note_type="Gastroenterology"), "colonoscopy")
    assert (e.event_date, e.date_precision) == (NOTE_DATE, "day")


def test_history_without_date_has_no_date(extract):
    (e,) = affirmed(extract("PAST SURGICAL HISTORY:,  She has had a colonoscopy before."), "colonoscopy")
    assert e.event_date is None and e.date_precision is None


def test_test_done_at_this_visit_is_dated_today(extract):
    (e,) = affirmed(extract("PLAN:,  Pap smear was obtained."), "cervical_cytology")
    assert e.event_date == NOTE_DATE


# ----------------------------------------------------------------------------- dates written in letter prose
# NOTE_DATE is Monday 15 June 2026: a day and month without a year that is still to come is last year's
@pytest.mark.parametrize(
    ("text", "span", "expected", "precision"),
    [
        ("We reviewed her in the diabetes clinic on April 9.", "April 9", date(2026, 4, 9), "day"),
        ("His bowel scope was done on the 2nd of February.", "2nd of February", date(2026, 2, 2), "day"),
        ("Retinal photos taken 21st Sept. at the hospital.", "21st Sept.", date(2025, 9, 21), "day"),
        ("Flu jab 14 Nov at the chemist, no reaction.", "14 Nov", date(2025, 11, 14), "day"),
        ("Smear taken Jan. 30th by the practice nurse.", "Jan. 30th", date(2026, 1, 30), "day"),
        ("Eye screen on June the 1st was clear.", "June the 1st", date(2026, 6, 1), "day"),
        ("mammogram 8 august, no concerns", "8 august", date(2025, 8, 8), "day"),
        ("Pneumovax given on 19 Mar 24 by district nurse.", "19 Mar 24", date(2024, 3, 19), "day"),
        ("FIT returned 7th of May '25, negative.", "7th of May '25", date(2025, 5, 7), "day"),
        ("Colonoscopy 11th October 2023, two small polyps.", "11th October 2023", date(2023, 10, 11), "day"),
        ("Flu vaccine in October last year at the pharmacy.", "October last year", date(2025, 10, 1), "month"),
        ("Seen by optician in March of last year.", "March of last year", date(2025, 3, 1), "month"),
        ("Her smear was February this year.", "February this year", date(2026, 2, 1), "month"),
        ("He had the scope in early November.", "November", date(2025, 11, 1), "month"),
        ("Pap collected mid-April at the women's clinic.", "April", date(2026, 4, 1), "month"),
        ("Booster given towards the end of January.", "January", date(2026, 1, 1), "month"),
        ("Mammogram this past December.", "December", date(2025, 12, 1), "month"),
        ("Had his flu jab just before Christmas.", "just before Christmas", date(2025, 12, 1), "month"),
        ("FIT kit sent back a fortnight ago.", "a fortnight ago", date(2026, 6, 1), "month"),
        ("Colonoscopy eighteen months ago was normal.", "eighteen months ago", date(2024, 12, 1), "month"),
        ("Eye check the week before last.", "the week before last", date(2026, 6, 1), "month"),
        ("Vaccinated at the walk-in centre on Thursday.", "Thursday", date(2026, 6, 11), "day"),
        ("Her smear was last Monday.", "last Monday", date(2026, 6, 8), "day"),
        ("Scope done this past Friday, all clear.", "this past Friday", date(2026, 6, 12), "day"),
    ],
)
def test_prose_dates(text, span, expected, precision):
    (mention,) = find_dates(text, "dmy")
    assert text[mention.start : mention.end] == span
    assert resolve(mention, NOTE_DATE) == (expected, precision)


@pytest.mark.parametrize(
    "text",
    [
        # a dose, a count or a time after a month name is no day
        "May 5 mg be added if needed.",
        "Mar 3 times daily was the old dose.",
        "Started in March 4 weeks ago",  # "4 weeks ago" is the date, not "March 4"
        "Review June 12:30 slot",
        "Dec 2 tabs at night",
        "Feb 10% weight loss noted",
        # a verb and abbreviations in lower case
        "the 3 may be repeated",
        "she walked 3 march routes",
        "dec 3 point in grip",
        # a weekday to come, or one with its own date after it
        "Flu clinic next Monday.",
        "Smear booked on Friday next week.",
    ],
)
def test_prose_non_dates(text):
    assert [text[d.start : d.end] for d in find_dates(text, "dmy") if d.kind in ("month_day", "weekday")] == []


def test_weekday_with_its_own_date_is_one_date():
    text = "Seen on Monday 3rd March in the eye clinic."
    assert [(text[d.start : d.end], d.kind) for d in find_dates(text, "dmy")] == [("3rd March", "month_day")]


def test_started_march_four_weeks_ago_is_relative():
    (mention,) = find_dates("Started in March 4 weeks ago", "dmy")
    assert mention.kind == "relative" and resolve(mention, NOTE_DATE) == (date(2026, 5, 1), "month")


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("Admitted on 3rd March with bleeding. Two days later he was scoped.", "Two days later", date(2026, 3, 5)),
        ("Flu jab 30/09/2025; Pneumovax the following day.", "the following day", date(2025, 10, 1)),
        ("Seen on Thursday, and her smear was taken the same day.", "the same day", date(2026, 6, 11)),
        ("Bleed on 1 May 2026; one week later a colonoscopy.", "one week later", date(2026, 5, 8)),
        # counted from a counted date
        ("Admitted 02/01/2026. Scoped the next day, and two days later discharged.", "two days later",
         date(2026, 1, 5)),
    ],
)
def test_dates_counted_from_an_earlier_date(text, span, expected):
    (mention,) = [d for d in find_dates(text, "dmy") if text[d.start : d.end] == span]
    assert resolve(mention, NOTE_DATE) == (expected, "day")


@pytest.mark.parametrize(
    "text",
    [
        "Two days later she had a colonoscopy.",  # nothing to count from
        "Admitted in March 2026. Two days later, scoped.",  # a month is no day to count from
        "Seen 02/01/2026.\n\nThree weeks later she had a smear.",  # another paragraph
        "Seen 02/01/2026. " + "Nothing else of note was found on the ward round that morning. " * 4
        + "Three days later she had a smear.",  # too far back
    ],
)
def test_counted_dates_without_a_day_to_count_from(text):
    assert [d for d in find_dates(text, "dmy") if d.kind == "later"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Flu shot: got it 9/4 at the pharmacy.", [("9/4", date(2025, 9, 4))]),  # 4 Sept: still to come in June
        ("pneumonia vaccine given 5/2", [("5/2", date(2026, 5, 2))]),
        # not after a done word, a two-digit second number (a year: "flu 10/25"), or a murmur grade: no day
        ("murmur 2/6 at the apex", []),
        ("PHQ-9 item 9: 1/3", []),
        ("flu vax 10/25", []),
    ],
)
def test_month_first_day_without_a_year(text, expected):
    got = [(text[d.start : d.end], resolve(d, NOTE_DATE)[0]) for d in find_dates(text, "mdy") if d.kind == "day_month"]
    assert got == expected
