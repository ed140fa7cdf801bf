"""The note profile is computed when read: a note without a target never pays for it, a note with one only for the
facts its mentions need, and a read gives the same facts the evidence rows rest on."""

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
# a target (a screening) in a teenager's note: none of its rows needs a fact of the note
WITH_TARGET = (
    "HPI: 15 yo boy seen for a sports physical.\n"
    "Depression screening: PHQ-9 score 3, negative.\n"
)
# a treatment whose element is another one in a 12-17 year old's note: its row reads the stated age
ADOLESCENT_TREATMENT = (
    "HPI: 14 yo girl seen for low mood and poor sleep.\n"
    "PHQ-A score 15. Plan: begin fluoxetine 10 mg daily for depression; recheck in 3 weeks.\n"
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


def test_the_evidence_rows_read_only_the_facts_their_mentions_need() -> None:
    for mode in ("windowed", "full"):
        nlp = _cached_nlp({"mode": mode})
        doc = nlp(WITH_TARGET)
        assert doc.ents and doc._.qm_evidence, mode
        assert _profiled(doc) == {}, mode  # a screening is the same element at any age, in any note
        doc = nlp(ADOLESCENT_TREATMENT)
        assert "depression_medication_adolescent" in {r["element"] for r in doc._.qm_evidence}, mode
        assert _profiled(doc) == {"qm_age_years": 14}, mode  # read (and kept) by the evidence rows


def test_a_set_fact_wins_and_a_doc_without_the_component_keeps_the_defaults() -> None:
    nlp: Language = _cached_nlp({"mode": "windowed"})
    doc = nlp(NO_TARGET)
    doc._.qm_age_years = 40
    assert doc._.qm_age_years == 40
    bare = nlp.make_doc(NO_TARGET)  # the tokenizer only: the profile component did not run
    assert (bare._.qm_age_years, bare._.qm_pediatric, bare._.qm_eye_care) == (None, False, False)
    assert bare._.qm_title_elements == frozenset()
