"""``qae evaluate``: score a run (or the note pipeline) against chart review, with intervals.

Inputs: filled worksheets of ``qae sample`` (scored against the run they were drawn from), or
chart-review gold files (``../shared/annotations/dev.jsonl`` format; scored against the run's
evidence with ``--run``, else against the note pipeline run here on ``--notes``).

Steps: read the reviews (unreadable rows set aside with their sheet and row) -> pick each unit's
reference answer (an adjudicator's, else the abstractors' common answer, else the primary
abstractor's) -> compare elements (evaluation/comparison.py) -> run the reference answers through
the measure engine and compare outcomes (evaluation/abstractor_outcomes.py) -> inter-rater
agreement between abstractors -> figures with intervals (evaluation/agreement.py) -> thresholds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from engine.calculator import MeasureOutcome
from engine.elements import load_vocabulary
from engine.errors import InputError
from engine.options import EngineOptions
from engine.records import Evidence, Note
from engine.run_data import RunData

from .abstractor_outcomes import recompute_outcomes, review_evidence
from .agreement import BinaryCounts, Estimate, bootstrap_interval, cohen_kappa, confusion_table, f1_interval, wilson
from .answers import Answer, engine_answer
from .categories import CATEGORIES, category_label
from .comparison import (
    Discordance,
    ElementResults,
    ElementUnit,
    OutcomeUnit,
    compare_elements,
    outcome_category,
    pair_outcomes,
)
from .note_text import notes_paths_of_run, stream_notes
from .sampling import Sample, load_sample
from .thresholds import ThresholdResult, ValidationConfig, check_thresholds
from .worksheet_reader import ReviewFile, ReviewRow, Unreadable, read_review

__all__ = ["AbstractorPair", "OutcomeFigures", "ValidationResult", "run_validation"]

Key = tuple[str | None, str, str | None, str]  # (measure, patient, note, element)


@dataclass
class OutcomeFigures:
    label: str
    measure_id: str
    inverse: bool
    table: list[list[int]]  # rows: engine category, columns: reviewer category (CATEGORIES order)
    binary: BinaryCounts  # positive = numerator
    metrics: dict[str, Estimate]
    weighted: dict[str, Estimate] = field(default_factory=dict)
    mrrv: dict[str, Any] | None = None
    units: int = 0


@dataclass
class AbstractorPair:
    a: str
    b: str
    elements: BinaryCounts
    kappa: Estimate
    agreement: Estimate
    outcome_table: list[list[int]] | None = None
    outcome_kappa: Estimate | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ValidationResult:
    mode: str  # worksheet | gold
    config: ValidationConfig
    files: list[ReviewFile]
    run_dir: Path | None
    job: str = ""
    element: ElementResults = field(default_factory=ElementResults)
    element_figures: dict[str, dict[str, dict[str, Estimate]]] = field(default_factory=dict)
    outcomes: list[OutcomeUnit] = field(default_factory=list)
    outcome_figures: dict[str, OutcomeFigures] = field(default_factory=dict)
    pairs: list[AbstractorPair] = field(default_factory=list)
    discordances: list[Discordance] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    thresholds: list[ThresholdResult] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    sample: Sample | None = None
    extraction: Any = None  # evaluation.extraction.ExtractionReport (gold files)
    reference_disagreements: int = 0  # units where abstractors disagree and nobody adjudicated

    @property
    def verdict(self) -> str:
        results = [t.passed for t in self.thresholds if t.passed is not None]
        if not results:
            return "NOT EVALUATED"
        return "PASS" if all(results) else "FAIL"

    @property
    def unreviewed(self) -> list[tuple[str, str | None, str]]:
        return [(f.path.name, m, p) for f in self.files for m, p in f.unreviewed]


# --------------------------------------------------------------------------- context


@dataclass
class _Context:
    run: RunData | None
    options: EngineOptions | None
    note_dates: dict[str, date | None]
    notes_of_patient: dict[str, list[str]]
    patient_of_note: dict[str, str]
    notes: dict[str, Note]
    evidence_by_patient: dict[tuple[str, str], list[Evidence]]
    evidence_by_note: dict[tuple[str, str], list[Evidence]]
    complete_note_lists: bool


def _engine_options(manifest: Mapping[str, Any]) -> EngineOptions:
    section = (manifest.get("config") or {}).get("engine") or {}
    return EngineOptions.model_validate(section)


def _index_evidence(items: Sequence[Evidence]) -> tuple[dict, dict]:
    by_patient: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    by_note: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for ev in items:
        if ev.origin != "note":
            continue
        by_patient[(ev.patient_id, ev.element)].append(ev)
        if ev.note_id:
            by_note[(ev.note_id, ev.element)].append(ev)
    return by_patient, by_note


def _notes_context(notes: Sequence[Note]) -> tuple[dict, dict, dict, dict]:
    dates = {n.note_id: n.note_date for n in notes}
    of_patient: dict[str, list[str]] = defaultdict(list)
    for n in sorted(notes, key=lambda n: (n.note_date, n.note_id)):
        of_patient[n.patient_id].append(n.note_id)
    return dates, dict(of_patient), {n.note_id: n.patient_id for n in notes}, {n.note_id: n for n in notes}


def _load_run(run_dir: Path, patients: Path | None = None) -> tuple[RunData, dict[str, Any]]:
    from qae.run_folder import load_run

    from .review_folder import run_manifest

    return load_run(run_dir, patients=patients), run_manifest(run_dir)


# --------------------------------------------------------------------------- reference answers


def _answer_signature(rows: Sequence[ReviewRow]) -> tuple[Any, ...]:
    found = any(r.found for r in rows)
    statuses = tuple(sorted({r.status for r in rows if r.status}))
    dates = tuple(sorted({d.text() for r in rows for d in r.dates}))
    values = tuple(sorted({json.dumps(v, sort_keys=True, default=str) for r in rows for v in r.values}))
    return (found, statuses if not found else (), dates, values)


def _reference(by_abstractor: Mapping[str, list[ReviewRow]], order: Sequence[str],
               primary: str | None) -> tuple[list[ReviewRow], bool]:
    """(reference rows, unadjudicated disagreement?)"""
    names = [a for a in order if a in by_abstractor]
    for name in names:
        if name.lower().startswith("adjudicat"):
            return by_abstractor[name], False
    if len(names) == 1:
        return by_abstractor[names[0]], False
    signatures = {_answer_signature(by_abstractor[n]) for n in names}
    first = primary if primary in by_abstractor else names[0]
    return by_abstractor[first], len(signatures) > 1


# --------------------------------------------------------------------------- figures


def _element_metrics(counts: BinaryCounts, clusters: list[tuple[int, int, int]], cfg: ValidationConfig
                     ) -> dict[str, Estimate]:
    metrics = counts.metrics(cfg.confidence)
    metrics["f1"] = f1_interval(clusters, seed=cfg.bootstrap.seed, replicates=cfg.bootstrap.replicates,
                                confidence=cfg.confidence)
    return metrics


def _weighted(units: Sequence[OutcomeUnit], population: Mapping[str, int], cfg: ValidationConfig
              ) -> dict[str, Estimate]:
    """Population-weighted sensitivity, specificity and agreement of the numerator call (strata =
    the engine's categories when drawn; weights N_h / n_h), with a stratified bootstrap interval."""
    drawn = defaultdict(int)
    for u in units:
        drawn[u.stratum] += 1
    weights = {s: population.get(s, 0) / n for s, n in drawn.items() if n}
    rows, strata = [], []
    for u in units:
        e, r = u.engine == "numerator", u.reviewer == "numerator"
        rows.append([e and r, e and not r, r and not e, not e and not r, u.engine == u.reviewer])
        strata.append(u.stratum)
    data = np.asarray(rows, dtype=float)
    totals = np.zeros(5)
    for s in weights:
        idx = [i for i, x in enumerate(strata) if x == s]
        totals += data[idx].sum(axis=0) * weights[s]

    def ratio(num: list[int], den: list[int]):
        def stat(t: np.ndarray) -> np.ndarray:
            d = t[:, den].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(d > 0, t[:, num].sum(axis=1) / np.where(d > 0, d, 1), np.nan)
        return stat

    out: dict[str, Estimate] = {}
    specs = {"sensitivity": ([0], [0, 2]), "specificity": ([3], [3, 1]), "agreement": ([4], [0, 1, 2, 3])}
    for name, (num, den) in specs.items():
        d = totals[den].sum()
        value = float(totals[num].sum() / d) if d > 0 else None
        low, high = (bootstrap_interval(rows, ratio(num, den), strata=strata, weights=weights,
                                        seed=cfg.bootstrap.seed, replicates=cfg.bootstrap.replicates,
                                        confidence=cfg.confidence) if value is not None else (None, None))
        out[name] = Estimate(value, low, high, "stratified-bootstrap", round(float(totals[num].sum()), 3),
                             round(float(d), 3))
    return out


def _mrrv_verdict(units: Sequence[OutcomeUnit], drawn: Mapping[str, int], second_drawn: int) -> dict[str, Any]:
    """HEDIS MRRV: 0 errors in the first 16 passes; 2+ fail; exactly 1 needs the second 16 (0 errors:
    pass, else fail); with no record left for a second sample, one error fails. An error: the record
    does not support the engine's compliant result."""
    first = [u for u in units if u.role == "mrrv-first"]
    second = [u for u in units if u.role == "mrrv-second"]
    e1 = sum(u.reviewer != u.engine for u in first)
    e2 = sum(u.reviewer != u.engine for u in second)
    expected = sum(drawn.values())
    if len(first) < expected:
        verdict = "INCOMPLETE"
    elif e1 == 0:
        verdict = "PASS"
    elif e1 >= 2 or second_drawn == 0:
        verdict = "FAIL"
    elif len(second) < second_drawn:
        verdict = "SECOND SAMPLE NEEDED"
    else:
        verdict = "PASS" if e2 == 0 else "FAIL"
    return {"first_reviewed": len(first), "first_drawn": expected, "first_errors": e1,
            "second_reviewed": len(second), "second_errors": e2, "verdict": verdict}


def _outcome_figures(label: str, units: Sequence[OutcomeUnit], cfg: ValidationConfig,
                     sample: Sample | None) -> OutcomeFigures:
    binary = BinaryCounts()
    for u in units:
        binary.add(u.engine == "numerator", u.reviewer == "numerator")
    table = confusion_table([(u.engine, u.reviewer) for u in units], CATEGORIES)
    metrics = binary.metrics(cfg.confidence)
    metrics["f1"] = f1_interval([(int(u.engine == u.reviewer == "numerator"),
                                  int(u.engine == "numerator" != u.reviewer),
                                  int(u.reviewer == "numerator" != u.engine)) for u in units],
                                seed=cfg.bootstrap.seed, replicates=cfg.bootstrap.replicates,
                                confidence=cfg.confidence)
    metrics["kappa"] = cohen_kappa(table, cfg.confidence)
    metrics["agreement"] = wilson(sum(table[i][i] for i in range(len(CATEGORIES))), len(units), cfg.confidence)
    fig = OutcomeFigures(label, units[0].measure_id if units else "", units[0].inverse if units else False,
                         table, binary, metrics, units=len(units))
    group = next((g for g in (sample.groups if sample else []) if g.label == label), None)
    if group is not None and sample is not None:
        if sample.preset == "hedis-mrrv":
            fig.mrrv = _mrrv_verdict(units, group.drawn, sum(u.role == "mrrv-second" for u in group.units))
        elif units and all(u.stratum for u in units):
            fig.weighted = _weighted(units, group.population, cfg)
    return fig


# --------------------------------------------------------------------------- the run


def run_validation(reviews: Sequence[Path], *, run_dir: Path | None = None, notes: Sequence[Path] = (),
                   config: ValidationConfig | None = None, sample_path: Path | None = None,
                   primary: str | None = None, nlp: Any = None, patients: Path | None = None) -> ValidationResult:
    cfg = config or ValidationConfig()
    if not reviews:
        raise InputError("give at least one review: --review worksheet.xlsx (or a gold .jsonl)")
    files = [read_review(Path(p), date_order=cfg.date_order) for p in reviews]
    kinds = {f.kind for f in files}
    if len(kinds) > 1:
        raise InputError("give either filled worksheets or gold .jsonl files in one evaluation, not both")
    mode = kinds.pop()
    if mode == "worksheet" and run_dir is None:
        raise InputError("worksheets are scored against the run they were drawn from: give --run DIR")
    result = ValidationResult(mode=mode, config=cfg, files=files, run_dir=Path(run_dir) if run_dir else None)
    for f in files:
        result.unreadable.extend(f.unreadable)
    run, manifest = (_load_run(Path(run_dir), patients) if run_dir else (None, {}))
    result.job = run.job if run else ""
    if run is not None:
        stale = [m for m, s in run.specs.items() if (run.versions.get("measures") or {}).get(m, s.version) != s.version]
        if stale:
            result.messages.append(f"measure specs changed since the run ({', '.join(stale)}): the reviewer's "
                                   "outcomes use today's specs, the engine's are the run's")
    sample = _find_sample(sample_path, reviews, mode)
    result.sample = sample
    if sample is None and mode == "worksheet":
        result.messages.append("no sample.json beside the worksheets (give --sample): outcomes are compared for "
                               "every measure group of the reviewed patients, without strata weights or MRRV verdicts")
    ctx = _context(files, run, manifest, notes, mode, result, nlp)
    rows = _validated_rows(files, ctx, run, mode, result)
    _score(result, rows, ctx, run, mode, cfg, primary)
    return result


def _find_sample(sample_path: Path | None, reviews: Sequence[Path], mode: str) -> Sample | None:
    if sample_path is not None:
        return load_sample(sample_path)
    if mode != "worksheet":
        return None
    for review in reviews:
        candidate = Path(review).parent / "sample.json"
        if candidate.is_file():
            return load_sample(candidate)
    return None  # outcome units are then every reviewed patient's rows (no strata weights, no MRRV verdict)


def _context(files: Sequence[ReviewFile], run: RunData | None, manifest: Mapping[str, Any], notes: Sequence[Path],
             mode: str, result: ValidationResult, nlp: Any) -> _Context:
    paths = list(notes) or notes_paths_of_run(manifest)
    missing = [p for p in paths if not Path(p).exists()]
    streamed: list[Note] = []
    if mode == "gold":
        wanted = {r.note_id for f in files for r in f.rows if r.note_id}
        if not paths:
            raise InputError("gold files need the notes' text: give --notes FILE (repeat for several) or --run DIR")
        if missing:
            raise InputError(f"notes file not found: {missing[0]}")
        streamed = list(stream_notes(paths, note_ids=wanted))
        if run is not None:  # every note of these patients, to know whose chart was fully reviewed
            streamed = list(stream_notes(paths, patients={n.patient_id for n in streamed}))
        found = {n.note_id for n in streamed}
        absent = sorted(wanted - found)
        if absent:
            result.messages.append(f"{len(absent)} gold notes not found in the notes given (left out): "
                                   f"{', '.join(absent[:5])}{'...' if len(absent) > 5 else ''}")
    else:
        patients = {r.patient_id for f in files for r in f.rows}
        if paths and not missing:
            streamed = list(stream_notes(paths, patients=patients))
        else:
            result.messages.append("the run's notes file is not available: note ids are checked against the "
                                   "notes with evidence only; give --notes to check them all")
    dates, of_patient, patient_of, by_id = _notes_context(streamed)
    complete = bool(streamed)
    if run is not None and mode == "worksheet" and not complete:
        for ev in run.evidence.values():
            if ev.note_id and ev.note_id not in dates:
                dates[ev.note_id] = ev.note_date
                of_patient.setdefault(ev.patient_id, []).append(ev.note_id)
                patient_of[ev.note_id] = ev.patient_id
    if run is not None:
        items = list(run.evidence.values())
    else:  # gold files without a run: the note pipeline, here
        from pipelines.build import build_nlp
        from pipelines.extract import extract_notes

        gold_notes = [by_id[n] for n in sorted(by_id)]
        nlp = nlp or build_nlp()
        items = [ev for _, evs in extract_notes(nlp, gold_notes) for ev in evs]
    by_patient, by_note = _index_evidence(items)
    return _Context(run, _engine_options(manifest) if run else None, dates, of_patient, patient_of, by_id,
                    by_patient, by_note, complete)


def _validated_rows(files: Sequence[ReviewFile], ctx: _Context, run: RunData | None, mode: str,
                    result: ValidationResult) -> list[ReviewRow]:
    from dataclasses import replace

    out: list[ReviewRow] = []
    not_in_run: set[str] = set()
    for f in files:
        for r in f.rows:
            if mode == "gold":
                patient = ctx.patient_of_note.get(r.note_id or "")
                if patient is not None and run is not None and patient not in run.patients:
                    not_in_run.add(r.note_id or "")  # the run quarantined it (unknown patient)
                elif patient is not None:
                    out.append(replace(r, patient_id=patient))
                continue
            problem = None
            if run is not None and r.measure_id not in run.specs:
                problem = (f"measure_id {r.measure_id!r} was not calculated in the run; write one of "
                           f"{', '.join(sorted(run.specs))}" if r.measure_id else "no measure_id")
            elif run is not None and r.patient_id not in run.patients:
                problem = f"patient {r.patient_id!r} is not in the run"
            elif result.sample is not None and r.patient_id not in result.sample.patients_of(r.measure_id or ""):
                problem = f"patient {r.patient_id!r} was not sampled for {r.measure_id}"
            else:
                known = set(ctx.notes_of_patient.get(r.patient_id, []))
                bad = [n for n in r.note_ids if n not in known]
                if bad and (ctx.complete_note_lists or known):
                    problem = f"note id {bad[0]!r} is not a note of patient {r.patient_id}"
            if problem:
                result.unreadable.append(Unreadable(r.source, r.sheet, r.row, problem))
            else:
                out.append(r)
    if not_in_run:
        result.messages.append(f"{len(not_in_run)} gold notes belong to patients the run does not have (their "
                               "notes were quarantined): left out")
    return out


def _score(result: ValidationResult, rows: Sequence[ReviewRow], ctx: _Context, run: RunData | None, mode: str,
           cfg: ValidationConfig, primary: str | None) -> None:
    order: list[str] = []
    grouped: dict[Key, dict[str, list[ReviewRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.abstractor not in order:
            order.append(r.abstractor)
        grouped[(r.measure_id, r.patient_id, r.note_id, r.element)][r.abstractor].append(r)
    if primary is not None and primary not in order:
        raise InputError(f"--primary {primary!r} is not an abstractor of these reviews: {', '.join(order)}")
    scope = "note" if mode == "gold" else "latest"
    units: list[ElementUnit] = []
    reference: dict[Key, list[ReviewRow]] = {}
    for key in sorted(grouped, key=lambda k: tuple(x or "" for x in k)):
        ref, disputed = _reference(grouped[key], order, primary)
        reference[key] = ref
        result.reference_disagreements += int(disputed)
        measure, patient, note, element = key
        engine_items = (ctx.evidence_by_note.get((note, element), []) if note
                        else ctx.evidence_by_patient.get((patient, element), []))
        reviewer = engine_answer(review_evidence(ref, ctx.note_dates, ctx.notes_of_patient))
        units.append(ElementUnit(measure, patient, note, element, engine_answer(engine_items), reviewer, list(ref)))
    result.element = compare_elements(units, scope=scope)
    result.discordances.extend(result.element.discordances)
    _element_figures(result, cfg)
    if mode == "gold":
        result.extraction = _extraction_report(ctx, rows, result)
    if run is not None:
        _outcomes(result, reference, ctx, run, mode, cfg)
    _interrater(result, grouped, order, ctx, run, mode, cfg)
    result.discordances.sort(key=lambda d: (d.level != "element", d.element, d.patient_id, d.unit, d.kind))
    result.thresholds = check_thresholds(cfg, _figures_for_thresholds(result))


def _element_figures(result: ValidationResult, cfg: ValidationConfig) -> None:
    el = result.element
    figures: dict[str, dict[str, dict[str, Estimate]]] = {"element": {}, "measure_elements": {},
                                                           "element_overall": {}}
    figures["element_overall"]["all"] = _element_metrics(el.overall, el.cluster_counts("overall"), cfg)
    vocab = load_vocabulary()
    for element in sorted(el.per_element, key=lambda e: vocab.ids.index(e)):
        figures["element"][element] = _element_metrics(el.per_element[element], el.cluster_counts(f"element:{element}"),
                                                       cfg)
    for measure in sorted(el.per_measure):
        figures["measure_elements"][measure] = _element_metrics(el.per_measure[measure],
                                                                el.cluster_counts(f"measure:{measure}"), cfg)
    result.element_figures = figures


def _extraction_report(ctx: _Context, rows: Sequence[ReviewRow], result: ValidationResult) -> Any:
    """The legacy extraction figures (span exactness, value and date sets) on the same notes."""
    from .extraction import score_extraction

    gold_paths = [f.path for f in result.files if f.kind == "gold"]
    from .extraction import load_gold

    kept = {r.note_id for r in rows}  # notes the run processed (or that were found)
    gold: dict[str, Any] = {}
    for path in gold_paths:
        gold.update({k: v for k, v in load_gold(path).items() if k in kept})
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for (note_id, _element), items in ctx.evidence_by_note.items():
        evidence[note_id].extend(items)
    return score_extraction(gold, ctx.notes, evidence)


def _outcomes(result: ValidationResult, reference: Mapping[Key, list[ReviewRow]], ctx: _Context, run: RunData,
              mode: str, cfg: ValidationConfig) -> None:
    by_measure: dict[str, dict[str, list[ReviewRow]]] = defaultdict(lambda: defaultdict(list))
    if mode == "gold":
        reviewed_notes = {note for (_m, _p, note, _e) in reference if note}
        complete = [p for p, notes in ctx.notes_of_patient.items() if notes and set(notes) <= reviewed_notes]
        left_out = len({p for (_m, p, _n, _e) in reference}) - len(complete)
        if left_out:
            result.messages.append(f"{left_out} patients have notes without gold annotations: left out of the "
                                   "outcome comparison")
        keep = set(complete)
        for (_m, patient, _n, _e), ref in reference.items():
            if patient in keep:
                for measure_id in run.specs:
                    by_measure[measure_id][patient].extend(ref)
    else:
        for (measure, patient, _n, _e), ref in reference.items():
            by_measure[measure or ""][patient].extend(ref)
    engine_rows: dict[tuple[str, str], list[MeasureOutcome]] = defaultdict(list)
    for o in run.outcomes:
        engine_rows[(o.measure_id, o.patient_id)].append(o)
    for measure_id in sorted(by_measure):
        spec = run.specs[measure_id]
        patients = sorted(by_measure[measure_id])
        rows = [r for p in patients for r in by_measure[measure_id][p]]
        reviewed = {p: {r.element for r in by_measure[measure_id][p]} for p in patients}
        evidence = review_evidence(rows, ctx.note_dates, ctx.notes_of_patient)
        mine: dict[str, list[MeasureOutcome]] = defaultdict(list)
        for o in recompute_outcomes(run, measure_id, patients, evidence, reviewed, ctx.options):
            mine[o.patient_id].append(o)
        ev_index = {e.evidence_id: e for e in evidence}
        multi = len(spec.groups) > 1
        sampled = _sampled_units(result.sample, measure_id)
        for p in patients:
            abstractor = by_measure[measure_id][p][0].abstractor if by_measure[measure_id][p] else ""
            for eng, rev in pair_outcomes(engine_rows.get((measure_id, p), []), mine.get(p, [])):
                group = (eng or rev).group  # type: ignore[union-attr]
                episode = eng.episode if eng is not None else rev.episode  # type: ignore[union-attr]
                e_cat, r_cat = outcome_category(eng), outcome_category(rev)
                if sampled is not None:
                    unit = sampled.get((group, p, episode)) or (sampled.get((group, p, "*")) if eng is None else None)
                    if unit is None:
                        continue
                    stratum, role = unit
                elif e_cat == r_cat == "not_eligible":
                    continue
                else:
                    stratum, role = "", "primary"
                label = f"{measure_id}-{group}" if multi else measure_id
                ou = OutcomeUnit(label, measure_id, group, p, episode, e_cat, r_cat, spec.inverse, stratum, role,
                                 eng, rev, abstractor)
                result.outcomes.append(ou)
                if e_cat != r_cat:
                    result.discordances.append(_outcome_discordance(ou, run, ev_index))
    labels = sorted({u.label for u in result.outcomes})
    for label in labels:
        units = [u for u in result.outcomes if u.label == label]
        result.outcome_figures[label] = _outcome_figures(label, units, cfg, result.sample)


def _sampled_units(sample: Sample | None, measure_id: str) -> dict[tuple[str, str, str], tuple[str, str]] | None:
    if sample is None:
        return None
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    for g in sample.groups_of(measure_id):
        for u in g.units:
            out[(g.group, u.patient_id, u.episode)] = (u.stratum, u.role)
            out.setdefault((g.group, u.patient_id, "*"), (u.stratum, u.role))
    return out


def _decisive(o: MeasureOutcome | None) -> tuple[str, ...]:
    if o is None:
        return ()
    return o.denex_evidence_ids + o.denexcep_evidence_ids + o.numer_evidence_ids + o.gap_evidence_ids


def _outcome_discordance(u: OutcomeUnit, run: RunData, review_index: Mapping[str, Evidence]) -> Discordance:
    eng = [run.evidence[i] for i in _decisive(u.engine_outcome) if i in run.evidence]
    rev = [review_index[i] for i in _decisive(u.reviewer_outcome) if i in review_index]
    rev += [run.evidence[i] for i in _decisive(u.reviewer_outcome) if i in run.evidence]

    def describe(items: Sequence[Evidence]) -> tuple[str, str, str, str]:
        answer = engine_answer(items)
        dates = "; ".join(f"{e.element} {d}" for e in items for d in [_date_text(e)] if d)
        values = "; ".join(f"{e.element} {e.value}" for e in items if e.value is not None)
        return dates, values, "; ".join(answer.note_ids()), " | ".join(answer.quotes()[:5])

    e_dates, e_values, e_notes, e_span = describe(eng)
    r_dates, r_values, r_notes, r_quote = describe(rev)
    reason = lambda o: (o.gap_reason.value if o is not None and o.gap_reason else "")  # noqa: E731
    return Discordance(
        level="outcome", kind="outcome", element=u.label, patient_id=u.patient_id, measure_id=u.measure_id,
        unit=u.episode, engine_answer=category_label(u.engine, u.inverse),
        reviewer_answer=category_label(u.reviewer, u.inverse), engine_status=reason(u.engine_outcome),
        engine_dates=e_dates, engine_value=e_values, engine_note_ids=e_notes, engine_span=e_span,
        engine_rule="; ".join(sorted({e.source for e in eng})), reviewer_status=reason(u.reviewer_outcome),
        reviewer_dates=r_dates, reviewer_value=r_values, reviewer_note_ids=r_notes, reviewer_quote=r_quote,
        abstractor=u.abstractor)


def _date_text(e: Evidence) -> str:
    if e.event_date is not None:
        iso = e.event_date.isoformat()
        return {"year": iso[:4], "month": iso[:7]}.get(e.date_precision or "day", iso)
    return e.note_date.isoformat() if e.note_date else ""


def _interrater(result: ValidationResult, grouped: Mapping[Key, Mapping[str, list[ReviewRow]]], order: Sequence[str],
                ctx: _Context, run: RunData | None, mode: str, cfg: ValidationConfig) -> None:
    names = [n for n in order if not n.lower().startswith("adjudicat")]
    for a, b in combinations(names, 2):
        counts = BinaryCounts()
        disagreements: list[dict[str, Any]] = []
        shared: dict[str, dict[str, list[ReviewRow]]] = {a: defaultdict(list), b: defaultdict(list)}
        for key, by in sorted(grouped.items(), key=lambda kv: tuple(x or "" for x in kv[0])):
            if a not in by or b not in by:
                continue
            ans_a = engine_answer(review_evidence(by[a], ctx.note_dates, ctx.notes_of_patient))
            ans_b = engine_answer(review_evidence(by[b], ctx.note_dates, ctx.notes_of_patient))
            counts.add(ans_a.found, ans_b.found)
            if _answer_signature(by[a]) != _answer_signature(by[b]):
                disagreements.append(_adjudication_row(key, a, by[a], ans_a, b, by[b], ans_b))
            measure, patient = key[0] or "", key[1]
            shared[a][f"{measure}|{patient}"].extend(by[a])
            shared[b][f"{measure}|{patient}"].extend(by[b])
        if not counts.n:
            continue
        pair = AbstractorPair(a, b, counts, cohen_kappa(counts.table(), cfg.confidence),
                              wilson(counts.tp + counts.tn, counts.n, cfg.confidence), disagreements=disagreements)
        if run is not None and mode == "worksheet":
            pair.outcome_table, pair.outcome_kappa = _outcome_irr(shared[a], shared[b], ctx, run, cfg)
        result.pairs.append(pair)


def _outcome_irr(rows_a: Mapping[str, list[ReviewRow]], rows_b: Mapping[str, list[ReviewRow]], ctx: _Context,
                 run: RunData, cfg: ValidationConfig) -> tuple[list[list[int]], Estimate]:
    pairs: list[tuple[str, str]] = []
    by_measure: dict[str, list[str]] = defaultdict(list)
    for key in rows_a:
        measure, patient = key.split("|", 1)
        by_measure[measure].append(patient)
    for measure, patients in sorted(by_measure.items()):
        cats = []
        for rows in (rows_a, rows_b):
            chosen = [r for p in patients for r in rows[f"{measure}|{p}"]]
            reviewed = {p: {r.element for r in rows[f"{measure}|{p}"]} for p in patients}
            evidence = review_evidence(chosen, ctx.note_dates, ctx.notes_of_patient)
            cats.append({(o.patient_id, o.group): outcome_category(o)
                         for o in recompute_outcomes(run, measure, patients, evidence, reviewed, ctx.options)})
        for k in sorted(set(cats[0]) | set(cats[1])):
            ca, cb = cats[0].get(k, "not_eligible"), cats[1].get(k, "not_eligible")
            if ca != "not_eligible" or cb != "not_eligible":
                pairs.append((ca, cb))
    table = confusion_table(pairs, CATEGORIES)
    return table, cohen_kappa(table, cfg.confidence)


def _answer_text(answer: Answer) -> dict[str, str]:
    from .answers import format_value

    element_values = answer.latest_values()
    return {"found": "Y" if answer.found else "N", "status": answer.status or "",
            "dates": "; ".join(d.text() for d in answer.dates()),
            "value": "; ".join(format_value("", v) for v in element_values), "note_ids": "; ".join(answer.note_ids()),
            "quote": " | ".join(answer.quotes()[:3])}


def _adjudication_row(key: Key, a: str, rows_a: Sequence[ReviewRow], ans_a: Answer, b: str,
                      rows_b: Sequence[ReviewRow], ans_b: Answer) -> dict[str, Any]:
    measure, patient, note, element = key
    row: dict[str, Any] = {"measure_id": measure or "", "patient_id": patient, "note_id": note or "",
                           "element": element}
    for name, ans, rows in ((a, ans_a, rows_a), (b, ans_b, rows_b)):
        for k, v in _answer_text(ans).items():
            row[f"{name}_{k}"] = v
        row[f"{name}_where"] = "; ".join(r.where() for r in rows[:3])
    return row


def _figures_for_thresholds(result: ValidationResult) -> dict[str, dict[str, dict[str, Estimate]]]:
    figures: dict[str, dict[str, dict[str, Estimate]]] = {k: dict(v) for k, v in result.element_figures.items()}
    figures["measure"] = {label: f.metrics for label, f in result.outcome_figures.items()}
    figures["interrater"] = {f"{p.a} vs {p.b}": {"kappa": p.kappa, "agreement": p.agreement} for p in result.pairs}
    return figures
