"""eCQM conformance: run a converted CMS test deck through the engine and compare populations.

A deck directory holds the structured-input tables of shared/docs/structured-input.md plus
the expected results::

    patients.csv     patient_id, birth_date, sex
    events.csv       patient_id, element, event_date, value, code, code_system, source, end_date
    encounters.csv   patient_id, encounter_id, start_date, end_date, type, code, code_system
    expected.csv     patient_id, measure, measurement_period_start, measurement_period_end,
                     ipp, denom, denex, denexcep, numer, numex, test_case_name
    testcases.csv    measure, patient_id, test_case_name, series, title, description (optional)

``measure`` is a spec id or alias; ``<measure>-<group>`` (``CMS138-2``) names a population
group. Every expected row is one case; it matches when all six populations agree. The
engine is the one every job uses (``engine.calculator.calculate``), fed only with the
structured data, with each row's own measurement period.

Usage::

    qae conformance ../shared/data/ecqm-tests
    python -m evaluation.conformance ../shared/data/ecqm-tests --measures CMS130,CMS2
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from engine.calculator import calculate
from engine.errors import ConformanceError
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.spec import MeasureSpec, load_specs, resolve_measures
from engine.structured import events_to_evidence
from qae.inputs import read_encounters, read_events, read_patients

__all__ = [
    "POPULATIONS",
    "CaseResult",
    "ConformanceError",
    "ConformanceReport",
    "conformance_cmd",
    "format_conformance",
    "run_conformance",
]

POPULATIONS = ("ipp", "denom", "denex", "denexcep", "numer", "numex")
_TABLES = ("patients", "events", "encounters", "expected")
_EXTENSIONS = (".csv", ".parquet", ".jsonl")


@dataclass(frozen=True)
class CaseResult:
    """One expected row: a patient x measure (group) with expected and computed populations."""

    measure: str  # as written in expected.csv, e.g. CMS138-2
    spec_id: str
    group: str
    patient_id: str
    test_case_name: str
    title: str
    expected: dict[str, int]
    actual: dict[str, int]
    problem: str = ""  # e.g. the patient was quarantined by the input contract

    @property
    def matched(self) -> bool:
        return not self.problem and self.expected == self.actual

    def differences(self) -> list[str]:
        return [f"{p} expected {self.expected[p]} got {self.actual.get(p, 0)}"
                for p in POPULATIONS if self.expected[p] != self.actual.get(p, 0)]


@dataclass
class ConformanceReport:
    deck: Path
    cases: list[CaseResult] = field(default_factory=list)
    quarantined: int = 0  # deck records the input contract rejected

    @property
    def matches(self) -> int:
        return sum(c.matched for c in self.cases)

    @property
    def ok(self) -> bool:
        return bool(self.cases) and self.matches == len(self.cases)

    def by_measure(self) -> dict[str, list[CaseResult]]:
        out: dict[str, list[CaseResult]] = defaultdict(list)
        for case in self.cases:
            out[case.measure].append(case)
        return dict(sorted(out.items(), key=lambda kv: _measure_sort_key(kv[0])))

    def mismatches(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.matched]


def _measure_sort_key(name: str) -> tuple[str, int, str]:
    digits = "".join(ch for ch in name.split("-")[0] if ch.isdigit())
    return (name.split("-")[0].rstrip("0123456789"), int(digits or 0), name)


# --------------------------------------------------------------------------- reading the deck


def _table(deck: Path, stem: str, required: bool = True) -> Path | None:
    for ext in _EXTENSIONS:
        path = deck / f"{stem}{ext}"
        if path.is_file():
            return path
    if required:
        raise ConformanceError(
            f"Deck {deck} has no {stem} table; expected one of "
            f"{', '.join(stem + e for e in _EXTENSIONS)} (tables: {', '.join(_TABLES)}, optional testcases)."
        )
    return None


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _expected_rows(deck: Path) -> list[dict[str, str]]:
    path = _table(deck, "expected")
    assert path is not None
    if path.suffix != ".csv":
        raise ConformanceError(f"{path}: expected results must be CSV ({', '.join(POPULATIONS)} columns).")
    rows = _read_csv_rows(path)
    needed = {"patient_id", "measure", "measurement_period_start", "measurement_period_end", *POPULATIONS}
    if rows:
        missing = sorted(needed - set(rows[0]))
        if missing:
            raise ConformanceError(f"{path}: missing column(s) {', '.join(missing)}; "
                                   f"required: {', '.join(sorted(needed))}.")
    for line, row in enumerate(rows, start=2):
        for pop in POPULATIONS:
            if row[pop].strip() not in ("0", "1"):
                raise ConformanceError(f"{path}:{line}: column {pop} must be 0 or 1, got {row[pop]!r}.")
    return rows


def _titles(deck: Path) -> dict[tuple[str, str], str]:
    path = _table(deck, "testcases", required=False)
    if path is None or path.suffix != ".csv":
        return {}
    out = {}
    for row in _read_csv_rows(path):
        title = (row.get("title") or row.get("test_case_name") or "").strip()
        out[(row.get("measure", ""), row.get("patient_id", ""))] = title
    return out


def _split_measure(name: str, lookup: dict[str, MeasureSpec]) -> tuple[MeasureSpec | None, str]:
    """``CMS130`` -> (CMS130 spec, its only group); ``CMS138-2`` -> (CMS138 spec, group 2)."""
    spec = lookup.get(name.lower())
    if spec is not None:
        return spec, spec.groups[0].id
    base, _, group = name.rpartition("-")
    spec = lookup.get(base.lower())
    if spec is not None and group in {g.id for g in spec.groups}:
        return spec, group
    return None, ""


# --------------------------------------------------------------------------- running


def run_conformance(deck_dir: Path, measures: Sequence[str] | None = None,
                    specs_dir: Path | None = None) -> ConformanceReport:
    """Run every case of a converted deck (optionally only ``measures``: ids or aliases).

    Raises :class:`ConformanceError` when the deck cannot be read and
    ``engine.errors.UnknownMeasureError`` (listing the valid ids) for an unknown measure.
    """
    deck = Path(deck_dir)
    if not deck.is_dir():
        raise ConformanceError(f"Deck directory {deck} does not exist; give a directory holding "
                               f"{', '.join(t + '.csv' for t in _TABLES)}.")
    specs = load_specs(specs_dir)
    lookup = {name.lower(): spec for spec in specs.values() for name in spec.names}
    wanted = {s.id for s in resolve_measures(list(measures), specs)} if measures else None

    rows = _expected_rows(deck)
    titles = _titles(deck)
    paths = {name: _table(deck, name) for name in ("patients", "events", "encounters")}
    patients_r = read_patients(paths["patients"])  # type: ignore[arg-type]
    known = {p.patient_id for p in patients_r.records}
    events_r = read_events(paths["events"], known)  # type: ignore[arg-type]
    encounters_r = read_encounters(paths["encounters"], known)  # type: ignore[arg-type]
    report = ConformanceReport(deck=deck, quarantined=sum(
        len(r.quarantine) for r in (patients_r, events_r, encounters_r)))

    patients = {p.patient_id: p for p in patients_r.records}
    evidence = events_to_evidence(events_r.records)

    # group the cases by (measurement period, spec) so each runs once
    plan: dict[tuple[date, date], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    selected: list[tuple[dict[str, str], MeasureSpec | None, str]] = []
    for row in rows:
        spec, group = _split_measure(row["measure"].strip(), lookup)
        if wanted is not None and (spec is None or spec.id not in wanted):
            continue
        selected.append((row, spec, group))
        if spec is not None and row["patient_id"] in patients:
            try:
                period = (date.fromisoformat(row["measurement_period_start"]),
                          date.fromisoformat(row["measurement_period_end"]))
            except ValueError as exc:
                raise ConformanceError(f"expected.csv: bad measurement period for patient "
                                       f"{row['patient_id']}: {exc}; use YYYY-MM-DD.") from None
            plan[period][spec.id].add(row["patient_id"])

    computed: dict[tuple[date, date, str, str, str], PopulationFlags] = {}
    for (start, end), per_spec in plan.items():
        for spec_id, pids in per_spec.items():
            outcomes = calculate([specs[spec_id]], [patients[p] for p in sorted(pids)],
                                 [ev for ev in evidence if ev.patient_id in pids],
                                 [e for e in encounters_r.records if e.patient_id in pids],
                                 MeasurementPeriod(start, end))
            for o in outcomes:
                computed[(start, end, o.measure_id, o.group, o.patient_id)] = o.populations

    for row, spec, group in selected:
        pid = row["patient_id"]
        expected = {p: int(row[p]) for p in POPULATIONS}
        problem = ""
        actual = dict.fromkeys(POPULATIONS, 0)
        if spec is None:
            problem = (f"no measure spec for '{row['measure']}'; known: "
                       f"{', '.join(sorted(specs))} (add '-<group>' for a population group)")
        elif pid not in patients:
            problem = "patient not accepted from patients table (missing or quarantined)"
        else:
            key = (date.fromisoformat(row["measurement_period_start"]),
                   date.fromisoformat(row["measurement_period_end"]), spec.id, group, pid)
            actual = computed[key].as_ints()
        report.cases.append(CaseResult(
            measure=row["measure"].strip(), spec_id=spec.id if spec else "", group=group,
            patient_id=pid, test_case_name=row.get("test_case_name", "").strip(),
            title=titles.get((row["measure"].strip(), pid))
            or titles.get((spec.id if spec else "", pid), "") or row.get("test_case_name", "").strip(),
            expected=expected, actual=actual, problem=problem))
    return report


# --------------------------------------------------------------------------- output


def format_conformance(report: ConformanceReport) -> str:
    """A table per measure (cases, matches) and every mismatch with the case's title."""
    lines = [f"eCQM conformance: {report.deck}"]
    if report.quarantined:
        lines.append(f"  warning: {report.quarantined} deck record(s) quarantined by the input contract")
    width = max([len(m) for m in report.by_measure()] + [7])
    lines.append(f"  {'measure':<{width}}  {'cases':>5}  {'matches':>7}  {'mismatches':>10}")
    for measure, cases in report.by_measure().items():
        matched = sum(c.matched for c in cases)
        lines.append(f"  {measure:<{width}}  {len(cases):>5}  {matched:>7}  {len(cases) - matched:>10}")
    total = len(report.cases)
    lines.append(f"  {'total':<{width}}  {total:>5}  {report.matches:>7}  {total - report.matches:>10}")
    bad = report.mismatches()
    if bad:
        lines.append("")
        lines.append("Mismatches:")
        for case in bad:
            why = case.problem or "; ".join(case.differences())
            name = case.test_case_name or case.patient_id
            lines.append(f"  {case.measure} {name} ({case.title}) patient {case.patient_id}: {why}")
    lines.append("")
    if report.ok:
        lines.append("PASS: every case matches")
    else:
        lines.append(f"FAIL: {len(bad)} of {total} case(s) do not match" if total else
                     "FAIL: no cases in the deck")
    return "\n".join(lines)


def conformance_cmd(
    deck: Annotated[Path, typer.Argument(
        help="Converted eCQM test deck directory: patients, events, encounters, expected "
             "(and optional testcases) tables, e.g. ../shared/data/ecqm-tests.")],
    measures: Annotated[str | None, typer.Option(
        "--measures", help="Comma-separated measure ids or aliases to run (default: every "
                           "measure in expected.csv), e.g. CMS130,Q112.")] = None,
) -> None:
    """Run every case of a converted CMS eCQM test deck and print a table per measure.

    Prints cases and matches per measure and every mismatch with the case's title;
    exits with code 1 when any case does not match.

    Example: qae conformance ../shared/data/ecqm-tests --measures CMS130,CMS138
    """
    try:
        report = run_conformance(deck, [m for m in measures.split(",") if m.strip()] if measures else None)
    except ConformanceError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(format_conformance(report))
    raise typer.Exit(code=0 if report.ok else 1)


if __name__ == "__main__":  # pragma: no cover
    typer.run(conformance_cmd)
