"""The cheaper paths of the heading boundaries, the section filter, the eye-care note check and the date tagger give
what the plain paths give: each is compared with a plain version of itself (every token read, every cue and date
pattern searched) on notes written for this test, in both pipeline modes where a Doc is involved."""

from __future__ import annotations

import re
from typing import Any

import pytest
from medspacy.section_detection.util import is_start_line
from spacy.attrs import IS_SPACE, ORTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from pipelines import dates, note_facts
from pipelines.batch import _cached_nlp
from pipelines.boundaries import _BULLETS, HeadingBoundaries
from pipelines.headings import CapitalsOrLineStartSectionizer
from pipelines.literal_gate import LiteralGate
from pipelines.regex_matching import holds_literals, required_literals

NOTES = (
    # headings in capitals on their own lines, bullets, a query prefix
    "CHIEF COMPLAINT:\nFollow-up of type 2 diabetes and high blood pressure.\n\n"
    "HISTORY OF PRESENT ILLNESS: Mr. Okafor, 58, checks his sugars twice a day. ?HTN - home cuff reads 150s.\n"
    "MEDICATIONS:\n- metformin 1000 mg twice daily\n* lisinopril 20 mg daily\n• atorvastatin 40 mg\n\n"
    "ASSESSMENT AND PLAN:\n1. Diabetes: A1c 8.1% on 02/03/2026, up from 7.4% in October 2025.\n"
    "2. Retinal exam overdue; referral placed today. Colonoscopy done 5 years ago.\n",
    # transcribed line breaks: headings run together with commas
    "SUBJECTIVE:,  She is a 44-year-old woman here for her annual exam.,PAST MEDICAL HISTORY: , Asthma since "
    "childhood.,SOCIAL HISTORY: , She quit smoking in '09 and drinks wine on weekends.,ALLERGIES: , Sulfa.,"
    "PLAN: , Mammogram ordered; Pap smear with HPV co-test collected 14 April. Flu shot declined.",
    # inline and title-case headings, a label in capitals inside a sentence, digits in capitals, odd spacing
    "Seen today for a sports physical. Exam: lungs clear, HEENT: normal. Plan: PHQ-2 score 0, negative.\n"
    "Vitals:  BP 118/76   HR 64   Wt 61 kg\n"
    "Dx on CCM plan: T2DM, HTN. A1C: 6.9 on 3/14/25. Next visit the week before last... no, in 3 months.\n"
    "Discussed with the team at 9 a.m. ALLERGIES: none known. Seen with Dr. Patel FAMILY HISTORY: mother with DM.\n"
    "Tdap given on Tuesday; zoster vaccine (Shingrix) 2 of 2 the 3rd of March 2024; pneumococcal last spring.\n",
    # a heading with non-ASCII letters, a circled capital, a Roman numeral, and a month written in another script
    "ÉVALUATION CLINIQUE: TA 135/85 mmHg.\nⒶ BILAN: mammographie faite en 2023.\nⅧ PLAN: revoir dans 6 mois.\n"
    "Colonoscopy 2019-04-11 normal; FIT negative 11/2025. Eye exam: no retinopathy, dilated fundus exam "
    "2 weeks ago.\n",
    # a note without headings or dates
    "Patient called about a rash on her forearm after gardening; advised hydrocortisone cream and to send a "
    "photo if it spreads",
)


def _plain_predict(doc: Doc, min_heading_chars: int = 2) -> set[int]:
    """``HeadingBoundaries.predict`` reading every token's text (the plain path)."""

    def heading_word(text: str) -> bool:
        return (
            text.isupper() and any(c.isalpha() for c in text) and not any(c.isdigit() for c in text)
        ) or text in {"&", "/", "AND", "OF", "THE", "FOR", "(", ")", "-"}

    starts: set[int] = set()
    n = len(doc)
    rows = doc.to_array([ORTH, IS_SPACE, SPACY]).tolist()
    texts = [doc.vocab.strings[orth] for orth, _, _ in rows]
    is_space = [space for _, space, _ in rows]
    trailing = [spacy for _, _, spacy in rows]
    for i, text in enumerate(texts):
        if is_space[i] and "\n" in text:
            j = i + 1
            while j < n and is_space[j]:
                j += 1
            if j < n:
                starts.add(j)
        if text in (":", ":,") and i > 0:
            k = i - 1
            while k >= 0 and heading_word(texts[k]):
                k -= 1
            head_start = k + 1
            chars = sum(len(texts[m]) + trailing[m] for m in range(head_start, i)) - trailing[i - 1]
            if head_start < i and chars >= min_heading_chars and texts[head_start].isupper():
                prev = texts[k] if k >= 0 else None
                if prev is None or prev in {",", ".", ";", ":"} or "\n" in prev or is_space[k] or prev.endswith(
                    (",", ".")
                ):
                    starts.add(head_start)
                j = i + 1
                while j < n and (is_space[j] or texts[j] == ","):
                    j += 1
                if j < n:
                    starts.add(j)
        if text == "," and 0 < i < n - 1 and not trailing[i] and texts[i + 1][:1].isupper() and texts[i - 1] in {
            ".", ":", "?", "!"
        }:
            starts.add(i + 1)
        if text in _BULLETS and (i == 0 or "\n" in texts[i - 1] or is_space[i - 1]):
            starts.add(i)
    return starts


def _doc_before(nlp: Language, text: str, name: str) -> Doc:
    doc = nlp.make_doc(text)
    for pipe_name, component in nlp.pipeline:
        if pipe_name == name:
            return doc
        doc = component(doc)
    raise AssertionError(name)


@pytest.mark.parametrize("mode", ["windowed", "full"])
@pytest.mark.parametrize("text", NOTES)
def test_heading_boundaries_read_only_candidates_and_find_every_start(mode: str, text: str) -> None:
    nlp = _cached_nlp({"mode": mode})
    doc = _doc_before(nlp, text, "qm_heading_boundaries")
    component: HeadingBoundaries = nlp.get_pipe("qm_heading_boundaries")
    assert component.predict(doc) == _plain_predict(doc)


def test_heading_boundaries_on_the_whole_note_mark_headings_bullets_and_lines() -> None:
    nlp = _cached_nlp({"mode": "full"})
    doc = _doc_before(nlp, NOTES[0] + NOTES[1], "qm_heading_boundaries")
    starts = nlp.get_pipe("qm_heading_boundaries").predict(doc)
    first_words = {doc[i].text for i in starts}
    assert {"CHIEF", "HISTORY", "MEDICATIONS", "-", "*", "•", "PAST", "SOCIAL", "ALLERGIES", "PLAN"} <= first_words
    assert starts == _plain_predict(doc)


def _plain_in_capitals(doc: Doc, start: int, end: int) -> bool:
    letters = [c for c in doc[start:end].text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _plain_filter_start_lines(self: Any, doc: Doc, matches: list[Any]) -> list[Any]:
    """The section filter reading each match as a Span of the Doc (the plain path)."""

    def starts_heading(start: int) -> bool:
        i = start
        while i > 0 and start - i < 6 and "\n" not in doc[i - 1].whitespace_:
            word = doc[i - 1].text
            if not (word[:1].isupper() or word.lower() in {"and", "of", "the", "&", "/", "-", "or"}):
                break
            i -= 1
        return is_start_line(i, doc, self.newline_pattern)

    return [m for m in matches if _plain_in_capitals(doc, m[1], m[2]) or starts_heading(m[1])]


def _sections(doc: Doc) -> list[tuple[Any, ...]]:
    return [(s.category, s.title_start, s.title_end, s.body_start, s.body_end) for s in doc._.sections]


@pytest.mark.parametrize("mode", ["windowed", "full"])
def test_section_filter_reads_capitals_from_the_token_array(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    nlp = _cached_nlp({"mode": mode})
    ours = [_sections(nlp(text)) for text in NOTES]
    monkeypatch.setattr(CapitalsOrLineStartSectionizer, "filter_start_lines", _plain_filter_start_lines)
    assert ours == [_sections(nlp(text)) for text in NOTES]
    categories = {c for sections in ours for c, *_ in sections}
    assert {"plan", "past_medical_history", "social_history", "medications"} <= categories, categories


def _plain_eye_care(text: str, note_type: str | None, title: str | None = None) -> bool:
    """Every eye-specialist cue searched for, without a gate (the plain path)."""
    if note_facts._EYE_CARE_TITLE.search(f"{note_type or ''} {title or ''}"):
        return True
    return sum(1 for cue in note_facts._EYE_CARE_EXAM_CUES if cue.search(text)) >= note_facts.EYE_CARE_MIN_CUES


EYE_TEXTS = (
    "Slit lamp: clear cornea, deep and quiet anterior chamber. IOP 18 and 17. Cup to disk 0.4 both eyes.",
    "SLIT-LAMP EXAM normal. Tonometry 15 mmHg. Macula flat, no drusen.",
    "Dilated fundus exam: posterior segment unremarkable, macular reflex present, optical coherence tomography "
    "pending.",
    "Diabetic follow-up. Fundus not examined. Macula not seen. Eye referral placed.",
    "Knee: anterior drawer negative, posterior sag absent; cup of coffee a day; she was discharged.",
    "Ophtalmologie: lampe à fente normale, pression intraoculaire 14, macula saine, cup-to-disc 0,3.",
    "",
)


@pytest.mark.parametrize("text", EYE_TEXTS)
def test_eye_care_gate_gives_the_plain_answer(text: str) -> None:
    for note_type, title in ((None, None), ("Office visit", "Annual physical"), (None, "Retina clinic")):
        assert note_facts.is_eye_care_note(text, note_type, title) == _plain_eye_care(text, note_type, title)
    assert [note_facts.is_eye_care_note(t, None) for t in EYE_TEXTS[:5]] == [True, True, True, False, False]


DATE_TEXTS = (
    *NOTES,
    "Colonoscopy 03/14/2019, repeat 2029. Mammogram Feb 2024; Pap 14.03.2025; A1c 2025-11-03; flu 10/25.",
    "Zoster #1 12 Feb 25, #2 3rd March '25; PCV20 Mar-25; Td 6/12 ago; FOBT 3/52 ago; seen 2/7 ago.",
    "Quit smoking two years ago, relapsed last spring, quit again a couple of weeks ago; ex-smoker since 2001.",
    "Eye exam the 12th of June; retinal photos the following day; HbA1c three days later was 7.0.",
    "Hysterectomy in early November; mastectomies (2009 R, 2013 L); shingles vaccine just before Christmas.",
    "On Tuesday the PHQ-9 was 12; last Friday it was 9; yesterday 7; this morning 5; the week before last 14.",
    "Flu vaccine given 14/04 at the pharmacy; Pneumovax (2015, 2021); letter dated 03/06/2026 received.",
    "Vaccinée le 3 mars 2024 — rappel prévu en 2029; coloscopie il y a 5 ans (2021).",
    "No dates in this sentence at all, only a knee sprain and ice.",
)


def test_literal_gate_answers_as_holds_literals() -> None:
    patterns = [p for _, p in dates._PATTERNS] + list(note_facts._EYE_CARE_EXAM_CUES)
    needs = [required_literals(p) for p in patterns]
    gate = LiteralGate(needs)
    for text in DATE_TEXTS + EYE_TEXTS:
        lowered = text.lower() if text.isascii() else None
        assert gate.passing(lowered) == [holds_literals(n, lowered) for n in needs], text
    # a set of single characters and a set of strings that hold one another
    small = LiteralGate([(frozenset({"1", "2"}),), (frozenset({"sep", "sept", "september"}), frozenset({"'"}))])
    assert small.passing("in sept '19") == [True, True]
    assert small.passing("in se pt 19") == [True, False]
    assert small.passing(None) == [True, True]


@pytest.mark.parametrize("order", dates.DATE_ORDERS)
def test_dates_gated_by_literals_are_the_dates_of_every_pattern(order: str, monkeypatch: pytest.MonkeyPatch) -> None:
    gated = [dates.find_dates(text, order) for text in DATE_TEXTS]
    monkeypatch.setattr(dates, "_PATTERN_NEEDS", tuple(() for _ in dates._PATTERN_NEEDS))  # every pattern runs
    assert gated == [dates.find_dates(text, order) for text in DATE_TEXTS]
    kinds = {d.kind for found in gated for d in found}
    assert {"numeric", "iso", "month_year", "relative", "season", "weekday", "later", "christmas"} <= kinds, kinds


def test_a_text_without_any_date_literal_reads_no_pattern() -> None:
    text = "No dates in this sentence at all, only a knee sprain and ice."
    passing = dates._gate().passing(text.lower())
    kinds = [kind for (kind, _), held in zip(dates._PATTERNS, passing, strict=True) if held]
    assert dates.find_dates(text) == [] and not re.search(r"\d", text)
    assert set(kinds) <= {"today", "in_month", "weekday"}, kinds  # words such as "in", "at" and "t" are cheap cues


PROFILED = (
    # a young child's note: the household's smoking is the parents'
    "HPI: 3-year-old boy with a wet cough for a week. Dad smokes outside; mom quit in 2022.\n"
    "PLAN: Amoxicillin for 7 days. Counseled on second-hand smoke. Flu vaccine given today.\n",
    # an adolescent: a treatment element of its own
    "16 y/o female, follow-up of depression. PHQ-A 14 today, was 19 in 01/2026. Continue sertraline 50 mg.\n"
    "Chlamydia screen sent. Current everyday smoker, 5 cigarettes a day; quit line offered.\n",
    # an eye clinic: the fundus findings are a retinal exam there
    "Slit lamp: quiet anterior chamber. IOP 15 OU. Dilated fundus exam: no diabetic retinopathy, macula "
    "flat. Cup-to-disc 0.3. A1c 7.1% on 04/02/2026 per PCP. Return in one year.\n",
    # an adult's visit with dated tests and a topic restated
    "72 yo man. As to colonoscopy, he had a colonoscopy in 2019, normal. Mammogram n/a. BP 142/88, "
    "repeat 134/82. Pneumovax (2015, 2021). Advance directive: on file, DNR.\n",
)


@pytest.mark.parametrize("mode", ["windowed", "full"])
def test_evidence_rows_reading_the_note_facts_on_demand_equal_reading_them_first(mode: str) -> None:
    """The rows read a fact of the note profile only for a mention that needs it, and each mention's sentence once:
    the same rows as a Doc whose four facts were all read before the rows were built."""
    nlp = _cached_nlp({"mode": mode})
    rows = []
    for text in PROFILED:
        lazy = nlp(text)
        rows.append({(r["element"], r["status"], "note.pediatric" in r["modifiers"]) for r in lazy._.qm_evidence})
        eager = _doc_before(nlp, text, "qm_evidence")
        facts = (eager._.qm_eye_care, eager._.qm_title_elements, eager._.qm_pediatric, eager._.qm_age_years)
        eager = nlp.get_pipe("qm_evidence")(eager)
        assert lazy._.qm_evidence == eager._.qm_evidence, text
        assert len(lazy.user_data["qm_note_profile"]) < 4, text  # not every fact was needed
        assert lazy._.qm_evidence, text
    assert facts == (False, frozenset(), False, 72)
    assert ("tobacco_use", "family", True) in rows[0]  # the child's note read as one
    assert ("depression_medication_adolescent", "affirmed", False) in rows[1]  # the adolescent's too
    assert ("retinal_eye_exam", "affirmed", False) in rows[2]
