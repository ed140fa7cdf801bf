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
