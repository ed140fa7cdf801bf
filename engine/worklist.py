"""Clinic worklists: one row per patient and service, across programs, sorted by provider and due date.

A clinic acts per service, not per program: a colonoscopy closes COL-E and CMS130 at once, so the
open gaps of one patient whose measures name the same ``service`` (measures/*.yaml) are one row
naming every measure it closes. A measure listing several services (TSC rate 3: cessation help,
else screening) joins the first of them already on the patient's worklist. Episode-of-care measures
(TRC) keep one row per episode.

Each row gives the patient (name and MRN when the patients file has them), date of birth,
provider, the service and the measures, what is missing in plain words, the last evidence in its
sentence with its date at the precision the note gave, the clinic action and the due date
(engine/horizon.py). :func:`reopening_rows` lists the closed gaps that reopen in the next
measurement period (DEQM prospective gaps), with the last day their evidence counts.

Pure: rows from a :class:`RunData`; the files are written by engine/worklist_files.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from engine.calculator import MeasureOutcome
from engine.evidence_text import evidence_date, evidence_day, evidence_quote, quote_parts
from engine.gaps import GAP_DISPLAY, REASON_ORDER, GapReason, gap_action
from engine.horizon import next_period
from engine.records import Evidence, Patient
from engine.run_data import RunData
from engine.tally import NO_PROVIDER, UNASSIGNED

__all__ = ["NO_PROVIDER", "WorkRow", "measure_label", "open_gap_rows", "reopening_rows", "rows_by_clinic",
           "short_id"]


@dataclass
class WorkRow:
    """One worklist row: a patient, a service, the outcomes (measures) it closes."""

    clinic: str
    provider: str
    patient_id: str
    patient: str  # the name, else the patient id
    mrn: str
    birth_date: date | None
    service: str
    episode: str
    outcomes: list[MeasureOutcome] = field(default_factory=list)
    measures: str = ""  # one label per line: "COL-E: Colorectal Cancer Screening"
    measure_ids: str = ""  # "COL-E;CMS130" (a group of a multi-group measure: "TSC-2")
    missing: str = ""
    action: str = ""
    due_date: date | None = None
    evidence: Evidence | None = None
    valid_through: date | None = None  # reopening rows: the last day the evidence counts

    @property
    def reopens_on(self) -> date | None:
        return self.valid_through + timedelta(days=1) if self.valid_through else None

    @property
    def reasons(self) -> str:
        return ";".join(dict.fromkeys(o.gap_reason.value for o in self.outcomes if o.gap_reason))

    @property
    def evidence_text(self) -> str:
        return evidence_quote(self.evidence) if self.evidence is not None else ""

    @property
    def evidence_parts(self) -> tuple[str, str, str]:
        return quote_parts(self.evidence) if self.evidence is not None else ("", "", "")

    @property
    def evidence_when(self) -> str:
        return evidence_date(self.evidence) if self.evidence is not None else ""

    @property
    def evidence_source(self) -> str:
        ev = self.evidence
        if ev is None:
            return ""
        if ev.origin == "structured":
            return ev.source
        return f"note {ev.note_id}" + (f" ({ev.note_date.isoformat()})" if ev.note_date else "")


def short_id(o: MeasureOutcome, run: RunData) -> str:
    """``COL-E``; ``TSC-2`` for a group of a multi-group measure (as in the run summary)."""
    spec = run.specs.get(o.measure_id)
    return f"{o.measure_id}-{o.group}" if spec is not None and len(spec.groups) > 1 else o.measure_id


def measure_label(o: MeasureOutcome, run: RunData) -> str:
    """``COL-E Colorectal Cancer Screening``; a group of a multi-group measure adds its title."""
    spec = run.specs.get(o.measure_id)
    title = o.measure_title or (spec.title if spec else "")
    if spec is not None and len(spec.groups) > 1:
        group_title = o.group_title or next((g.title for g in spec.groups if g.id == o.group), "") or ""
        return f"{o.measure_id}-{o.group}: {group_title or title}"
    return f"{o.measure_id}: {title}" if title else o.measure_id


def _services(o: MeasureOutcome, run: RunData) -> tuple[str, ...]:
    spec = run.specs.get(o.measure_id)
    return spec.services(o.group) if spec is not None else (o.measure_title or o.measure_id,)


def _patient_row(p: Patient | None, patient_id: str, service: str, episode: str) -> WorkRow:
    return WorkRow(
        clinic=(p.clinic_id if p else None) or UNASSIGNED,
        provider=(p.provider_id if p else None) or NO_PROVIDER,
        patient_id=patient_id,
        patient=(p.name if p and p.name else patient_id),
        mrn=(p.mrn if p and p.mrn else ""),
        birth_date=p.birth_date if p else None,
        service=service,
        episode=episode,
    )


def _group(outcomes: Iterable[MeasureOutcome], run: RunData) -> list[WorkRow]:
    """Outcomes -> rows keyed by (patient, service, episode); list services join an existing row."""
    rows: dict[tuple[str, str, str], WorkRow] = {}
    ordered = sorted(outcomes, key=attrgetter("patient_id", "measure_id", "group", "episode"))
    key_of = attrgetter("measure_id", "group", "measure_title")  # what _services reads of an outcome
    known: dict[tuple[str, str, str], tuple[str, ...]] = {}
    single: list[tuple[MeasureOutcome, str]] = []
    several: list[tuple[MeasureOutcome, tuple[str, ...]]] = []
    for o in ordered:
        k = key_of(o)
        services = known.get(k)
        if services is None:
            services = known[k] = _services(o, run)
        if len(services) == 1:
            single.append((o, services[0]))
        else:
            several.append((o, services))
    patients = run.patients
    for o, service in single:
        key = (o.patient_id, service, o.episode)
        row = rows.get(key)
        if row is None:
            row = rows[key] = _patient_row(patients.get(o.patient_id), o.patient_id, service, o.episode)
        row.outcomes.append(o)
    for o, services in several:
        key = next(((o.patient_id, s, o.episode) for s in services if (o.patient_id, s, o.episode) in rows),
                   (o.patient_id, services[0], o.episode))
        row = rows.get(key)
        if row is None:
            row = rows[key] = _patient_row(patients.get(o.patient_id), o.patient_id, key[1], o.episode)
        row.outcomes.append(o)
    return list(rows.values())


def _latest(ids: Iterable[str], run: RunData) -> Evidence | None:
    dated = [(evidence_day(ev) or date.min, ev.evidence_id, ev) for ev in run.evidence_for(list(dict.fromkeys(ids)))]
    return max(dated, key=lambda t: (t[0], t[1]))[2] if dated else None


def _rank(reason: GapReason | None) -> int:
    return REASON_ORDER.index(reason) if reason in REASON_ORDER else len(REASON_ORDER)


def _missing(row: WorkRow, run: RunData) -> str:
    by_reason: dict[GapReason, list[str]] = defaultdict(list)
    for o in row.outcomes:
        if o.gap_reason is not None:
            by_reason[o.gap_reason].append(short_id(o, run))
    if len(by_reason) == 1:
        return GAP_DISPLAY[next(iter(by_reason))]
    return "; ".join(f"{', '.join(dict.fromkeys(ms))}: {GAP_DISPLAY[r]}"
                     for r, ms in sorted(by_reason.items(), key=lambda kv: _rank(kv[0])))


def _name_measures(row: WorkRow, run: RunData) -> None:
    row.outcomes.sort(key=lambda o: (o.measure_id, o.group))
    row.measures = "\n".join(dict.fromkeys(measure_label(o, run) for o in row.outcomes))
    row.measure_ids = ";".join(dict.fromkeys(short_id(o, run) for o in row.outcomes))


def _finish_open(row: WorkRow, run: RunData, memo: dict[tuple[Any, ...], tuple[Any, ...]] | None = None) -> WorkRow:
    """The row's measures, what is missing, the action, the due date and the evidence; ``memo``: those of
    rows of one outcome without evidence kept per what they are made of (rows of one measure mostly share
    them), else each row's own."""
    if memo is not None and len(row.outcomes) == 1:
        o = row.outcomes[0]
        if not (o.gap_evidence_ids or o.numer_evidence_ids):
            key = (o.measure_id, o.group, o.measure_title, o.group_title, o.gap_reason, o.gap_action, o.due_date)
            found = memo.get(key)
            if found is None:
                _finish_open(row, run)
                memo[key] = (row.measures, row.measure_ids, row.missing, row.action, row.due_date)
            else:
                row.measures, row.measure_ids, row.missing, row.action, row.due_date = found
            return row
    _name_measures(row, run)
    row.missing = _missing(row, run)
    lead = min(row.outcomes, key=lambda o: (_rank(o.gap_reason), o.measure_id, o.group))
    row.action = lead.gap_action
    row.due_date = min((o.due_date or run.period.end) for o in row.outcomes)
    ids = [i for o in row.outcomes for i in (o.gap_evidence_ids or o.numer_evidence_ids)]
    row.evidence = _latest(ids, run)
    return row


def _sorted(rows: Sequence[WorkRow], when: str) -> list[WorkRow]:
    return sorted(rows, key=lambda r: (r.clinic, r.provider == NO_PROVIDER, r.provider,
                                       getattr(r, when) or date.max, r.patient.lower(), r.patient_id,
                                       r.service, r.episode))


def open_gap_rows(run: RunData, memo: bool = True) -> list[WorkRow]:
    """Every open gap, one row per patient x service (x episode), sorted by clinic, provider, due date
    (``memo``: :func:`_finish_open` keeps what rows of one outcome without evidence share; False: the
    reference it is tested against)."""
    gaps = [o for o in run.tally.noted if o.gap_open and o.gap_reason is not None]  # noted: a tally's
    kept: dict[tuple[Any, ...], tuple[Any, ...]] | None = {} if memo else None
    return _sorted([_finish_open(r, run, kept) for r in _group(gaps, run)], "due_date")


def _finish_reopening(row: WorkRow, run: RunData) -> WorkRow:
    _name_measures(row, run)
    row.valid_through = min(o.valid_through for o in row.outcomes if o.valid_through is not None)
    nxt = next_period(run.period)
    row.missing = (f"The evidence that closes this gap stops counting after {row.valid_through.isoformat()}; "
                   f"the gap is open for the measurement period {nxt.start.isoformat()}..{nxt.end.isoformat()}")
    spec = run.specs.get(row.outcomes[0].measure_id)
    row.action = "Plan it before the gap reopens: " + gap_action(GapReason.NO_EVIDENCE,
                                                                   spec.gap_actions if spec else None)
    row.evidence = _latest([i for o in row.outcomes for i in o.numer_evidence_ids], run)
    return row


def reopening_rows(run: RunData) -> list[WorkRow]:
    """Closed gaps that reopen in the next measurement period (``prospective_gap``), one row per
    patient x service, sorted by clinic, provider, the day they reopen."""
    closing = [o for o in run.tally.noted if o.prospective_gap and o.valid_through is not None]
    return _sorted([_finish_reopening(r, run) for r in _group(closing, run)], "valid_through")


def rows_by_clinic(rows: Sequence[WorkRow], clinics: Iterable[str] = ()) -> dict[str, list[WorkRow]]:
    """Rows per clinic id; every clinic in ``clinics`` is a key, even without rows."""
    out: dict[str, list[WorkRow]] = {c: [] for c in clinics}
    for row in rows:
        out.setdefault(row.clinic, []).append(row)
    return dict(sorted(out.items()))
