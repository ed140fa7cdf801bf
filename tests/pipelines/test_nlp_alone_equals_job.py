"""``nlp(text)`` alone gives the evidence of the job.

The note-level facts (eye-care note, pediatric note, stated age, the title's procedures) are a pipeline
component's (``qm_note_profile``), not something ``make_doc`` adds outside the pipeline: a Doc made by
calling the pipeline on the bare text carries the same evidence as the batch job's callable class
(``pipelines.batch.NotePipeline``, the code Ray's ``map_batches`` runs per actor) writes for the same
note. The one input the text cannot give is the note's own date: the job dates an undated mention done
at the visit by it ("flu shot given today"), ``nlp(text)`` leaves it undated; every other field is equal.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine.records import Evidence, Note
from pipelines.batch import InProcessPipeline, _cached_nlp
from pipelines.extract import doc_to_evidence

NOTE_DATE = date(2026, 5, 20)

# realistic synthetic notes, our own wording: a terse adult follow-up, a toddler's visit (the household's
# smoking), an optometry exam recognised by its findings alone, a teenager's depression screen and plan
NOTES = {
    "adult": (
        "CC: DM2 / HTN recheck\n"
        "HPI: 63 yo F, metformin 1000 bid. A1c 8.2% on 01/14/2026, prev 7.6% (09/2025). "
        "Colonoscopy 2019 - normal, repeat 2029.\n"
        "Social: ex-smoker, quit 2011. Wine on weekends.\n"
        "Screening: mammogram 11/03/2025 BI-RADS 1. PHQ-2 = 0.\n"
        "Vitals: BP 142/88, HR 76.\n"
        "A/P: 1. T2DM - uncontrolled, titrate. 2. HTN - recheck 2 wks.\n"
        "Flu vaccine given today, L deltoid, lot 55K2.\n"
    ),
    "toddler": (
        "Well child check. 3 year old boy here with mom. Growth on track, vaccines up to date.\n"
        "Household: father is a smoker, smokes outside only; mom is 20 weeks pregnant.\n"
        "Plan: discussed secondhand smoke, return at 4 years.\n"
    ),
    "eye": (
        "Diabetic eye exam. Pt is a 58 y/o M with type 2 diabetes for 12 yrs.\n"
        "Slit lamp: lids/lashes normal, cornea clear. IOP 16 / 17 mmHg by tonometry.\n"
        "Dilated fundus: C/D 0.3 OU, macula flat, no drusen; mild NPDR OD, none OS.\n"
        "Impression: mild nonproliferative diabetic retinopathy right eye. Return 1 yr.\n"
    ),
    "teen": (
        "Adolescent visit. 15-year-old female, here for sports physical and low mood since winter.\n"
        "PHQ-A score 15 (moderately severe). Denies SI. Vapes nicotine most days.\n"
        "Plan: refer to behavioral health for counseling, start CBT; safety plan reviewed.\n"
    ),
}


def _job(options: dict, note: Note) -> list[dict]:
    """What the job writes for ``note``: the callable class of Ray's map_batches, on one batch."""
    out = InProcessPipeline(options, supplemental=True)({"note_json": [note.model_dump_json()]})
    assert out["error"] == [""]
    return [json.loads(line) for line in out["evidence"][0].splitlines()]


@pytest.mark.parametrize("mode", ["windowed", "full"])
def test_nlp_of_the_text_alone_gives_the_job_evidence(mode: str) -> None:
    options = {"mode": mode}
    nlp = _cached_nlp(options)  # the pipeline the job's class holds in this process
    for key, text in NOTES.items():
        note = Note(note_id=f"alone-{key}", patient_id="p-1", note_date=NOTE_DATE, text=text)
        job = _job(options, note)
        alone = [e.to_json_dict() for e in doc_to_evidence(note, nlp(text), include_supplemental=True)]
        assert [e["evidence_id"] for e in alone] == [e["evidence_id"] for e in job], key
        for mine, theirs in zip(alone, job, strict=True):
            dated_by_visit = mine["event_date"] is None and theirs["event_date"] == NOTE_DATE.isoformat()
            differing = {k for k in theirs if mine[k] != theirs[k]}
            assert differing <= ({"event_date", "date_precision"} if dated_by_visit else set()), (key, differing)
        assert job, key


def test_the_note_profile_runs_inside_the_pipeline() -> None:
    """The facts the evidence above rests on come from the text alone."""
    nlp = _cached_nlp({"mode": "windowed"})
    eye, toddler, teen = nlp(NOTES["eye"]), nlp(NOTES["toddler"]), nlp(NOTES["teen"])
    assert eye._.qm_eye_care and "retinal_eye_exam" in eye._.qm_title_elements
    assert toddler._.qm_pediatric and not eye._.qm_pediatric
    assert (teen._.qm_age_years, eye._.qm_age_years) == (15, 58)

    def rows(doc, element: str) -> list[tuple[str, object]]:
        return [(r["status"], r["value"]) for r in doc._.qm_evidence if r["element"] == element]

    # an eye-care note's fundus findings are a retinal exam, with its result
    assert ("affirmed", "retinopathy") in rows(eye, "retinal_eye_exam")
    # in a toddler's note, the father's smoking and the mother's pregnancy are the household's
    assert {status for status, _ in rows(toddler, "tobacco_use")} == {"family"}
    assert {status for status, _ in rows(toddler, "pregnancy")} == {"family"}
    # a 15-year-old's follow-up plan is the adolescent element
    elements = {r["element"] for r in teen._.qm_evidence}
    assert {"depression_screening", "depression_followup_adolescent", "depression_referral_adolescent"} <= elements
    assert not elements & {"depression_followup_adult", "depression_referral_adult"}


def test_the_job_dates_a_visit_mention_by_the_note_date_the_text_does_not_have() -> None:
    """The one difference, made visible: "Flu vaccine given today" is dated by the job only."""
    nlp = _cached_nlp({"mode": "windowed"})
    note = Note(note_id="alone-adult", patient_id="p-1", note_date=NOTE_DATE, text=NOTES["adult"])
    flu_job = [e for e in _job({"mode": "windowed"}, note) if e["element"] == "influenza_vaccine"]
    flu_alone = [e for e in doc_to_evidence(note, nlp(NOTES["adult"])) if e.element == "influenza_vaccine"]
    assert [e["event_date"] for e in flu_job] == [NOTE_DATE.isoformat()]
    assert [(e.status, e.event_date) for e in flu_alone] == [("affirmed", None)]
    a1c: list[Evidence] = [e for e in doc_to_evidence(note, nlp(NOTES["adult"])) if e.element == "hba1c"]
    assert [(e.value, e.event_date) for e in a1c] == [(8.2, date(2026, 1, 14)), (7.6, date(2025, 9, 1))]
