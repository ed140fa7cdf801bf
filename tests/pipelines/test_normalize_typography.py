"""Typography: the pipeline matches on a normalized view of the text while every evidence item
quotes the original (``text[start:end] == span``)."""

from __future__ import annotations

import pytest

from pipelines.normalize import normalize_text

from .conftest import affirmed


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("PHQ\u20119 = 4", "PHQ-9 = 4"),  # non-breaking hyphen
        ("Non\u2010smoker", "Non-smoker"),  # hyphen
        ("BP 128/76 \u2013 seated", "BP 128/76 - seated"),  # en dash
        ("\u201cno tobacco\u201d", '"no tobacco"'),  # curly double quotes
        ("pt\u2019s A1c", "pt's A1c"),  # curly apostrophe
        ("A1c\u00a07.1%", "A1c 7.1%"),  # no-break space
        ("\u25cf DM2", "\u2022 DM2"),  # black circle bullet
        ("A1c 8.4\u21927.6", "A1c 8.4 then 7.6"),  # arrow between values
        ("\u2191 BP", "increased BP"),
        ("smokes ~10/day", "smokes about 10/day"),
        ("DM: \u00d8", "DM: no"),
        ("flu vax \u2713", "flu vax done"),
        ("\u2717 Tdap", "\u2022 Tdap"),
        ("A1c 7\u00b72%", "A1c 7.2%"),  # middle dot as a decimal point
        ("dia\u00adbetes", "diabetes"),  # soft hyphen dropped
        ("\uff21\uff11\uff43 6.9", "A1c 6.9"),  # full-width letters
    ],
)
def test_normalize_text_reads_typography_as_ascii(raw, normalized):
    assert normalize_text(raw).text == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "BP 132/84, A1c 7.2%",  # plain ASCII: nothing to map
        "PHQ\u20119 \u2013 score 4",  # only one-to-one replacements
    ],
)
def test_one_to_one_normalization_keeps_offsets_without_a_map(raw):
    result = normalize_text(raw)
    assert result.map is None and len(result.text) == len(raw)


def test_offset_map_points_every_character_back_to_its_source():
    raw = "x\u2192y ~5 \u00d8DM \u2026 dia\u00adbetes \u2191BP"
    result = normalize_text(raw)
    assert result.map is not None
    for i, ch in enumerate(result.text):
        start, end = result.to_source(i, i + 1)
        assert 0 <= start < end <= len(raw)
        if raw[start:end] == ch:  # unchanged characters map to themselves
            continue
        assert raw[start:end] in "\u2192~\u00d8\u2026\u2191"
    assert result.to_source(0, len(result.text)) == (0, len(raw))


UNICODE_NOTE = (
    "Pt\u2019s PMHx:\u00a0T2DM\u00a0\u2013 dx 2019; \u201cborderline\u201d HTN per old notes.\n"
    "\u2022 HbA1c\u00a0\u2191 8.4% \u2192 7.6% (last yr)\n"
    "\u25aa BP\u00a0138/86 \u2013 seated\n"
    "\u2022 Non\u2011smoker, PHQ\u20119 \u2013 score 3\n"
    "\u2022 Alcohol ~2 units/wk \u2026 no vaping\n"
    "\u2022 Flu\u00a0vaccine given today \u2713\n"
)


def test_offsets_point_into_the_original_text_of_a_note_full_of_unicode(extract):
    items = extract(UNICODE_NOTE)  # the fixture checks text[start:end] == span for every item
    assert {e.value for e in affirmed(items, "hba1c")} == {8.4, 7.6}
    assert [e.value for e in affirmed(items, "blood_pressure")] == [{"systolic": 138, "diastolic": 86}]
    assert {e.value for e in affirmed(items, "tobacco_use")} == {"never"}
    assert [e.value["score"] for e in affirmed(items, "depression_screening")] == [3]
    assert affirmed(items, "diabetes") and affirmed(items, "influenza_vaccine")
    spans = {e.span for e in items}
    assert "Non\u2011smoker" in spans and "PHQ\u20119" in spans  # quoted as written
    for e in items:
        assert UNICODE_NOTE[e.start : e.end] == e.span


@pytest.mark.parametrize(
    ("text", "element", "status"),
    [
        ("Smoking \u2013 denies.", "tobacco_use", "affirmed"),
        ("PHQ\u20112 \u2013 0", "depression_screening", "affirmed"),
        ("Hx: Non\u2011smoker", "tobacco_use", "affirmed"),
        ("DM \u2013 \u00d8", "diabetes", "negated"),
        ("\u00d8 HTN", "hypertension", "negated"),
        ("HTN: \u00d8", "hypertension", "negated"),
        ("\u2610 Breast screen - last mammo 03/2024, overdue", "mammogram", "affirmed"),  # an open item
        ("\u2717 A1c - overdue (last 7.8%)", "hba1c", "affirmed"),
        ("\u2611 Hypertension", "hypertension", "affirmed"),  # a ticked box
    ],
)
def test_typography_cues_set_the_status(extract, text, element, status):
    items = [e for e in extract(text) if e.element == element]
    assert items and {e.status for e in items} == {status}
