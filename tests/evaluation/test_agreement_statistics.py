"""Agreement statistics against published worked examples with known answers."""

from __future__ import annotations

import pytest

from evaluation.agreement import BinaryCounts, cohen_kappa, f1_interval, wilson, z_value


def test_wilson_newcombe_1998_worked_examples() -> None:
    """Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
    methods. Stat Med 1998;17:857-872, Table II, method 3 (Wilson score, no continuity correction):
    81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611; 1/29 -> 0.0061-0.1718."""
    cases = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605), (0, 20): (0.0, 0.1611),
             (1, 29): (0.0061, 0.1718)}
    for (k, n), (low, high) in cases.items():
        est = wilson(k, n)
        assert est.value == pytest.approx(k / n)
        assert (round(est.low, 4), round(est.high, 4)) == (low, high), (k, n)


def test_wilson_all_successes_reaches_one_and_n_n_is_not_degenerate() -> None:
    """n/n: the upper limit is exactly 1 and the lower one is n / (n + z^2) (hand-computed from the
    Wilson formula with p = 1: centre +- half-width = (1 + z^2/2n -+ z^2/2n) / (1 + z^2/n)).
    For 16/16 (one HEDIS MRRV sample with no error): 16 / (16 + 3.8415) = 0.8064."""
    z2 = z_value(0.95) ** 2
    for n in (1, 16, 20, 263):
        est = wilson(n, n)
        assert est.high == 1.0
        assert est.low == pytest.approx(n / (n + z2))
    assert round(wilson(16, 16).low, 4) == 0.8064
    assert round(wilson(20, 20).low, 4) == 0.8389  # Newcombe Table II gives 0/20 -> 0.1611 by symmetry


def test_wilson_undefined_for_zero_trials() -> None:
    est = wilson(0, 0)
    assert est.value is None and est.text() == "-"
    with pytest.raises(ValueError):
        wilson(5, 3)


def test_cohen_kappa_textbook_two_by_two() -> None:
    """Kaptein M, van den Heuvel E. Statistics for Data Scientists (Springer 2022), ch. 6 "Multiple
    Random Variables", Table 6.1 "Examples of Cohen's kappa statistic", first table: X=1/Y=1 20,
    X=1/Y=2 5, X=2/Y=1 10, X=2/Y=2 65 (n=100), for which the text gives kappa 0.625.
    By hand: p_o = 0.85, p_e = 0.25*0.30 + 0.75*0.70 = 0.60, kappa = (0.85 - 0.60) / (1 - 0.60) = 0.625."""
    est = cohen_kappa([[20, 5], [10, 65]])
    assert est.value == pytest.approx(0.625)
    assert est.numerator == pytest.approx(0.85) and est.denominator == pytest.approx(0.60)


def test_cohen_kappa_and_fce_standard_error_match_sas_output() -> None:
    """SAS PROC FREQ (AGREE) output for the 3x3 table [[0,4,1],[0,8,0],[0,1,5]], as reproduced in
    statsmodels' test_inter_rater.py: Kappa 0.4842, ASE 0.1380, 95% limits 0.2137-0.7547. SAS's
    ASE is the Fleiss, Cohen & Everitt (1969) large-sample standard error."""
    est = cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert round(est.value, 4) == 0.4842
    assert round(est.se, 4) == 0.1380
    assert (round(est.low, 4), round(est.high, 4)) == (0.2137, 0.7547)


def test_cohen_kappa_fleiss_cohen_everitt_example() -> None:
    """Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and weighted kappa.
    Psychol Bull 1969;72:323-327: the worked example (n=200; cell proportions .53 .05 .02 / .11
    .14 .05 / .01 .06 .03): kappa = .429 (p_o = .70, p_e = .475), standard error .0537."""
    table = [[106, 10, 4], [22, 28, 10], [2, 12, 6]]
    est = cohen_kappa(table)
    assert round(est.value, 3) == 0.429
    assert est.numerator == pytest.approx(0.70) and est.denominator == pytest.approx(0.475)
    assert round(est.se, 4) == 0.0537


def test_cohen_kappa_undefined_when_both_raters_use_one_category() -> None:
    assert cohen_kappa([[12, 0], [0, 0]]).value is None
    perfect = cohen_kappa([[7, 0], [0, 9]])
    assert perfect.value == pytest.approx(1.0) and perfect.high == 1.0


def test_binary_counts_metrics_by_hand() -> None:
    """tp=45 fp=3 fn=5 tn=47: sensitivity 45/50, specificity 47/50, PPV 45/48, NPV 47/52,
    F1 = 90/98, agreement 92/100; kappa by hand: p_e = 0.48*0.50 + 0.52*0.50 = 0.50, (0.92-0.5)/0.5 = 0.84."""
    counts = BinaryCounts(tp=45, fp=3, fn=5, tn=47)
    m = counts.metrics()
    assert m["sensitivity"].value == pytest.approx(0.9)
    assert m["specificity"].value == pytest.approx(0.94)
    assert m["ppv"].value == pytest.approx(45 / 48)
    assert m["npv"].value == pytest.approx(47 / 52)
    assert m["f1"].value == pytest.approx(90 / 98)
    assert m["agreement"].value == pytest.approx(0.92)
    assert m["kappa"].value == pytest.approx(0.84)
    assert m["ppv"].low < m["ppv"].value < m["ppv"].high


def test_f1_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    clusters = [(1, 0, 0)] * 40 + [(0, 1, 0)] * 4 + [(0, 0, 1)] * 6 + [(2, 0, 1)] * 10
    a = f1_interval(clusters, seed=11, replicates=1000)
    b = f1_interval(clusters, seed=11, replicates=1000)
    c = f1_interval(clusters, seed=12, replicates=1000)
    assert (a.low, a.high) == (b.low, b.high)  # same seed, same interval
    assert (a.low, a.high) != (c.low, c.high)
    assert a.value == pytest.approx(2 * 60 / (2 * 60 + 4 + 16))
    assert a.low < a.value < a.high and a.high <= 1.0
    assert f1_interval([(0, 0, 0)] * 5).value is None
