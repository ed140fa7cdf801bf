"""Measure specs as data: ``measures/<ID>.yaml`` -> validated :class:`MeasureSpec`.

One file per measure, readable by a quality analyst (see measures/COL-E.yaml for a
commented example). Top-level fields:

``id``, ``title``, ``version``, ``aliases`` (ids a job or CLI may use, unique across specs),
``programs`` (HEDIS / CMS eCQM / MIPS quality ids, MSSP APP Plus), ``description``,
``improvement`` (``increase``; ``decrease`` = inverse measure, lower is better), ``age``
(``min``/``max`` in years or ``min_months``, ``at: mp_end|mp_start``), ``strata`` (optional
age strata reported beside the measure, e.g. COL-E 46-49 and 50-75: a list of ``{id, min,
max, at}``; ``at`` defaults to the measure's age anchor), ``sex`` (``any``, ``F``,
``M``), ``undated_policy`` (``count``, ``ignore`` or ``review``; default ``review``: undated
evidence counts as not met and the outcome is flagged for review), ``count_statuses``
(default ``[affirmed]``), ``populations`` (ipp, denom, denex, denexcep, numer, numex criteria
trees, see engine/criteria/tree.py) or ``groups`` (a list of ``{id, title, service, populations}``
for measures with several population groups), ``population_terms`` (the program's own
names, e.g. HEDIS "required exclusion"), ``gap_actions`` (clinic action per gap reason),
``service`` (what the clinic does to close a gap, in a few words, e.g. "Colorectal cancer
screening": measures naming the same service share one worklist row per patient, so COL-E and
CMS130 give one colonoscopy row; a list names services in order of preference: the row joins the
first one already on the patient's worklist, else the first; a group's ``service`` overrides the
measure's) and ``notes`` (how the spec reads the published text).

Errors name the file and the field (:class:`engine.errors.SpecError`). Adding a measure is
adding a file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.criteria import Criterion, GapReason, parse_criterion
from engine.criteria.base import AgeAnchor, UndatedPolicy
from engine.episodes import EpisodeSpec
from engine.errors import DeprecatedMeasureWarning, SpecError, UnknownMeasureError
from engine.periods import DateExpr, MeasurementPeriod, Window
from engine.records import STATUSES, Status

__all__ = [
    "AgeBand",
    "GroupSpec",
    "MeasureSpec",
    "MeasurementPeriod",
    "Populations",
    "Programs",
    "Stratum",
    "default_measures_dir",
    "load_spec",
    "load_specs",
    "resolve_measures",
    "spec_elements",
]

POPULATION_NAMES = ("ipp", "denom", "denex", "denexcep", "numer", "numex")
NOT_SPECS = frozenset({"elements.yaml"})  # the element vocabulary lives beside the specs


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Programs(_Strict):
    hedis: str | None = None  # e.g. "COL-E (MY2026)"
    cms_ecqm: str | None = None  # e.g. "CMS130v14"
    mips_quality: str | None = None  # e.g. "113"
    mssp_app_plus: str | None = None  # e.g. "PY2026" (year it joined the set), null if not in it
    stars: str | None = None


class AgeBand(_Strict):
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)
    min_months: int | None = Field(None, ge=0)  # e.g. 6 for "6 months and older"
    at: AgeAnchor = "mp_end"

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"age.max ({self.max}) is below age.min ({self.min})")
        return self

    def short(self) -> str:
        """Compact form for tables: ``46-75``, ``66+ (MP start)``, ``6 months+``."""
        if self.min_months is not None and self.min is None:
            band = f"{self.min_months} months+"
        elif self.min is not None and self.max is not None:
            band = f"{self.min}-{self.max}"
        elif self.min is not None:
            band = f"{self.min}+"
        elif self.max is not None:
            band = f"<= {self.max}"
        else:
            band = "any"
        return band + (" (MP start)" if self.at == "mp_start" else "")

    def describe(self) -> str:
        at = "end" if self.at == "mp_end" else "start"
        if self.min_months is not None and self.min is None:
            low = f"{self.min_months} months or older"
        elif self.min is not None and self.max is not None:
            return f"aged {self.min}-{self.max} at the {at} of the measurement period"
        elif self.min is not None:
            low = f"{self.min} or older"
        elif self.max is not None:
            return f"aged {self.max} or younger at the {at} of the measurement period"
        else:
            return "of any age"
        return f"aged {low} at the {at} of the measurement period"


class Stratum(_Strict):
    """An age stratum the measure is reported by (CMS130: 46-49 and 50-75)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)
    at: AgeAnchor | None = None  # None: the measure's age anchor (age.at)

    @model_validator(mode="after")
    def _bounded(self) -> Stratum:
        if self.min is None and self.max is None:
            raise ValueError(f"stratum '{self.id}' needs min, max or both (ages in years)")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"stratum '{self.id}': max ({self.max}) is below min ({self.min})")
        return self

    def contains(self, age: int) -> bool:
        return (self.min is None or age >= self.min) and (self.max is None or age <= self.max)

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            ages = f"{self.min}-{self.max}"
        elif self.min is not None:
            ages = f"{self.min} or older"
        else:
            ages = f"{self.max} or younger"
        return f"aged {ages}" if self.id == ages.replace(" or older", "+") or self.id == ages \
            else f"{self.id} (aged {ages})"


def _criterion(value: Any) -> Criterion | None:
    return None if value is None else parse_criterion(value)


class Populations(_Strict):
    ipp: Criterion | None = None  # besides age and sex; None: everyone of that age and sex
    denom: Criterion | None = None  # besides the IPP; None: denominator = IPP
    denex: Criterion | None = None
    denexcep: Criterion | None = None
    numer: Criterion
    numex: Criterion | None = None

    @field_validator(*POPULATION_NAMES, mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Criterion | None:
        return _criterion(value)


def _services(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value or ())
    out = tuple(str(v).strip() for v in items)
    if any(not v for v in out):
        raise ValueError("a service is a few words naming what the clinic does (e.g. 'Mammogram'), not empty")
    return out


class GroupSpec(_Strict):
    id: str = Field(min_length=1)
    title: str | None = None
    service: tuple[str, ...] = ()  # overrides the measure's service (see the module docstring)
    populations: Populations

    @field_validator("service", mode="before")
    @classmethod
    def _service(cls, v: Any) -> tuple[str, ...]:
        return _services(v)


class MeasureSpec(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    programs: Programs = Programs()
    description: str = ""
    improvement: Literal["increase", "decrease"] = "increase"
    age: AgeBand = AgeBand()
    strata: tuple[Stratum, ...] = ()
    sex: Literal["any", "F", "M"] = "any"
    undated_policy: UndatedPolicy = "review"
    count_statuses: tuple[Status, ...] = ("affirmed",)
    population_terms: dict[str, str] = Field(default_factory=dict)
    populations: Populations | None = None
    groups: tuple[GroupSpec, ...] = ()
    episode: EpisodeSpec | None = None  # counted per episode of care (engine/episodes.py)
    gap_actions: dict[GapReason, str] = Field(default_factory=dict)
    service: tuple[str, ...] = ()  # the clinic service that closes a gap (worklist rows merge on it)
    notes: tuple[str, ...] = ()
    # old ids that still resolve to this measure, with a warning (e.g. PNEU, FLU -> AIS-E)
    deprecated_aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("population_terms")
    @classmethod
    def _terms(cls, v: dict[str, str]) -> dict[str, str]:
        bad = sorted(set(v) - set(POPULATION_NAMES))
        if bad:
            raise ValueError(f"unknown population(s) {', '.join(bad)}; use: {', '.join(POPULATION_NAMES)}")
        return v

    @field_validator("strata")
    @classmethod
    def _strata(cls, v: tuple[Stratum, ...]) -> tuple[Stratum, ...]:
        ids = [s.id for s in v]
        if len(set(ids)) != len(ids):
            raise ValueError(f"strata ids must be unique, got {ids}")
        return v

    @field_validator("service", mode="before")
    @classmethod
    def _service(cls, v: Any) -> tuple[str, ...]:
        return _services(v)

    @field_validator("count_statuses")
    @classmethod
    def _statuses(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError(f"give at least one status; valid: {', '.join(STATUSES)}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _one_group(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("populations") is not None:
            if data.get("groups"):
                raise ValueError("give either 'populations' (one group) or 'groups', not both")
            data = {**data, "groups": [{"id": "1", "populations": data["populations"]}]}
        return data

    @model_validator(mode="after")
    def _groups(self) -> MeasureSpec:
        if not self.groups:
            raise ValueError("give 'populations' (one group) or 'groups' (several); found neither")
        ids = [g.id for g in self.groups]
        if len(set(ids)) != len(ids):
            raise ValueError(f"group ids must be unique, got {ids}")
        return self

    @model_validator(mode="after")
    def _episode_anchors(self) -> MeasureSpec:
        if self.episode is None:
            for group in self.groups:
                for name in POPULATION_NAMES:
                    used = _episode_anchors(getattr(group.populations, name))
                    if used:
                        raise ValueError(f"group '{group.id}' {name} uses {', '.join(sorted(used))} but the measure "
                                         "defines no 'episode' (see engine/episodes.py)")
        return self

    def services(self, group_id: str) -> tuple[str, ...]:
        """The services of a group, in order of preference (the group's own, else the measure's; at
        least the title, so a spec without ``service`` still has its own worklist rows)."""
        group = next((g for g in self.groups if g.id == group_id), None)
        return (group.service if group is not None and group.service else self.service) or (self.title,)

    def stratum_for(self, age_at: Callable[[AgeAnchor], int]) -> str:
        """The id of the first stratum holding the patient's age (``""``: none, or no strata)."""
        for stratum in self.strata:
            if stratum.contains(age_at(stratum.at or self.age.at)):
                return stratum.id
        return ""

    @property
    def inverse(self) -> bool:
        return self.improvement == "decrease"

    @property
    def names(self) -> tuple[str, ...]:
        """The id, every alias and every deprecated alias (the forms resolve_measures accepts)."""
        return tuple(dict.fromkeys((self.id, *self.aliases, *self.deprecated_aliases)))


def _episode_anchors(node: Criterion | None) -> set[str]:
    """Episode anchors (episode_start / episode_end) used by the windows of a criterion tree."""
    if node is None:
        return set()
    found: set[str] = set()
    if node.params is not None:
        for value in _param_values(node.params):
            if isinstance(value, Window):
                found |= {a for a in value.anchors if a.startswith("episode_")}
            elif isinstance(value, DateExpr) and value.anchor.startswith("episode_"):
                found.add(value.anchor)
    for child in node.children:
        found |= _episode_anchors(child)
    return found


def _param_values(params: BaseModel) -> Iterator[Any]:
    for name in type(params).model_fields:
        value = getattr(params, name)
        if isinstance(value, BaseModel) and not isinstance(value, Window):
            yield from _param_values(value)
        else:
            yield value


def _criterion_elements(node: Criterion | None) -> Iterator[str]:
    if node is None:
        return
    if node.params is not None and hasattr(node.params, "element_names"):
        yield from node.params.element_names()
    for child in node.children:
        yield from _criterion_elements(child)


def spec_elements(spec: MeasureSpec) -> list[str]:
    """Every element id the spec's criteria name, sorted (all are in the element vocabulary)."""
    found: set[str] = set()
    for group in spec.groups:
        for name in POPULATION_NAMES:
            found.update(_criterion_elements(getattr(group.populations, name)))
    if spec.episode is not None and hasattr(spec.episode, "elements"):
        found.update(spec.episode.elements)
    return sorted(found)


def default_measures_dir() -> Path:
    import measures

    return Path(measures.__file__).parent


def _format_error(err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in err.get("loc", ())]
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "criterion":
        inner = ctx.get("path", "")
        if inner and inner != "(top)":
            loc.append(inner)
        msg = str(ctx.get("message", msg))
    return ".".join(loc) or "(top)", msg


def load_spec(path: Path) -> MeasureSpec:
    """Load and validate one spec file; SpecError names the file and the field."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror}).", file=name) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"is not valid YAML: {exc}", file=name) from None
    if not isinstance(raw, dict):
        raise SpecError("must be a YAML mapping with id, title, version, populations ...", file=name)
    try:
        spec = MeasureSpec.model_validate(raw)
    except ValidationError as exc:
        field, msg = _format_error(exc.errors()[0])
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        allowed = ""
        if "extra" in str(exc.errors()[0].get("type", "")):
            allowed = f"; top-level fields: {', '.join(MeasureSpec.model_fields)}"
        raise SpecError(f"{msg}{allowed}{more}", file=name, field=field) from None
    if spec.id != path.stem:
        raise SpecError(f"id '{spec.id}' must equal the file name '{path.stem}' (one file per measure).",
                        file=name, field="id")
    return spec


def load_specs(directory: Path | None = None) -> dict[str, MeasureSpec]:
    """All ``*.yaml`` specs in ``directory`` (default: the installed ``measures`` package)."""
    directory = Path(directory) if directory is not None else default_measures_dir()
    if not directory.is_dir():
        raise SpecError(f"measure spec directory {directory} does not exist.")
    specs: dict[str, MeasureSpec] = {}
    owner: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in NOT_SPECS:
            continue
        spec = load_spec(path)
        for name in spec.names:
            key = name.lower()
            if key in owner and owner[key] != spec.id:
                raise SpecError(f"alias '{name}' is already used by {owner[key]}.yaml; aliases must "
                                "be unique across specs.", file=path.name, field="aliases")
            owner[key] = spec.id
        specs[spec.id] = spec
    return dict(sorted(specs.items()))


def resolve_measures(ids: Sequence[str] | None, specs: dict[str, MeasureSpec]) -> list[MeasureSpec]:
    """Specs for ids or aliases (case-insensitive), in the order asked; None = all by id."""
    if ids is None:
        return [specs[k] for k in sorted(specs)]
    lookup = {name.lower(): spec for spec in specs.values() for name in spec.names}
    deprecated = {name.lower(): (name, why, spec.id) for spec in specs.values()
                  for name, why in spec.deprecated_aliases.items()}
    out: dict[str, MeasureSpec] = {}
    for requested in ids:
        key = str(requested).strip().lower()
        spec = lookup.get(key)
        if spec is None:
            raise UnknownMeasureError(str(requested), specs)
        if key in deprecated:
            name, why, target = deprecated[key]
            warnings.warn(DeprecatedMeasureWarning(
                f"measure id '{str(requested).strip()}' is deprecated ({why}); it resolves to {target}."),
                stacklevel=2)
        out.setdefault(spec.id, spec)
    return list(out.values())
