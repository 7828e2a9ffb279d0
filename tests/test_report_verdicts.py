"""Verdicts: simulated rates of the rule on discrete scores (whole test samples), and the sentences it produces on
hand-made grids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from archbench.report.margins import make_scale
from archbench.report.verdicts import CANNOT_TELL, DIFFER, INCONCLUSIVE, SIMILAR, analyze, grid_verdicts
from archbench.report.wording import baseline_line, verdict

DRAWS, ALPHA = 1000, 0.05
MC_ERROR = 3 * math.sqrt(ALPHA * (1 - ALPHA) / DRAWS)  # three Monte-Carlo standard errors at rate α


def accuracy_scale(n_test: float = math.nan, margin: float | None = None):
    return make_scale(False, True, n_test, margin, ALPHA, (0.0, 1.0))


def mse_scale(margin: float | None = None):
    return make_scale(True, False, margin=margin, bounds=(0.0, math.inf))


def discrete(shifts: list[float], n_test: int, sd: float, seeds: int, seed: int, shared: bool = False) -> np.ndarray:
    """values[draw, arch, seed]: accuracies on an n_test-sample test set, each arch's true count 80% of n_test plus
    its shift (in samples) plus normal seed noise of ``sd`` samples, rounded to whole samples. ``shared``: every arch
    gets the same seed noise (seeds that land alike)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, sd, (DRAWS, 1 if shared else len(shifts), seeds))
    counts = np.round(0.8 * n_test + np.array(shifts)[None, :, None] + noise)
    return np.clip(counts, 0, n_test) / n_test


def rate(verdicts: np.ndarray, kind: str) -> float:
    return float((verdicts == kind).mean())


def test_identical_networks_on_85_samples_with_3_seeds_are_rarely_called_differ():
    verdicts = grid_verdicts(discrete([0, 0, 0, 0], 85, 1, 3, seed=10), accuracy_scale(85))
    assert rate(verdicts, DIFFER) <= 0.05


def test_a_network_exactly_one_sample_better_on_every_seed_is_never_called_differ():
    values = discrete([1, 0, 0, 0], 85, 1, 3, seed=11, shared=True)
    assert np.allclose(values[:, 0] - values[:, 1], 1 / 85), "one sample apart on every seed"
    verdicts = grid_verdicts(values, accuracy_scale(85))
    assert rate(verdicts, DIFFER) == 0.0
    unfloored = grid_verdicts(values, accuracy_scale(margin=0.01))  # what the report did without n_test
    assert rate(unfloored, DIFFER) == 1.0, "the case this guards against"


def test_a_true_difference_of_five_margins_with_5_seeds_is_called_differ():
    scale = accuracy_scale(85)
    shift = 5 * scale.margin * 85  # 5δ in test samples
    verdicts = grid_verdicts(discrete([shift, 0, 0, 0], 85, 1, 5, seed=12), scale)
    assert rate(verdicts, DIFFER) >= 0.95


def test_identical_networks_on_1000_samples_with_5_seeds_are_called_similar():
    verdicts = grid_verdicts(discrete([0, 0, 0, 0], 1000, 3, 5, seed=13), accuracy_scale(1000))  # SD 0.3 points
    assert rate(verdicts, SIMILAR) >= 0.90


@pytest.mark.parametrize("sd", [0.005, 0.02])
def test_identical_networks_with_gaussian_noise_are_called_differ_at_most_alpha(sd: float):
    rng = np.random.default_rng(17)
    values = 0.9 + rng.normal(0, sd, (DRAWS, 4, 5))
    assert rate(grid_verdicts(values, accuracy_scale()), DIFFER) <= ALPHA + MC_ERROR


@pytest.mark.parametrize(
    "means, sd, lower_is_better",
    [
        ([0.90, 0.90, 0.90, 0.88], 0.005, False),  # one network two margins (2 points) worse
        ([0.900, 0.895, 0.895, 0.890], 0.003, False),  # spread of exactly one margin
        ([1.0, 1.0, 1.0, 1.1], 0.02, True),  # MSE: 10% worse, beyond the factor 1.05
    ],
)
def test_a_gap_of_a_margin_or_more_is_called_similar_at_most_alpha(means, sd, lower_is_better):
    rng = np.random.default_rng(14)
    values = np.array(means)[None, :, None] + rng.normal(0, sd, (DRAWS, len(means), 5))
    scale = mse_scale() if lower_is_better else accuracy_scale()
    assert rate(grid_verdicts(values, scale), SIMILAR) <= ALPHA + MC_ERROR


def test_a_gap_inside_the_margin_is_never_called_differ_however_precise():
    rng = np.random.default_rng(15)
    values = np.array([0.905, 0.90, 0.90])[None, :, None] + rng.normal(0, 0.0005, (DRAWS, 3, 10))
    verdicts = grid_verdicts(values, accuracy_scale())
    assert rate(verdicts, DIFFER) == 0.0 and rate(verdicts, SIMILAR) > 0.99


def seeds(values: list[float]) -> dict[int, float]:
    return dict(enumerate(values))


def test_vectorised_verdicts_equal_the_report_path():
    rng = np.random.default_rng(16)
    values = 0.9 + rng.normal(0, 1, (120, 1, 1)) * 0.004 * rng.normal(0, 1, (120, 3, 4))
    values += rng.choice([0.0, 0.004, 0.03], (120, 3, 1))
    for scale, data in ((accuracy_scale(), values), (mse_scale(), values - 0.85)):  # MSE-like: means near 0.05
        vectorised = grid_verdicts(data, scale)
        one_by_one = [analyze({f"arch{a}": seeds(grid[a]) for a in range(3)}, scale).kind for grid in data]
        assert vectorised.tolist() == one_by_one
        assert {SIMILAR, DIFFER, INCONCLUSIVE} <= set(one_by_one)


def test_a_large_gap_with_three_seeds_is_inconclusive_and_says_how_many_seeds():
    groups = {"mlp": seeds([0.97, 0.95, 0.96]), "gru": seeds([0.80, 0.90, 0.949])}  # 0.960 vs 0.883
    analysis = analyze(groups, accuracy_scale(114))
    line = verdict("breast_cancer", analysis, "test_accuracy")
    assert analysis.kind == INCONCLUSIVE
    assert line.startswith("breast_cancer: inconclusive — no pair is shown to differ by more than ±0.0132")
    assert "(α=0.05)" in line and "seeds per architecture would decide it" in line
    assert analysis.scale.floor_sets_margin and "set by the test set's resolution, 1.5 × 1/114" in analysis.scale.text


def test_baselines_never_change_the_architecture_verdict():
    networks = {"mlp": seeds([0.95, 0.96, 0.955]), "lstm": seeds([0.952, 0.958, 0.957])}
    alone = analyze(networks, accuracy_scale())
    for baseline in ([0.70, 0.71, 0.69], [0.99, 0.995, 0.99], [0.95, 0.96, 0.955]):
        analysis = analyze(networks, accuracy_scale(), baselines={"sk_hgb": seeds(baseline)})
        assert verdict("d", analysis, "acc") == verdict("d", alone, "acc")
        assert [c.arch for c in analysis.networks] == [c.arch for c in alone.networks]
    better = analyze(networks, accuracy_scale(), baselines={"sk_hgb": seeds([0.99, 0.995, 0.99])})
    assert baseline_line(better).startswith("sk_hgb is 1.04× better than the best network (lstm), p_holm(beyond")


def test_verdict_says_differ_and_names_the_worse_networks():
    groups = {"lstm": seeds([0.0012, 0.0011, 0.0013]), "linear": seeds([0.170, 0.168, 0.166])}
    line = verdict("adding", analyze(groups, mse_scale()), "test_mse")
    assert line.startswith(
        "adding: architectures differ by more than errors within a factor 1.05 (log scale) — lstm is best "
        "(test_mse 0.0012); linear is 140× worse (p_holm="
    )


def test_verdict_says_similar_for_precise_overlapping_networks():
    groups = {"mlp": seeds([0.960, 0.962, 0.958, 0.961]), "lstm": seeds([0.959, 0.961, 0.959, 0.960])}
    analysis = analyze(groups, accuracy_scale())
    line = verdict("breast_cancer", analysis, "test_accuracy")
    assert line.startswith("breast_cancer: architectures perform similarly — every pair within ±0.01 (absolute)")
    lstm = analysis.networks[1]
    assert lstm.equivalent and -0.01 < lstm.gap_low < lstm.gap < lstm.gap_high < 0.01
    assert analysis.equivalent_to_best == ["mlp", "lstm"]


def test_a_significant_difference_smaller_than_the_margin_is_a_note_not_differ():
    best = [0.960, 0.962, 0.958, 0.961, 0.963]
    jitter = [0, 1e-4, -1e-4, 0, 2e-4]
    groups = {"mlp": seeds(best), "lstm": seeds([v - 0.004 + d for v, d in zip(best, jitter, strict=True)])}
    analysis = analyze(groups, accuracy_scale())
    assert analysis.pairs[0].p_zero_holm < 0.001 and analysis.kind == SIMILAR
    assert "significant but smaller than the margin, so not a difference: mlp vs lstm" in verdict("d", analysis, "a")


def test_errors_are_compared_as_ratios_whatever_their_units():
    groups = {"a": seeds([2.0, 2.2, 2.1]), "b": seeds([3.0, 3.1, 3.3])}
    scaled = {arch: {s: v * 1e6 for s, v in runs.items()} for arch, runs in groups.items()}
    first, second = analyze(groups, mse_scale()), analyze(scaled, mse_scale())
    assert first.margin == pytest.approx(math.log(1.05)) and first.kind == second.kind
    assert first.networks[1].gap == pytest.approx(second.networks[1].gap)
    assert first.networks[1].gap == pytest.approx(np.log([3.0, 3.1, 3.3]).mean() - np.log([2.0, 2.2, 2.1]).mean())
    assert analyze(groups, mse_scale(margin=0.1)).margin == pytest.approx(math.log(1.1))


def test_a_network_at_the_majority_class_rate_is_flagged():
    majority = seeds([0.8615] * 2)  # churn-like: 86% of customers stay
    groups = {"mlp": seeds([0.93, 0.935]), "gru": seeds([0.8615, 0.8615])}
    analysis = analyze(groups, accuracy_scale(1000), baselines={"majority_class": majority})
    gru, mlp = analysis.networks[1], analysis.networks[0]
    assert gru.flag == "no better than the majority class" and mlp.flag == ""
    line = verdict("churn", analysis, "test_accuracy")
    assert analysis.kind == DIFFER and "gru is no better than the majority class" in line
    assert baseline_line(analysis).startswith("majority_class is 1.08× worse than the best network (mlp)")


def test_a_regression_network_within_the_factor_of_the_mean_is_flagged():
    groups = {"mlp": seeds([1.02, 1.01]), "lstm": seeds([0.5, 0.52])}
    analysis = analyze(groups, mse_scale(), baselines={"train_mean": seeds([1.0, 1.0])})
    assert [c.flag for c in analysis.networks] == ["", "no better than the mean"]


def test_too_few_runs_cannot_tell_and_one_run_has_no_interval():
    analysis = analyze({"a": seeds([0.1]), "b": {1: 0.2}, "c": {}}, mse_scale())
    assert [c.arch for c in analysis.networks] == ["a", "b"]  # c has no value to rank
    assert analysis.networks[1].test == "n<2" and not analysis.networks[1].differs
    assert analysis.kind == CANNOT_TELL and math.isnan(analysis.networks[0].ci_low)
    assert "cannot tell" in verdict("tiny", analysis, "test_mse")
    alone = analyze({"a": seeds([0.1, 0.2])}, mse_scale())
    assert verdict("one", alone, "mse") == "one: only a finished — nothing to compare"
