"""Measure-outcome categories compared between the engine and chart review.

One category per outcome row (patient x measure x group x episode), named by the populations
(after precedence, engine/populations.py):

=================== ================================================================
``numerator``       in the denominator, not excluded, numerator met (not removed by NUMEX)
``not_numerator``   in the denominator, not excluded, numerator not met
``excluded``        a denominator exclusion or exception
``not_eligible``    outside the denominator (not in the initial population, or IPP only)
=================== ================================================================

For a positive measure the numerator closes the gap ("numerator met" / "gap open"); for an
inverse measure (GSD-POOR: lower is better) the numerator *is* the open gap. The sample's
strata are the first three; a reviewer's answers may put a sampled patient in any of the four.
"""

from __future__ import annotations

from engine.calculator import MeasureOutcome
from engine.populations import PopulationFlags

__all__ = ["CATEGORIES", "STRATA", "category_label", "category_of", "outcome_label"]

CATEGORIES = ("numerator", "not_numerator", "excluded", "not_eligible")
STRATA = ("numerator", "not_numerator", "excluded")


def category_of(flags: PopulationFlags) -> str:
    if not flags.denom:
        return "not_eligible"
    if flags.denex or flags.denexcep:
        return "excluded"
    if flags.numer and not flags.numex:
        return "numerator"
    return "not_numerator"


def category_label(category: str, inverse: bool = False) -> str:
    """Plain words for a category, respecting improvement notation."""
    if category == "numerator":
        return "numerator met (gap open)" if inverse else "numerator met (gap closed)"
    if category == "not_numerator":
        return "not in numerator (gap closed)" if inverse else "gap open"
    if category == "excluded":
        return "excluded / exception"
    return "not in denominator"


def outcome_label(outcome: MeasureOutcome, multi_group: bool) -> str:
    """``COL-E`` or ``AIS-E-influenza`` (the summary's label for a measure group)."""
    return f"{outcome.measure_id}-{outcome.group}" if multi_group else outcome.measure_id
