"""The criteria registry: versioned names -> pure functions, referenced from measure YAML.

A spec names a function with ``rule: qm.latest_bp_controlled.v1`` and passes its parameters
beside it; each function declares a pydantic ``params`` model (``extra="forbid"``), so a
misspelt parameter fails when the spec loads, naming the file and the field.

Register a new function (in a module of ``engine/criteria``; every module of this package is
imported when the package is, so registration needs no other edit). Before adding one, check
that no building block does the job with other parameters: HEDIS and eCQM variants of a measure
differ in parameters, not in code. Params fields naming elements are typed ``ElementId``::

    class MyParams(RuleParams):
        elements: list[ElementId]
        threshold: float

    @register("qm.my_rule.v1", MyParams, describe=lambda p: f"value above {p.threshold}")
    def my_rule(ctx: PatientContext, params: MyParams) -> CriterionResult: ...

Names are ``<namespace>.<name>.v<N>``; change the version, not the behaviour, of a
published name.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

from engine.criteria.base import CriterionResult, PatientContext
from engine.errors import RegistryError, UnknownCriterionError

__all__ = ["CriteriaRule", "ElementId", "RuleParams", "get_rule", "register", "registered_names"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+\.v\d+$")


def _known_element(name: str) -> str:
    from engine.elements import load_vocabulary

    return load_vocabulary().check(name)


# An element id of the vocabulary (measures/elements.yaml): a spec naming any other fails to
# load, with the list of valid ids. Use it for every params field that names elements.
ElementId = Annotated[str, AfterValidator(_known_element)]


def _names_elements(annotation: Any) -> bool:
    if annotation is ElementId:
        return True
    return any(_names_elements(arg) for arg in typing.get_args(annotation))


class RuleParams(BaseModel):
    """Base of every params model: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              arbitrary_types_allowed=True)

    def element_names(self) -> Iterator[str]:
        """Every element id these params name (fields typed ``ElementId``, nested params too)."""
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, RuleParams):
                yield from value.element_names()
            elif _names_elements(info.annotation) and value is not None:
                yield from ([value] if isinstance(value, str) else value)


P = TypeVar("P", bound=RuleParams)
RuleFn = Callable[[PatientContext, Any], CriterionResult]


@dataclass(frozen=True)
class CriteriaRule:
    name: str
    fn: RuleFn
    params: type[RuleParams]
    describe: Callable[[Any], str]


_REGISTRY: dict[str, CriteriaRule] = {}


def register(name: str, params: type[P], *, describe: Callable[[P], str] | None = None
             ) -> Callable[[Callable[[PatientContext, P], CriterionResult]],
                           Callable[[PatientContext, P], CriterionResult]]:
    """Decorator registering a criteria function under a versioned name."""
    if not _NAME.match(name):
        raise RegistryError(
            f"Criteria name '{name}' is not of the form '<namespace>.<name>.v<N>' "
            "(e.g. 'qm.evidence.v1')."
        )

    def deco(fn: Callable[[PatientContext, P], CriterionResult]
             ) -> Callable[[PatientContext, P], CriterionResult]:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.fn is not fn:
            raise RegistryError(
                f"Criteria name '{name}' is already registered by {existing.fn.__module__}."
                f"{existing.fn.__qualname__}; register the new function under a new version."
            )
        _REGISTRY[name] = CriteriaRule(name, fn, params, describe or (lambda p: name))
        return fn

    return deco


def get_rule(name: str) -> CriteriaRule:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownCriterionError(name, _REGISTRY) from None


def registered_names() -> list[str]:
    return sorted(_REGISTRY)
