"""Same facts, same gap reason: every HEDIS measure and its eCQM twin explain an open gap alike.

Both variants run on one set of criteria building blocks, and every block records why it failed,
so a clinic acting on the eCQM list is told the same thing as one acting on the HEDIS list
(a colonoscopy from 2010 is ``evidence_too_old`` in CMS130 as in COL-E, not ``no_evidence``).
Each row gives the facts of one patient who is in both measures' denominators.
"""

from __future__ import annotations

from datetime import date

import pytest

P = "p1"
TEXT = ("Visit 02/10/2026. HM: colonoscopy 2010 normal; declined repeat colonoscopy; GI referral for "
        "colonoscopy placed; had a colonoscopy years ago. Mammogram 2024, mammogram 05/2023. Pap 2021; "
        "declines Pap today. A1c 10.2% on 6/1; A1c 7.0 in 10/2025; A1c ordered. Eye exam 04/2023; "
        "referred to ophthalmology for dilated eye exam. PHQ-9 score 14; will do PHQ-9 next visit. "
        "Tobacco: never smoker (2024). Current smoker 1 ppd; declines cessation counseling. "
        "BP 160/100 on 9/1. BP 128/78 on 11/1/2025.\n")


def _note(kit, phrase: str, element: str, **kw):
    kw.setdefault("note_date", date(2026, 2, 10))
    return kit.note_ev(P, "n1", TEXT, phrase, element, **kw)


def _visits(kit, *extra_types: str):
    return [kit.encounter(P, "v1", date(2026, 2, 10), None, "office_visit", *extra_types),
            kit.encounter(P, "v2", date(2026, 5, 12), None, "office_visit", *extra_types),
            kit.encounter(P, "v0", date(2025, 10, 1), None, "office_visit")]


def _dx(kit, element: str, *days: date):
    return [kit.event(P, element, d, source="fhir:Condition:encounter-diagnosis") for d in days]


# facts: (birth date, sex, note evidence builder, structured events builder, extra encounter types)
def cbp(evidence):
    return (date(1962, 3, 3), "M", evidence,
            lambda kit: _dx(kit, "hypertension", date(2025, 10, 1), date(2026, 2, 10)), ())


def col(evidence):
    return (date(1968, 6, 1), "M", evidence, lambda kit: [], ())


def bcs(evidence):
    return (date(1966, 6, 1), "F", evidence, lambda kit: [], ())


def ccs(evidence):
    return (date(1986, 6, 1), "F", evidence, lambda kit: [], ())


def dm(evidence):
    return (date(1970, 6, 1), "M", evidence, lambda kit: _dx(kit, "diabetes", date(2026, 2, 10)), ())


def dep(evidence):
    return (date(1986, 6, 1), "F", evidence, lambda kit: [], ("depression_screening_encounter",))


def tob(evidence):
    return (date(1980, 6, 1), "M", evidence, lambda kit: [], ())


PHQ14 = {"instrument": "PHQ-9", "score": 14}
ROWS = [
    # id, (hedis measure, group), (ecqm measure, group), facts, expected reason
    ("bp-160/100", ("CBP", "1"), ("CMS165", "1"),
     cbp(lambda k: [_note(k, "BP 160/100", "blood_pressure", event_date=date(2026, 9, 1),
                          value={"systolic": 160, "diastolic": 100})]), "not_controlled"),
    ("bp-none", ("CBP", "1"), ("CMS165", "1"), cbp(lambda k: []), "no_evidence"),
    ("bp-last-year", ("CBP", "1"), ("CMS165", "1"),
     cbp(lambda k: [_note(k, "BP 128/78", "blood_pressure", event_date=date(2025, 11, 1),
                          value={"systolic": 128, "diastolic": 78})]), "evidence_too_old"),
    ("colonoscopy-2010", ("COL-E", "1"), ("CMS130", "1"),
     col(lambda k: [_note(k, "colonoscopy 2010", "colonoscopy", event_date=date(2010, 1, 1),
                          precision="year")]), "evidence_too_old"),
    ("colonoscopy-declined", ("COL-E", "1"), ("CMS130", "1"),
     col(lambda k: [_note(k, "declined repeat colonoscopy", "colonoscopy", status="declined")]), "declined"),
    ("colonoscopy-ordered", ("COL-E", "1"), ("CMS130", "1"),
     col(lambda k: [_note(k, "GI referral for colonoscopy", "colonoscopy", status="ordered")]), "only_ordered"),
    ("colonoscopy-undated", ("COL-E", "1"), ("CMS130", "1"),
     col(lambda k: [_note(k, "had a colonoscopy years ago", "colonoscopy")]), "undated_evidence"),
    ("colorectal-nothing", ("COL-E", "1"), ("CMS130", "1"), col(lambda k: []), "no_evidence"),
    ("mammogram-year-straddles", ("BCS-E", "1"), ("CMS125", "1"),
     bcs(lambda k: [_note(k, "Mammogram 2024", "mammogram", event_date=date(2024, 1, 1), precision="year")]),
     "undated_evidence"),
    ("mammogram-old", ("BCS-E", "1"), ("CMS125", "1"),
     bcs(lambda k: [_note(k, "mammogram 05/2023", "mammogram", event_date=date(2023, 5, 1),
                          precision="month")]), "evidence_too_old"),
    ("pap-old", ("CCS", "1"), ("CMS124", "1"),
     ccs(lambda k: [_note(k, "Pap 2021", "cervical_cytology", event_date=date(2021, 1, 1), precision="year")]),
     "evidence_too_old"),
    ("pap-declined", ("CCS", "1"), ("CMS124", "1"),
     ccs(lambda k: [_note(k, "declines Pap today", "cervical_cytology", status="declined")]), "declined"),
    ("a1c-10.2", ("GSD-POOR", "1"), ("CMS122", "1"),
     dm(lambda k: [_note(k, "A1c 10.2%", "hba1c", event_date=date(2026, 6, 1), value=[10.2])]), "not_controlled"),
    ("a1c-none", ("GSD-POOR", "1"), ("CMS122", "1"), dm(lambda k: []), "no_evidence"),
    ("a1c-ordered", ("GSD-POOR", "1"), ("CMS122", "1"),
     dm(lambda k: [_note(k, "A1c ordered", "hba1c", status="ordered")]), "only_ordered"),
    ("a1c-last-year", ("GSD-POOR", "1"), ("CMS122", "1"),
     dm(lambda k: [_note(k, "A1c 7.0", "hba1c", event_date=date(2025, 10, 10), value=[7.0])]),
     "evidence_too_old"),
    ("eye-exam-old", ("EED", "1"), ("CMS131", "1"),
     dm(lambda k: [_note(k, "Eye exam 04/2023", "retinal_eye_exam", event_date=date(2023, 4, 1),
                         precision="month")]), "evidence_too_old"),
    ("eye-exam-referral", ("EED", "1"), ("CMS131", "1"),
     dm(lambda k: [_note(k, "dilated eye exam", "retinal_eye_exam", status="ordered")]), "only_ordered"),
    ("depression-no-screen", ("DSF-E", "1"), ("CMS2", "1"), dep(lambda k: []), "no_evidence"),
    ("depression-screen-planned", ("DSF-E", "1"), ("CMS2", "1"),
     dep(lambda k: [_note(k, "will do PHQ-9", "depression_screening", status="planned")]), "only_ordered"),
    ("depression-positive-no-followup", ("DSF-E", "2"), ("CMS2", "1"),
     dep(lambda k: [_note(k, "PHQ-9 score 14", "depression_screening", event_date=date(2026, 2, 10),
                          value=PHQ14)]), "no_evidence"),
    ("tobacco-no-status", ("TSC", "1"), ("CMS138", "1"), tob(lambda k: []), "no_evidence"),
    ("tobacco-status-2024", ("TSC", "1"), ("CMS138", "1"),
     tob(lambda k: [_note(k, "never smoker", "tobacco_use", value="never", note_date=date(2024, 5, 5))]),
     "evidence_too_old"),
    ("smoker-no-help", ("TSC", "2"), ("CMS138", "2"),
     tob(lambda k: [_note(k, "Current smoker", "tobacco_use", value="current")]), "no_evidence"),
    ("smoker-declined-help", ("TSC", "2"), ("CMS138", "2"),
     tob(lambda k: [_note(k, "Current smoker", "tobacco_use", value="current"),
                    _note(k, "declines cessation counseling", "tobacco_cessation_counseling",
                          status="declined")]), "declined"),
]


@pytest.mark.parametrize(("hedis", "ecqm", "facts", "reason"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_same_facts_give_the_same_gap_reason(kit, hedis, ecqm, facts, reason) -> None:
    birth, sex, evidence, events, extra_types = facts
    out = kit.run([hedis[0], ecqm[0]], [kit.patient(P, birth, sex)], evidence(kit), events(kit),
                  _visits(kit, *extra_types))
    got = {}
    for measure, group in (hedis, ecqm):
        o = out[measure, P, group]
        assert o.populations.denom and o.gap_open, f"{measure}-{group}: {o.populations} gap={o.gap_open}"
        got[measure] = o.gap_reason.value
    assert got == {hedis[0]: reason, ecqm[0]: reason}
