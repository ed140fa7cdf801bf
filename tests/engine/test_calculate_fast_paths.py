"""engine.calculator's fast paths give what the plain evaluation gives.

``calculate`` decides "outside the initial population" before any evidence logic when the spec's age
band or sex rules the patient out, or when the IPP needs a visit of a kind the patient never had
(``encounters_needed``); it shares one PatientContext between specs of the same undated policy and
statuses, and builds outcomes without the frozen dataclass's ``__init__``. Each test compares with the
reference path: a context per spec and ``_evaluate_group`` for every group.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.calculator import (
    MeasureOutcome,
    _evaluate_group,
    _outcome,
    _outside,
    calculate,
    encounters_needed,
)
from engine.criteria import PatientContext, parse_criterion
from engine.episodes import find_episodes
from engine.options import DEFAULT_OPTIONS
from engine.populations import PopulationFlags
from engine.records import evidence_sort_key

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (ROOT.parent / "shared" / "data" / "ecqm-tests", Path("/work/shared/data/ecqm-tests"))
DECK = next((p for p in CANDIDATES if (p / "patients.csv").is_file()), None)


def reference(specs, patients, evidence, encounters, period):  # noqa: ANN001, ANN201
    """The plain path: every spec and group evaluated for every patient (as before the fast paths)."""
    from collections import defaultdict

    by_patient = defaultdict(lambda: defaultdict(list))
    origins, disputed = {}, set()
    for ev in evidence:
        by_patient[ev.patient_id][ev.element].append(ev)
        origins[ev.evidence_id] = ev.origin
        if "readers_disagree" in ev.review_flags:
            disputed.add(ev.evidence_id)
    enc_by = defaultdict(list)
    for enc in encounters:
        enc_by[enc.patient_id].append(enc)
    out = []
    for patient in sorted(patients, key=lambda p: p.patient_id):
        elements = {k: tuple(sorted(v, key=lambda e: e.evidence_id))
                    for k, v in by_patient.get(patient.patient_id, {}).items()}
        encs = tuple(sorted(enc_by.get(patient.patient_id, ()), key=lambda e: (e.start_date, e.encounter_id)))
        for spec in sorted(specs, key=lambda s: s.id):
            ctx = PatientContext(patient, period, elements, encs, spec.undated_policy,
                                 frozenset(spec.count_statuses), options=DEFAULT_OPTIONS)
            if spec.episode is None:
                out.extend(_evaluate_group(spec, g, ctx, origins, disputed=frozenset(disputed)) for g in spec.groups)
                continue
            episodes = find_episodes(spec.episode, ctx)
            if not episodes:
                out.extend(_outside(spec, g, patient) for g in spec.groups)
            for episode in episodes:
                out.extend(_evaluate_group(spec, g, ctx.with_episode(episode), origins, disputed=frozenset(disputed))
                           for g in spec.groups)
    out.sort(key=lambda o: (o.measure_id, o.patient_id, o.group, o.episode))
    return out


def _same(fast: list[MeasureOutcome], ref: list[MeasureOutcome]) -> None:
    assert len(fast) == len(ref)
    for a, b in zip(fast, ref, strict=True):
        assert a == b
        assert list(a.__dict__) == list(b.__dict__)  # the same fields in the same order (pickles, repr)
        assert repr(a) == repr(b)


def _clinic_patients(kit):  # noqa: ANN001, ANN202
    """Patients on the edges of the age bands (birthdays on the MP's first and last day, a leap day),
    of every sex, with note evidence, structured events and visits of several kinds."""
    p = kit.patient
    patients = [
        p("edge-18-end", date(2008, 12, 31), "M"), p("edge-18-start", date(2008, 1, 1), "F"),
        p("leap", date(1960, 2, 29), "F"), p("old", date(1938, 6, 2), "M"), p("teen", date(2013, 1, 1), "U"),
        p("mid", date(1971, 5, 20), "F"), p("diab", date(1966, 9, 9), "M"), p("none", date(1980, 3, 3), "U"),
        p("exact-75", date(1951, 12, 31), "F"), p("exact-46", date(1980, 12, 31), "M"),
    ]
    text = ("Colonoscopy done 03/2021, no polyps. Former smoker, quit 2015. A1c 7.2% today. "
            "BP 128/76 in clinic. Patient declines the flu shot this year.")
    ev = [
        kit.note_ev("mid", "n1", text, "Colonoscopy", "colonoscopy", event_date=date(2021, 3, 1), precision="month"),
        kit.note_ev("mid", "n1", text, "Former smoker", "tobacco_use", value="former"),
        kit.note_ev("diab", "n2", text, "A1c 7.2%", "hba1c", event_date=date(2026, 3, 10), value=7.2),
        kit.note_ev("diab", "n2", text, "BP 128/76", "blood_pressure", event_date=date(2026, 3, 10),
                    value={"systolic": 128, "diastolic": 76}),
        kit.note_ev("old", "n3", text, "declines the flu shot", "influenza_vaccine", status="declined"),
    ]
    from engine.structured import events_to_evidence

    ev += events_to_evidence([
        kit.event("diab", "diabetes", date(2024, 2, 1), end=None, source="fhir:Condition"),
        kit.event("edge-18-end", "hypertension", date(2025, 11, 1), end=None, source="fhir:Condition"),
    ])
    enc = [
        kit.encounter("diab", "e1", date(2026, 4, 2), None, "office_visit"),
        kit.encounter("edge-18-end", "e2", date(2026, 5, 5), None, "office_visit"),
        kit.encounter("edge-18-end", "e3", date(2026, 8, 5), None, "telephone_visit"),
        kit.encounter("mid", "e4", date(2026, 2, 1), None, "preventive_established_18_up"),
        kit.encounter("old", "e5", date(2026, 6, 1), date(2026, 6, 4), "inpatient"),
        kit.encounter("teen", "e6", date(2026, 7, 1), None, "preventive_established_0_17"),
    ]
    return patients, sorted(ev, key=evidence_sort_key), enc


def test_fast_paths_equal_the_reference_on_clinic_patients(kit):
    patients, evidence, encounters = _clinic_patients(kit)
    specs = list(kit.SPECS.values())
    fast = calculate(specs, patients, evidence, encounters, kit.MP)
    ref = reference(specs, patients, evidence, encounters, kit.MP)
    _same(fast, ref)
    # the fast paths ran: patients outside the band, and IPPs asking for a visit the patient lacks
    assert any(not o.populations.ipp for o in fast) and any(o.populations.ipp for o in fast)


@pytest.mark.skipif(DECK is None, reason="shared eCQM deck not found")
def test_fast_paths_equal_the_reference_on_the_ecqm_deck(kit):
    from engine.structured import events_to_evidence
    from qae.inputs import read_encounters, read_events, read_patients

    patients = read_patients(DECK / "patients.csv").records
    events = read_events(DECK / "events.csv").records if (DECK / "events.csv").is_file() else []
    encounters = read_encounters(DECK / "encounters.csv").records
    evidence = sorted(events_to_evidence(events), key=evidence_sort_key)
    assert patients and encounters
    specs = list(kit.SPECS.values())
    _same(calculate(specs, patients, evidence, encounters, kit.MP),
          reference(specs, patients, evidence, encounters, kit.MP))


def test_encounters_needed_is_a_necessary_condition_only():
    visit = {"rule": "qm.encounter.v1", "types": ["office_visit"]}
    phone = {"rule": "qm.encounter.v1", "types": ["telephone_visit"], "min_count": 2}
    diabetes = {"elements": ["diabetes"]}
    assert encounters_needed(None) == ()
    assert encounters_needed(parse_criterion(visit)) == (frozenset({"office_visit"}),)
    assert encounters_needed(parse_criterion({"all": [diabetes, visit, phone]})) == (
        frozenset({"office_visit"}), frozenset({"telephone_visit"}))
    assert encounters_needed(parse_criterion({"any": [visit, phone]})) == (
        frozenset({"office_visit", "telephone_visit"}),)
    assert encounters_needed(parse_criterion({"any": [visit, diabetes]})) == ()  # met by a diagnosis alone
    assert encounters_needed(parse_criterion({"not": visit})) == ()  # met without any visit


def test_outcome_builder_equals_the_dataclass():
    kw = dict(patient_id="p-1", measure_id="COL-E", group="1", populations=PopulationFlags(ipp=True),
              measure_version="HEDIS-MY2026.1", gap_open=True, gap_action="Order a FIT",
              numer_evidence_ids=("n1:0-11:colonoscopy",), due_date=date(2026, 12, 31))
    a, b = _outcome(dict(kw)), MeasureOutcome(**kw)
    assert a == b and repr(a) == repr(b) and list(a.__dict__) == list(b.__dict__)
    assert a.extra == {} and a.extra is not _outcome(dict(kw)).extra  # a dict of its own
    with pytest.raises(KeyError):
        _outcome({"patient_id": "p-1"})  # a field without a default is required


def _crowd(kit):  # noqa: ANN001, ANN202
    """A clinic's panel: most patients have no evidence of most measures (ages across every band, birthdays
    on the MP's edges and a leap day, each sex), a few have notes or structured events of some elements."""
    p = kit.patient
    patients = []
    for year in range(1936, 2024, 3):
        for month, day in ((1, 1), (2, 29) if year % 4 == 0 else (2, 28), (7, 15), (12, 31)):
            for sex in ("F", "M", "U"):
                patients.append(p(f"p{year}-{month:02d}{day:02d}-{sex}", date(year, month, day), sex))
    text = ("Screening colonoscopy in 2019 was normal. She still smokes half a pack a day. "
            "Mammogram done 11/2025, benign. Declines the shingles vaccine again today.")
    ev = [
        kit.note_ev("p1960-0229-F", "w1", text, "colonoscopy in 2019", "colonoscopy",
                    event_date=date(2019, 1, 1), precision="year"),
        kit.note_ev("p1960-0229-F", "w1", text, "still smokes", "tobacco_use", value="current"),
        kit.note_ev("p1969-0715-F", "w2", text, "Mammogram done 11/2025", "mammogram",
                    event_date=date(2025, 11, 1), precision="month"),
        kit.note_ev("p1951-1231-M", "w3", text, "Declines the shingles vaccine", "zoster_vaccine", status="declined"),
    ]
    from engine.structured import events_to_evidence

    ev += events_to_evidence([
        kit.event("p1966-0101-M", "diabetes", date(2023, 5, 2), end=None, source="fhir:Condition"),
        kit.event("p1948-0228-F", "hospice", date(2026, 2, 1), end=None, source="fhir:Procedure"),
    ])
    enc = [kit.encounter("p1975-0101-U", "v1", date(2026, 4, 2), None, "office_visit")]
    return patients, sorted(ev, key=evidence_sort_key), enc


def test_memo_equals_the_reference_on_a_clinic_panel(kit, monkeypatch):
    import engine.calculator as calculator

    made = []

    class Counted(calculator._Memo):
        def __init__(self, *args):  # noqa: ANN002
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(calculator, "_Memo", Counted)
    patients, evidence, encounters = _crowd(kit)
    specs = list(kit.SPECS.values())
    fast = calculate(specs, patients, evidence, encounters, kit.MP)
    assert sum(m.reused for m in made) > len(patients)  # outcomes were reused, not only evaluated
    _same(fast, reference(specs, patients, evidence, encounters, kit.MP))
    _same(fast, calculate(specs, patients, evidence, encounters, kit.MP, memo=False))
    # the memo's outcomes are the patients' own: ids, strata, due dates by birthday (zoster at 50)
    for a, b in zip(fast, calculate(specs, patients, evidence, encounters, kit.MP, memo=False), strict=True):
        assert a.patient_id == b.patient_id and a.extra == {} and a.extra is not b.extra


def test_memo_tree_keeps_apart_patients_whose_reads_differ(kit):
    """Two patients the criteria read differently (a birthday a day apart across the band's edge; an
    element one of them has) never share an outcome."""
    p = kit.patient
    inside, outside = p("turns-50", date(1976, 12, 31), "F"), p("turns-50-next-year", date(1977, 1, 1), "F")
    text = "Cologuard 2024 negative per outside records."
    ev = [kit.note_ev("turns-50", "n9", text, "Cologuard 2024", "stool_dna", event_date=date(2024, 1, 1),
                      precision="year")]
    specs = [kit.SPECS["COL-E"], kit.SPECS["AIS-E"]]
    for order in ([inside, outside], [outside, inside]):
        _same(calculate(specs, order, ev, [], kit.MP),
              calculate(specs, order, ev, [], kit.MP, memo=False))
