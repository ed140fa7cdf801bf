"""Date expressions, windows and ages."""

from datetime import date

import pytest

from engine.periods import MeasurementPeriod, Window, age_in_months, age_in_years, parse_date_expr

MP = MeasurementPeriod.calendar_year(2026)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mp_start", date(2026, 1, 1)),
        ("mp_end", date(2026, 12, 31)),
        ("mp_start - 9y", date(2017, 1, 1)),
        ("mp_start - 2y + 9m", date(2024, 10, 1)),
        ("mp_start + 6m - 1d", date(2026, 6, 30)),
        ("mp_start + 11m", date(2026, 12, 1)),
        ("mp_start-5m", date(2025, 8, 1)),
    ],
)
def test_date_expressions(text: str, expected: date) -> None:
    assert parse_date_expr(text).resolve(MP) == expected


@pytest.mark.parametrize("bad", ["jan 1", "mp_start - 9 years", "mp_start * 2", "mp_end + y"])
def test_bad_date_expressions_say_what_is_accepted(bad: str) -> None:
    with pytest.raises(ValueError, match="mp_start|offsets"):
        parse_date_expr(bad)


def test_window_resolves_and_describes_itself() -> None:
    w = Window.model_validate({"from": "mp_start - 9y", "to": "mp_end"})
    got = w.resolve(MP)
    assert (got.start, got.end) == (date(2017, 1, 1), date(2026, 12, 31))
    assert got.contains(date(2017, 1, 1)) and not got.contains(date(2016, 12, 31))
    assert Window.model_validate({"to": "mp_end"}).describe() == "on or before the end of the MP"
    assert w.describe() == "from January 1, 9 years before the MP through the end of the MP"


@pytest.mark.parametrize(("expr", "words"), [
    ("mp_start - 2y + 9m", "October 1, 2 years before the MP"),
    ("mp_start + 6m - 1d", "June 30 of the MP"),
    ("mp_start - 6m", "July 1 of the year before the MP"),
    ("episode_end + 30d", "30 days after the episode end"),
    ("birth_date + 50y", "the 50th birthday"),
    ("birth_date + 19y", "the 19th birthday"),
])
def test_date_expressions_read_as_plain_words(expr: str, words: str) -> None:
    assert parse_date_expr(expr).words() == words


def test_patient_anchors_resolve_from_the_patient_and_episode() -> None:
    expr = parse_date_expr("birth_date + 50y")
    assert expr.per_patient and expr.resolve(MP, {"birth_date": date(1970, 2, 28)}) == date(2020, 2, 28)
    with pytest.raises(ValueError, match="episode"):
        parse_date_expr("episode_end + 30d").resolve(MP)


def test_period_rejects_reversed_dates() -> None:
    with pytest.raises(ValueError, match="before its start"):
        MeasurementPeriod(date(2026, 12, 31), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("born", "on", "years", "months"),
    [
        (date(1980, 12, 31), date(2026, 12, 31), 46, 552),
        (date(1981, 1, 1), date(2026, 12, 31), 45, 551),
        (date(2000, 2, 29), date(2025, 2, 28), 24, 299),
        (date(2000, 2, 29), date(2025, 3, 1), 25, 300),
        (date(2026, 6, 30), date(2026, 12, 31), 0, 6),
    ],
)
def test_ages(born: date, on: date, years: int, months: int) -> None:
    assert age_in_years(born, on) == years and age_in_months(born, on) == months
