"""The report's statistics agree with scipy and with hand-checked textbook numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from archbench.report.stats import compare_to_best, holm, summarize, verdict

BEST_SEEDS = {0: 0.010, 1: 0.012, 2: 0.011, 3: 0.013}
WORSE_SEEDS = {0: 0.015, 1: 0.019, 2: 0.014, 3: 0.021}


def test_summary_ci_matches_scipy_t_interval():
    values = [0.91, 0.94, 0.89, 0.95, 0.92]
    summary = summarize(values)
    x = np.array(values)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert summary.n == 5
    assert summary.mean == pytest.approx(x.mean())
    assert summary.std == pytest.approx(x.std(ddof=1))
    assert (summary.ci_low, summary.ci_high) == pytest.approx((low, high))


def test_summary_ignores_nan_and_one_value_has_a_point_interval():
    assert summarize([1.0, math.nan, 3.0]).n == 2
    single = summarize([2.5, math.nan])
    assert (single.n, single.mean, single.ci_low, single.ci_high) == (1, 2.5, 2.5, 2.5)
    assert math.isnan(single.std)
    assert summarize([]).n == 0


def test_holm_matches_textbook_example():
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> raised to 0.06 by monotonicity
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_leaves_nan_out_of_the_family():
    adjusted = holm([0.6, math.nan, 0.7])
    assert adjusted[0] == 1.0  # 0.6 * 2
    assert math.isnan(adjusted[1])
    assert adjusted[2] == 1.0
    assert holm([]) == []


def test_paired_comparison_matches_scipy_ttest_rel():
    best, other = compare_to_best({"lstm": BEST_SEEDS, "mlp": WORSE_SEEDS}, higher_is_better=False)
    a, b = np.array(list(WORSE_SEEDS.values())), np.array(list(BEST_SEEDS.values()))
    expected = stats.ttest_rel(a, b)
    assert (best.arch, best.rank, best.test, other.rank, other.test) == ("lstm", 1, "—", 2, "paired t")
    assert math.isnan(best.p_value)
    assert other.statistic == pytest.approx(expected.statistic)
    assert other.p_value == pytest.approx(expected.pvalue)
    assert other.p_holm == pytest.approx(expected.pvalue)  # a single comparison: Holm changes nothing
    diffs = a - b
    assert other.effect_size == pytest.approx(diffs.mean() / diffs.std(ddof=1))
    assert other.ratio == pytest.approx(a.mean() / b.mean())


def test_welch_comparison_matches_scipy_when_seeds_do_not_overlap():
    shifted = {seed + 10: value for seed, value in WORSE_SEEDS.items()}
    _, other = compare_to_best({"lstm": BEST_SEEDS, "mlp": shifted}, higher_is_better=False)
    a, b = np.array(list(WORSE_SEEDS.values())), np.array(list(BEST_SEEDS.values()))
    expected = stats.ttest_ind(a, b, equal_var=False)
    assert other.test == "Welch t"
    assert other.statistic == pytest.approx(expected.statistic)
    assert other.p_value == pytest.approx(expected.pvalue)
    pooled = math.sqrt((3 * a.var(ddof=1) + 3 * b.var(ddof=1)) / 6)
    hedges_g = (a.mean() - b.mean()) / pooled * (1 - 3 / (4 * 6 - 1))
    assert other.effect_size == pytest.approx(hedges_g)


def test_holm_adjusts_across_the_comparisons_of_one_dataset():
    groups = {"lstm": BEST_SEEDS, "mlp": WORSE_SEEDS, "linear": {s: v * 1.1 for s, v in WORSE_SEEDS.items()}}
    comparisons = compare_to_best(groups, higher_is_better=False)
    raw = [c.p_value for c in comparisons[1:]]
    assert [c.p_holm for c in comparisons[1:]] == pytest.approx(holm(raw))


def test_accuracy_ranks_highest_first_and_ratio_is_times_worse():
    groups = {"mlp": {0: 0.90, 1: 0.92, 2: 0.91}, "gru": {0: 0.95, 1: 0.96, 2: 0.94}}
    best, other = compare_to_best(groups, higher_is_better=True)
    assert (best.arch, other.arch) == ("gru", "mlp")
    assert other.ratio == pytest.approx(0.95 / 0.91)
    assert other.effect_size > 0  # positive means worse than the best, whatever the metric's direction


def test_zero_variance_gives_p_one_when_equal_and_zero_when_different_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = compare_to_best({"a": {0: 0.5, 1: 0.5, 2: 0.5}, "b": {0: 0.5, 1: 0.5, 2: 0.5}}, False)
        apart = compare_to_best({"a": {0: 0.5, 1: 0.5, 2: 0.5}, "b": {0: 0.7, 1: 0.7, 2: 0.7}}, False)
        welch = compare_to_best({"a": {0: 0.5, 1: 0.5}, "b": {5: 0.7, 6: 0.7}}, False)
        shifted = compare_to_best({"a": {0: 0.1, 1: 0.2, 2: 0.3}, "b": {0: 0.2, 1: 0.3, 2: 0.4}}, False)
        deterministic = {"lstm": {0: 0.1, 1: 0.12, 2: 0.11}, "sk_linear": {7: 0.169, 8: 0.169}}
        baseline = compare_to_best(deterministic, False)
        summary = summarize([0.1, 0.1, 0.1])
    assert (same[1].p_value, same[1].significant) == (1.0, False)
    assert (apart[1].p_value, apart[1].significant, apart[1].effect_size) == (0.0, True, math.inf)
    assert (welch[1].test, welch[1].p_value) == ("Welch t", 0.0)
    assert (shifted[1].test, shifted[1].significant) == ("Welch t", False)  # constant shift of varying groups
    assert 0 < baseline[1].p_value < 1  # a constant baseline beside varying runs is a normal Welch test
    assert (summary.std, summary.ci_low, summary.ci_high) == (0.0, summary.mean, summary.mean)


def test_too_few_runs_are_not_tested():
    comparisons = compare_to_best({"a": {0: 0.1}, "b": {1: 0.2}, "c": {}}, higher_is_better=False)
    assert [c.arch for c in comparisons] == ["a", "b"]  # c has no value to rank
    assert comparisons[1].test == "n<2" and not comparisons[1].significant
    assert "cannot tell" in verdict("tiny", comparisons, "test_mse")


def test_verdict_says_differ_for_separated_groups():
    groups = {
        "lstm": {0: 0.0012, 1: 0.0011, 2: 0.0013},
        "linear": {0: 0.170, 1: 0.168, 2: 0.166},
    }
    line = verdict("adding", compare_to_best(groups, higher_is_better=False), "test_mse")
    expected = "adding: architectures differ — lstm is best (test_mse 0.0012); linear is 140× worse"
    assert line.startswith(expected)
    assert "p_holm=" in line


def test_verdict_says_similarly_for_overlapping_groups():
    groups = {"mlp": {0: 0.96, 1: 0.95, 2: 0.97}, "lstm": {0: 0.95, 1: 0.97, 2: 0.955}}
    line = verdict("breast_cancer", compare_to_best(groups, higher_is_better=True), "test_accuracy", 0.05)
    assert line.startswith("breast_cancer: architectures perform similarly — no significant difference")
    assert "from the best (mlp) at α=0.05; spread of means 1.00×" in line


def test_verdict_is_inconclusive_when_means_are_far_apart_but_not_significant():
    groups = {"sk_linear": {0: 2600.0, 1: 2900.0}, "linear": {0: 1.3e8, 1: 2.1e9}}
    line = verdict("house_prices", compare_to_best(groups, higher_is_better=False), "test_mse")
    assert line.startswith("house_prices: inconclusive — no significant difference from the best (sk_linear)")
    assert line.endswith("(fewest seeds: 2); add seeds")


def test_a_constant_paired_difference_between_varying_groups_is_tested_unpaired():
    best = {0: 0.96, 1: 0.99, 2: 0.94}
    other = {seed: value - 0.0118 for seed, value in best.items()}  # one test sample worse on every seed
    comparisons = {c.arch: c for c in compare_to_best({"mlp": best, "gru": other}, higher_is_better=True)}
    expected = stats.ttest_ind(list(other.values()), list(best.values()), equal_var=False)
    assert comparisons["gru"].test == "Welch t"
    assert comparisons["gru"].p_value == pytest.approx(expected.pvalue)
    assert not comparisons["gru"].significant
