"""Statistics for two sets of seeds: summaries, the t-tests a verdict needs, Holm, and seeds needed.

Tests take numpy arrays with the seeds on the last axis, so one function serves one comparison in a report and
thousands of simulated grids in a test.

What a library does is the library's: Holm is statsmodels' ``multipletests``, power and seeds are statsmodels'
``TTestPower`` / ``TTestIndPower``, intervals of a mean are scipy's t-interval. Two things stay here because no
library has them: the standard deviation is floored at the resolution of the score (a test set of n samples moves an
accuracy in steps of h = 1/n, so a score's rounding alone has SD h/√12 and seeds that land on the same sample do
not make a difference certain), and the minimum-effect test, p = P(T > (|D| − δ)/SE), asks whether a difference
exceeds the margin δ rather than whether it is zero. Where the floor does not bind, the TOST p equals statsmodels'
``ttost_paired`` / ``ttost_ind`` and the minimum-effect p its one-sided t-test against ±δ (tests pin both).

Zero spread with no floor (a deterministic score, e.g. an error metric recorded twice the same) has no t
distribution: a difference then counts as shown (p = 0) exactly when it lies beyond the tested bound.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower, TTestPower

MAX_SEEDS = 1000  # seeds-needed estimates beyond this are reported as infinite
ROUNDING = 1e-12  # relative spread below which values count as identical
POWER = 0.8


@dataclass(frozen=True)
class Summary:
    """Mean, sample std (ddof=1) and t-based confidence interval of the finite values."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class PairTest:
    """a against b (floats for one comparison, arrays for many); ``diff`` is mean(a) − mean(b) on the compared scale.

    ``sd`` is the floored scale the power calculation uses: of the paired differences, or the groups' root mean
    variance for Welch. ``p_value`` tests a zero difference (two-sided), ``p_beyond`` a difference beyond ±margin
    (minimum-effect test), ``p_equivalence`` one inside ±margin (TOST)."""

    test: str
    diff: np.ndarray | float
    se: np.ndarray | float
    df: np.ndarray | float
    sd: np.ndarray | float
    p_value: np.ndarray | float
    p_beyond: np.ndarray | float
    p_equivalence: np.ndarray | float
    ci_low: np.ndarray | float
    ci_high: np.ndarray | float
    n: int

    @property
    def paired(self) -> bool:
        return self.test == PAIRED

    def scalar(self) -> PairTest:
        """The same test with plain floats (one comparison)."""
        values = {k: float(v) for k, v in vars(self).items() if k not in ("test", "n")}
        return PairTest(self.test, n=self.n, **values)


PAIRED, WELCH = "paired t", "Welch t"


def finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def summarize(
    values: Sequence[float], confidence: float = 0.95, bounds: tuple[float, float] = (-math.inf, math.inf)
) -> Summary:
    """Summarize ``values`` ignoring NaN; the t-interval (scipy) is clipped to ``bounds``, the metric's range."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    std = float(x.std(ddof=1)) if np.ptp(x) > ROUNDING * np.abs(x).max() else 0.0
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=std / math.sqrt(n)) if std else (mean, mean)
    low, high = np.clip([low, high], *bounds)
    return Summary(n, mean, std, float(low), float(high))


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels) along the last axis; NaN entries stay NaN and do not count."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    # statsmodels' Holm runs gc.collect() on every call, ~0.1 s with torch loaded; frozen objects are not scanned.
    gc.freeze()
    try:
        for index in np.ndindex(p.shape[:-1]):
            row, tested = p[index], ~np.isnan(p[index])
            if tested.any():
                adjusted[index + (tested,)] = multipletests(row[tested], method="holm")[1]
    finally:
        gc.unfreeze()
    return adjusted


def spread(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Sample SD along the last axis; 0 where the values are identical up to rounding of ``scale``."""
    return np.where(np.ptp(x, axis=-1) <= ROUNDING * scale, 0.0, x.std(axis=-1, ddof=1))


def t_above(numerator, se, df) -> np.ndarray:
    """P(T_df > numerator / se); with no spread (se = 0) 0 when numerator > 0, else 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, numerator / np.where(se > 0, se, 1.0), np.where(numerator > 0, np.inf, -np.inf))
    return stats.t.sf(t, np.where(np.isfinite(df) & (df > 0), df, 1.0))


def tests_of(test: str, diff, se, df, sd, n: int, margin, alpha: float) -> PairTest:
    """The zero-difference, minimum-effect and TOST p-values of ``diff`` with standard error ``se``."""
    p_value = np.minimum(1.0, 2 * t_above(np.abs(diff), se, df))
    p_beyond = t_above(np.abs(diff) - margin, se, df)
    p_equivalence = np.maximum(t_above(diff + margin, se, df), t_above(margin - diff, se, df))
    half = stats.t.ppf(1 - alpha, np.where(np.isfinite(df) & (df > 0), df, 1.0)) * se
    return PairTest(test, diff, se, df, sd, p_value, p_beyond, p_equivalence, diff - half, diff + half, n)


def paired_test(a: np.ndarray, b: np.ndarray, margin, alpha: float = 0.05, floor_sd: float = 0.0) -> PairTest:
    """Paired tests of a against b, seeds matched along the last axis; the SD of the differences is at least
    ``floor_sd``."""
    d, n = a - b, a.shape[-1]
    scale = np.maximum(np.abs(a).max(axis=-1), np.abs(b).max(axis=-1))
    sd = np.maximum(spread(d, scale), floor_sd)
    return tests_of(PAIRED, d.mean(axis=-1), sd / math.sqrt(n), n - 1, sd, n, margin, alpha)


def welch_test(a: np.ndarray, b: np.ndarray, margin, alpha: float = 0.05, floor_sd: float = 0.0) -> PairTest:
    """Welch's tests of a against b, each group's SD at least ``floor_sd``."""
    na, nb = a.shape[-1], b.shape[-1]
    scale = np.maximum(np.abs(a).max(axis=-1), np.abs(b).max(axis=-1))
    va, vb = (np.maximum(spread(x, scale), floor_sd) ** 2 for x in (a, b))
    se = np.sqrt(va / na + vb / nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = se**4 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))  # Welch-Satterthwaite
    diff = a.mean(axis=-1) - b.mean(axis=-1)
    return tests_of(WELCH, diff, se, df, np.sqrt((va + vb) / 2), min(na, nb), margin, alpha)


def power_class(paired: bool) -> TTestPower | TTestIndPower:
    return TTestPower() if paired else TTestIndPower()


def seeds_to_exceed(gap: float, sd: float, margin: float, alpha: float, paired: bool = True) -> float:
    """Seeds per architecture for the minimum-effect test at ``alpha`` to show |difference| > margin with 80% power,
    if the truth is ``gap``; infinite when the gap is not beyond the margin."""
    excess = abs(gap) - margin
    if excess <= 0:
        return math.inf
    if sd == 0:
        return 2
    n = power_class(paired).solve_power(excess / sd, None, alpha, POWER, alternative="larger")
    return max(2, math.ceil(n)) if n <= MAX_SEEDS else math.inf


def tost_power(nobs: np.ndarray, gap: float, sd: float, margin: float, alpha: float, paired: bool) -> np.ndarray:
    """Power of TOST with ``nobs`` seeds per architecture: both one-sided tests must reject (statsmodels' power of
    each; their sum minus 1 is the exact power of the intersection when the two cannot fail together)."""
    power = power_class(paired).power
    near = power((margin - abs(gap)) / sd, nobs, alpha, alternative="larger")
    far = power((margin + abs(gap)) / sd, nobs, alpha, alternative="larger")
    return np.clip(near + far - 1, 0, 1)


def seeds_to_show_equivalence(gap: float, sd: float, margin: float, alpha: float, paired: bool = True) -> float:
    """Seeds per architecture for TOST to show |difference| < margin with 80% power if the truth is ``gap``."""
    if abs(gap) >= margin:
        return math.inf
    if sd == 0:
        return 2
    n = np.arange(2, MAX_SEEDS + 1)
    enough = np.flatnonzero(tost_power(n, gap, sd, margin, alpha, paired) >= POWER)
    return int(n[enough[0]]) if len(enough) else math.inf


def resolvable_margin(sd: float, seeds: int, alpha: float, paired: bool = True) -> float:
    """The smallest margin that ``seeds`` per architecture show equivalent with 80% power when the truth is no
    difference: each one-sided test needs power (1 + 0.8) / 2."""
    if seeds < 2 or not math.isfinite(sd):
        return math.inf
    if sd == 0:
        return 0.0
    one_sided = (1 + POWER) / 2
    effect = power_class(paired).solve_power(None, seeds, alpha, one_sided, alternative="larger")
    return float(effect) * sd
