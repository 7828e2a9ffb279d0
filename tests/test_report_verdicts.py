"""Verdicts: simulated error rates of the rule, and the sentences it produces on hand-made grids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from archbench.report.verdicts import DIFFER, INCONCLUSIVE, SIMILAR, analyze, grid_verdicts
from archbench.report.wording import baseline_line, verdict

GRIDS, ARCHS, SEEDS, ALPHA = 2000, 4, 5, 0.05
MC_ERROR = 3 * math.sqrt(ALPHA * (1 - ALPHA) / GRIDS)  # three Monte-Carlo standard errors at rate α


def simulate(means: list[float], sd: float, seed: int) -> np.ndarray:
    """values[grid, arch, seed]: each arch's true mean plus independent normal noise per run."""
    rng = np.random.default_rng(seed)
    return np.array(means)[None, :, None] + rng.normal(0, sd, (GRIDS, len(means), SEEDS))


def seeds(values: list[float]) -> dict[int, float]:
    return dict(enumerate(values))


@pytest.mark.parametrize("sd", [0.005, 0.02])
def test_identical_architectures_are_called_different_at_most_alpha(sd: float):
    verdicts = grid_verdicts(simulate([0.9] * ARCHS, sd, seed=10), higher_is_better=True)
    assert (verdicts == DIFFER).mean() <= ALPHA + MC_ERROR


@pytest.mark.parametrize(
    "means, sd, higher_is_better",
    [
        ([0.90, 0.90, 0.90, 0.88], 0.005, True),  # one network two margins (2 points) worse
        ([0.90, 0.90, 0.90, 0.88], 0.002, True),
        ([0.900, 0.895, 0.895, 0.890], 0.003, True),  # spread of exactly one margin, no network far off
        ([1.0, 1.0, 1.0, 1.1], 0.02, False),  # MSE: two relative margins (2 x 5%) worse
    ],
)
def test_a_gap_of_a_margin_or_more_is_called_similar_at_most_alpha(means, sd, higher_is_better):
    verdicts = grid_verdicts(simulate(means, sd, seed=11), higher_is_better)
    assert (verdicts == SIMILAR).mean() <= ALPHA + MC_ERROR


def test_identical_precise_architectures_are_usually_called_similar():
    verdicts = grid_verdicts(simulate([0.9] * ARCHS, 0.002, seed=12), higher_is_better=True)
    assert (verdicts == SIMILAR).mean() > 0.9


def test_vectorised_verdicts_equal_the_report_path():
    rng = np.random.default_rng(13)
    values = 0.9 + rng.normal(0, 1, (150, 1, 1)) * 0.004 * rng.normal(0, 1, (150, 3, 4))
    values += rng.choice([0.0, 0.004, 0.02], (150, 3, 1))
    for higher_is_better, data in ((True, values), (False, values - 0.85)):  # MSE-like: means near 0.05
        vectorised = grid_verdicts(data, higher_is_better)
        one_by_one = [analyze({f"arch{a}": seeds(grid[a]) for a in range(3)}, higher_is_better).kind for grid in data]
        assert vectorised.tolist() == one_by_one
        assert {SIMILAR, DIFFER, INCONCLUSIVE} <= set(one_by_one)


def test_a_large_gap_with_three_seeds_is_not_called_similar():
    groups = {"mlp": seeds([0.97, 0.95, 0.96]), "gru": seeds([0.80, 0.90, 0.949])}  # 0.960 vs 0.883, p = 0.08
    analysis = analyze(groups, higher_is_better=True, bounds=(0, 1))
    line = verdict("breast_cancer", analysis, "test_accuracy")
    assert analysis.kind == INCONCLUSIVE
    assert line.startswith("breast_cancer: inconclusive — no pair differs after Holm at α=0.05")
    assert "±0.01 (absolute)" in line and "seeds per architecture would decide it" in line


def test_baselines_never_change_the_architecture_verdict():
    networks = {"mlp": seeds([0.95, 0.96, 0.955]), "lstm": seeds([0.952, 0.958, 0.957])}
    alone = analyze(networks, higher_is_better=True)
    for baseline in ([0.70, 0.71, 0.69], [0.99, 0.995, 0.99], [0.95, 0.96, 0.955]):
        analysis = analyze(networks, higher_is_better=True, baselines={"sk_hgb": seeds(baseline)})
        assert verdict("d", analysis, "acc") == verdict("d", alone, "acc")
        assert [c.arch for c in analysis.networks] == [c.arch for c in alone.networks]
    better = analyze(networks, True, baselines={"sk_hgb": seeds([0.99, 0.995, 0.99])})
    assert baseline_line(better).startswith("sk_hgb is 1.04× better than the best network (lstm), p_holm = ")


def test_verdict_says_differ_and_names_the_worse_networks():
    groups = {"lstm": seeds([0.0012, 0.0011, 0.0013]), "linear": seeds([0.170, 0.168, 0.166])}
    line = verdict("adding", analyze(groups, higher_is_better=False), "test_mse")
    assert line.startswith("adding: architectures differ — lstm is best (test_mse 0.0012); linear is 140× worse")


def test_verdict_says_similar_for_precise_overlapping_networks():
    groups = {"mlp": seeds([0.960, 0.962, 0.958, 0.961]), "lstm": seeds([0.959, 0.961, 0.959, 0.960])}
    analysis = analyze(groups, higher_is_better=True)
    line = verdict("breast_cancer", analysis, "test_accuracy")
    assert line.startswith("breast_cancer: architectures perform similarly — every pair within ±0.01 (absolute)")
    lstm = analysis.networks[1]
    assert lstm.equivalent and -0.01 < lstm.gap_low < lstm.gap < lstm.gap_high < 0.01


def test_a_given_margin_is_absolute_for_accuracy_and_relative_for_errors():
    accuracy = analyze({"a": seeds([0.9, 0.91]), "b": seeds([0.8, 0.82])}, True, margin=0.03)
    mse = analyze({"a": seeds([2.0, 2.2]), "b": seeds([3.0, 3.1])}, False, margin=0.1)
    assert accuracy.margin == 0.03 and "±0.03 (absolute)" in accuracy.margin_text
    assert mse.margin == pytest.approx(0.21) and "0.1 of the best network's mean" in mse.margin_text
    assert analyze({"a": seeds([2.0, 2.2]), "b": seeds([3.0, 3.1])}, False).margin == pytest.approx(0.105)


def test_a_constant_shift_is_significant_and_named():
    best = [0.96, 0.99, 0.94]
    groups = {"mlp": seeds(best), "gru": seeds([v - 0.0118 for v in best])}
    analysis = analyze(groups, higher_is_better=True)
    gru = analysis.networks[1]
    assert (analysis.kind, gru.p_value, gru.test) == (DIFFER, 0.0, "paired t, constant shift")


def test_too_few_runs_cannot_tell_and_one_run_has_no_interval():
    analysis = analyze({"a": seeds([0.1]), "b": {1: 0.2}, "c": {}}, higher_is_better=False)
    assert [c.arch for c in analysis.networks] == ["a", "b"]  # c has no value to rank
    assert analysis.networks[1].test == "n<2" and not analysis.networks[1].significant
    assert math.isnan(analysis.networks[0].ci_low) and math.isnan(analysis.networks[0].ci_high)
    assert "cannot tell" in verdict("tiny", analysis, "test_mse")
    alone = analyze({"a": seeds([0.1, 0.2])}, higher_is_better=False)
    assert verdict("one", alone, "mse") == "one: only a finished — nothing to compare"
