"""The report's statistics agree with scipy, statsmodels and hand-checked textbook numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from archbench.report.stats import (
    holm,
    holm_adjust,
    paired_test,
    scalar,
    seeds_to_detect,
    seeds_to_show_equivalence,
    summarize,
    welch_test,
)

BEST = np.array([0.010, 0.012, 0.011, 0.013])
WORSE = np.array([0.015, 0.019, 0.014, 0.021])


def test_summary_ci_matches_scipy_t_interval():
    values = [0.91, 0.94, 0.89, 0.95, 0.92]
    summary = summarize(values)
    x = np.array(values)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert summary.n == 5
    assert summary.mean == pytest.approx(x.mean())
    assert summary.std == pytest.approx(x.std(ddof=1))
    assert (summary.ci_low, summary.ci_high) == pytest.approx((low, high))


def test_summary_ignores_nan_and_one_run_has_no_interval():
    assert summarize([1.0, math.nan, 3.0]).n == 2
    single = summarize([2.5, math.nan])
    assert (single.n, single.mean) == (1, 2.5)
    assert math.isnan(single.std) and math.isnan(single.ci_low) and math.isnan(single.ci_high)
    assert summarize([]).n == 0


def test_intervals_stay_inside_the_metric_range():
    accuracy = summarize([0.97, 1.0, 1.0, 0.99], bounds=(0.0, 1.0))  # unclipped t-interval reaches 1.01
    mse = summarize([0.001, 0.050, 0.002], bounds=(0.0, math.inf))  # unclipped: [-0.05, 0.09]
    assert accuracy.ci_high == 1.0 and 0 < accuracy.ci_low < accuracy.mean
    assert mse.ci_low == 0.0 and mse.ci_high > mse.mean
    assert summarize([0.97, 1.0, 1.0, 0.99]).ci_high > 1.0  # the clip is what keeps it inside


def test_holm_matches_textbook_example():
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> raised to 0.06 by monotonicity
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_leaves_nan_out_of_the_family():
    adjusted = holm([0.6, math.nan, 0.7])
    assert adjusted[0] == 1.0  # 0.6 * 2
    assert math.isnan(adjusted[1])
    assert adjusted[2] == 1.0
    assert holm([]) == []


def test_holm_matches_statsmodels_on_random_rows():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(1).uniform(0, 0.2, size=(10, 6)) ** 2  # multipletests is slow here: few rows
    expected = np.array([multitest.multipletests(row, method="holm")[1] for row in p])
    np.testing.assert_allclose(holm_adjust(p), expected, rtol=1e-12)


def test_paired_test_matches_scipy_ttest_rel():
    result = scalar(paired_test(WORSE, BEST, margin=0.001))
    expected = stats.ttest_rel(WORSE, BEST)
    assert result.test == "paired t"
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    diffs = WORSE - BEST
    assert result.effect_size == pytest.approx(diffs.mean() / diffs.std(ddof=1))


def test_welch_test_matches_scipy_ttest_ind():
    result = scalar(welch_test(WORSE, BEST, margin=0.001))
    expected = stats.ttest_ind(WORSE, BEST, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    pooled = math.sqrt((3 * WORSE.var(ddof=1) + 3 * BEST.var(ddof=1)) / 6)
    assert result.effect_size == pytest.approx((WORSE.mean() - BEST.mean()) / pooled * (1 - 3 / (4 * 6 - 1)))


@pytest.mark.parametrize("margin", [0.002, 0.005, 0.02])
def test_tost_matches_statsmodels_paired_and_welch(margin: float):
    weightstats = pytest.importorskip("statsmodels.stats.weightstats")
    rng = np.random.default_rng(2)
    for _ in range(50):
        a, b = rng.normal(0.9, 0.01, 5), rng.normal(0.9, 0.01, 5) + rng.normal(0, 0.005)
        paired = scalar(paired_test(a, b, margin))
        welch = scalar(welch_test(a, b[:4], margin))
        assert paired.p_equivalence == pytest.approx(weightstats.ttost_paired(a, b, -margin, margin)[0])
        expected = weightstats.ttost_ind(a, b[:4], -margin, margin, usevar="unequal")[0]
        assert welch.p_equivalence == pytest.approx(expected)


def test_tost_interval_inside_the_margin_exactly_when_equivalent():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (2000, 6)), rng.normal(0.3, 1, (2000, 6))
    result = paired_test(a, b, margin=1.0, alpha=0.05)
    inside = (result.ci_low > -1.0) & (result.ci_high < 1.0)
    assert np.array_equal(inside, result.p_equivalence < 0.05)
    assert 0.05 < inside.mean() < 0.95  # both outcomes occur, so the check means something


def test_a_constant_paired_shift_is_the_strongest_evidence_without_warnings():
    best = np.array([0.96, 0.99, 0.94])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shifted = scalar(paired_test(best - 0.0118, best, margin=0.01))
        noisy = scalar(paired_test(best - 0.0118 + np.array([0, 1e-4, -1e-4]), best, margin=0.01))
        same = scalar(paired_test(best, best, margin=0.01))
        inside = scalar(paired_test(best - 0.005, best, margin=0.01))
        constant = scalar(welch_test(np.full(3, 0.5), np.full(2, 0.7), margin=0.01))
    assert noisy.p_value < 1e-3  # the same shift with a little noise is already overwhelming
    assert (shifted.p_value, shifted.p_equivalence, shifted.statistic) == (0.0, 1.0, -math.inf)
    assert (same.p_value, same.p_equivalence, same.ci_low, same.ci_high) == (1.0, 0.0, 0.0, 0.0)
    assert (inside.p_value, inside.p_equivalence) == (0.0, 0.0)  # real, but inside the margin
    assert (constant.p_value, constant.p_equivalence) == (0.0, 1.0)


def test_a_constant_group_beside_a_varying_one_is_an_ordinary_welch_test():
    runs, baseline = np.array([0.10, 0.12, 0.11]), np.array([0.169, 0.169])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = scalar(welch_test(runs, baseline, margin=0.005))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy warns about the constant group; we do not
        expected = stats.ttest_ind(runs, baseline, equal_var=False)
    assert result.p_value == pytest.approx(expected.pvalue)


@pytest.mark.parametrize("effect", [0.5, 1.2, 3.0])
def test_seeds_to_detect_matches_statsmodels_power(effect: float):
    power = pytest.importorskip("statsmodels.stats.power")
    paired = power.TTestPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    unpaired = power.TTestIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    assert seeds_to_detect(effect, 0.05) == max(2, math.ceil(paired))
    assert seeds_to_detect(effect, 0.05, paired=False) == max(2, math.ceil(unpaired))
    assert seeds_to_detect(-effect, 0.05) == seeds_to_detect(effect, 0.05)


def test_seeds_to_show_equivalence_gives_about_the_promised_power():
    rng = np.random.default_rng(4)
    n = seeds_to_show_equivalence(0.002, sd=0.01, margin=0.01, alpha=0.05)
    diffs = rng.normal(0.002, 0.01, (4000, n))
    shown = paired_test(diffs, np.zeros_like(diffs), margin=0.01).p_equivalence < 0.05
    fewer = paired_test(diffs[:, : n - 2], np.zeros((4000, n - 2)), margin=0.01).p_equivalence < 0.05
    assert 0.75 < shown.mean() < 0.9 and fewer.mean() < 0.8
    assert seeds_to_show_equivalence(0.01, sd=0.01, margin=0.01, alpha=0.05) == math.inf
