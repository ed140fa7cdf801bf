"""A habit that has gone on up to now is current use: the present perfect with "since" or "for" a span
(``tobacco_continuing_cue`` in pipelines/resources/values.yaml). A negated perfect ("has not smoked
since 2019") or a quit after it ("has smoked since 15 but quit in March") stays former."""

from __future__ import annotations

import pytest

from .conftest import affirmed


def _values(items) -> list[str | None]:
    return [e.value for e in affirmed(items, "tobacco_use")]


@pytest.mark.parametrize(
    "text",
    [
        "SOCIAL HX: He has smoked since age 15.",
        "Social: she's been chewing tobacco since her college years, about a tin a week.",
        "Works construction. Has smoked roughly a pack a day since his twenties.",
        "Habits - pt has used smokeless tobacco since high school.",
        "He's smoked since his early teens and wants to cut down.",
        "She has been smoking cigarettes since 1998 (currently 10/day).",
        "Has dipped snuff since his army days.",
        "Patient has smoked cigars for about 20 years.",
        "Lives alone. Pt states she has smoked for ten years, 5 or so a day.",
        "SH: Married. Has been a pack-a-day smoker for over thirty years.",
    ],
)
def test_a_habit_continuing_up_to_now_is_current(extract, text):
    from evaluation.extraction import note_tobacco_category

    items = extract(text)
    assert _values(items) and set(_values(items)) == {"current"}, _values(items)
    assert note_tobacco_category(items) == "current"


@pytest.mark.parametrize(
    "text",
    [
        "SOCIAL HX: Has not smoked since 2019.",
        "He smoked since age 15 until he quit last year.",
        "She hasn't smoked since her first pregnancy in 2015.",
        "Has smoked since age 15 but quit in March after his MI.",
        "Has smoked off and on since 1990; stopped for good 2 years ago.",
        "Has not used any tobacco since his bypass surgery.",
        "He has been tobacco free since 2018.",
        "Had smoked since his teens until he gave up in 2012.",
    ],
)
def test_a_habit_that_stopped_stays_former(extract, text):
    from evaluation.extraction import note_tobacco_category

    items = extract(text)
    assert "former" in _values(items) and "current" not in _values(items), _values(items)
    assert note_tobacco_category(items) == "former"


def test_never_and_other_people_are_unchanged(extract):
    from evaluation.extraction import note_tobacco_category

    assert note_tobacco_category(extract("Never smoker. Has lived in Ohio since 2001.")) == "never"
    # a relative's habit is the family's, whatever its tense
    family = extract("Family history: father has smoked since age 12, COPD.")
    assert affirmed(family, "tobacco_use") == []
    assert {e.status for e in family if e.element == "tobacco_use"} == {"family"}


def test_a_continuing_span_does_not_outweigh_a_history_elsewhere(extract):
    """The span may end at a recent quit stated in another sentence: a bare "history of tobacco use" in the
    assessment stays former (only an ongoing habit stated outright, "is still chewing", outweighs it)."""
    text = (
        "HPI: Quit dipping about a month ago. He has been dipping snuff for about 25 years.\n"
        "ASSESSMENT: 1. Oral leukoplakia. 2. History of tobacco use.\n"
    )
    items = affirmed(extract(text), "tobacco_use")
    history = [e for e in items if text[e.start - 11 : e.start] == "History of "]
    assert [e.value for e in history] == ["former"]
    still = extract(text.replace("He has been dipping snuff for about 25 years.", "He is still dipping snuff daily."))
    assert "current" in [e.value for e in affirmed(still, "tobacco_use") if e.span.endswith("tobacco")]
