"""The one precedence function and the gap rule, table-tested (CMS proportion-measure rules)."""

import pytest

from engine.populations import PopulationFlags as F
from engine.populations import apply_precedence, gap_open

T = True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # not in IPP: nothing else applies, whatever the criteria said
        (F(ipp=False, denom=T, denex=T, numer=T), F()),
        # in IPP, not in DENOM
        (F(ipp=T, denom=False, numer=T, denexcep=T), F(ipp=T)),
        # DENEX removes NUMER, NUMEX and DENEXCEP
        (F(ipp=T, denom=T, denex=T, numer=T, numex=T, denexcep=T), F(ipp=T, denom=T, denex=T)),
        # NUMER wins over DENEXCEP
        (F(ipp=T, denom=T, numer=T, denexcep=T), F(ipp=T, denom=T, numer=T)),
        # DENEXCEP stands when the numerator is not met
        (F(ipp=T, denom=T, denexcep=T), F(ipp=T, denom=T, denexcep=T)),
        # NUMEX only inside NUMER
        (F(ipp=T, denom=T, numex=T), F(ipp=T, denom=T)),
        (F(ipp=T, denom=T, numer=T, numex=T), F(ipp=T, denom=T, numer=T, numex=T)),
    ],
)
def test_precedence_table(raw: F, expected: F) -> None:
    assert apply_precedence(raw) == expected


@pytest.mark.parametrize(
    ("flags", "inverse", "open_"),
    [
        (F(ipp=T, denom=T), False, True),
        (F(ipp=T, denom=T, numer=T), False, False),
        (F(ipp=T, denom=T, denex=T), False, False),
        (F(ipp=T, denom=T, denexcep=T), False, False),
        (F(ipp=T), False, False),
        # inverse (lower is better): the gap is open when the patient IS in the numerator
        (F(ipp=T, denom=T, numer=T), True, True),
        (F(ipp=T, denom=T), True, False),
        (F(ipp=T, denom=T, denex=T), True, False),
    ],
)
def test_gap_rule_respects_improvement_notation(flags: F, inverse: bool, open_: bool) -> None:
    assert gap_open(flags, inverse=inverse) is open_
