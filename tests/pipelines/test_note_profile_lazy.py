"""The note profile is computed when read: a note without a target never pays for it, and a read gives the
same facts the evidence rows rest on."""

from __future__ import annotations

from spacy.language import Language

from pipelines.batch import _cached_nlp

# no target of any rule: a sports-medicine follow-up
NO_TARGET = (
    "CHIEF COMPLAINT: Left ankle sprain.\n"
    "HPI: A 16-year-old girl rolled her left ankle during a volleyball game nine days ago. "
    "Swelling has gone down with ice and elevation.\n"
    "EXAM: Mild tenderness over the anterior talofibular ligament. Stable drawer test.\n"
)
# a target (a screening) in a teenager's note
WITH_TARGET = (
    "HPI: 15 yo boy seen for a sports physical.\n"
    "Depression screening: PHQ-9 score 3, negative.\n"
)


def _profiled(doc) -> dict:
    return doc.user_data["qm_note_profile"]


def test_a_note_without_a_target_is_not_profiled_until_read() -> None:
    nlp: Language = _cached_nlp({"mode": "windowed"})
    doc = nlp(NO_TARGET)
    assert not doc.ents and doc._.qm_evidence == []
    assert _profiled(doc) == {}  # nothing computed: no evidence row asked
    # read on demand, from the whole text (windowed mode tokenized none of it)
    assert doc._.qm_age_years == 16 and doc._.qm_pediatric is False
    assert doc._.qm_eye_care is False and doc._.qm_title_elements == frozenset()
    assert set(_profiled(doc)) == {"qm_age_years", "qm_pediatric", "qm_eye_care", "qm_title_elements"}


def test_the_evidence_rows_read_the_profile_of_a_note_with_a_target() -> None:
    for mode in ("windowed", "full"):
        doc = _cached_nlp({"mode": mode})(WITH_TARGET)
        assert doc.ents and doc._.qm_evidence, mode
        assert _profiled(doc)["qm_age_years"] == 15, mode  # read (and kept) by the evidence rows


def test_a_set_fact_wins_and_a_doc_without_the_component_keeps_the_defaults() -> None:
    nlp: Language = _cached_nlp({"mode": "windowed"})
    doc = nlp(NO_TARGET)
    doc._.qm_age_years = 40
    assert doc._.qm_age_years == 40
    bare = nlp.make_doc(NO_TARGET)  # the tokenizer only: the profile component did not run
    assert (bare._.qm_age_years, bare._.qm_pediatric, bare._.qm_eye_care) == (None, False, False)
    assert bare._.qm_title_elements == frozenset()
