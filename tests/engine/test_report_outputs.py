"""outcomes.csv columns and order, per-clinic care-gap files quoting the words, summary counts."""

import csv
from datetime import date
from pathlib import Path

from engine.calculator import calculate
from engine.catalogue import catalogue_rows, describe
from engine.report import OUTCOME_COLUMNS, write_reports
from engine.spec import resolve_measures
from engine.structured import events_to_evidence

CONSULT = "GI consult. Patient declines colonoscopy at this time, prefers to think about it.\n"


def test_reports_columns_gaps_and_summary(kit, tmp_path: Path) -> None:
    pts = [kit.patient("p2", date(1960, 1, 1), clinic="north"),
           kit.patient("p1", date(1960, 1, 1), clinic=None),
           kit.patient("kid", date(2015, 1, 1), clinic="north")]
    decline = kit.note_ev("p2", "gi-1", CONSULT, "declines colonoscopy", "colonoscopy",
                          status="declined", note_date=date(2026, 2, 2))
    structured = events_to_evidence([kit.event("p1", "fobt", date(2026, 3, 3), value="negative",
                                               source="fhir:Observation")])
    specs = resolve_measures(["COL-E", "TSC"], kit.SPECS)
    evidence = [decline, *structured]
    outcomes = calculate(specs, pts, evidence, [], kit.MP)
    summary = write_reports(outcomes, pts, evidence, tmp_path)

    with (tmp_path / "outcomes.csv").open() as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames) == OUTCOME_COLUMNS
    assert len(rows) == 3 * (1 + 3)  # every patient x measure x group, zeros outside the IPP
    keys = [(r["measure_id"], r["patient_id"], r["group"]) for r in rows]
    assert keys == sorted(keys)
    kid = next(r for r in rows if r["patient_id"] == "kid" and r["measure_id"] == "COL-E")
    assert [kid[c] for c in ("ipp", "denom", "numer", "gap_open")] == ["0", "0", "0", "0"]
    p1 = next(r for r in rows if r["patient_id"] == "p1" and r["measure_id"] == "COL-E")
    assert p1["numer"] == "1" and p1["closed_by"] == "structured"

    with (tmp_path / "care_gaps" / "north.csv").open() as fh:
        north = [r for r in csv.DictReader(fh) if r["measure_id"] == "COL-E"]
    assert north[0]["gap_reason"] == "declined"
    assert north[0]["note_ids"] == "gi-1" and north[0]["evidence_quotes"] == '"declines colonoscopy"'
    assert north[0]["note_dates"] == "2026-02-02" and north[0]["event_dates"] == "n/a"
    assert north[0]["statuses"] == "declined" and north[0]["sources"] == "rule:test"
    assert (tmp_path / "care_gaps" / "unassigned.csv").exists()

    col = summary["measures"]["COL-E"]
    assert (col["ipp"], col["denom"], col["numer"], col["rate"]) == (2, 2, 1, 0.5)
    assert col["gaps_by_reason"] == {"declined": 1}
    assert set(summary["measures"]) == {"COL-E", "TSC-1", "TSC-2", "TSC-3"}


def test_outputs_are_deterministic_whatever_the_input_order(kit, tmp_path: Path) -> None:
    pts = [kit.patient(f"p{i}", date(1960 + i, 1, 1)) for i in range(4)]
    events = [kit.event(f"p{i}", "colonoscopy", date(2020 + i, 5, 5)) for i in range(4)]
    specs = resolve_measures(["COL-E", "CBP"], kit.SPECS)
    a = calculate(specs, pts, events_to_evidence(events), [], kit.MP)
    b = calculate(specs, pts[::-1], events_to_evidence(events[::-1]), [], kit.MP)
    assert a == b
    write_reports(a, pts, events_to_evidence(events), tmp_path / "a")
    write_reports(b, pts[::-1], events_to_evidence(events[::-1]), tmp_path / "b")
    assert (tmp_path / "a/outcomes.csv").read_bytes() == (tmp_path / "b/outcomes.csv").read_bytes()


def test_structured_evidence_ids_are_content_based(kit) -> None:
    events = [kit.event("p", "mammogram", date(2025, 1, 1)), kit.event("p", "fobt", date(2026, 1, 1))]
    first = events_to_evidence(events)
    again = events_to_evidence(events[::-1])
    assert [e.evidence_id for e in first] == [e.evidence_id for e in again]
    assert all(e.origin == "structured" and e.status == "affirmed" for e in first)
    assert first[0].evidence_id.startswith("fhir:Procedure:p:")


def test_catalogue_and_description_speak_plain_language(kit) -> None:
    rows = {r["id"]: r for r in catalogue_rows(kit.SPECS)}
    assert rows["GSD-POOR"]["inverse"] is True and rows["TSC"]["groups"] == 3
    text = describe(kit.SPECS["COL-E"])
    assert "aged 46-75 at the end of the measurement period" in text
    assert "colonoscopy in the MP or the 9 years before" in text
    assert "flagged for chart review" in text
    assert "Inverse measure" in describe(kit.SPECS["GSD-POOR"])
