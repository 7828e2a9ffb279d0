"""Verdicts: on one dataset, do the neural architectures perform similarly, differ, or is it too early to tell?

The rule compares the networks only; baselines (scikit-learn models) are tested against the best network and
reported beside the verdict, never in it, so a strong or weak baseline cannot change it.

- Every pair of networks is tested: a paired t-test on the per-seed differences when the two share at least 2
  seeds, else Welch's t-test.
- **Differ**: some pair differs after Holm's correction over all pairs, at α. The family is every pair, fixed
  before the means are seen, so picking the best by mean afterwards cannot inflate it: Holm keeps the chance of
  any false "differ" at most α. (Testing only the best-by-mean against the rest gave 7.1% at α = 5%.)
- **Similar**: every pair is shown equivalent within ±margin by two one-sided tests (TOST) at α. All must pass,
  an intersection-union test, so no correction is needed; and because every pair is in it, the chance of
  "similar" while some pair is truly a margin or more apart is at most α, whichever network looks best.
  Similar wins when both hold: a real difference smaller than the margin is still similar performance.
- Otherwise **inconclusive**, with the seeds per architecture that would decide it at 80% power if the
  observed gaps were the truth: to detect the largest gap beyond the margin (at α / number of pairs, Holm's
  strictest step), or, when every gap is inside the margin, to show all of them equivalent.

The margin is stated before looking at the data: 1 percentage point (0.01 absolute) for higher-is-better
metrics bounded by 1 (accuracy, F1, AUROC, and R², a fraction of variance explained); 5% of the best network's
mean for error metrics (MSE, MAE, loss). A given ``margin`` keeps the metric's convention: absolute for the
bounded metrics, a fraction of the best's mean for errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from archbench.report.stats import (
    TwoSample,
    finite,
    holm,
    holm_adjust,
    paired_test,
    scalar,
    seeds_to_detect,
    seeds_to_show_equivalence,
    summarize,
    welch_test,
)

SIMILAR, DIFFER, INCONCLUSIVE, CANNOT_TELL, NOTHING = "similar", "differ", "inconclusive", "cannot tell", "nothing"
ABSOLUTE_MARGIN = 0.01
RELATIVE_MARGIN = 0.05
POWER = 0.8

Seeds = dict[int, float]
NOT_TESTED = TwoSample("—", *[math.nan] * 8, 0)


@dataclass(frozen=True)
class Comparison:
    """One architecture's summary and its test against the best network; ``gap`` > 0 means worse than it."""

    arch: str
    baseline: bool
    rank: int  # 0 for baselines, which are not ranked among the networks
    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int
    test: str
    statistic: float
    p_value: float
    p_holm: float
    p_equivalence: float
    gap: float
    gap_low: float
    gap_high: float
    effect_size: float
    ratio: float
    significant: bool
    equivalent: bool
    seeds_needed: float


@dataclass(frozen=True)
class Pair:
    """A test between two networks, ``better`` by mean; p_holm is adjusted over all pairs."""

    better: str
    worse: str
    test: str
    p_holm: float
    p_equivalence: float


@dataclass(frozen=True)
class Analysis:
    """Everything the report says about one dataset: networks in rank order, then baselines."""

    comparisons: list[Comparison]
    pairs: list[Pair]
    kind: str
    margin: float
    margin_text: str
    alpha: float
    seeds_needed: float

    @property
    def networks(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.baseline]

    @property
    def baselines(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.baseline]


def margin_for(lower_is_better: bool, best_mean, margin: float | None = None):
    """The equivalence margin in the metric's units (see the module docstring for the defaults)."""
    if lower_is_better:
        return (RELATIVE_MARGIN if margin is None else margin) * np.abs(best_mean)
    return ABSOLUTE_MARGIN if margin is None else margin


def describe_margin(lower_is_better: bool, absolute: float, margin: float | None) -> str:
    if lower_is_better:
        fraction = RELATIVE_MARGIN if margin is None else margin
        return f"±{absolute:.3g} ({fraction:.3g} of the best network's mean)"
    return f"±{absolute:.3g} (absolute)"


def decide(p_holm: np.ndarray, p_equivalence: np.ndarray, alpha: float) -> np.ndarray:
    """The verdict from the pairs on the last axis; an untested pair (NaN) is never equivalent."""
    similar = np.all(p_equivalence < alpha, axis=-1)
    differ = np.any(p_holm < alpha, axis=-1)
    return np.where(similar, SIMILAR, np.where(differ, DIFFER, INCONCLUSIVE))


def grid_verdicts(
    values: np.ndarray, higher_is_better: bool, margin: float | None = None, alpha: float = 0.05
) -> np.ndarray:
    """The verdict of each of many grids at once: values[grid, arch, seed], every arch on the same seeds."""
    means = values.mean(axis=-1)
    best = means.max(axis=-1) if higher_is_better else means.min(axis=-1)
    delta = np.asarray(margin_for(not higher_is_better, best, margin))[..., None]
    first, second = np.triu_indices(values.shape[1], 1)
    result = paired_test(values[:, first], values[:, second], delta, alpha)
    return decide(holm_adjust(result.p_value), result.p_equivalence, alpha)


def pair_test(a: Seeds, b: Seeds, margin: float, alpha: float) -> TwoSample:
    """a against b: paired over the seeds both have (at least 2), else Welch; untested (NaN) when n < 2."""
    common = sorted(s for s in a.keys() & b.keys() if not (math.isnan(a[s]) or math.isnan(b[s])))
    x, y = finite(list(a.values())), finite(list(b.values()))
    if len(common) >= 2:
        result = scalar(paired_test(np.array([a[s] for s in common]), np.array([b[s] for s in common]), margin, alpha))
    elif len(x) < 2 or len(y) < 2:
        return replace(NOT_TESTED, test="n<2", n=min(len(x), len(y)))
    else:
        result = scalar(welch_test(x, y, margin, alpha))
    # No spread and a non-zero difference: p = 0 is exact, not a numerical accident; say so where p is shown.
    return replace(result, test=f"{result.test}, constant shift") if math.isinf(result.statistic) else result


def ratio_to_best(mean: float, best: float, higher_is_better: bool) -> float:
    """How many times worse than the best (>= 1 for networks; < 1 for a baseline that beats them)."""
    num, den = (best, mean) if higher_is_better else (mean, best)
    if den == 0:
        return math.nan if num == 0 else math.inf
    return num / den


def seeds_to_decide(test: TwoSample, margin: float, alpha: float, family: int) -> float:
    """Seeds per architecture that would make this comparison significant or equivalent (80% power)."""
    paired = test.test.startswith("paired")
    if math.isnan(test.diff):
        return math.nan
    if abs(test.diff) >= margin:
        return seeds_to_detect(test.effect_size, alpha / family, POWER, paired)
    return seeds_to_show_equivalence(test.diff, test.sd, margin, alpha, POWER, paired)


def rank(groups: dict[str, Seeds], higher_is_better: bool) -> list[str]:
    """Archs with at least one finite value, best mean first, ties by name."""
    means = {arch: summarize(list(seeds.values())).mean for arch, seeds in groups.items()}
    sign = -1.0 if higher_is_better else 1.0
    return sorted((a for a, m in means.items() if not math.isnan(m)), key=lambda a: (sign * means[a], a))


def network_pairs(groups: dict[str, Seeds], archs: list[str], margin: float, alpha: float) -> tuple[list[Pair], str]:
    """Every pair of ranked networks with Holm over all of them, and the verdict they give."""
    if len(archs) < 2:
        return [], NOTHING
    ordered = [(a, b) for i, a in enumerate(archs) for b in archs[i + 1 :]]
    tests = [pair_test(groups[a], groups[b], margin, alpha) for a, b in ordered]
    p = np.array([t.p_value for t in tests])
    p_equivalence = np.array([t.p_equivalence for t in tests])
    p_holm = holm_adjust(p)
    kind = CANNOT_TELL if np.isnan(p).all() else str(decide(p_holm, p_equivalence, alpha))
    pairs = [
        Pair(a, b, t.test, float(ph), float(pe))
        for (a, b), t, ph, pe in zip(ordered, tests, p_holm, p_equivalence, strict=True)
    ]
    return pairs, kind


def oriented(test: TwoSample, higher_is_better: bool) -> tuple[float, float, float, float]:
    """(gap, gap_low, gap_high, effect) of ``other - best`` turned so that positive means worse than the best."""
    sign = -1.0 if higher_is_better else 1.0
    low, high = sorted((sign * test.ci_low, sign * test.ci_high))
    return sign * test.diff, low, high, sign * test.effect_size


@dataclass(frozen=True)
class Settings:
    """What every row of one dataset's table shares."""

    higher_is_better: bool
    bounds: tuple[float, float]
    alpha: float
    margin: float
    family: int  # number of network pairs, for the seeds-needed estimate


def comparison(
    arch: str, seeds: Seeds, test: TwoSample, p_holm: float, rank_: int, best_mean: float, settings: Settings
) -> Comparison:
    """One table row: the arch's summary and ``test`` of it against the best network."""
    s = summarize(list(seeds.values()), bounds=settings.bounds)
    significant, equivalent = bool(p_holm < settings.alpha), bool(test.p_equivalence < settings.alpha)  # NaN: False
    undecided = not (significant or equivalent) and test.test != NOT_TESTED.test
    needed = seeds_to_decide(test, settings.margin, settings.alpha, settings.family) if undecided else math.nan
    gap, gap_low, gap_high, effect = oriented(test, settings.higher_is_better)
    return Comparison(
        arch=arch, baseline=rank_ == 0, rank=rank_, mean=s.mean, std=s.std, ci_low=s.ci_low, ci_high=s.ci_high,
        n=s.n, test=test.test, statistic=test.statistic, p_value=test.p_value, p_holm=p_holm,
        p_equivalence=test.p_equivalence, gap=gap, gap_low=gap_low, gap_high=gap_high, effect_size=effect,
        ratio=ratio_to_best(s.mean, best_mean, settings.higher_is_better), significant=significant,
        equivalent=equivalent, seeds_needed=needed,
    )  # fmt: skip


def seeds_for_verdict(networks: list[Comparison], margin: float) -> float:
    """Seeds per arch to decide: detect the easiest gap beyond the margin, else show every gap inside it."""
    undecided = [c for c in networks[1:] if not math.isnan(c.seeds_needed)]
    beyond = [c.seeds_needed for c in undecided if abs(c.gap) >= margin]
    if beyond:
        return min(beyond)
    return max((c.seeds_needed for c in undecided), default=math.nan)


def analyze(
    groups: dict[str, Seeds],
    higher_is_better: bool,
    baselines: dict[str, Seeds] | None = None,
    margin: float | None = None,
    alpha: float = 0.05,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Analysis:
    """The verdict over the networks in ``groups`` (arch -> {seed: metric}) and each baseline against the best."""
    archs = rank(groups, higher_is_better)
    best = groups[archs[0]] if archs else {}
    best_mean = summarize(list(best.values())).mean
    delta = float(margin_for(not higher_is_better, best_mean, margin))
    pairs, kind = network_pairs(groups, archs, delta, alpha)
    settings = Settings(higher_is_better, bounds, alpha, delta, max(1, len(pairs)))
    holm_vs_best = {p.worse: p.p_holm for p in pairs if p.better == archs[0]}
    comparisons = [
        comparison(a, groups[a], pair_test(groups[a], best, delta, alpha) if i else NOT_TESTED,
                   holm_vs_best.get(a, math.nan), i + 1, best_mean, settings)
        for i, a in enumerate(archs)
    ]  # fmt: skip
    baselines = baselines or {}
    others = rank(baselines, higher_is_better)
    tests = [pair_test(baselines[b], best, delta, alpha) if archs else NOT_TESTED for b in others]
    adjusted = holm([t.p_value for t in tests])
    for b, test, p_holm in zip(others, tests, adjusted, strict=True):
        comparisons.append(comparison(b, baselines[b], test, p_holm, 0, best_mean, settings))
    text = describe_margin(not higher_is_better, delta, margin)
    seeds = seeds_for_verdict(comparisons[: len(archs)], delta) if kind == INCONCLUSIVE else math.nan
    return Analysis(comparisons, pairs, kind, delta, text, alpha, seeds)
