"""care_gaps/<clinic>.csv gives clinics and auditors the patient, measure, reason, action and
the deciding evidence (note id, dates, status, quoted span, source); flagged closed rows are
kept as review rows; care_gaps/summary.csv counts clinic x measure; output is deterministic."""

import csv
import json
from datetime import date
from pathlib import Path

from engine.calculator import calculate
from engine.care_gaps import CARE_GAP_COLUMNS, CARE_GAP_SUMMARY_COLUMNS, clinic_file_names
from engine.report import write_reports
from engine.spec import resolve_measures
from engine.structured import events_to_evidence

GI = ('GI f/u 2/2/26: pt declines colonoscopy, "I\'m not doing that prep again" | prefers FIT;\n'
      'will mail kit.\n')
SMOKER = "Social Hx: Smokes 1 ppd, x30 yrs.\nA/P: tobacco - not ready to quit.\n"
TCM = "TCM visit. Discharge meds reconciled with current list, 2 changes.\n"
HTN = "A/P: Essential hypertension, controlled. BP 132/78.\n"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _quotes(cell: str) -> list[str]:
    """Decode the JSON-quoted spans of an evidence_quotes cell."""
    dec, out, i = json.JSONDecoder(), [], 0
    while i < len(cell):
        value, i = dec.raw_decode(cell, i)
        out.append(value)
        i += len(" | ") if cell.startswith(" | ", i) else 0
    return out


def _scenario(kit):
    pts = [kit.patient("p-gi", date(1961, 4, 4), clinic="north"),
           kit.patient("p-tob", date(1980, 8, 8), "M", clinic="north"),
           kit.patient("p-tcm", date(1950, 2, 2), clinic="south")]
    span = 'declines colonoscopy, "I\'m not doing that prep again" | prefers FIT;\nwill mail kit'
    ev = [kit.note_ev("p-gi", "gi-7", GI, span, "colonoscopy", status="declined",
                      note_date=date(2026, 2, 2)),
          kit.note_ev("p-tob", "pc-3", SMOKER, "Smokes 1 ppd", "tobacco_use", value="current",
                      note_date=date(2026, 5, 6)),
          kit.note_ev("p-tcm", "tcm-1", TCM, "Discharge meds reconciled", "medication_reconciliation",
                      note_date=date(2026, 6, 10)),
          # hypertension known only from a note: CBP closed, flagged denominator_from_notes (a review row)
          kit.note_ev("p-tcm", "htn-1", HTN, "Essential hypertension", "hypertension", note_date=date(2026, 3, 3)),
          kit.note_ev("p-tcm", "htn-1", HTN, "BP 132/78", "blood_pressure", note_date=date(2026, 3, 3),
                      value={"systolic": 132, "diastolic": 78})]
    encs = [kit.encounter("p-tcm", "adm-1", date(2026, 2, 1), date(2026, 2, 3), "inpatient"),
            kit.encounter("p-tcm", "adm-2", date(2026, 6, 1), date(2026, 6, 5), "inpatient")]
    return pts, ev, encs, span


def _write(kit, tmp: Path, reverse: bool = False) -> dict:
    pts, ev, encs, _ = _scenario(kit)
    if reverse:
        pts, ev, encs = pts[::-1], ev[::-1], encs[::-1]
    specs = resolve_measures(["CBP", "COL-E", "TSC", "TRC-MRP"], kit.SPECS)
    outcomes = calculate(specs, pts, ev, encs, kit.MP)
    return write_reports(outcomes, pts, ev, tmp)


def test_open_gap_rows_carry_measure_reason_action_and_the_words(kit, tmp_path: Path) -> None:
    summary = _write(kit, tmp_path)
    rows = _read(tmp_path / "care_gaps" / "north.csv")
    assert list(rows[0]) == list(CARE_GAP_COLUMNS)
    gi = next(r for r in rows if r["patient_id"] == "p-gi" and r["measure_id"] == "COL-E")
    assert gi["row_type"] == "open_gap" and gi["measure_title"] == "Colorectal Cancer Screening"
    assert gi["gap_reason"] == "declined" and "declined" in gi["gap_reason_text"]
    assert gi["gap_action"] == kit.SPECS["COL-E"].gap_actions[gi["gap_reason"]]
    assert (gi["note_ids"], gi["note_dates"], gi["event_dates"], gi["statuses"], gi["sources"]) == (
        "gi-7", "2026-02-02", "n/a", "declined", "rule:test")
    # quotes, '|', ';' and a line break inside the span survive the CSV and the list encoding
    assert _quotes(gi["evidence_quotes"]) == [_scenario(kit)[3]]
    assert gi["evidence_count"] == "1" and gi["stratum"] == "50-75"
    # north: p-gi COL-E + TSC rates 1, 3; p-tob COL-E + TSC rates 2, 3; south: p-tcm TSC rates 1, 3 and
    # the February discharge (TRC counts each discharge; the June one was reconciled)
    assert summary["care_gap_files"] == {"north": 6, "south": 3}


def test_no_evidence_gap_shows_what_made_the_patient_a_user(kit, tmp_path: Path) -> None:
    _write(kit, tmp_path)
    rows = _read(tmp_path / "care_gaps" / "north.csv")
    tob = next(r for r in rows if r["patient_id"] == "p-tob" and r["group"] == "3")
    assert tob["gap_reason"] == "no_evidence" and tob["group_title"].startswith("screened")
    assert _quotes(tob["evidence_quotes"]) == ["Smokes 1 ppd"] and tob["note_ids"] == "pc-3"
    assert not any(r["patient_id"] == "p-tob" and r["measure_id"] == "TSC" and r["group"] == "1"
                   for r in rows)  # screened: rate 1 is closed


def test_closed_but_flagged_outcomes_are_review_rows(kit, tmp_path: Path) -> None:
    _write(kit, tmp_path)
    rows = _read(tmp_path / "care_gaps" / "south.csv")
    (cbp,) = [r for r in rows if r["measure_id"] == "CBP"]
    assert cbp["row_type"] == "review" and cbp["gap_reason"] == "" and cbp["closed_by"] == "note"
    assert cbp["review_flags"] == "denominator_from_notes"
    assert _quotes(cbp["evidence_quotes"]) == ["BP 132/78"]
    trc = {r["episode"]: r for r in rows if r["measure_id"] == "TRC-MRP"}
    assert list(trc) == ["adm-1"] and trc["adm-1"]["row_type"] == "open_gap"  # one row per discharge


def test_summary_csv_counts_clinic_by_measure(kit, tmp_path: Path) -> None:
    _write(kit, tmp_path)
    rows = _read(tmp_path / "care_gaps" / "summary.csv")
    assert list(rows[0]) == list(CARE_GAP_SUMMARY_COLUMNS)
    keys = [(r["clinic_id"], r["measure_id"], r["group"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 2 * (1 + 1 + 3 + 1)
    by = dict(zip(keys, rows, strict=True))
    col = by["north", "COL-E", "1"]
    assert (col["patients"], col["denom"], col["numer"], col["open_gaps"], col["gaps_declined"],
            col["gaps_no_evidence"], col["rate"]) == ("2", "2", "0", "2", "1", "1", "0.0000")
    tsc3 = by["north", "TSC", "3"]
    assert (tsc3["denom"], tsc3["gaps_no_evidence"], tsc3["gaps_declined"]) == ("2", "2", "0")
    trc = by["south", "TRC-MRP", "1"]  # two discharges of one patient
    assert (trc["patients"], trc["denom"], trc["numer"], trc["rate"], trc["open_gaps"]) == (
        "1", "2", "1", "0.5000", "1")
    assert by["south", "CBP", "1"]["review_rows"] == "1"
    assert by["south", "COL-E", "1"]["rate"] == ""  # no one eligible


def test_reports_are_byte_identical_whatever_the_input_order(kit, tmp_path: Path) -> None:
    _write(kit, tmp_path / "a")
    _write(kit, tmp_path / "b", reverse=True)
    for name in ("north.csv", "south.csv", "summary.csv"):
        assert (tmp_path / "a/care_gaps" / name).read_bytes() == \
            (tmp_path / "b/care_gaps" / name).read_bytes(), name


def test_clinic_file_names_never_clash() -> None:
    names = clinic_file_names(["a/b", "a_b", "summary", "Clinic 7", "..", "unassigned"])
    assert len(set(names.values())) == 6
    assert names["a_b"] == "a_b" and names["a/b"].startswith("a_b-")  # a clean id keeps its name
    assert names["summary"].startswith("summary-") and names["Clinic 7"] == "Clinic_7"
    assert names["unassigned"] == "unassigned" and names[".."] == "clinic"


def test_structured_evidence_is_quoted_as_its_source(kit, tmp_path: Path) -> None:
    pts = [kit.patient("s", date(1960, 1, 1), clinic="west")]
    ev = events_to_evidence([kit.event("s", "colonoscopy", date(2012, 5, 5))])
    outcomes = calculate(resolve_measures(["COL-E"], kit.SPECS), pts, ev, [], kit.MP)
    write_reports(outcomes, pts, ev, tmp_path)
    (row,) = _read(tmp_path / "care_gaps" / "west.csv")
    assert row["gap_reason"] == "evidence_too_old" and row["event_dates"] == "2012-05-05"
    assert row["evidence_quotes"] == "[structured fhir:Procedure]" and row["note_ids"] == "n/a"
