"""The prefilter's cheap scans give what a whole-text scan gives.

``Prefilter.hits`` reads the text with every space taken out and keeps a key only where its stretch of the
text has lone spaces between words; ``Prefilter.sentence_around`` reads the full stops outward from a hit
instead of listing every sentence start of the note (``Prefilter.cuts``, kept as the reference); the blood
pressure expression of values.yaml starts with a digit. Each is checked here against the straightforward
form on notes of our own, in the layouts that make cutting hard: two spaces after full stops, abbreviations,
a transcribed note on one long line, brackets, decimals, line breaks with blank space.
"""

from __future__ import annotations

import re

import pytest
from spacy.language import Language

from pipelines.normalize import normalize_text
from pipelines.prefilter import line_starts
from pipelines.rules import load_value_patterns

TEXTS = [
    "Seen today.  Knee pain after a fall.  Colonoscopy was normal last spring.  Return in a year.\n",
    "Referred to Dr. Smith for colonoscopy next month. Otherwise well. Seen again in Jan. for follow up.\n",
    # a transcribed note: one long line, headings and sentences run together
    "HISTORY: , Mr. Pike is a 58-year-old man here for his annual visit. He has hypertension, well controlled "
    "on amlodipine. A1c 6.9% in March. Blood pressure today 134/82.  He quit smoking (cessation in 2019). "
    "Mammogram not applicable.,PLAN: , Colonoscopy due. flu shot given.   Return in six months.",
    # line breaks with blank space, bullets, a heading on its own line
    "ASSESSMENT\n  \n\t- Type 2 diabetes. A1c 8.1.\n   - Hypertension.  BP 150/95 today,\n  repeat 144/90.\n",
    "(Depression screening. PHQ-9 was 3.) Tobacco: never.  Pap smear 2022 normal.\nFIT kit given.",
    # keys spread over two spaces or a line break are not keys
    "advance  directive on file. colon\ncancer screening discussed.  Diabetes.",
    "Colonoscopy.",
    # beyond ASCII (the cased keys are then read on the text as written): abbreviations and a heading in capitals
    "Pt seen by Dr. Müller. PMH: DM, HTN.\nPLAN: A1c in 3 months; café-au-lait spots noted. Colonoscopy 2021.",
    # the same keys in an ASCII text (the cased keys are then found through the lower-cased text)
    "Pt seen by Dr. Muller. PMH: DM, HTN.\nPLAN: A1c in 3 months; cafe-au-lait spots noted. Colonoscopy 2021.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_sentence_around_is_the_whole_text_cut(nlp: Language, text: str) -> None:
    prefilter = nlp.tokenizer.prefilter
    text = normalize_text(text).text
    starts, ends = prefilter.cuts(text)
    lines = line_starts(text)
    hits = [(a, b) for a, b, heading in prefilter.hits(text) if not heading]
    assert hits, "every text holds a target"
    for start, end in hits:
        first = max(s for s in starts if s <= start)
        last = min((e for e in ends if e >= end), default=len(text))
        assert prefilter.sentence_around(text, start, end, lines) == (first, last)


def test_sentence_around_every_position_of_a_long_line(nlp: Language) -> None:
    """Any span of one long transcribed line, not only the hits, gets the sentences of the whole-text cut."""
    prefilter = nlp.tokenizer.prefilter
    text = TEXTS[2]
    starts, ends = prefilter.cuts(text)
    lines = line_starts(text)
    for start in range(0, len(text) - 3, 3):
        if text[start].isspace():
            continue
        end = start + 2
        first = max(s for s in starts if s <= start)
        last = min((e for e in ends if e >= end), default=len(text))
        assert prefilter.sentence_around(text, start, end, lines) == (first, last), text[start:end]


def _reference_hits(prefilter, text: str) -> list[tuple[int, int, bool]]:
    """Keys looked up in the text with only its lone spaces (between two non-space characters) taken out."""
    lone = re.compile(r"(?<=\S) (?=\S)")
    kept = [i for i in range(len(text)) if not (text[i] == " " and lone.match(text, i))]
    squeezed = "".join(text[i] for i in kept)
    out = []
    # two views, as written and lower-cased (hits reads both in one pass over the lower-cased one): a lower key's
    # hit in the lower-cased text, a cased key's in the text as written
    lower = [(e, n, False) for e, (n, is_lower, _) in prefilter.lower.iter(squeezed.lower()) if is_lower]
    cased = [(e, n, heading) for e, (n, heading) in prefilter.cased.iter(squeezed)]
    for end_i, length, heading in lower + cased:
        start, end = kept[end_i + 1 - length], kept[end_i] + 1
        if start > 0 and (text[start - 1 : start + 1].isalpha() or text[start - 1 : start + 1].isdigit()):
            continue
        if end < len(text) and (text[end - 1 : end + 1].isalpha() or text[end - 1 : end + 1].isdigit()):
            continue
        out.append((start, end, heading))
    out.extend((*m.span(), False) for e in prefilter.expressions for m in e.finditer(text))
    return sorted(out)


@pytest.mark.parametrize("text", TEXTS)
def test_hits_are_those_of_the_lone_space_view(nlp: Language, text: str) -> None:
    prefilter = nlp.tokenizer.prefilter
    text = normalize_text(text).text
    assert sorted(prefilter.hits(text)) == _reference_hits(prefilter, text)


def test_keys_across_two_spaces_or_a_line_break_are_not_hits(nlp: Language) -> None:
    prefilter = nlp.tokenizer.prefilter
    text = TEXTS[5]
    found = {text[a:b] for a, b, _ in prefilter.hits(text)}
    assert "Diabetes" in found
    assert not any("  " in f or "\n" in f for f in found)
    assert not any(f.startswith(("advance", "colon")) for f in found)
    single = "advance directive on file. colon cancer screening discussed."
    found = {single[a:b] for a, b, _ in prefilter.hits(single)}
    assert {"advance directive", "colon cancer screening"} <= found


# the reading expression as first written: the look-behind before the first digit
_FIRST_FORM = re.compile(
    r"(?<![\d/.\-])(?P<sys>\d{2,3})\s*(?:/|\s+over\s+)\s*(?P<dia>\d{2,3})(?![\d/]|\s*-\s*\d|\.\d)",
    re.IGNORECASE | re.VERBOSE,
)


@pytest.mark.parametrize(
    "text",
    [
        *TEXTS,
        "BP 142/88, repeat 136 over 84; target 110-140/70-90. Seen 1/12/2026 and 03/04/25. Ratio 2.120/80 no.",
        "Readings 128/76 -> 124/74, 130s/80s at home; 1150/90 is a typo; 99/60 lying, 100 /  62 standing.",
        "120/80-2 and 118/78.5 and -130/85 and /140/90 and 145/95",
    ],
)
def test_reading_expression_matches_as_first_written(text: str) -> None:
    expression = load_value_patterns().bp_reading
    assert [(m.span(), m.groupdict()) for m in expression.finditer(text)] == [
        (m.span(), m.groupdict()) for m in _FIRST_FORM.finditer(text)
    ]
    assert expression.pattern.lstrip().startswith("(?P<sys>\\d")  # a digit first: the fast scan


def test_headings_without_a_target_give_no_window(nlp: Language) -> None:
    """Section headings only place targets: a note without a target's hit is not tokenized at all, and one with
    a target keeps the heading windows its sections need."""
    prefilter = nlp.tokenizer.prefilter
    plain = "HISTORY:\nTwisted her ankle on the stairs.\n\nPLAN:\nIce and rest, crutches for a week.\n"
    assert prefilter.hits(plain) and all(heading for _, _, heading in prefilter.hits(plain))
    assert prefilter.windows(plain) == []
    doc = nlp(plain)
    assert not doc.ents and doc._.qm_evidence == [] and len(doc) <= 8
    with_target = plain.replace("Ice and rest", "Flu shot given today. Ice and rest")
    windows = prefilter.windows(with_target)
    covered = "".join(with_target[a:b] for a, b in windows)
    assert "PLAN:" in covered and "Flu shot given today." in covered
    (row,) = [r for r in nlp(with_target)._.qm_evidence if r["element"] == "influenza_vaccine"]
    assert row["section"] == "plan" and with_target[row["start"] : row["end"]].lower() == "flu shot"


def test_cased_keys_are_found_in_one_pass_as_in_the_text_as_written(nlp: Language) -> None:
    """An ASCII text is read once (lower-cased), a text beyond ASCII as written for its cased keys: the same
    text in either form gives the same hits, and a cased key ("DM", "PLAN:") only where it is written so."""
    prefilter = nlp.tokenizer.prefilter
    accented, plain = (normalize_text(t).text for t in TEXTS[-2:])
    assert not accented.isascii() and plain.isascii() and len(accented) == len(plain)
    assert sorted(prefilter.hits(accented)) == sorted(prefilter.hits(plain))
    found = {plain[a:b] for a, b, _ in prefilter.hits(plain)}
    assert {"DM", "PLAN:"} <= found
    lowered = {plain.lower()[a:b] for a, b, _ in prefilter.hits(plain.replace("DM", "dm").replace("PLAN", "plan"))}
    assert "dm" not in lowered
