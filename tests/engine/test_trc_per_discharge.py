"""HEDIS TRC is counted per discharge (an episode-of-care measure, as in fqm-execution): one outcome row
per discharge January 1 - December 1, with its ``episode`` id; a readmission or direct transfer within
30 days collapses into the last discharge of the chain; members who died are excluded."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

MEDREC = "Post-discharge visit: discharge medications reconciled with the home list.\n"
BORN = date(1950, 5, 5)


def _stay(kit, pid: str, eid: str, start: date, end: date):
    return kit.encounter(pid, eid, start, end, "inpatient")


def _medrec(kit, pid: str, day: date):
    return kit.note_ev(pid, f"m-{pid}-{day}", MEDREC, "discharge medications reconciled",
                       "medication_reconciliation", note_date=day)


def _run(kit, patients, evidence=(), events=(), encounters=()):
    from engine.calculator import calculate
    from engine.spec import resolve_measures
    from engine.structured import events_to_evidence

    specs = resolve_measures(["TRC-MRP"], kit.SPECS)
    return calculate(specs, patients, list(evidence) + events_to_evidence(events), list(encounters), kit.MP)


def test_each_discharge_is_its_own_row(kit) -> None:
    stays = [_stay(kit, "t", "ip1", date(2026, 3, 1), date(2026, 3, 5)),
             _stay(kit, "t", "ip2", date(2026, 8, 10), date(2026, 8, 14))]
    out = _run(kit, [kit.patient("t", BORN)], [_medrec(kit, "t", date(2026, 3, 20))], encounters=stays)
    rows = {o.episode: o for o in out}
    assert set(rows) == {"ip1", "ip2"}
    assert rows["ip1"].populations.numer and rows["ip1"].closed_by == "note"
    assert rows["ip2"].gap_open and rows["ip2"].gap_reason.value == "evidence_too_old"


@pytest.mark.parametrize(("second_start", "episodes"), [
    (date(2026, 4, 20), ["ip2"]),   # readmitted 15 days after discharge: the chain's last discharge counts
    (date(2026, 4, 5), ["ip2"]),    # direct transfer on the discharge day
    (date(2026, 5, 5), ["ip2"]),    # day 30
    (date(2026, 5, 6), ["ip1", "ip2"]),  # day 31: two episodes
])
def test_readmission_or_transfer_within_30_days_collapses(kit, second_start, episodes) -> None:
    stays = [_stay(kit, "r", "ip1", date(2026, 4, 1), date(2026, 4, 5)),
             _stay(kit, "r", "ip2", second_start, second_start.replace(day=min(second_start.day + 4, 28)))]
    out = _run(kit, [kit.patient("r", BORN)], encounters=stays)
    assert sorted(o.episode for o in out) == episodes


def test_reconciliation_after_the_first_discharge_does_not_cover_the_readmission(kit) -> None:
    stays = [_stay(kit, "c", "ip1", date(2026, 4, 1), date(2026, 4, 5)),
             _stay(kit, "c", "ip2", date(2026, 4, 20), date(2026, 4, 25))]
    out = _run(kit, [kit.patient("c", BORN)], [_medrec(kit, "c", date(2026, 4, 10))], encounters=stays)
    (o,) = out
    assert o.episode == "ip2" and o.gap_open


def test_discharge_window_is_january_1_to_december_1(kit) -> None:
    stays = [_stay(kit, "w", "dec", date(2025, 12, 20), date(2025, 12, 28)),      # before the MP
             _stay(kit, "w", "jan", date(2026, 1, 10), date(2026, 1, 12)),        # readmitted: chain ends Jan 12
             _stay(kit, "w", "nov", date(2026, 11, 20), date(2026, 11, 25)),
             _stay(kit, "w", "dec2", date(2026, 12, 5), date(2026, 12, 8))]      # chain ends after Dec 1
    out = _run(kit, [kit.patient("w", BORN)], encounters=stays)
    assert [o.episode for o in out] == ["jan"]


def test_no_discharge_is_one_row_outside_the_population(kit) -> None:
    (o,) = _run(kit, [kit.patient("n", BORN)])
    assert o.episode == "" and not o.populations.ipp


def test_members_who_died_are_excluded_for_every_discharge(kit) -> None:
    stays = [_stay(kit, "d", "ip1", date(2026, 3, 1), date(2026, 3, 5)),
             _stay(kit, "d", "ip2", date(2026, 8, 10), date(2026, 8, 14))]
    death = [kit.event("d", "death", date(2026, 9, 1), source="fhir:Patient")]
    out = _run(kit, [kit.patient("d", BORN)], events=death, encounters=stays)
    assert [o.populations.denex for o in out] == [True, True]


def test_reports_carry_the_episode(kit, tmp_path: Path) -> None:
    from engine.report import OUTCOME_COLUMNS, write_reports

    stays = [_stay(kit, "t", "ip1", date(2026, 3, 1), date(2026, 3, 5)),
             _stay(kit, "t", "ip2", date(2026, 8, 10), date(2026, 8, 14))]
    patients = [kit.patient("t", BORN)]
    out = _run(kit, patients, encounters=stays)
    summary = write_reports(out, patients, [], tmp_path)
    assert OUTCOME_COLUMNS.index("episode") == OUTCOME_COLUMNS.index("group") + 1
    rows = list(csv.DictReader((tmp_path / "outcomes.csv").open()))
    assert [(r["patient_id"], r["episode"], r["gap_open"]) for r in rows] == [("t", "ip1", "1"), ("t", "ip2", "1")]
    gaps = list(csv.DictReader((tmp_path / "care_gaps" / "clinic-a.csv").open()))
    assert [g["episode"] for g in gaps] == ["ip1", "ip2"]
    entry = summary["measures"]["TRC-MRP"]
    assert (entry["patients"], entry["ipp"], entry["open_gaps"]) == (1, 2, 2)
