"""The facade: evidence + patients + encounters + measurement period -> measure outcomes.

``calculate`` evaluates each spec's population criteria for every patient (once per episode of
care for episode-based measures such as TRC, engine/episodes.py), applies the one
precedence function (engine.populations), decides the care gap with its reason and action
(engine.gaps), and records which evidence decided each population and which source closed
the gap (``note``, ``structured`` or ``both``).

Patients outside a spec's age band or sex, or without a visit its IPP needs, get the outcome outside
the IPP without evaluation; for patients without visits, a group's outcome is reused from an earlier
patient whose evaluation read the same values (the same ages on the same days, no evidence of the
elements looked up: :class:`_Memo`). ``calculate(..., memo=False)`` evaluates every group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date
from operator import attrgetter
from typing import Any

from engine.criteria import Criterion, CriterionResult, PatientContext, evaluate
from engine.episodes import find_episodes
from engine.gaps import GapReason, choose_reason, gap_action
from engine.horizon import due_date, next_period, one_year_on, valid_through
from engine.options import DEFAULT_OPTIONS, EngineOptions
from engine.periods import MeasurementPeriod, age_in_months, age_in_years
from engine.populations import PopulationFlags, apply_precedence, gap_open
from engine.records import Encounter, Evidence, Patient
from engine.spec import GroupSpec, MeasureSpec

__all__ = ["MeasureOutcome", "calculate", "closed_by"]


@dataclass(frozen=True)
class MeasureOutcome:
    """One patient x measure x population group."""

    patient_id: str
    measure_id: str
    group: str
    populations: PopulationFlags
    measure_version: str
    gap_open: bool = False
    gap_reason: GapReason | None = None
    gap_action: str = ""
    gap_evidence_ids: tuple[str, ...] = ()  # the evidence behind the gap reason
    closed_by: str = ""  # note | structured | both | "" (gap open or not in the denominator)
    numer_evidence_ids: tuple[str, ...] = ()
    denex_evidence_ids: tuple[str, ...] = ()
    denexcep_evidence_ids: tuple[str, ...] = ()
    review_flags: tuple[str, ...] = ()
    inverse: bool = False
    stratum: str = ""  # the spec's age stratum the patient falls in (IPP members only)
    measure_title: str = ""
    group_title: str = ""  # multi-group measures (TSC rates 1-3)
    episode: str = ""  # episode-of-care measures (TRC: the discharge's encounter id); "" otherwise
    # Closed gaps: the last day the deciding evidence keeps the gap closed (a colonoscopy in 2018
    # closes COL-E through 2027-12-31); None when the gap is open or the evidence never expires.
    valid_through: date | None = None
    # Open gaps: the last day in the measurement period by which the service closes the gap.
    due_date: date | None = None
    # Closed now, open in the next measurement period with the evidence known today (DEQM
    # prospective-gap): the patient stays in the denominator and the evidence stops counting.
    prospective_gap: bool = False
    extra: dict[str, str] = field(default_factory=dict)


_FIELDS = tuple(f.name for f in fields(MeasureOutcome))
_DEFAULTS = {f.name: f.default for f in fields(MeasureOutcome) if f.default is not MISSING}
_FACTORIES = {f.name: f.default_factory for f in fields(MeasureOutcome) if f.default_factory is not MISSING}
_new = object.__new__


def _outcome(values: dict[str, Any]) -> MeasureOutcome:
    """``MeasureOutcome(**values)`` without the frozen dataclass's ``__init__`` (a ``setattr`` per field):
    the same fields in the same order, the defaults of those not given (``extra``: a new dict)."""
    o = _new(MeasureOutcome)
    d = o.__dict__
    for name in _FIELDS:
        if name in values:
            d[name] = values[name]
        elif name in _DEFAULTS:
            d[name] = _DEFAULTS[name]
        else:  # ``extra``; a KeyError for a field without a default that was not given
            d[name] = _FACTORIES[name]()
    return o


class _Outside:
    """The outcome of one group of a spec for patients outside its initial population (all populations
    off, as :func:`_outside` and ``_evaluate_group`` give it), made from a template: the fields but the
    patient id are the same for every patient."""

    def __init__(self, spec: MeasureSpec, group: GroupSpec) -> None:
        self.fields = dict(_outside(spec, group, Patient.model_construct(patient_id="")).__dict__)

    def __call__(self, patient_id: str) -> MeasureOutcome:
        o = _new(MeasureOutcome)
        d = o.__dict__
        d.update(self.fields)
        d["patient_id"] = patient_id
        d["extra"] = {}
        return o


def closed_by(ids: Sequence[str], origins: Mapping[str, str]) -> str:
    """``note``, ``structured`` or ``both`` for the deciding evidence ids (encounters are structured)."""
    kinds = {"structured" if i.startswith("encounter:") else origins.get(i, "note") for i in ids}
    if not kinds:
        return ""
    return "both" if len(kinds) > 1 else kinds.pop()


def _in_age_band(spec: MeasureSpec, ctx: PatientContext) -> bool:
    band = spec.age
    return _age_in_band(band, ctx.age(band.at), ctx.patient.birth_date, ctx.anchor_date(band.at))


def _age_in_band(band: Any, age: int, birth_date: date, anchor: date) -> bool:
    """Whether ``age`` (in years on ``anchor``) is in the spec's age ``band``; months only where it asks."""
    if band.min is not None and age < band.min:
        return False
    if band.max is not None and age > band.max:
        return False
    return band.min_months is None or age_in_months(birth_date, anchor) >= band.min_months


_TRUE = CriterionResult(True)
OUTCOME_ORDER = attrgetter("measure_id", "patient_id", "group", "episode")  # the order calculate returns


def _run(criterion: object, ctx: PatientContext) -> CriterionResult:
    return _TRUE if criterion is None else evaluate(criterion, ctx)  # type: ignore[arg-type]


def _disputed(ids: Sequence[str], disputed: frozenset[str]) -> tuple[str, ...]:
    """``readers_disagree:<id>`` for deciding evidence the rules and the status model read differently."""
    return tuple(f"readers_disagree:{i}" for i in ids if i in disputed)


def _evaluate_group(spec: MeasureSpec, group: GroupSpec, ctx: PatientContext,
                    origins: Mapping[str, str], horizon: bool = True,
                    disputed: frozenset[str] = frozenset(), *, admitted: bool = False,
                    patient_id: str | None = None) -> MeasureOutcome:
    """One group for one patient (and episode); ``horizon``: also the due date of an open gap, and
    how long a closed one stays closed (engine/horizon.py); ``disputed``: ids of evidence the rules
    and the status model read differently (flagged ``readers_disagree:<id>`` when it decides);
    ``admitted``: the caller found the patient in the spec's age band and sex (``_Plan.admits``);
    ``patient_id``: the patient's id, when given (a traced evaluation, :class:`_Memo`, reads no other
    way)."""
    pops = group.populations
    base = dict(patient_id=ctx.patient.patient_id if patient_id is None else patient_id, measure_id=spec.id,
                group=group.id, measure_version=spec.version, inverse=spec.inverse, measure_title=spec.title,
                group_title=group.title or "", episode=ctx.episode.id if ctx.episode else "")
    in_band = admitted or (_in_age_band(spec, ctx) and spec.sex in ("any", ctx.patient.sex))
    ipp_r = _run(pops.ipp, ctx) if in_band else CriterionResult(False)
    if not ipp_r.met:
        base["populations"] = PopulationFlags()
        return _outcome(base)
    base["stratum"] = spec.stratum_for(ctx.age) if spec.strata else ""
    denom_r = _run(pops.denom, ctx)
    denom = denom_r.met
    denex_r = _run(pops.denex, ctx) if denom and pops.denex is not None else CriterionResult(False)
    numer_r = _run(pops.numer, ctx) if denom and not denex_r.met else CriterionResult(False)
    numex_r = (_run(pops.numex, ctx) if numer_r.met and pops.numex is not None
               else CriterionResult(False))
    denexcep_r = (_run(pops.denexcep, ctx)
                  if denom and not denex_r.met and pops.denexcep is not None
                  else CriterionResult(False))
    flags = apply_precedence(PopulationFlags(ipp=True, denom=denom, denex=denex_r.met,
                                             denexcep=denexcep_r.met, numer=numer_r.met,
                                             numex=numex_r.met))
    is_open = gap_open(flags, inverse=spec.inverse)
    reason: GapReason | None = None
    action, gap_ids, source = "", (), ""
    due: date | None = None
    through: date | None = None
    prospective = False
    if is_open:
        reason, gap_ids = choose_reason(numer_r.findings)
        action = gap_action(reason, spec.gap_actions)
        if horizon:
            due = due_date(pops.numer, ctx)
    elif flags.denom:
        if flags.denex:
            source = closed_by(denex_r.evidence_ids, origins)
        elif flags.denexcep:
            source = closed_by(denexcep_r.evidence_ids, origins)
        else:
            source = closed_by(numer_r.evidence_ids, origins)
            if horizon and spec.episode is None:
                through, prospective = _horizon(spec, group, ctx, origins, base["patient_id"])
    # review flags: how the patient entered the population (a denominator found only in notes),
    # then what a reviewer should check about the numerator
    review = ipp_r.flags + (denom_r.flags if denom else ()) + (numer_r.flags if not flags.denex else ())
    if disputed:  # the evidence that decided the outcome or its gap reason
        deciding = ((numer_r.evidence_ids if flags.denom and not flags.denex else ())
                    + (denex_r.evidence_ids if flags.denex else ())
                    + (denexcep_r.evidence_ids if flags.denexcep else ()) + tuple(gap_ids))
        review += _disputed(deciding, disputed)
    base.update(
        populations=flags,
        gap_open=is_open,
        gap_reason=reason,
        gap_action=action,
        gap_evidence_ids=gap_ids,
        closed_by=source,
        numer_evidence_ids=numer_r.evidence_ids if flags.denom and not flags.denex else (),
        denex_evidence_ids=denex_r.evidence_ids if flags.denex else (),
        denexcep_evidence_ids=denexcep_r.evidence_ids if flags.denexcep else (),
        review_flags=tuple(dict.fromkeys(review)) + (("undated_policy:review",) if reason ==
                                                     GapReason.UNDATED_EVIDENCE else ()),
        valid_through=through,
        due_date=due,
        prospective_gap=prospective,
    )
    return _outcome(base)


def _horizon(spec: MeasureSpec, group: GroupSpec, ctx: PatientContext,
             origins: Mapping[str, str], patient_id: str | None = None) -> tuple[date | None, bool]:
    """A gap the numerator closed: how long its evidence keeps it closed, and whether it is open in
    the next measurement period (the whole group evaluated there with today's evidence; visits that
    have not happened yet cannot be known, so the patient is assumed to keep this period's visits,
    moved one year on: an eCQM patient seen this year stays in its initial population)."""
    pops = group.populations
    through = valid_through(pops.numer, pops.numex, ctx, spec.inverse)
    nxt = next_period(ctx.period)
    if through is None or through >= nxt.end:
        return through, False
    ahead = replace(ctx, period=nxt, encounters=_with_next_visits(ctx.encounters, ctx.period))
    return through, _evaluate_group(spec, group, ahead, origins, horizon=False, patient_id=patient_id).gap_open


def _with_next_visits(encounters: tuple[Encounter, ...], period: MeasurementPeriod) -> tuple[Encounter, ...]:
    """The encounters, plus those of ``period`` moved one period on (ids suffixed ``@next``)."""
    moved = [e.model_copy(update={"encounter_id": f"{e.encounter_id}@next", "start_date": one_year_on(e.start_date),
                                  "end_date": one_year_on(e.end_date) if e.end_date else None})
             for e in encounters if period.start <= e.start_date <= period.end]
    if not moved:
        return encounters
    return tuple(sorted((*encounters, *moved), key=lambda e: (e.start_date, e.encounter_id)))


def calculate(
    specs: Mapping[str, MeasureSpec] | Sequence[MeasureSpec],
    patients: Sequence[Patient],
    evidence: Sequence[Evidence],
    encounters: Sequence[Encounter],
    period: MeasurementPeriod,
    options: EngineOptions | None = None,
    *,
    memo: bool = True,
) -> list[MeasureOutcome]:
    """One outcome per patient x measure x group (x episode), sorted by measure, patient, group, episode.

    ``options`` (engine.options.EngineOptions, the job's ``engine:`` setting) default to
    HEDIS denominators from notes counted with the review flag ``denominator_from_notes``.
    ``memo``: a group's outcome is reused for patients whose evaluation would read the same values
    (:class:`_Memo`); False evaluates every group (the reference the memo is tested against).
    """
    options = options or DEFAULT_OPTIONS
    spec_list = sorted(specs.values() if isinstance(specs, Mapping) else specs, key=lambda s: s.id)
    by_patient: dict[str, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    origins: dict[str, str] = {}
    disputed: set[str] = set()
    for ev in evidence:
        by_patient[ev.patient_id][ev.element].append(ev)
        origins[ev.evidence_id] = ev.origin
        if "readers_disagree" in ev.review_flags:
            disputed.add(ev.evidence_id)
    frozen_disputed = frozenset(disputed)
    enc_by_patient: dict[str, list[Encounter]] = defaultdict(list)
    for enc in encounters:
        enc_by_patient[enc.patient_id].append(enc)
    outcomes: list[MeasureOutcome] = []
    plans = [_Plan(spec, memo) for spec in spec_list]
    for patient in sorted(patients, key=lambda p: p.patient_id):
        pid = patient.patient_id
        elements = {k: tuple(sorted(v, key=lambda e: e.evidence_id))
                    for k, v in by_patient.get(pid, {}).items()}
        encs = tuple(sorted(enc_by_patient.get(pid, ()),
                            key=lambda e: (e.start_date, e.encounter_id)))
        types = {t for e in encs for t in e.types}
        ages: dict[str, int] = {}
        contexts: dict[tuple[str, frozenset[str]], PatientContext] = {}  # one per undated policy and statuses
        for plan in plans:
            spec = plan.spec
            if spec.episode is None and not plan.admits(patient, period, ages):
                outcomes.extend(outside(pid) for outside in plan.outside)  # age or sex: outside the IPP
                continue
            ctx = contexts.get(plan.context_key)
            if ctx is None:
                ctx = contexts[plan.context_key] = PatientContext(
                    patient, period, elements, encs, spec.undated_policy, plan.context_key[1], options=options)
            if spec.episode is None:
                for group, outside, needs, reuse in zip(spec.groups, plan.outside, plan.encounters_needed,
                                                        plan.memos, strict=True):
                    if needs and any(types.isdisjoint(n) for n in needs):  # no visit the IPP asks for
                        outcomes.append(outside(pid))
                        continue
                    if reuse is not None and not encs:  # a patient without visits: the memo may know the outcome
                        outcomes.append(reuse.evaluate(patient, elements, ctx, origins, frozen_disputed))
                    else:
                        outcomes.append(_evaluate_group(spec, group, ctx, origins, disputed=frozen_disputed,
                                                        admitted=True))
                continue
            episodes = find_episodes(spec.episode, ctx)
            if not episodes:  # one row outside the population, like any patient outside the IPP
                outcomes.extend(outside(pid) for outside in plan.outside)
            for episode in episodes:
                ectx = ctx.with_episode(episode)
                outcomes.extend(_evaluate_group(spec, group, ectx, origins, disputed=frozen_disputed)
                                for group in spec.groups)
    outcomes.sort(key=OUTCOME_ORDER)
    return outcomes


def encounters_needed(node: Criterion | None) -> tuple[frozenset[str], ...]:
    """Sets of encounter types such that ``node`` cannot be met unless the patient has an encounter of one
    of the types of each set (``qm.encounter.v1`` is met by at least ``min_count >= 1`` encounters of its
    types); ``()``: no such condition is known. Only necessary conditions: a patient who has the
    encounters may still not meet ``node``."""
    if node is None or node.op == "not":
        return ()
    if node.op == "rule":
        return (frozenset(node.params.types),) if node.rule == "qm.encounter.v1" else ()  # type: ignore[union-attr]
    needs = [encounters_needed(child) for child in node.children]
    if node.op == "all":  # every child met: each child's conditions hold
        return tuple(n for child in needs for n in child)
    if all(needs):  # any: the child met hits one of its sets, so one of all the children's types
        return (frozenset().union(*(n for child in needs for n in child)),)
    return ()


class _Plan:
    """What ``calculate`` knows of a spec before it looks at a patient's evidence: the age band and sex
    of its initial population, the encounters each group's IPP needs, the outcome outside the IPP."""

    def __init__(self, spec: MeasureSpec, memo: bool = True) -> None:
        self.spec = spec
        self.outside = [_Outside(spec, group) for group in spec.groups]
        self.encounters_needed = [encounters_needed(group.populations.ipp) for group in spec.groups]
        self.context_key = (spec.undated_policy, frozenset(spec.count_statuses))
        self.memos = [_Memo(spec, group) if memo and spec.episode is None else None for group in spec.groups]

    def admits(self, patient: Patient, period: MeasurementPeriod, ages: dict[str, int]) -> bool:
        """``_in_age_band`` and the sex of ``_evaluate_group``, the patient's ages kept in ``ages``."""
        spec = self.spec
        if spec.sex not in ("any", patient.sex):
            return False
        band = spec.age
        anchor = period.start if band.at == "mp_start" else period.end
        age = ages.get(band.at)
        if age is None:
            age = ages[band.at] = age_in_years(patient.birth_date, anchor)
        return _age_in_band(band, age, patient.birth_date, anchor)


class _Trace:
    """What one evaluation of a group read of its patient, in order, each read once, with the value read:
    ``("patient", attribute)`` (a field of the patient), ``("age_on", day)`` and ``("months", day)`` (the
    patient's age in years or months on a day), ``("items", element)`` (whether the patient has evidence of
    the element). ``storable``: the outcome is a function of these values alone (no evidence was found, no
    value was unhashable, the evidence was not read as a whole)."""

    __slots__ = ("elements", "patient", "reads", "storable")

    def __init__(self, patient: Patient, elements: Mapping[str, tuple[Evidence, ...]]) -> None:
        self.patient = patient
        self.elements = elements
        self.reads: dict[tuple[str, Any], Any] = {}
        self.storable = True

    def read(self, key: tuple[str, Any], value: Any) -> None:
        if key in self.reads:
            return
        try:
            hash(value)
        except TypeError:
            self.storable = False
            return
        self.reads[key] = value


class _PatientProbe:
    """The patient as a traced evaluation sees it: every field read is recorded in the trace."""

    __slots__ = ("_trace",)

    def __init__(self, trace: _Trace) -> None:
        self._trace = trace

    def __getattr__(self, name: str) -> Any:
        if name == "_trace":
            raise AttributeError(name)
        trace = self._trace
        value = getattr(trace.patient, name)
        trace.read(("patient", name), value)
        return value


class _Reads(Mapping[str, tuple[Evidence, ...]]):
    """The patient's evidence by element as a traced evaluation sees it: each element looked up is recorded
    (found evidence makes the trace unstorable: the outcome then depends on the evidence itself)."""

    __slots__ = ("_trace",)

    def __init__(self, trace: _Trace) -> None:
        self._trace = trace

    def _found(self, key: str) -> tuple[Evidence, ...] | None:
        trace = self._trace
        found = trace.elements.get(key)
        trace.read(("items", key), bool(found))
        if found:
            trace.storable = False
        return found

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._found(key)
        return default if found is None else found

    def __getitem__(self, key: str) -> tuple[Evidence, ...]:
        found = self._found(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._found(key) is not None

    def __iter__(self) -> Iterator[str]:
        self._trace.storable = False
        return iter(self._trace.elements)

    def __len__(self) -> int:
        self._trace.storable = False
        return len(self._trace.elements)


@dataclass(frozen=True)
class _Traced(PatientContext):
    """A PatientContext whose patient, evidence and ages are read through a :class:`_Trace` (ages are
    recorded as ages, not as the birth date they come from)."""

    trace: Any = None

    def age(self, anchor: Any = "mp_end") -> int:
        return self.age_on(self.anchor_date(anchor))

    def age_months(self, anchor: Any = "mp_end") -> int:
        day = self.anchor_date(anchor)
        value = age_in_months(self.trace.patient.birth_date, day)
        self.trace.read(("months", day), value)
        return value

    def age_on(self, day: date) -> int:
        value = age_in_years(self.trace.patient.birth_date, day)
        self.trace.read(("age_on", day), value)
        return value


class _Step:
    """A node of :class:`_Memo`'s tree: the read made here and the node that follows each value read."""

    __slots__ = ("key", "next")

    def __init__(self, key: tuple[str, Any]) -> None:
        self.key = key
        self.next: dict[Any, Any] = {}


class _Memo:
    """The outcomes of one group of a spec (without episodes) for patients without visits, reused.

    A group's evaluation is a pure function of what it reads of the patient (criteria functions are pure):
    its fields, its ages on given days, and its evidence by element; the period, the options and the
    spec's undated policy and statuses are the same for every patient of a ``calculate`` call. An
    evaluation is traced (:class:`_Trace`); when it found no evidence, its outcome is stored at the end of
    its reads in a tree (each node: the next read; its branches: the values read). Another patient walks
    the tree with its own values: the same values give the same reads in the same order, so a leaf
    reached is that patient's outcome (its id set). A read of an element the patient has evidence of ends
    the walk: the group is evaluated as usual. Most patients of a partition have no evidence of most
    measures' elements: their outcomes differ only by the few ages the criteria compare."""

    MAX_TRACED = 256  # traced evaluations before giving up on a group whose outcomes are rarely reused

    def __init__(self, spec: MeasureSpec, group: GroupSpec) -> None:
        self.spec = spec
        self.group = group
        self.root: Any = None  # a _Step, a leaf (the outcome's fields) or None
        self.traced = 0
        self.reused = 0

    def evaluate(self, patient: Patient, elements: Mapping[str, tuple[Evidence, ...]], ctx: PatientContext,
                 origins: Mapping[str, str], disputed: frozenset[str]) -> MeasureOutcome:
        """The group's outcome for an admitted patient without visits (``ctx``: its context)."""
        node = self.root
        while type(node) is _Step:
            kind, arg = node.key
            if kind == "items":
                if elements.get(arg):  # evidence the outcome depends on
                    return _evaluate_group(self.spec, self.group, ctx, origins, disputed=disputed, admitted=True)
                value: Any = False
            elif kind == "age_on":
                value = age_in_years(patient.birth_date, arg)
            elif kind == "months":
                value = age_in_months(patient.birth_date, arg)
            else:
                value = getattr(patient, arg)
            node = node.next.get(value)
        if node is not None:
            self.reused += 1
            o = _new(MeasureOutcome)
            d = o.__dict__
            d.update(node)
            d["patient_id"] = patient.patient_id
            d["extra"] = {}
            return o
        if self.traced >= self.MAX_TRACED and self.reused < self.traced:
            return _evaluate_group(self.spec, self.group, ctx, origins, disputed=disputed, admitted=True)
        self.traced += 1
        trace = _Trace(patient, elements)
        traced = _Traced(_PatientProbe(trace), ctx.period, _Reads(trace), (), ctx.undated_policy,  # type: ignore[arg-type]
                         ctx.count_statuses, options=ctx.options, trace=trace)
        out = _evaluate_group(self.spec, self.group, traced, origins, disputed=disputed, admitted=True,
                              patient_id=patient.patient_id)
        if trace.storable:
            self._store(list(trace.reads.items()), dict(out.__dict__))
        return out

    def _store(self, reads: list[tuple[tuple[str, Any], Any]], leaf: dict[str, Any]) -> None:
        def chain(rest: list[tuple[tuple[str, Any], Any]]) -> Any:
            node: Any = leaf
            for key, value in reversed(rest):
                step = _Step(key)
                step.next[value] = node
                node = step
            return node

        if self.root is None:
            self.root = chain(reads)
            return
        node = self.root
        for i, (key, value) in enumerate(reads):
            if type(node) is not _Step or node.key != key:
                return  # not the reads of the tree (cannot happen for a pure evaluation): not stored
            child = node.next.get(value)
            if child is None:
                node.next[value] = chain(reads[i + 1:])
                return
            node = child


def _outside(spec: MeasureSpec, group: GroupSpec, patient: Patient) -> MeasureOutcome:
    return MeasureOutcome(patient_id=patient.patient_id, measure_id=spec.id, group=group.id,
                          populations=PopulationFlags(), measure_version=spec.version, inverse=spec.inverse,
                          measure_title=spec.title, group_title=group.title or "")
