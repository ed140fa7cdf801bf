"""Regex rules read the text once and are skipped on texts lacking a literal every match of them holds."""

from __future__ import annotations

import re

import spacy
from medspacy.common.regex_matcher import RegexMatcher

from pipelines.regex_matching import OneTextRegexMatcher, holds_literals, required_literals

LAST_DONE = re.compile(r"\b(?:last|prior)\s+(?:(?:one|done)\s+)?(?:(?:19|20)\d\d|\d{1,2}/\d{2,4})", re.I)
BAR_DUE = re.compile(r"\|[ \t]*(?:due|overdue)(?:\s+(?:now|soon))?[ \t]*(?:\||(?=\n)|$)", re.I)
ABBREVIATION = re.compile(r"(?<![\w/])[a-z]/v\.(?!\w)", re.I)
DASH_NONE = re.compile(r"[:\-=]\s*(?:no|none|nil)\b", re.I)


def test_required_literals_of_runs_alternations_and_sets() -> None:
    # the year or date: "19"/"20" in one alternative, "/" in the other
    assert required_literals(LAST_DONE) == (frozenset({"last", "prior"}), frozenset({"19", "20", "/"}))
    assert required_literals(ABBREVIATION) == (frozenset({"/v."}),)
    assert required_literals(BAR_DUE) == (frozenset({"|"}), frozenset({"due", "overdue"}))
    assert frozenset({":", "-", "="}) in required_literals(DASH_NONE)
    # an optional part requires nothing; an alternation needs one of its alternatives' rarest literals
    assert required_literals(re.compile(r"(?:ab)?c")) == (frozenset({"c"}),)
    assert required_literals(re.compile(r"x(?:a|)y|z")) == (frozenset({"x", "z"}),)
    assert required_literals(re.compile(r"(?:ab|\d+)")) == (frozenset({"ab", *"0123456789"}),)
    # an alternative that needs nothing, a negated set or a wide range: no literal
    assert required_literals(re.compile(r"(?:ab|\w+)")) == ()
    assert required_literals(re.compile(r"[^a]x*|[a-z]")) == ()
    years = required_literals(re.compile(r"[0-3]?\d+ (?:yrs?|years?)"))
    assert frozenset("0123456789") in years  # the digit, not the optional [0-3]
    assert holds_literals(years, "quit 12 years ago") and holds_literals(years, "quit 5 yrs ago")
    assert not holds_literals(years, "quit twelve years ago") and not holds_literals(years, "quit 12 days ago")


def test_holds_literals_on_ascii_and_other_texts() -> None:
    needs = required_literals(LAST_DONE)
    assert holds_literals(needs, "colonoscopy last done 03/2019")
    assert not holds_literals(needs, "colonoscopy last done in the spring")
    assert not holds_literals(needs, "no prior screening on file")
    assert holds_literals(needs, None)  # a text with other characters: every pattern runs


def test_holds_literals_by_substring_gives_the_same_answers() -> None:
    texts = (
        "colonoscopy last done 03/2019 | due |",
        "mammogram: none on file; prior screening in the spring",
        "tobacco - denies. f/u in 3 months, i/v. access",
        "no history of colon cancer in the family",
        "",
    )
    for pattern in (LAST_DONE, BAR_DUE, ABBREVIATION, DASH_NONE):
        needs = required_literals(pattern)
        for text in texts:
            memo: dict[frozenset[str], bool] = {}
            assert holds_literals(needs, text, memo, by_substring=True) == holds_literals(needs, text), (pattern, text)


def test_same_matches_as_medspacy_with_and_without_the_literals() -> None:
    nlp = spacy.blank("en")
    texts = (
        "Mammogram: last done 2021, normal.  Colonoscopy | overdue |\nFlu shot | due now |\n",
        "Seen s/v. today; tetanus: none on file.  Prior 03/2019 screening was clear.\n",
        "LAST DONE 2019.  Nothing else of note.\n",
        "Knee sprain after a fall, ice and rest.\n",
        "Prévious screening—last 2020 (accented text: every pattern runs).\n",
    )
    for text in texts:
        doc = nlp(text)
        ours, theirs = OneTextRegexMatcher(nlp.vocab), RegexMatcher(nlp.vocab)
        for name, pattern in (("last", LAST_DONE), ("bar", BAR_DUE), ("sv", ABBREVIATION), ("dash", DASH_NONE)):
            for matcher in (ours, theirs):
                matcher.add(name, [pattern.pattern], on_match=None)
        assert ours(doc) == theirs(doc)
    assert len(ours(nlp(texts[0]))) == 3 and ours(nlp(texts[3])) == []


def test_date_patterns_gated_by_their_literals_find_every_date() -> None:
    """find_dates skips a pattern whose literals a text lacks: on texts that hold each kind of date, the gated scan
    finds what every pattern run on the text finds."""
    from pipelines import dates

    texts = (
        "Colonoscopy on 03/14/2019, repeat in 2029; mammogram Feb 2024 and again on March 4.",
        "Flu shot given today. Pneumovax about two years ago, Td 6/12 ago. Seen last Tuesday.",
        "Quit smoking in '98, relapsed last spring; A1c 7.2 drawn 2025-11-03, the week before last.",
        "Eye exam the 12th of June; two days later drops; Shingrix 12 Feb 25, a fortnight ago.",
        "Knee sprain after a fall, ice and rest, no dates here at all.",
    )
    for text in texts:
        for order in dates.DATE_ORDERS:
            gated = dates.find_dates(text, order)
            saved = dates._PATTERN_NEEDS
            try:
                dates._PATTERN_NEEDS = tuple(() for _ in saved)  # no gate: every pattern runs
                ungated = dates.find_dates(text, order)
            finally:
                dates._PATTERN_NEEDS = saved
            assert gated == ungated
            assert all(text[d.start : d.end] for d in gated)
    assert len(dates.find_dates(texts[0])) >= 3 and dates.find_dates(texts[-1]) == []


def test_eye_care_cues_gated_by_literals_read_from_the_cues() -> None:
    from pipelines.note_facts import _EYE_CARE_CUE_NEEDS, is_eye_care_note

    assert frozenset({"slit"}) in _EYE_CARE_CUE_NEEDS[0]
    exam = (
        "Slit-lamp exam: quiet anterior chamber. Intraocular pressure 16 OU by tonometry. Cup-to-disc 0.3, "
        "macula flat without drusen."
    )
    assert is_eye_care_note(exam, None)
    assert not is_eye_care_note("Knee exam: no effusion, full range of motion. Pressure dressing applied.", None)
    assert is_eye_care_note("Seen for knee pain.", None, title="Ophthalmology follow-up")


def test_stated_age_scan_from_digits_finds_what_the_whole_scan_finds() -> None:
    from pipelines.note_facts import _STATED_AGE, _digit_anchored, stated_age_years

    texts = (
        "HPI: 72M with COPD, here for follow up. BP 130/80.",
        "The patient is a 15-year-old girl seen with her mother; 3 siblings aged 4, 9 and 11.",
        "Advice: kids from 10 to 13 years old need boosters. Pt is 58 y/o, smoker.",
        "CC:45 F, 2 week cough. Temp 37.9.",
        "No age anywhere, only words.",
        "1234567 MRN; 8 yo boy, 30 yr male cousin.",
    )
    for text in texts:
        assert [(m.span(), m.groups()) for m in _digit_anchored(_STATED_AGE, text)] == [
            (m.span(), m.groups()) for m in _STATED_AGE.finditer(text)
        ]
    assert [stated_age_years(t) for t in texts] == [72, 15, 58, 45, None, 8]


FIRST_CHAR_TEXT = (
    "Colonoscopy: none on file; prior 04/2021 screening clear.  Smoker? no.  Flu shot - n/a\n"
    "Last done 2019, repeat from 2020 per GI.  Seen 12/3 and again on 3/14/22; f/u since 11/2021.\n"
    "ſcreening \u212aept by the LAST PRIOR 1999 clinic; Pap = negative  |  BP=128/80  e.g. s/v. today\n"
)


def test_first_chars_of_lookarounds_alternations_and_repeats() -> None:
    from pipelines.regex_matching import first_chars

    def chars(source: str) -> set[str] | None:
        found = first_chars(re.compile(source))
        return None if found is None else {c for c in map(chr, range(128)) if re.fullmatch(found, c)}

    assert chars(r"(?:[:\-=]|(?<=\w)\?)\s*no") == set(":-=?")  # the lookbehind consumes nothing
    assert chars(r"\b(?:last|prior)\s+\d") == {"l", "p"}
    assert chars(r"(?<![\d/])(?:0?[1-9]|1[0-2])/") == set("0123456789")
    assert chars(r"a?b") == {"a", "b"}  # an optional first item: the next one counts too
    assert chars(r"\bx*") is None  # can match the empty string
    assert chars(r"[^a]b") is None and chars(r".b") is None and chars(r"(?i:a)b") is None


def test_first_char_form_finds_the_same_matches_faster() -> None:
    from pipelines.regex_matching import first_char_form

    patterns = [LAST_DONE, DASH_NONE, ABBREVIATION, BAR_DUE]
    patterns.append(re.compile(r"(?:[:\-=]|(?<=\w)\?)\s*(?:no|n|none|negative)\b", re.I))
    patterns.append(re.compile(r"\b(?:repeat|f/u)\s+(?:from|since)\s+(?P<y>(?:19|20)\d\d|\d{1,2}/\d{2,4})", re.I))
    patterns.append(re.compile(r"(?<![\d/\-.])(?P<a>[0-3]?\d)/(?P<b>[01]?\d)(?![\d/%])"))
    patterns.append(re.compile("\\b(?:last|prior)  # a comment at the end", re.I | re.X))
    rewritten = 0
    for pattern in patterns:
        form = first_char_form(pattern)
        rewritten += form is not pattern
        assert form.groupindex == pattern.groupindex
        for text in (FIRST_CHAR_TEXT, FIRST_CHAR_TEXT.upper(), FIRST_CHAR_TEXT.lower()):
            assert [(m.span(), m.groups()) for m in form.finditer(text)] == [
                (m.span(), m.groups()) for m in pattern.finditer(text)
            ]
    assert rewritten >= 4  # the ones not starting with a literal or a set
    assert first_char_form(BAR_DUE) is BAR_DUE and first_char_form(ABBREVIATION) is ABBREVIATION


def test_doc_text_of_a_windowed_doc_is_its_joined_tokens(nlp) -> None:
    """The regex rules read a windowed Doc's text from its windows, without joining its tokens: the same text."""
    from pipelines.regex_matching import doc_text

    note = (
        "CHIEF COMPLAINT: Follow-up of diabetes and blood pressure.\n\n"
        "HISTORY: 64-year-old man, seen today. Colonoscopy - none on file; he declined FIT last year.\n"
        "He walks the dog twice a day and keeps a garden; no chest pain, no fever, sleeps well.\n\n"
        "VITALS: BP 142/88, pulse 72.\nPLAN: repeat A1c in 3 months, flu shot given today.\n"
    )
    for text in (note, note.replace("\n", " "), "Garden and dog walks only.", ""):
        doc = nlp.make_doc(text)
        assert doc._.qm_windows is not None  # the default pipeline is windowed
        assert doc_text(doc) == doc.text_with_ws


def test_finditer_from_starts_gives_finditers_matches() -> None:
    from pipelines.regex_matching import finditer_from_starts, start_literals

    recall = re.compile(r"\b(?:recall|repeat|surveillance)\s+(?:from|since|after)\s+(?:19|20)\d\d", re.I)
    cased = re.compile(r"(?<![A-Z])(?:DNAed|DNA'd|Declined)\b")
    assert start_literals(LAST_DONE) == frozenset({"last", "prior"})
    assert start_literals(recall) == frozenset({"recall", "repeat", "surveillance"})
    assert start_literals(cased) == frozenset({"DNAed", "DNA'd", "Declined"})
    assert start_literals(BAR_DUE) == frozenset({"|"})  # too short to look for: finditer runs
    assert start_literals(DASH_NONE) is None  # starts with a character set
    assert start_literals(ABBREVIATION) is None
    texts = (
        "Colonoscopy: LAST 2019, prior done 03/2018; lastly seen in clinic. Last one 2021, PRIOR 7/22.",
        "Surveillance since 2015 and repeat after 2020; recall from 2031 (surveillancerecall from 2010).",
        "Eye exam DNAed twice, XDNA'd once, Declined by pt; declined again. Last prior 2001 prior 2002",
        "",
    )
    for pattern in (LAST_DONE, recall, cased, DASH_NONE, ABBREVIATION, BAR_DUE):
        for text in texts:
            expected = [(m.span(), m.group()) for m in pattern.finditer(text)]
            found = [(m.span(), m.group()) for m in finditer_from_starts(pattern, text, text.lower())]
            assert found == expected, (pattern.pattern, text)
    assert [m.group() for m in finditer_from_starts(LAST_DONE, texts[0], texts[0].lower())] == [
        "LAST 2019", "prior done 03/2018", "Last one 2021", "PRIOR 7/22"]
