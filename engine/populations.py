"""Population membership and the one precedence function shared by every measure.

Population names follow fqm-execution's ``PopulationType`` (FHIR measure-population codes).
HEDIS terms ("eligible population", "required exclusion") are mapped in each spec's
``population_terms``, not in code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

__all__ = ["PopulationFlags", "PopulationType", "apply_precedence", "gap_open"]


class PopulationType(str, Enum):
    IPP = "initial-population"
    DENOM = "denominator"
    DENEX = "denominator-exclusion"
    DENEXCEP = "denominator-exception"
    NUMER = "numerator"
    NUMEX = "numerator-exclusion"


@dataclass(frozen=True)
class PopulationFlags:
    ipp: bool = False
    denom: bool = False
    denex: bool = False
    denexcep: bool = False
    numer: bool = False
    numex: bool = False

    def as_ints(self) -> dict[str, int]:
        return {"ipp": int(self.ipp), "denom": int(self.denom), "denex": int(self.denex),
                "denexcep": int(self.denexcep), "numer": int(self.numer), "numex": int(self.numex)}


def apply_precedence(raw: PopulationFlags) -> PopulationFlags:
    """Proportion-measure precedence, applied to the raw result of each population's criteria.

    Source: CMS "eCQM Measure Calculations" (proportion measures) and the HL7 CQF Measures
    IG population-criteria table, as implemented by fqm-execution
    ``handleStandardPopulationValues`` (src/calculation/DetailedResultsBuilder.ts):

    * not in IPP -> no other population applies;
    * DENOM only within the IPP; not in DENOM -> no DENEX, DENEXCEP, NUMER, NUMEX;
    * DENEX removes the patient from NUMER, NUMEX and DENEXCEP;
    * NUMER wins over DENEXCEP (an excepted patient who met the numerator counts as met);
    * NUMEX only within NUMER.
    """
    if not raw.ipp:
        return PopulationFlags()
    if not raw.denom:
        return PopulationFlags(ipp=True)
    if raw.denex:
        return PopulationFlags(ipp=True, denom=True, denex=True)
    if raw.numer:
        return replace(raw, denexcep=False)
    return replace(raw, numex=False)


def gap_open(flags: PopulationFlags, *, inverse: bool) -> bool:
    """The care-gap rule, respecting improvement notation (after precedence).

    Positive (higher is better): DENOM and not DENEX, DENEXCEP or NUMER.
    Inverse (lower is better, e.g. HbA1c poor control): DENOM, not DENEX/DENEXCEP, and in NUMER
    (and not removed by NUMEX).
    """
    if not flags.denom or flags.denex or flags.denexcep:
        return False
    if inverse:
        return flags.numer and not flags.numex
    return not flags.numer or flags.numex
