"""Criteria functions referenced from measure specs by versioned registry names.

One layer of building blocks serves every program (HEDIS, eCQM, MIPS): their differences are
parameters in the spec YAML, and every block records why it was not met, so the care-gap reason
comes from the same record whichever variant ran:

* ``select.py``     ``qm.evidence.v1`` (evidence by element, status, timing, window), ``qm.age.v1``
* ``encounters.py`` ``qm.encounter.v1`` (encounters by tag)
* ``counts.py``     ``qm.distinct_dates.v1`` (count distinct dates: two visits, two doses)
* ``values.py``     the most recent value: status, blood pressure, HbA1c/GMI, a PHQ-9 score
* ``exclusions.py`` ``qm.common_exclusions.v1`` (hospice, palliative, frailty, nursing home, death)
* ``eye_exam.py``, ``screening.py``  the diabetic eye exam; depression screening and follow-up
* ``dating.py``     where evidence lies in time (the one rule set the blocks use)

Importing this package imports every module in it, so a new module registers its functions
without further edits. See ``registry.py`` for how to register one and ``tree.py`` for how
specs combine them.
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
