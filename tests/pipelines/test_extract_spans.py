"""Every evidence item points at the exact words of the original note, in a stable order."""

from __future__ import annotations

from engine.records import Note
from pipelines import PIPELINE_VERSION
from pipelines.extract import extract_notes

from .conftest import NOTE_DATE

TRANSCRIBED = (
    "HISTORY OF PRESENT ILLNESS:,  This 62-year-old female presents for follow up of HTN and DM2.  "
    "She had a colonoscopy in 2019 that was normal.,PAST MEDICAL HISTORY:,  Hypertension, type 2 diabetes "
    "mellitus, s/p total abdominal hysterectomy.,FAMILY HISTORY:,  Mother with colon cancer; father with "
    "diabetes.,SOCIAL HISTORY:,  Former smoker, quit in 1998.,VITAL SIGNS:,  BP 142/88, HR 76, weight 180."
    ",LABS:,  Hemoglobin A1c 7.8% on 03/14/2026.,PLAN:,  Mammogram ordered.  Flu shot given today."
)
TEMPLATED = (
    "CHIEF COMPLAINT\n\nDiabetes follow-up.\n\nSOCIAL HISTORY\n\nShe denies tobacco use.\n\n"
    "VITALS\n\n• Blood pressure: 128/76 mm Hg\n\nASSESSMENT AND PLAN\n\nType 2 diabetes.\n"
    "• Medical Reasoning: Her A1c was 6.9 today.\n• Additional Testing: I will order a retinal exam.\n"
)


def test_spans_are_exact_offsets_for_every_item(extract):
    for text in (TRANSCRIBED, TEMPLATED):
        items = extract(text)  # the fixture asserts text[start:end] == span for each item
        assert items
        assert [(e.start, e.end, e.element) for e in items] == sorted(
            (e.start, e.end, e.element) for e in items
        )
        assert all(e.source.startswith("rule:") and e.pipeline_version == PIPELINE_VERSION for e in items)
        assert all(e.note_date == NOTE_DATE and e.origin == "note" for e in items)


def test_transcribed_note_finds_the_elements_with_sections(extract):
    items = extract(TRANSCRIBED)
    found = {(e.element, e.status, e.section) for e in items}
    assert ("colonoscopy", "affirmed", "history_of_present_illness") in found
    assert ("hysterectomy_no_cervix", "affirmed", "past_medical_history") in found
    assert ("colorectal_cancer", "family", "family_history") in found
    assert ("blood_pressure", "affirmed", "vitals") in found
    assert ("mammogram", "ordered", "plan") in found
    assert ("influenza_vaccine", "affirmed", "plan") in found


def test_bp_reading_span_is_the_reading_only(extract):
    items = extract(TEMPLATED)
    bp = [e for e in items if e.element == "blood_pressure"]
    assert [e.span for e in bp] == ["128/76"]
    assert bp[0].value == {"systolic": 128, "diastolic": 76}


def test_extract_notes_keeps_input_order(nlp):
    notes = [
        Note(note_id=f"n{i}", patient_id="p", note_date=NOTE_DATE, text=t)
        for i, t in enumerate([TEMPLATED, TRANSCRIBED, "No findings.", TEMPLATED])
    ]
    out = list(extract_notes(nlp, notes, batch_size=2))
    assert [n.note_id for n, _ in out] == ["n0", "n1", "n2", "n3"]
    assert out[2][1] == []
    assert [e.model_dump() for e in out[0][1]] != []
    assert [(e.start, e.element) for e in out[0][1]] == [(e.start, e.element) for e in out[3][1]]


def test_text_is_never_altered(nlp):
    doc = nlp(TRANSCRIBED)
    assert doc.text == TRANSCRIBED
