"""Criteria functions referenced from measure specs by versioned registry names.

Importing this package imports every module in it, so a new module (e.g. the eCQM rules in
``ecqm_*.py``) registers its functions without further edits. See ``registry.py`` for how
to register one and ``tree.py`` for how specs combine them.
"""

from __future__ import annotations

import importlib
import pkgutil

from engine.criteria.base import CriterionResult, Finding, GapReason, PatientContext
from engine.criteria.registry import RuleParams, get_rule, register, registered_names
from engine.criteria.tree import Criterion, describe_criterion, evaluate, parse_criterion

__all__ = [
    "Criterion",
    "CriterionResult",
    "Finding",
    "GapReason",
    "PatientContext",
    "RuleParams",
    "describe_criterion",
    "evaluate",
    "get_rule",
    "parse_criterion",
    "register",
    "registered_names",
]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
