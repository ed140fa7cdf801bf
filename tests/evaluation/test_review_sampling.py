"""Drawing the review sample and writing blinded worksheets and packets (no NLP: hand-built outcomes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.calculator import MeasureOutcome
from engine.populations import PopulationFlags
from engine.records import Evidence, Patient
from engine.run_data import RunData
from engine.spec import MeasurementPeriod, load_specs
from evaluation.reading_packet import write_reading_packet
from evaluation.sampling import MRRV_SIZE, allocate, draw_sample
from evaluation.worksheet_reader import read_worksheet
from evaluation.worksheets import ENGINE_COLUMNS, NoteInfo, review_elements, worksheet_rows, write_worksheet

SPECS = load_specs()
NUMER = PopulationFlags(ipp=True, denom=True, numer=True)
GAP = PopulationFlags(ipp=True, denom=True)
EXCL = PopulationFlags(ipp=True, denom=True, denex=True)


def _run(n_numer: int, n_gap: int, n_excl: int, structured_numer: int = 0, odd_id: str | None = None) -> RunData:
    outcomes, patients = [], {}
    specs = {"COL-E": SPECS["COL-E"]}
    kinds = [NUMER] * n_numer + [GAP] * n_gap + [EXCL] * n_excl + [NUMER] * structured_numer + [PopulationFlags()]
    for i, flags in enumerate(kinds):
        pid = odd_id if (odd_id and i == 0) else f"pt-{i:03d}"
        patients[pid] = Patient(patient_id=pid, birth_date=date(1960, 1, 1), sex="F")
        closed = "structured" if i >= n_numer + n_gap + n_excl and flags == NUMER else ("note" if flags.numer else "")
        outcomes.append(MeasureOutcome(patient_id=pid, measure_id="COL-E", group="1", populations=flags,
                                       measure_version="v", closed_by=closed))
    evidence = {"n1:0-11:colonoscopy": Evidence(
        evidence_id="n1:0-11:colonoscopy", note_id="n1", patient_id=outcomes[0].patient_id, element="colonoscopy",
        status="affirmed", start=0, end=11, span="Colonoscopy", event_date=date(2019, 3, 1), date_precision="month",
        note_date=date(2026, 2, 2), source="rule:colonoscopy.term")}
    return RunData(job="t", period=MeasurementPeriod.calendar_year(2026), specs=specs, patients=patients,
                   outcomes=outcomes, evidence=evidence)


def test_allocation_equal_and_proportional_by_hand() -> None:
    sizes = {"numerator": 20, "not_numerator": 50, "excluded": 2}
    # equal: 10 each, excluded holds 2, the 8 left split 4/4
    assert allocate(30, sizes, "equal") == {"numerator": 14, "not_numerator": 14, "excluded": 2}
    # proportional: quotas 8.33 / 20.83 / 0.83 -> floors 8/20/0, the two largest remainders get one each
    assert allocate(30, sizes, "proportional") == {"numerator": 8, "not_numerator": 21, "excluded": 1}
    assert allocate(100, sizes, "equal") == {"numerator": 20, "not_numerator": 50, "excluded": 2}
    assert allocate(5, {"numerator": 0, "not_numerator": 9, "excluded": 0}) == {
        "numerator": 0, "not_numerator": 5, "excluded": 0}


def test_sample_is_stratified_reproducible_and_prefix_stable(tmp_path: Path) -> None:
    run = _run(20, 50, 2)
    a = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=30, seed=7, oversample=0.2)
    b = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=30, seed=7, oversample=0.2)
    c = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=30, seed=8, oversample=0.2)
    (g,) = a.groups
    assert g.population == {"numerator": 20, "not_numerator": 50, "excluded": 2}
    assert g.drawn == {"numerator": 14, "not_numerator": 14, "excluded": 2}
    primary = [u for u in g.units if u.role == "primary"]
    over = [u for u in g.units if u.role == "oversample"]
    assert len(primary) == 30 and len(over) == 3 + 3  # ceil(20% of 14) per stratum; none left in excluded
    assert a.model_dump() == b.model_dump()
    assert [u.patient_id for u in c.groups[0].units] != [u.patient_id for u in g.units]
    small = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=15, seed=7).groups[0]
    for stratum in ("numerator", "not_numerator"):
        big_ids = [u.patient_id for u in g.units if u.stratum == stratum]
        small_ids = [u.patient_id for u in small.units if u.stratum == stratum]
        assert big_ids[:len(small_ids)] == small_ids  # a larger n keeps the smaller sample
    by = {u.patient_id: u.stratum for u in g.units}
    truth = {o.patient_id: ("numerator" if o.populations.numer else "excluded" if o.populations.denex
                            else "not_numerator") for o in run.outcomes if o.populations.denom}
    assert all(truth[p] == s for p, s in by.items())


def test_hedis_mrrv_draws_16_plus_16_compliant_records_closed_from_notes(tmp_path: Path) -> None:
    run = _run(40, 10, 3, structured_numer=30)
    (g,) = draw_sample(run, ["COL-E"], run_dir=tmp_path, seed=3, hedis_mrrv=True).groups
    first = [u for u in g.units if u.role == "mrrv-first"]
    second = [u for u in g.units if u.role == "mrrv-second"]
    assert len(first) == len(second) == MRRV_SIZE
    closed = {o.patient_id: o.closed_by for o in run.outcomes}
    assert all(closed[u.patient_id] == "note" for u in first + second)  # claims-closed records are not MRR
    assert not {u.patient_id for u in first} & {u.patient_id for u in second}


def test_blinded_worksheet_hides_the_engine_and_is_formula_safe(tmp_path: Path) -> None:
    run = _run(3, 3, 1, odd_id="=HYPERLINK(\"http://x\")")
    sample = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=7, seed=1)
    notes = {p: [NoteInfo(f"{p}-n1", p, date(2026, 2, 2), "Office Visit", "Annual",
                          "Colonoscopy 03/2019 <b>normal</b> & <script>alert(1)</script>")] for p in run.patients}
    rows = worksheet_rows(sample, "COL-E", run, notes, blinded=True)
    elements = review_elements(SPECS["COL-E"])
    assert {"colonoscopy", "fobt", "hospice", "palliative_care"} <= set(elements)
    assert len(rows) == 7 * len(elements)
    assert not any(k.startswith("engine_") for k in rows[0]) and "stratum" not in rows[0]
    paths = write_worksheet(tmp_path / "a", "COL-E", SPECS["COL-E"], rows, notes, blinded=True)
    again = write_worksheet(tmp_path / "b", "COL-E", SPECS["COL-E"], rows, notes, blinded=True)
    assert paths[0].read_bytes() == again[0].read_bytes()  # byte-identical XLSX
    wb = load_workbook(paths[0])
    ws = wb["Worksheet"]
    header = [c.value for c in ws[1]]
    assert not set(ENGINE_COLUMNS) & set(header)
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    col = {name: ws.cell(row=1, column=i + 1).column_letter for i, name in enumerate(header)}
    assert lists[col["found"]] == '"Y,N,n/a"' and "declined" in lists[col["status"]]
    cells = [c.value for c in ws[col["patient_id"]]]
    assert "'=HYPERLINK(\"http://x\")" in cells  # neutralised in the sheet ...
    got = read_worksheet(paths[0])
    assert ("COL-E", "=HYPERLINK(\"http://x\")") in got.unreviewed  # ... and read back as the id
    packet = write_reading_packet(tmp_path / "COL-E_notes.html", sample, "COL-E", run, notes, rows, blinded=True)
    html = packet.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<mark" not in html  # blinded: no engine spans


def test_unblinded_worksheet_and_packet_show_the_engine(tmp_path: Path) -> None:
    run = _run(3, 3, 1)
    sample = draw_sample(run, ["COL-E"], run_dir=tmp_path, n=7, seed=1, blinded=False)
    pid = run.outcomes[0].patient_id
    notes = {pid: [NoteInfo("n1", pid, date(2026, 2, 2), "", "", "Colonoscopy 03/2019, normal.")]}
    rows = worksheet_rows(sample, "COL-E", run, notes, blinded=False)
    row = next(r for r in rows if r["patient_id"] == pid and r["element"] == "colonoscopy")
    assert (row["engine_found"], row["engine_dates"], row["engine_note_ids"]) == ("Y", "2019-03", "n1")
    assert row["engine_outcome"] == "COL-E: numerator met (gap closed)"
    html = write_reading_packet(tmp_path / "p.html", sample, "COL-E", run, notes, rows, blinded=False).read_text()
    assert '<mark title="colonoscopy: affirmed (rule:colonoscopy.term)">Colonoscopy</mark>' in html


@pytest.mark.parametrize("bad", [1.5, -0.1])
def test_bad_oversample_is_a_user_error(tmp_path: Path, bad: float) -> None:
    from engine.errors import InputError

    with pytest.raises(InputError, match="--oversample"):
        draw_sample(_run(2, 2, 0), ["COL-E"], run_dir=tmp_path, oversample=bad)
