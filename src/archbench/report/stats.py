"""Statistics for two sets of seeds: summaries, t-tests, equivalence tests (TOST), Holm, seeds needed.

The tests take numpy arrays with the seeds on the last axis, so one function serves a single comparison in a
report and thousands of simulated grids in a test.

Conventions:
- A test compares ``a`` with ``b`` through the difference of means a - b; its confidence interval is the
  (1 - 2α) interval, the one whose inclusion in (-margin, +margin) is exactly TOST's equivalence at level α.
- Zero variance (every paired difference identical, or both groups constant) has no t distribution. A constant
  non-zero difference is the strongest evidence of a difference, not the weakest: p = 0 (the report says
  "constant shift"), and it is equivalent when it lies inside the margin. A zero difference has p = 1.
- Intervals of a metric's mean are t-intervals clipped to the metric's range (accuracy in [0, 1], MSE >= 0); one
  run has no interval (NaN).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

MAX_SEEDS = 1000  # seeds-needed estimates beyond this are reported as infinite
ROUNDING = 1e-12  # relative spread below which values count as identical


@dataclass(frozen=True)
class Summary:
    """Mean, sample std (ddof=1) and t-based confidence interval of the finite values."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class TwoSample:
    """A test of a against b (floats for one comparison, arrays for many); ``diff`` is mean(a) - mean(b)."""

    test: str
    diff: np.ndarray | float
    statistic: np.ndarray | float
    p_value: np.ndarray | float
    p_equivalence: np.ndarray | float
    ci_low: np.ndarray | float
    ci_high: np.ndarray | float
    effect_size: np.ndarray | float
    sd: np.ndarray | float  # of the paired differences, or pooled: the scale the seeds-needed estimate uses
    n: int


def finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def summarize(
    values: Sequence[float], confidence: float = 0.95, bounds: tuple[float, float] = (-math.inf, math.inf)
) -> Summary:
    """Summarize ``values`` ignoring NaN; the t-interval is clipped to ``bounds``, the metric's range."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    std = float(x.std(ddof=1)) if np.ptp(x) > ROUNDING * np.abs(x).max() else 0.0
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
    low, high = np.clip([mean - half, mean + half], *bounds)
    return Summary(n, mean, std, float(low), float(high))


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values along the last axis; NaN entries stay NaN and do not count."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, axis=-1)  # NaN sorts last
    ranked = np.take_along_axis(p, order, axis=-1)
    tested = np.sum(~np.isnan(p), axis=-1, keepdims=True)
    multiplier = tested - np.arange(p.shape[-1])
    adjusted = np.minimum(1.0, np.maximum.accumulate(multiplier * ranked, axis=-1))
    result = np.empty_like(adjusted)
    np.put_along_axis(result, order, adjusted, axis=-1)
    return result


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values in the original order; NaN entries stay NaN and do not count."""
    return holm_adjust(np.asarray(p_values, dtype=float)).tolist() if len(p_values) else []


def t_tests(diff, se, df, scale, margin: float, alpha: float) -> tuple:
    """(t, p, p_equivalence, ci_low, ci_high) of a difference with standard error ``se``.

    p_equivalence is the larger of the two one-sided p-values of H0: diff <= -margin and H0: diff >= margin
    (Schuirmann's TOST). Where ``se`` is zero up to rounding of ``scale``, the zero-variance rule applies.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        degenerate = se <= ROUNDING * scale
        zero = np.abs(diff) <= ROUNDING * scale
        t = np.where(degenerate, np.where(zero, 0.0, np.copysign(np.inf, diff)), diff / se)
        p = np.where(degenerate, np.where(zero, 1.0, 0.0), 2 * stats.t.sf(np.abs(t), df))
        one_sided = np.maximum(stats.t.sf((diff + margin) / se, df), stats.t.cdf((diff - margin) / se, df))
        inside = np.abs(diff) < margin
        p_equivalence = np.where(degenerate, np.where(inside, 0.0, 1.0), one_sided)
        half = np.where(degenerate, 0.0, stats.t.ppf(1 - alpha, df) * se)
    return t, p, p_equivalence, diff - half, diff + half


def paired_test(a: np.ndarray, b: np.ndarray, margin: float, alpha: float = 0.05) -> TwoSample:
    """Paired t-test and paired TOST of a against b, seeds matched along the last axis; effect size d_z."""
    d = a - b
    n = d.shape[-1]
    diff, sd = d.mean(axis=-1), d.std(axis=-1, ddof=1)
    scale = np.maximum(np.abs(a).max(axis=-1), np.abs(b).max(axis=-1))
    sd = np.where(np.ptp(d, axis=-1) <= ROUNDING * scale, 0.0, sd)
    t, p, p_eq, low, high = t_tests(diff, sd / math.sqrt(n), n - 1, scale, margin, alpha)
    return TwoSample("paired t", diff, t, p, p_eq, low, high, t / math.sqrt(n), sd, n)


def welch_test(a: np.ndarray, b: np.ndarray, margin: float, alpha: float = 0.05) -> TwoSample:
    """Welch's t-test and Welch-type TOST of a against b; effect size Hedges' g."""
    na, nb = a.shape[-1], b.shape[-1]
    scale = np.maximum(np.abs(a).max(axis=-1), np.abs(b).max(axis=-1))
    va, vb = (np.where(np.ptp(x, axis=-1) <= ROUNDING * scale, 0.0, x.var(axis=-1, ddof=1)) for x in (a, b))
    diff = a.mean(axis=-1) - b.mean(axis=-1)
    se = np.sqrt(va / na + vb / nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = se**4 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))  # Welch-Satterthwaite
        pooled = np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        t, p, p_eq, low, high = t_tests(diff, se, df, scale, margin, alpha)
        correction = 1 - 3 / (4 * (na + nb - 2) - 1)
        g = np.where(pooled > 0, diff / pooled * correction, t)  # no spread: 0 or ±inf, like t
    return TwoSample("Welch t", diff, t, p, p_eq, low, high, g, pooled, min(na, nb))


def scalar(result: TwoSample) -> TwoSample:
    """A one-comparison result with plain floats."""
    fields = {k: v for k, v in vars(result).items() if k not in ("test", "n")}
    return TwoSample(result.test, n=result.n, **{k: float(v) for k, v in fields.items()})


def first_enough(n: np.ndarray, power: np.ndarray, target: float) -> float:
    """The smallest ``n`` whose power reaches ``target``, or infinity."""
    enough = np.flatnonzero(power >= target)
    return int(n[enough[0]]) if len(enough) else math.inf


def seeds_to_detect(effect_size: float, alpha: float, power: float = 0.8, paired: bool = True) -> float:
    """Seeds per architecture for a two-sided t-test to detect ``effect_size`` (d_z, or g unpaired) with ``power``."""
    d = abs(effect_size)
    if d == math.inf:
        return 2
    n = np.arange(2, MAX_SEEDS + 1)
    df, noncentrality = (n - 1, d * np.sqrt(n)) if paired else (2 * n - 2, d * np.sqrt(n / 2))
    critical = stats.t.ppf(1 - alpha / 2, df)
    reached = stats.nct.sf(critical, df, noncentrality) + stats.nct.cdf(-critical, df, noncentrality)
    return first_enough(n, reached, power)


def seeds_to_show_equivalence(
    diff: float, sd: float, margin: float, alpha: float, power: float = 0.8, paired: bool = True
) -> float:
    """Seeds per architecture for TOST to show |difference| < margin with ``power``, if the truth is ``diff``.

    Normal approximation with t critical values; infinite when ``diff`` is not inside the margin.
    """
    if abs(diff) >= margin:
        return math.inf
    if sd == 0:
        return 2
    n = np.arange(2, MAX_SEEDS + 1)
    se = sd / np.sqrt(n) if paired else sd * np.sqrt(2 / n)
    reach = margin - stats.t.ppf(1 - alpha, n - 1 if paired else 2 * n - 2) * se
    reached = stats.norm.cdf((reach - diff) / se) - stats.norm.cdf((-reach - diff) / se)
    return first_enough(n, reached, power)
