"""A windowed Doc without a window (a note where no target's key stands) is filler alone: the heading boundaries
and the sectionizer skip reading it, and give what reading it gives."""

from __future__ import annotations

import pytest
from spacy.language import Language

NOTES = [
    "HISTORY OF PRESENT ILLNESS:\nTwisted his left ankle stepping off a curb on Sunday.\n\n"
    "EXAM:\n- Swelling over the lateral malleolus.\n- Can bear weight? Yes, with a limp.\n\n"
    "PLAN:\nIce, elevation and an air cast; recheck in ten days if not improving.\n",
    "Subjective: Here for a splinter in the right thumb, two days old.,PLAN: , Removed under lidocaine. "
    "Wound care sheet given.",
    "x",
    "",
]


def _plain(nlp: Language, name: str, text: str):
    """The Doc as the component makes it when it reads the filler (the Doc not marked as windowless)."""
    doc = nlp.make_doc(text)
    assert doc._.qm_windows == []
    doc._.qm_windows = None  # read it as any Doc
    for pipe_name, component in nlp.pipeline:
        doc = component(doc)
        if pipe_name == name:
            return doc
    raise AssertionError(name)


@pytest.mark.parametrize("text", NOTES)
def test_windowless_doc_gets_the_boundaries_and_sections_of_reading_it(nlp: Language, text: str) -> None:
    assert nlp.tokenizer.prefilter.windows(text) == []
    doc = nlp(text)
    assert not doc.ents and doc._.qm_evidence == []
    plain = _plain(nlp, "qm_sections", text)
    assert [t.is_sent_start for t in doc] == [t.is_sent_start for t in plain]
    assert [(s.category, s.title_start, s.title_end, s.body_start, s.body_end) for s in doc._.sections] == [
        (s.category, s.title_start, s.title_end, s.body_start, s.body_end) for s in plain._.sections
    ]
    assert len(doc._.sections) == 1 and doc._.sections[0].category is None


def test_a_doc_with_a_window_is_still_read(nlp: Language) -> None:
    text = NOTES[0].replace("Ice, elevation", "Flu shot given today. Ice, elevation")
    doc = nlp(text)
    assert doc._.qm_windows
    assert any(s.category == "plan" for s in doc._.sections)
    assert any(t.is_sent_start and t.text == "Flu" for t in doc)
