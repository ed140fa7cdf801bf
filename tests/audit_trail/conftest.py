"""The demo job, run once per test session in-process (no Ray), loaded back from its run folder:
what the HTML audit and FHIR writers read in production (``qae report --run DIR``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.run_data import RunData

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qae.config import load_config
    from qae.job import run_job

    cfg = load_config(ROOT / "configs" / "demo.yaml")
    out = tmp_path_factory.mktemp("demo-run") / "demo"
    run_job(cfg.model_copy(update={"output": out}), use_ray=False)
    return out


@pytest.fixture(scope="session")
def demo_run(demo_run_dir: Path) -> RunData:
    from qae.run_folder import load_run

    return load_run(demo_run_dir)


@pytest.fixture()
def small_run() -> RunData:
    """Three patients in two clinics, hand-built: a closed COL-E (a colonoscopy dated by year only),
    a closed COL-E by a FIT that stops counting at the end of the MP, an open COL-E with a declined
    colonoscopy that came close, an excluded BCS-E (structured), an inverse GSD-POOR not controlled."""
    from datetime import date

    from engine.calculator import MeasureOutcome
    from engine.gaps import GapReason
    from engine.periods import MeasurementPeriod
    from engine.populations import PopulationFlags
    from engine.records import Evidence, Patient
    from engine.spec import load_specs

    notes = {
        "n-a": "HM:\n- Colonoscopy 2018, normal, repeat 10 yrs\n- BP 128/76",
        "n-b": "Stool test: FIT negative 04/2026 (mailed kit). A1c 9.6 % today → uncontrolled.",
        "n-c": "Discussed CRC screening. Pt <b>declines</b> colonoscopy & FIT again; says \"maybe next year\".",
    }

    def note_ev(note: str, patient: str, span: str, element: str, status: str = "affirmed", **kw: object) -> Evidence:
        text = notes[note]
        start = text.index(span)
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        context = text[line_start:line_end if line_end != -1 else len(text)]
        return Evidence(evidence_id=f"{note}:{start}-{start + len(span)}:{element}", note_id=note, patient_id=patient,
                        element=element, status=status, start=start, end=start + len(span), span=span,
                        context=context, context_start=line_start, section="health_maintenance",
                        note_date=date(2026, 4, 20), source=f"rule:{element}.term", **kw)

    colo = note_ev("n-a", "pa", "Colonoscopy", "colonoscopy", event_date=date(2018, 1, 1), date_precision="year")
    fit = note_ev("n-b", "pb", "FIT negative", "fobt", event_date=date(2026, 4, 1), date_precision="month")
    a1c = note_ev("n-b", "pb", "A1c 9.6", "hba1c", event_date=date(2026, 4, 20), date_precision="day", value=9.6)
    declined = note_ev("n-c", "pc", "colonoscopy", "colonoscopy", status="declined")
    mastectomy = Evidence(evidence_id="fhir:Procedure:pc:1", note_id=None, patient_id="pc",
                          element="bilateral_mastectomy", status="affirmed", event_date=date(2019, 5, 2),
                          date_precision="day", source="fhir:Procedure", origin="structured", code="0HTV0ZZ",
                          code_system="ICD10PCS")
    patients = {
        "pa": Patient(patient_id="pa", birth_date=date(1960, 2, 1), sex="M", clinic_id="clinic-north",
                      provider_id="dr-lin"),
        "pb": Patient(patient_id="pb", birth_date=date(1958, 7, 9), sex="F", clinic_id="clinic-north",
                      provider_id="dr-lin"),
        "pc": Patient(patient_id="pc", birth_date=date(1962, 3, 3), sex="F", clinic_id="east <side>",
                      provider_id="dr-bo"),
    }
    specs = load_specs()
    full = PopulationFlags(ipp=True, denom=True, numer=True)

    def out(pid: str, mid: str, flags: PopulationFlags, **kw: object) -> MeasureOutcome:
        spec = specs[mid]
        return MeasureOutcome(patient_id=pid, measure_id=mid, group="1", populations=flags,
                              measure_version=spec.version, measure_title=spec.title, inverse=spec.inverse, **kw)

    outcomes = [
        out("pa", "COL-E", full, closed_by="note", numer_evidence_ids=(colo.evidence_id,),
            valid_through=date(2027, 12, 31)),
        out("pb", "COL-E", full, closed_by="note", numer_evidence_ids=(fit.evidence_id,),
            valid_through=date(2026, 12, 31), prospective_gap=True),
        out("pc", "COL-E", PopulationFlags(ipp=True, denom=True), gap_open=True, gap_reason=GapReason.DECLINED,
            gap_action="Revisit shared decision-making", gap_evidence_ids=(declined.evidence_id,),
            due_date=date(2026, 12, 31)),
        out("pc", "BCS-E", PopulationFlags(ipp=True, denom=True, denex=True), closed_by="structured",
            denex_evidence_ids=(mastectomy.evidence_id,)),
        out("pb", "GSD-POOR", full, gap_open=True, gap_reason=GapReason.NOT_CONTROLLED,
            gap_action="Schedule follow-up", numer_evidence_ids=(a1c.evidence_id,),
            gap_evidence_ids=(a1c.evidence_id,)),
        out("pa", "GSD-POOR", PopulationFlags()),
    ]
    evidence = {e.evidence_id: e for e in (colo, fit, a1c, declined, mastectomy)}
    return RunData(job="small", period=MeasurementPeriod.calendar_year(2026),
                   specs={m: specs[m] for m in ("COL-E", "BCS-E", "GSD-POOR")}, patients=patients,
                   outcomes=sorted(outcomes, key=lambda o: (o.measure_id, o.patient_id)), evidence=evidence,
                   versions={"pipeline": "test", "config": "abc"})
