"""Criteria trees as written in measure YAML: ``all`` / ``any`` / ``not`` over registered rules.

YAML forms (each node may carry a ``label`` an analyst reads in ``qae measures show``)::

    any:                                   # one of
      - rule: qm.evidence.v1               # a registered criteria function + its params
        elements: [colonoscopy]
        window: {from: mp_start - 9y, to: mp_end}
      - elements: [fobt]                   # 'rule' may be left out for qm.evidence.v1
        window: {from: mp_start, to: mp_end}
    all: [...]                             # every one
    not: {...}                             # the opposite

Combinator results: ``all`` is met when every child is, ``any`` when one is; evidence ids
are those of the children that decided the result; gap findings are kept from the children
that were not met (or, when met, from those met, for inverse measures); review flags come
from every child when the node is not met, and from the deciding children when it is (a
denominator met only from notes keeps its ``denominator_from_notes`` flag; an undated
colonoscopy does not flag a patient whose FIT this year closed the gap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from engine.criteria.base import CriterionResult, PatientContext, unique
from engine.criteria.registry import get_rule, registered_names

__all__ = ["Criterion", "describe_criterion", "evaluate", "parse_criterion"]

DEFAULT_RULE = "qm.evidence.v1"
_COMBINATORS = ("all", "any", "not")


@dataclass(frozen=True)
class Criterion:
    op: Literal["all", "any", "not", "rule"]
    children: tuple[Criterion, ...] = ()
    rule: str | None = None
    params: BaseModel | None = None
    label: str | None = None


def _fail(path: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("criterion", "{path}: {message}",
                               {"path": path or "(top)", "message": message})


def parse_criterion(raw: Any, path: str = "") -> Criterion:
    """Build a :class:`Criterion` from YAML data; errors carry the path inside the tree."""
    if isinstance(raw, Criterion):
        return raw
    if not isinstance(raw, Mapping):
        raise _fail(path, f"expected a mapping with one of {', '.join(_COMBINATORS)} or 'rule', "
                          f"got {type(raw).__name__}")
    data = dict(raw)
    label = data.pop("label", None)
    if label is not None and not isinstance(label, str):
        raise _fail(f"{path}.label".lstrip("."), "label must be text")
    ops = [k for k in _COMBINATORS if k in data]
    if ops:
        if len(ops) > 1 or len(data) > 1:
            raise _fail(path, f"a '{ops[0]}' node takes only '{ops[0]}' and 'label'; "
                              f"found keys: {', '.join(sorted(raw))}")
        op = ops[0]
        body = data[op]
        if op == "not":
            return Criterion("not", (parse_criterion(body, f"{path}.not".lstrip(".")),), label=label)
        if not isinstance(body, list) or not body:
            raise _fail(f"{path}.{op}".lstrip("."), f"'{op}' needs a non-empty list of criteria")
        children = tuple(parse_criterion(c, f"{path}.{op}[{i}]".lstrip("."))
                         for i, c in enumerate(body))
        return Criterion(op, children, label=label)  # type: ignore[arg-type]
    name = data.pop("rule", DEFAULT_RULE if "elements" in data else None)
    if name is None:
        raise _fail(path, "a criterion needs 'rule: <registered name>' (or 'elements' for "
                          f"{DEFAULT_RULE}) or one of {', '.join(_COMBINATORS)}; "
                          f"registered rules: {', '.join(registered_names())}")
    try:
        rule = get_rule(str(name))
    except KeyError as exc:
        raise _fail(f"{path}.rule".lstrip("."), str(exc)) from None
    try:
        params = rule.params.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] in ("extra_forbidden", "missing"):
            allowed = ", ".join(sorted(f.alias or n for n, f in rule.params.model_fields.items()))
            msg += f" (rule {rule.name} takes: {allowed})"
        raise _fail(f"{path}.{loc}".lstrip("."), msg) from None
    return Criterion("rule", rule=rule.name, params=params, label=label)


def evaluate(node: Criterion, ctx: PatientContext) -> CriterionResult:
    if node.op == "rule":
        assert node.rule is not None
        return get_rule(node.rule).fn(ctx, node.params)
    results = [evaluate(child, ctx) for child in node.children]
    if node.op == "not":
        inner = results[0]
        return CriterionResult(not inner.met, inner.evidence_ids)
    if node.op == "all":
        met = all(r.met for r in results)
        deciding = results if met else [r for r in results if not r.met]
    else:
        met = any(r.met for r in results)
        deciding = [r for r in results if r.met] if met else results
    if len(deciding) == 1 and (met or len(results) == 1):
        only = deciding[0]
        return CriterionResult(met, only.evidence_ids, only.findings, only.flags)
    return CriterionResult(
        met,
        unique([i for r in deciding for i in r.evidence_ids]),
        tuple(dict.fromkeys(f for r in deciding for f in r.findings)),
        unique([f for r in (deciding if met else results) for f in r.flags]),
    )


def describe_criterion(node: Criterion, indent: int = 0) -> list[str]:
    """Plain-language lines for a quality analyst."""
    pad = "  " * indent
    if node.op == "rule":
        rule = get_rule(node.rule or DEFAULT_RULE)
        text = node.label or rule.describe(node.params)
        return [f"{pad}- {text}"]
    head = {"all": "all of:", "any": "any of:", "not": "not:"}[node.op]
    lines = [f"{pad}- {node.label + ' — ' if node.label else ''}{head}"]
    for child in node.children:
        lines.extend(describe_criterion(child, indent + 1))
    return lines
