"""Statistics that answer "do the architectures perform similarly?": summaries, tests against the best, Holm.

Conventions used throughout:
- ``ratio`` is "how many times worse than the best", so it is >= 1: other/best when lower is better (errors),
  best/other when higher is better (accuracy-type metrics).
- ``effect_size`` is oriented so that positive means worse than the best: Hedges' g (pooled-std Cohen's d
  with the small-sample correction) for Welch's test, d_z = mean difference / std of differences when paired.
- ``statistic`` is scipy's t for (other, best), unoriented, so it can be checked against scipy directly.
- Zero variance (every value identical, or every paired difference identical, up to rounding) has no t
  distribution: we report p = 1.0 when the means are equal and p = 0.0 when they differ, with t and effect
  size 0 or +-inf to match. Identical paired differences between groups that do vary are a coincidence
  of a discrete metric, so those pairs get Welch's test instead.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

BEST = "—"
SIMILAR_WITHIN = 1.1  # "similar" means no significant difference and every mean within 10% of the best


@dataclass(frozen=True)
class Summary:
    """Mean, sample std (ddof=1) and t-based confidence interval of the finite values."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Comparison:
    """One architecture's summary and its test against the best architecture on one dataset."""

    arch: str
    rank: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int
    test: str
    statistic: float
    p_value: float
    p_holm: float
    effect_size: float
    ratio: float
    significant: bool


def finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def constant(x: np.ndarray) -> bool:
    """True when every value is the same up to floating-point rounding."""
    return bool(np.ptp(x) <= 1e-12 * np.abs(x).max())


def quiet(test: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a scipy test without its precision-loss warning.

    scipy warns on any group of identical values, e.g. a deterministic baseline; beside a varying group that
    is a valid Welch test, and the all-constant cases never reach scipy.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Precision loss occurred", category=RuntimeWarning)
        return test(*args, **kwargs)


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """Summarize ``values`` ignoring NaN; with one value the std is NaN and the CI collapses to the mean."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Summary(1, mean, math.nan, mean, mean)
    if constant(x):
        return Summary(n, mean, 0.0, mean, mean)
    std = float(x.std(ddof=1))
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=std / math.sqrt(n))
    return Summary(n, mean, std, float(low), float(high))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values in the original order; NaN entries stay NaN and do not count."""
    adjusted = [math.nan] * len(p_values)
    tested = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    running = 0.0
    for k, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - k) * p))
        adjusted[i] = running
    return adjusted


def ratio_to_best(mean: float, best: float, higher_is_better: bool) -> float:
    """How many times worse than the best (>= 1)."""
    num, den = (best, mean) if higher_is_better else (mean, best)
    if den == 0:
        return math.nan if num == 0 else math.inf
    return num / den


def degenerate(diff: float) -> tuple[float, float]:
    """(t, p) when there is no variance: equal means are not different, unequal ones certainly are."""
    if diff == 0:
        return 0.0, 1.0
    return math.copysign(math.inf, diff), 0.0


def paired_test(other: np.ndarray, best: np.ndarray) -> tuple[float, float, float]:
    """(t, p, d_z) of the paired t-test; d_z has the sign of other - best."""
    diffs = other - best
    if constant(diffs):
        t, p = degenerate(float(diffs.mean()))
        return t, p, t
    result = quiet(stats.ttest_rel, other, best)
    return float(result.statistic), float(result.pvalue), float(diffs.mean() / diffs.std(ddof=1))


def welch_test(other: np.ndarray, best: np.ndarray) -> tuple[float, float, float]:
    """(t, p, Hedges' g) of Welch's t-test; g has the sign of mean(other) - mean(best)."""
    diff = float(other.mean() - best.mean())
    if constant(other) and constant(best):
        t, p = degenerate(diff)
        return t, p, t
    result = quiet(stats.ttest_ind, other, best, equal_var=False)
    df = len(other) + len(best) - 2
    pooled = math.sqrt(((len(other) - 1) * other.var(ddof=1) + (len(best) - 1) * best.var(ddof=1)) / df)
    correction = 1 - 3 / (4 * df - 1)
    return float(result.statistic), float(result.pvalue), diff / pooled * correction


def against_best(other: dict[int, float], best: dict[int, float]) -> tuple[str, float, float, float]:
    """(test name, t, p, effect): paired by seed with >= 2 common seeds, else Welch; NaN when n < 2."""
    both = other.keys() & best.keys()
    common = sorted(s for s in both if not (math.isnan(other[s]) or math.isnan(best[s])))
    a, b = finite(list(other.values())), finite(list(best.values()))
    if len(common) >= 2:
        paired_other, paired_best = np.array([other[s] for s in common]), np.array([best[s] for s in common])
        # A constant difference between varying groups (one test sample of accuracy every seed, say) is a
        # coincidence of a discrete metric, not infinite evidence: such pairs are tested unpaired instead.
        coincidence = constant(paired_other - paired_best) and not (constant(a) and constant(b))
        if not coincidence:
            return ("paired t", *paired_test(paired_other, paired_best))
    if len(a) < 2 or len(b) < 2:
        return "n<2", math.nan, math.nan, math.nan
    return ("Welch t", *welch_test(a, b))


def compare_to_best(
    groups: dict[str, dict[int, float]], higher_is_better: bool, alpha: float = 0.05
) -> list[Comparison]:
    """Rank archs by mean (best first, ties by name) and test every other arch against the best.

    ``groups`` maps arch -> {seed: metric}. Archs without a finite value are left out. p-values are
    Holm-adjusted across the comparisons in ``groups`` (one dataset).
    """
    summaries = {arch: summarize(list(values.values())) for arch, values in groups.items()}
    sign = -1.0 if higher_is_better else 1.0
    archs = sorted((a for a, s in summaries.items() if s.n), key=lambda a: (sign * summaries[a].mean, a))
    if not archs:
        return []
    best = archs[0]
    tests = {arch: against_best(groups[arch], groups[best]) for arch in archs[1:]}
    adjusted = dict(zip(tests, holm([p for _, _, p, _ in tests.values()]), strict=True))
    comparisons = []
    for rank, arch in enumerate(archs, start=1):
        s = summaries[arch]
        name, t, p, effect = tests.get(arch, (BEST, math.nan, math.nan, math.nan))
        p_holm = adjusted.get(arch, math.nan)
        comparisons.append(
            Comparison(
                arch=arch,
                rank=rank,
                mean=s.mean,
                std=s.std,
                ci_low=s.ci_low,
                ci_high=s.ci_high,
                n=s.n,
                test=name,
                statistic=t,
                p_value=p,
                p_holm=p_holm,
                effect_size=sign * effect,
                ratio=ratio_to_best(s.mean, summaries[best].mean, higher_is_better),
                significant=bool(p_holm < alpha),  # NaN compares False: untested is not significant
            )
        )
    return comparisons


def format_ratio(ratio: float) -> str:
    """A times-worse ratio with enough digits to tell 1.02× from 1×."""
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.3g}×"


def verdict(
    dataset: str,
    comparisons: Sequence[Comparison],
    metric: str,
    alpha: float = 0.05,
    similar_within: float = SIMILAR_WITHIN,
) -> str:
    """One line that answers the question for one dataset.

    "Differ" needs a significant difference from the best. Without one, "similarly" also needs every mean
    within ``similar_within`` times the best: with few seeds a t-test misses even large gaps, and calling
    those "similar" would be wrong, so they are reported as inconclusive.
    """
    if not comparisons:
        return f"{dataset}: no successful runs — nothing to compare"
    best, others = comparisons[0], comparisons[1:]
    if not others:
        return f"{dataset}: only {best.arch} finished — nothing to compare"
    if all(math.isnan(c.p_holm) for c in others):
        return f"{dataset}: cannot tell — fewer than 2 runs per architecture (best by mean: {best.arch})"
    worse = [c for c in others if c.p_holm < alpha]
    if worse:
        worse_lines = [f"{c.arch} is {format_ratio(c.ratio)} worse (p_holm={c.p_holm:.2g})" for c in worse]
        details = ", ".join(worse_lines)
        return f"{dataset}: architectures differ — {best.arch} is best ({metric} {best.mean:.4g}); {details}"
    spread = max(c.ratio for c in others)
    no_difference = f"no significant difference from the best ({best.arch}) at α={alpha:g}"
    spread_text = f"spread of means {format_ratio(spread)}"
    if spread <= similar_within:
        return f"{dataset}: architectures perform similarly — {no_difference}; {spread_text}"
    seeds = min(c.n for c in comparisons)
    return f"{dataset}: inconclusive — {no_difference}, but {spread_text} (fewest seeds: {seeds}); add seeds"
