"""Windowed mode (the default) gives the evidence of the full pipeline, with spaCy run only on windows.

The reference is ``build_nlp({"mode": "full"})``: every evidence item (offsets, status, section, date,
value, modifiers, rule) must be the same. The notes below are our own, written in the layouts the
prefilter has to cut correctly: templated headings on their own lines, transcribed notes whose line
breaks became commas, two spaces after full stops, abbreviations with full stops ("Dr.", "Jan."),
lower-case headings mid-line, flowsheet columns, typography the normalized view rewrites, bullets.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from spacy.language import Language

from engine.errors import PipelineOptionError
from pipelines.build import build_nlp, check_options
from pipelines.extract import extract_note, extract_notes, make_doc
from pipelines.normalize import normalize_text
from pipelines.prefilter import FILLER, blank_outside, source_text

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"

NOTES = {
    "templated": (
        "CHIEF COMPLAINT\nFollow-up of diabetes and blood pressure.\n\nHPI\n61 yo woman with T2DM and HTN. "
        "Last A1c 8.2% in Jan. 2026, down from 9.0.  She quit smoking 5 years ago.  Mother had colon cancer.\n\n"
        "PMH:\n- Type 2 diabetes mellitus\n- Hypertension\n- s/p total abdominal hysterectomy 2011 for fibroids\n\n"
        "VITALS: BP 142/88, repeat 136/84. Pulse 72.\n\nASSESSMENT AND PLAN:\n1. DM2 - A1c today 7.4%. "
        "Referred to ophthalmology for diabetic eye exam.\n2. HTN - not at goal; increase lisinopril.\n"
        "3. Health maintenance: colonoscopy 03/2019 normal, repeat 2029. Mammogram ordered. Flu shot given today.\n"
    ),
    "transcribed": (
        "HISTORY OF PRESENT ILLNESS: , Mr. Quill, 67, comes to Dr. Alvarez for his routine "
        "care.  He denies chest pain.  He has a history of hypertension and end-stage renal disease on "
        "peritoneal dialysis.,PAST SURGICAL HISTORY: , Colonoscopy in 2021 with two small polyps removed.,"
        "SOCIAL HISTORY: , He smokes one pack per day and drinks socially.,FAMILY HISTORY: , Father with "
        "diabetes.,PHYSICAL EXAMINATION: , Blood pressure 150/92, heart rate 80.  Fundi: no diabetic "
        "retinopathy seen.,IMPRESSION AND PLAN: , Hypertension, uncontrolled.  Smoking cessation counseling "
        "provided for 5 minutes.  Advance directive discussed; he has a living will on file.\n"
    ),
    "terse": (
        "F/U visit \u2013 DM/HTN\nBP 128/76 \u2192 124/74 (home log avg 130s/80s)\n"
        "\u2022 A1c 7.9% (02/2026) \u2190 8.4% 10/2025\n\u2022 PHQ-9 = 4 today, neg\n"
        "\u2022 Tobacco: never\n\u2022 Pneumovax (2019, 2023)\n\u2717 Retinal exam - overdue, pt to book\n"
        "\u2713 Med rec done\nPlan: FIT kit given; return 3 mo.  Dx on CCM plan: T2DM, HTN.\n"
    ),
    "columns": (
        "Vital signs flowsheet\nDate        BP        HR   Wt\n01/12/26    138/86    70   81\n"
        "03/02/26    132/80    68   80\n\nScreening:  Pap smear with HPV co-test 2024 - normal.  "
        "No mammogram since 2021, declined today.  Pregnancy test negative.\n"
    ),
    "nothing": "Sprained left ankle playing soccer.  Ice, rest, elevation.  Return if worse.\n",
    # letter prose: dates counted from an earlier sentence's date ("two days later"), a weekday, a day and a month
    "letter": (
        "Dear Dr Okafor,\n\nThank you for asking me to see Mr Brennan, whom I met in clinic on the 4th of February. "
        "He was admitted under the surgical team on 9 March 2026 with rectal bleeding and, after a long and rather "
        "difficult night on the ward with several further episodes, his haemoglobin settled. Two days later he "
        "underwent a colonoscopy, which showed diverticular disease only. He had his flu jab on Tuesday and the "
        "Pneumovax the following day. He gave up smoking in early November.\n\nYours sincerely\n"
    ),
    "lower headings": (
        "Subjective: here for refills.\nplan: continue meds.  A1c next visit.\nassessment: hypertension, stable. "
        "Patient is on hospice? no.  Palliative care consult declined.\nHistory: former smoker, quit in 2015.\n"
    ),
}


def _note(key: str, text: str) -> dict:
    return {"note_id": f"w-{key}", "patient_id": "p-1", "note_date": date(2026, 6, 15), "text": text}


@pytest.fixture(scope="module")
def full_nlp() -> Language:
    return build_nlp({"mode": "full"})


def _evidence(nlp: Language, notes: list) -> list[list[dict]]:
    from engine.records import Note

    parsed = [n if isinstance(n, Note) else Note(**n) for n in notes]
    return [
        [e.model_dump(mode="json") for e in items]
        for _, items in extract_notes(nlp, parsed, include_supplemental=True)
    ]


def test_default_mode_is_windowed(nlp: Language) -> None:
    assert check_options(None)["mode"] == "windowed"
    assert nlp.tokenizer.prefilter is not None and "qm_window_boundaries" in nlp.pipe_names


@pytest.mark.parametrize("key", sorted(NOTES))
def test_windowed_evidence_equals_full_on_own_notes(nlp: Language, full_nlp: Language, key: str) -> None:
    note = _note(key, NOTES[key])
    windowed, full = _evidence(nlp, [note])[0], _evidence(full_nlp, [note])[0]
    assert windowed == full
    if key != "nothing":
        assert full, f"the {key} note has evidence in full mode (else the comparison proves little)"
    for e in windowed:
        assert NOTES[key][e["start"] : e["end"]] == e["span"]


def test_windowed_evidence_equals_full_on_demo_notes(nlp: Language, full_nlp: Language) -> None:
    from engine.records import Note

    lines = (ROOT / "data/demo/notes.jsonl").read_text(encoding="utf-8").splitlines()
    notes = [Note.model_validate(json.loads(line)) for line in lines if line.strip()]
    windowed, full = _evidence(nlp, notes), _evidence(full_nlp, notes)
    differing = [n.note_id for n, w, f in zip(notes, windowed, full, strict=True) if w != f]
    assert differing == []
    assert sum(map(len, full)) > 300


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not available")
def test_windowed_evidence_equals_full_on_shared_notes(nlp: Language, full_nlp: Language) -> None:
    """A sample of the shared MTSamples and ACI-BENCH notes (``benchmarks/extract_bench.py`` compares all)."""
    from engine.records import Note

    notes = []
    for path, step in ((SHARED / "mtsamples/notes.jsonl", 20), (SHARED / "aci-bench/notes.jsonl", 10)):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        notes += [Note.model_validate(json.loads(line)) for line in lines[::step]]
    windowed, full = _evidence(nlp, notes), _evidence(full_nlp, notes)
    differing = [n.note_id for n, w, f in zip(notes, windowed, full, strict=True) if w != f]
    assert differing == []
    assert sum(map(len, full)) > 100


@pytest.mark.parametrize("key", sorted(NOTES))
def test_tokens_inside_windows_are_those_of_the_whole_note(nlp: Language, full_nlp: Language, key: str) -> None:
    from engine.records import Note

    note = Note(**_note(key, NOTES[key]))
    doc, whole = make_doc(nlp, note), make_doc(full_nlp, note)
    windows = doc._.qm_windows
    assert source_text(doc) == whole.text and doc.text == blank_outside(whole.text, windows)
    for start, end in windows:
        inside = [(t.idx, t.text) for t in doc if start <= t.idx < end]
        assert inside == [(t.idx, t.text) for t in whole if start <= t.idx < end]
    if key == "nothing":
        # a note no rule can match is a few filler tokens: an x, runs of spaces (powers of two), a line break
        assert windows == [] and doc[0].text == FILLER and all(t.is_space for t in doc[1:])
        assert len(doc) <= 2 + len(whole.text).bit_length()
    else:
        covered = sum(end - start for start, end in windows)
        assert 0 < covered <= len(whole.text)
        if key == "transcribed":
            assert covered < 0.9 * len(whole.text)


def test_blanking_keeps_offsets_and_window_text() -> None:
    text = normalize_text(NOTES["transcribed"]).text
    windows = [(0, 40), (120, 200)]
    blank = blank_outside(text, windows)
    assert len(blank) == len(text)
    assert blank[0:40] == text[0:40] and blank[120:200] == text[120:200]
    assert blank[40] == FILLER and blank[41:119].strip(" ") == "" and blank[119] == "\n"
    assert blank[200] == FILLER and blank[-1] == "\n" and not blank[201:-1].strip(" ")


def test_windows_of_a_note_are_sentences_around_the_hits(nlp: Language) -> None:
    prefilter = nlp.tokenizer.prefilter
    text = "Seen today.  Knee pain after a fall.  Colonoscopy was normal last spring.  Return in a year.\n"
    windows = prefilter.windows(text)
    covered = "".join(text[a:b] for a, b in windows)
    assert "Colonoscopy was normal last spring." in covered
    assert "Knee pain" not in covered and "Return in a year" not in covered


def test_abbreviation_full_stop_does_not_cut(nlp: Language) -> None:
    prefilter = nlp.tokenizer.prefilter
    text = "Referred to Dr. Smith for colonoscopy next month. Otherwise well.\n"
    ((start, end),) = prefilter.windows(text)
    assert text[start:end].startswith("Referred to Dr. Smith")


def test_mode_option_is_checked() -> None:
    with pytest.raises(PipelineOptionError, match="'mode'"):
        check_options({"mode": "fast"})
    with pytest.raises(PipelineOptionError, match="mode: full"):
        check_options({"mode": "windowed", "sentences": "pyrush"})
    assert check_options({"sentences": "pyrush"})["mode"] == "full"


def test_nlp_of_text_alone_is_windowed(nlp: Language) -> None:
    doc = nlp("Hypertension, well controlled.  Tennis on weekends.\n")
    assert [e.label_ for e in doc.ents] == ["hypertension"]
    assert doc._.qm_windows and doc.text.startswith("Hypertension, well controlled.")
    assert "Tennis" not in doc.text


def test_extract_note_span_integrity_with_typography(nlp: Language) -> None:
    from engine.records import Note

    note = Note(**_note("terse", NOTES["terse"]))
    items = extract_note(nlp, note, include_supplemental=True)
    assert {"hba1c", "blood_pressure", "tobacco_use"} <= {e.element for e in items}
    for e in items:
        assert note.text[e.start : e.end] == e.span


def test_nlp_of_text_alone_gives_the_evidence_of_the_job(nlp: Language) -> None:
    """The note-level facts are a component's (qm_note_profile): ``nlp(text)`` profiles the note itself."""
    from engine.records import Note

    text = (
        "Ophthalmology follow-up.  Slit lamp exam: quiet anterior segment.  IOP 15 OU by tonometry.  "
        "Cup-to-disc 0.3.  Dilated fundus exam: no diabetic retinopathy.  A 15 year old female with type 1 "
        "diabetes.\n"
    )
    doc = nlp(text)
    assert doc._.qm_eye_care and doc._.qm_age_years == 15
    rows = {(r["element"], r["start"], r["status"]) for r in doc._.qm_evidence}
    note = Note(note_id="w-eye", patient_id="p-1", note_date=date(2026, 6, 15), text=text)
    job = {(e.element, e.start, e.status) for e in extract_note(nlp, note, include_supplemental=True)}
    assert rows == job
    assert {"retinal_eye_exam", "diabetes"} <= {element for element, _, _ in rows}
