"""The report's statistics agree with scipy and statsmodels where the SD floor does not bind, and the floor and the
power estimates do what they promise, checked by simulation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttost_ind, ttost_paired

from archbench.report.stats import (
    holm_adjust,
    paired_test,
    resolvable_margin,
    seeds_to_exceed,
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


def test_holm_adjusts_each_row_and_leaves_nan_out_of_the_family():
    p = np.array([[0.01, 0.04, 0.03, 0.005], [0.6, math.nan, 0.7, math.nan]])
    adjusted = holm_adjust(p)
    assert adjusted[0] == pytest.approx([0.03, 0.06, 0.06, 0.02])  # textbook: 0.005·4, 0.01·3, 0.03·2 raised
    assert adjusted[1, 0] == 1.0 and adjusted[1, 2] == 1.0  # a family of 2, not 4
    assert np.isnan(adjusted[1, [1, 3]]).all()
    rows = np.random.default_rng(1).uniform(0, 0.2, size=(200, 6)) ** 2
    expected = [multipletests(row, method="holm")[1] for row in rows]
    np.testing.assert_allclose(holm_adjust(rows), expected, rtol=1e-12)


def test_zero_difference_p_matches_scipy_paired_and_welch():
    paired = paired_test(WORSE, BEST, margin=0.001, floor_sd=1e-4).scalar()  # the floor does not bind
    welch = welch_test(WORSE, BEST, margin=0.001).scalar()
    assert paired.p_value == pytest.approx(stats.ttest_rel(WORSE, BEST).pvalue)
    assert welch.p_value == pytest.approx(stats.ttest_ind(WORSE, BEST, equal_var=False).pvalue)
    assert paired.diff == pytest.approx((WORSE - BEST).mean()) and paired.df == 3


@pytest.mark.parametrize("margin", [0.002, 0.005, 0.02])
def test_tost_and_minimum_effect_match_statsmodels_where_the_floor_does_not_bind(margin: float):
    rng = np.random.default_rng(2)
    for _ in range(40):
        a, b = rng.normal(0.9, 0.01, 5), rng.normal(0.9, 0.01, 5) + rng.normal(0, 0.01)
        paired = paired_test(a, b, margin, floor_sd=1e-6).scalar()
        welch = welch_test(a, b[:4], margin, floor_sd=1e-6).scalar()
        assert paired.p_equivalence == pytest.approx(ttost_paired(a, b, -margin, margin)[0])
        assert welch.p_equivalence == pytest.approx(ttost_ind(a, b[:4], -margin, margin, usevar="unequal")[0])
        # Minimum-effect: a one-sided t-test that the difference lies beyond +margin (or below -margin).
        side = "larger" if paired.diff > 0 else "smaller"
        expected = DescrStatsW(a - b).ttest_mean(math.copysign(margin, paired.diff), alternative=side)[1]
        assert paired.p_beyond == pytest.approx(expected)
        side = "larger" if welch.diff > 0 else "smaller"
        compare = CompareMeans.from_data(a, b[:4])
        value = math.copysign(margin, welch.diff)
        assert welch.p_beyond == pytest.approx(compare.ttest_ind(alternative=side, usevar="unequal", value=value)[1])


def test_the_floor_keeps_a_pair_one_sample_apart_from_certainty():
    h = 1 / 85  # one test sample of an 85-sample test set
    best = np.array([60, 62, 61]) / 85
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bare = paired_test(best - h, best, margin=1.5 * h).scalar()
        floored = paired_test(best - h, best, margin=1.5 * h, floor_sd=h / math.sqrt(12)).scalar()
    assert bare.p_value == 0.0, "without the floor a constant shift is certain"
    se = h / math.sqrt(12) / math.sqrt(3)
    assert floored.p_value == pytest.approx(2 * stats.t.sf(h / se, 2))
    assert floored.p_beyond == pytest.approx(stats.t.sf(-0.5 * h / se, 2)) and floored.p_beyond > 0.5
    same = paired_test(best, best, margin=1.5 * h, floor_sd=h / math.sqrt(12)).scalar()
    assert same.p_value == 1.0 and same.p_equivalence < 0.01


def test_tost_interval_inside_the_margin_exactly_when_equivalent():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (2000, 6)), rng.normal(0.3, 1, (2000, 6))
    for result in (paired_test(a, b, 1.0, 0.05), paired_test(a, b, 1.0, 0.05, floor_sd=1.0), welch_test(a, b, 1.0)):
        inside = (result.ci_low > -1.0) & (result.ci_high < 1.0)
        assert np.array_equal(inside, result.p_equivalence < 0.05)
        assert 0.02 < inside.mean() < 0.98  # both outcomes occur, so the check means something


def test_a_constant_group_beside_a_varying_one_is_an_ordinary_welch_test():
    runs, baseline = np.array([0.10, 0.12, 0.11]), np.array([0.169, 0.169])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = welch_test(runs, baseline, margin=0.005).scalar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy warns about the constant group; we do not
        expected = stats.ttest_ind(runs, baseline, equal_var=False)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_no_spread_without_a_floor_decides_by_the_bound():
    best = np.array([0.96, 0.99, 0.94])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shifted = paired_test(best - 0.0118, best, margin=0.01).scalar()
        inside = paired_test(best - 0.005, best, margin=0.01).scalar()
        constant = welch_test(np.full(3, 0.5), np.full(2, 0.7), margin=0.01).scalar()
    assert (shifted.p_value, shifted.p_beyond, shifted.p_equivalence) == (0.0, 0.0, 1.0)
    assert (inside.p_value, inside.p_beyond, inside.p_equivalence) == (0.0, 1.0, 0.0)
    assert (constant.p_beyond, constant.p_equivalence) == (0.0, 1.0)


@pytest.mark.parametrize("gap", [0.015, 0.02])
def test_seeds_to_exceed_give_about_the_promised_power(gap: float):
    rng = np.random.default_rng(4)
    n = seeds_to_exceed(gap, sd=0.01, margin=0.01, alpha=0.05)
    diffs = rng.normal(gap, 0.01, (4000, n))
    zeros = np.zeros_like(diffs)
    shown = paired_test(diffs, zeros, margin=0.01).p_beyond < 0.05
    assert 0.78 < shown.mean() < 0.95
    fewer = paired_test(diffs[:, : n - 3], zeros[:, : n - 3], margin=0.01).p_beyond < 0.05
    assert fewer.mean() < 0.8
    assert seeds_to_exceed(0.01, sd=0.01, margin=0.01, alpha=0.05) == math.inf


def test_seeds_to_show_equivalence_give_about_the_promised_power():
    rng = np.random.default_rng(5)
    n = seeds_to_show_equivalence(0.002, sd=0.01, margin=0.01, alpha=0.05)
    diffs = rng.normal(0.002, 0.01, (4000, n))
    shown = paired_test(diffs, np.zeros_like(diffs), margin=0.01).p_equivalence < 0.05
    fewer = paired_test(diffs[:, : n - 2], np.zeros((4000, n - 2)), margin=0.01).p_equivalence < 0.05
    assert 0.77 < shown.mean() < 0.88 and fewer.mean() < 0.8
    assert seeds_to_show_equivalence(0.01, sd=0.01, margin=0.01, alpha=0.05) == math.inf


@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_the_resolvable_margin_is_shown_equivalent_80_percent_of_the_time(seeds: int):
    rng = np.random.default_rng(6)
    margin = resolvable_margin(0.01, seeds, alpha=0.05)
    diffs = rng.normal(0, 0.01, (4000, seeds))
    shown = paired_test(diffs, np.zeros_like(diffs), margin=margin).p_equivalence < 0.05
    assert 0.77 < shown.mean() < 0.83
    assert resolvable_margin(0.01, seeds + 1, alpha=0.05) < margin
