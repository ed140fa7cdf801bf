"""Every note evidence item carries the sentence (or telegraphic line) around its span, cut from the
original note text: ``context[start - context_start:end - context_start] == span``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.records import Evidence
from pipelines.context import MAX_CONTEXT_CHARS, sentence_around

TELEGRAPHIC = (
    "PROBLEMS\n"
    "• T2DM – A1c 8.1 % (↑ from 7.4), cont metformin\n"
    "• HTN → BP 152/94 today, repeat 148/92\n"
    "• Smoking: ~10 cig/day, pt not ready to quit\n"
    "HM\n"
    "- Colonoscopy 2018 (Dr. Núñez), normal, repeat 10 yrs\n"
    "- Mammo 11/2025 BI‑RADS 1\n"
    "- Flu shot declined ✗ today\n"
)

DICTATED = (
    "HISTORY OF PRESENT ILLNESS:  Mrs. Okafor is a 67-year-old woman who comes in for follow-up of\n"
    "type 2 diabetes and hypertension.  She reports that she had a screening colonoscopy\n"
    "in March 2019 with Dr. Weiss, which was normal.  She declined a mammogram again this year.\n\n"
    "PLAN:  Hemoglobin A1c today was 7.9%.  Will recheck in three months."
)

FLATTENED = (
    "SUBJECTIVE:,  This 58-year-old man returns for his blood pressure.  He quit smoking in 2015.,"
    "OBJECTIVE:,Vitals:  Blood pressure 138/84, pulse 72.,ASSESSMENT:,  Hypertension, controlled."
)


def _marked(e: Evidence) -> str:
    assert e.context is not None and e.context_start is not None
    s = e.start - e.context_start
    return e.context[:s] + "[[" + e.context[s:s + len(e.span)] + "]]" + e.context[s + len(e.span):]


@pytest.mark.parametrize("text", [TELEGRAPHIC, DICTATED, FLATTENED], ids=["telegraphic", "dictated", "flattened"])
def test_every_item_quotes_its_span_inside_its_context(extract: Callable[..., list[Evidence]], text: str) -> None:
    items = extract(text)
    assert len(items) >= 3
    for e in items:
        assert e.context is not None and e.context_start is not None
        assert text[e.context_start:e.context_start + len(e.context)] == e.context
        assert e.context[e.start - e.context_start:e.end - e.context_start] == e.span
        assert len(e.context) <= MAX_CONTEXT_CHARS
        if text is TELEGRAPHIC:
            assert "\n" not in e.context  # a telegraphic line is its own unit


def test_telegraphic_lines_are_the_context(extract: Callable[..., list[Evidence]]) -> None:
    items = extract(TELEGRAPHIC)
    by_element = {e.element: _marked(e) for e in items}
    assert by_element["colonoscopy"] == "- [[Colonoscopy]] 2018 (Dr. Núñez), normal, repeat 10 yrs"
    assert by_element["mammogram"] == "- [[Mammo]] 11/2025 BI‑RADS 1"
    bp = [e for e in items if e.element == "blood_pressure"]
    assert bp and all(e.context == "• HTN → BP 152/94 today, repeat 148/92" for e in bp)


def test_dictated_sentences_run_across_wrapped_lines(extract: Callable[..., list[Evidence]]) -> None:
    items = extract(DICTATED)
    colo = next(e for e in items if e.element == "colonoscopy")
    assert colo.context == ("She reports that she had a screening colonoscopy\n"
                            "in March 2019 with Dr. Weiss, which was normal.")
    mammo = next(e for e in items if e.element == "mammogram")
    assert mammo.context == "She declined a mammogram again this year."


def test_flattened_transcription_headings_end_a_sentence(extract: Callable[..., list[Evidence]]) -> None:
    items = extract(FLATTENED)
    bp = next(e for e in items if e.element == "blood_pressure")
    assert bp.context == "OBJECTIVE:,Vitals:  Blood pressure 138/84, pulse 72."
    tob = next(e for e in items if e.element == "tobacco_use")
    assert tob.context == "He quit smoking in 2015."


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("Seen by Dr. Patel today. FIT negative 04/2026. Return in a year.", "FIT", "FIT negative 04/2026."),
        ("Pt. declined flu shot, wants to think about it. BP ok.", "flu shot",
         "Pt. declined flu shot, wants to think about it."),
        ("A1c 6.9 on 3/2/26! Great work.", "A1c", "A1c 6.9 on 3/2/26!"),
        ("Eye exam: \"no retinopathy.\" Next year.", "Eye exam", "Eye exam: \"no retinopathy.\""),
        ("line one\n\n   PHQ‑9 = 11 → positive   \n\nline three", "PHQ‑9", "PHQ‑9 = 11 → positive"),
    ],
)
def test_sentence_boundaries(text: str, span: str, expected: str) -> None:
    start = text.index(span)
    context, at = sentence_around(text, start, start + len(span))
    assert context == expected
    assert text[at:at + len(context)] == context


def test_a_long_sentence_is_cut_at_white_space_around_the_span() -> None:
    words = " ".join(f"word{i}" for i in range(120))
    text = f"{words} colonoscopy in 2019 was normal {words}."
    start = text.index("colonoscopy")
    context, at = sentence_around(text, start, start + len("colonoscopy"))
    assert len(context) <= MAX_CONTEXT_CHARS
    assert context[start - at:start - at + len("colonoscopy")] == "colonoscopy"
    assert context.startswith("word") and not context.startswith(" ")
    assert text[at - 1] == " " and text[at + len(context)] == " "  # whole words only
    assert start - at > 100 and len(context) - (start - at) > 100  # text kept on both sides


def test_a_huge_unpunctuated_note_is_cut_at_white_space_and_quickly() -> None:
    text = " ".join(f"w{i}" for i in range(60000))  # one 400k-character line, no sentence end
    for i in (100, 30000, 59990):
        word = f" w{i} "
        start = text.index(word) + 1
        context, at = sentence_around(text, start, start + len(word) - 2)
        assert len(context) <= MAX_CONTEXT_CHARS and context[start - at:].startswith(word.strip())
        assert (at == 0 or text[at - 1] == " ") and (at + len(context) == len(text) or text[at + len(context)] == " ")


def test_a_span_longer_than_the_cap_is_kept_whole() -> None:
    text = "x " * 10 + "y" * 400 + " z."
    context, at = sentence_around(text, 20, 420)
    assert context == "y" * 400 and at == 20


def test_out_of_range_span_is_an_error() -> None:
    with pytest.raises(ValueError, match="outside the text"):
        sentence_around("short", 2, 9)


def test_the_sentence_start_is_the_last_sentence_end_before_the_span() -> None:
    """The sentence ends before a span are tested from the nearest one back: the start found is the one a test of
    every terminator left to right finds (the last that ends a sentence)."""
    import re as _re

    from pipelines.context import _END, _is_sentence_end, _line_break_ends, _unit_start

    def plain(text: str, start: int, reach: int) -> int:  # the reference: every terminator, left to right
        floor = max(0, start - reach)
        lo = floor
        nl = text.rfind("\n", floor, start)
        while nl != -1:
            if _line_break_ends(text, nl):
                lo = nl + 1
                break
            nl = text.rfind("\n", floor, nl)
        for m in _END.finditer(text, lo, start):
            if m.end() <= start and _is_sentence_end(text, m):
                lo = m.end()
        if lo == floor and floor > 0:
            space = text.find(" ", lo, start)
            lo = space + 1 if space != -1 else start
        while lo < start and text[lo] in " \t\r\n,":
            lo += 1
        return lo

    text = DICTATED + "\n" + TELEGRAPHIC + " Seen by Dr. Lee vs. Dr. Ames, approx. 3 p.m. on 4/2. No! Yes? e.g. fit."
    for start in range(0, len(text), 3):
        for reach in (40, 2 * MAX_CONTEXT_CHARS):
            assert _unit_start(text, start, reach) == plain(text, start, reach), (start, reach)
    assert _re.search(r"\. [A-Z]", text)  # the text has sentence ends to find
