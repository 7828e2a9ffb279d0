"""Verdicts: on one dataset, do the neural architectures perform similarly, differ by more than a practical margin,
or is it too early to tell?

The rule compares the networks only; baselines (the trivial predictor and scikit-learn models) are tested against
the best network and reported beside the verdict, never in it. The margin δ and the scale are fixed before the data
are seen (``archbench.report.margins``).

- Every pair of networks is tested: paired over the seeds both ran (at least 2; df = n − 1), else Welch.
- **Similar**: every pair is shown inside ±δ by two one-sided tests (TOST) at α. All must pass, an
  intersection-union test, so no correction is needed.
- **Differ**: some pair is shown to differ by more than δ: the minimum-effect test p = P(T > (|D| − δ)/SE),
  Holm-corrected over all pairs at α. A difference that is significant but smaller than δ is a note on the pair,
  never "differ".
- Otherwise **inconclusive**, with the seeds per architecture that would decide it at 80% power if the observed
  gaps were the truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from archbench.report.columns import TRIVIAL_ROWS
from archbench.report.margins import Scale
from archbench.report.stats import (
    PairTest,
    finite,
    holm_adjust,
    paired_test,
    resolvable_margin,
    seeds_to_exceed,
    seeds_to_show_equivalence,
    summarize,
    welch_test,
)

SIMILAR, DIFFER, INCONCLUSIVE, CANNOT_TELL, NOTHING = "similar", "differ", "inconclusive", "cannot tell", "nothing"

Seeds = dict[int, float]
NOT_TESTED = PairTest("—", *[math.nan] * 9, 0)


@dataclass(frozen=True)
class Comparison:
    """One row: an arch's summary and its test against the best network; ``gap`` > 0 means worse than it, on the
    compared scale (absolute, or a log ratio for errors)."""

    arch: str
    baseline: bool
    rank: int  # 0 for baselines, which are not ranked among the networks
    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int
    test: str
    p_value: float  # a zero difference, two-sided
    p_beyond: float  # a difference beyond ±δ (minimum-effect test)
    p_holm: float  # p_beyond Holm-adjusted over the network pairs (over the baselines for baselines)
    p_equivalence: float
    gap: float
    gap_low: float
    gap_high: float
    effect_size: float
    ratio: float
    differs: bool
    equivalent: bool
    seeds_needed: float
    flag: str = ""  # "no better than the majority class" and the like


@dataclass(frozen=True)
class Pair:
    """A test between two networks, ``better`` by mean; Holm adjusts over all network pairs."""

    better: str
    worse: str
    test: str
    gap: float
    p_holm: float  # minimum-effect test, Holm-adjusted
    p_equivalence: float
    p_zero_holm: float  # a zero difference, Holm-adjusted: below α but not differing is the "smaller than δ" note

    def verdict(self, alpha: float) -> str:
        if self.p_equivalence < alpha:
            return SIMILAR
        return DIFFER if self.p_holm < alpha else INCONCLUSIVE

    def below_margin(self, alpha: float) -> bool:
        return self.p_zero_holm < alpha and not self.p_holm < alpha


@dataclass(frozen=True)
class Analysis:
    """Everything the report says about one dataset: networks in rank order, then baselines."""

    comparisons: list[Comparison]
    pairs: list[Pair]
    kind: str
    scale: Scale
    seeds_needed: float
    resolvable: float  # the smallest margin these seeds show equivalent with 80% power (compared scale)

    @property
    def networks(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.baseline]

    @property
    def baselines(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.baseline]

    @property
    def alpha(self) -> float:
        return self.scale.alpha

    @property
    def margin(self) -> float:
        return self.scale.margin

    @property
    def equivalent_to_best(self) -> list[str]:
        return [c.arch for c in self.networks if c.rank == 1 or c.equivalent]


def decide(p_beyond_holm: np.ndarray, p_equivalence: np.ndarray, alpha: float) -> np.ndarray:
    """The verdict from the pairs on the last axis; an untested pair (NaN) is never equivalent."""
    similar = np.all(p_equivalence < alpha, axis=-1)
    differ = np.any(p_beyond_holm < alpha, axis=-1)
    return np.where(similar, SIMILAR, np.where(differ, DIFFER, INCONCLUSIVE))


def grid_verdicts(values: np.ndarray, scale: Scale) -> np.ndarray:
    """The verdict of each of many grids at once: values[grid, arch, seed], every arch on the same seeds."""
    compared = scale.compared(values)
    first, second = np.triu_indices(values.shape[1], 1)
    result = paired_test(compared[:, first], compared[:, second], scale.margin, scale.alpha, scale.floor_sd)
    return decide(holm_adjust(result.p_beyond), result.p_equivalence, scale.alpha)


def pair_test(a: Seeds, b: Seeds, scale: Scale) -> PairTest:
    """a against b on the compared scale: paired over the seeds both have (at least 2), else Welch; untested
    (NaN) when either has fewer than 2 runs."""
    common = sorted(s for s in a.keys() & b.keys() if not (math.isnan(a[s]) or math.isnan(b[s])))
    args = (scale.margin, scale.alpha, scale.floor_sd)
    if len(common) >= 2:
        x, y = (scale.compared([seeds[s] for s in common]) for seeds in (a, b))
        return paired_test(x, y, *args).scalar()
    x, y = (scale.compared(finite(list(seeds.values()))) for seeds in (a, b))
    if len(x) < 2 or len(y) < 2:
        return PairTest("n<2", *[math.nan] * 9, min(len(x), len(y)))
    return welch_test(x, y, *args).scalar()


def compared_mean(seeds: Seeds, scale: Scale) -> float:
    values = finite(list(seeds.values()))
    return float(scale.compared(values).mean()) if len(values) else math.nan


def rank(groups: dict[str, Seeds], scale: Scale) -> list[str]:
    """Archs with at least one finite value, best mean on the compared scale first, ties by name."""
    means = {arch: compared_mean(seeds, scale) for arch, seeds in groups.items()}
    return sorted((a for a, m in means.items() if not math.isnan(m)), key=lambda a: (-means[a], a))


def network_pairs(groups: dict[str, Seeds], archs: list[str], scale: Scale) -> tuple[list[Pair], list[PairTest], str]:
    """Every pair of ranked networks with Holm over all of them, their tests, and the verdict they give."""
    if len(archs) < 2:
        return [], [], NOTHING
    ordered = [(a, b) for i, a in enumerate(archs) for b in archs[i + 1 :]]
    tests = [pair_test(groups[a], groups[b], scale) for a, b in ordered]
    beyond = holm_adjust(np.array([t.p_beyond for t in tests]))
    zero = holm_adjust(np.array([t.p_value for t in tests]))
    equivalence = np.array([t.p_equivalence for t in tests])
    untested = np.isnan(beyond).all()
    kind = CANNOT_TELL if untested else str(decide(beyond, equivalence, scale.alpha))
    pairs = [
        Pair(a, b, t.test, float(t.diff), float(ph), float(t.p_equivalence), float(pz))
        for (a, b), t, ph, pz in zip(ordered, tests, beyond, zero, strict=True)
    ]
    return pairs, tests, kind


def ratio_to_best(mean: float, best: float, higher_is_better: bool) -> float:
    """How many times worse than the best (>= 1 for networks; < 1 for a baseline that beats them)."""
    num, den = (best, mean) if higher_is_better else (mean, best)
    if den == 0:
        return math.nan if num == 0 else math.inf
    return num / den


def seeds_to_decide(test: PairTest, scale: Scale, family: int) -> float:
    """Seeds per architecture that would decide this pair (80% power at the observed gap)."""
    if math.isnan(test.diff) or test.test == "n<2":
        return math.nan
    if abs(test.diff) > scale.margin:
        return seeds_to_exceed(test.diff, test.sd, scale.margin, scale.alpha / family, test.paired)
    return seeds_to_show_equivalence(test.diff, test.sd, scale.margin, scale.alpha, test.paired)


def comparison(arch: str, seeds: Seeds, test: PairTest, p_holm: float, rank_: int, best: Seeds, scale: Scale,
               family: int) -> Comparison:  # fmt: skip
    """One table row: the arch's summary and ``test`` of the best network against it (gap > 0: worse)."""
    s, best_mean = summarize(list(seeds.values()), bounds=scale.bounds), summarize(list(best.values())).mean
    differs, equivalent = bool(p_holm < scale.alpha), bool(test.p_equivalence < scale.alpha)  # NaN: False
    undecided = not (differs or equivalent) and test.test not in (NOT_TESTED.test, "n<2")
    effect = test.diff / test.sd if test.sd else math.copysign(math.inf, test.diff) if test.diff else 0.0
    return Comparison(
        arch=arch, baseline=rank_ == 0, rank=rank_, mean=s.mean, std=s.std, ci_low=s.ci_low, ci_high=s.ci_high,
        n=s.n, test=test.test, p_value=test.p_value, p_beyond=test.p_beyond, p_holm=p_holm,
        p_equivalence=test.p_equivalence, gap=test.diff, gap_low=test.ci_low, gap_high=test.ci_high,
        effect_size=effect, ratio=ratio_to_best(s.mean, best_mean, scale.higher_is_better), differs=differs,
        equivalent=equivalent, seeds_needed=seeds_to_decide(test, scale, family) if undecided else math.nan,
    )  # fmt: skip


def seeds_for_verdict(pairs: list[Pair], pair_tests: list[PairTest], scale: Scale) -> float:
    """Seeds per arch to decide: detect the easiest gap beyond the margin, else show every gap inside it."""
    family = max(1, len(pair_tests))
    undecided = [t for p, t in zip(pairs, pair_tests, strict=True) if p.verdict(scale.alpha) == INCONCLUSIVE]
    needed = [(t, seeds_to_decide(t, scale, family)) for t in undecided]
    beyond = [n for t, n in needed if abs(t.diff) > scale.margin and not math.isnan(n)]
    if beyond:
        return min(beyond)
    return max((n for _, n in needed if not math.isnan(n)), default=math.nan)


def study_resolution(pair_tests: list[PairTest], scale: Scale) -> float:
    """The smallest margin the study's seeds could show equivalent at 80% power, at the pairs' typical spread."""
    tested = [t for t in pair_tests if t.test in ("paired t", "Welch t")]
    if not tested:
        return math.inf
    sd = math.sqrt(float(np.mean([t.sd**2 for t in tested])))
    return resolvable_margin(sd, min(t.n for t in tested), scale.alpha, all(t.paired for t in tested))


def trivial_flag(network: Seeds, trivial: dict[str, Seeds], scale: Scale) -> str:
    """ "no better than <the trivial predictor>" when the network's mean is not more than δ better than it."""
    mean = compared_mean(network, scale)
    close = [
        TRIVIAL_ROWS[name] for name, seeds in trivial.items() if mean - compared_mean(seeds, scale) <= scale.margin
    ]
    return f"no better than {' or '.join(close)}" if close else ""


def analyze(groups: dict[str, Seeds], scale: Scale, baselines: dict[str, Seeds] | None = None) -> Analysis:
    """The verdict over the networks in ``groups`` (arch -> {seed: metric}) and each baseline against the best."""
    archs = rank(groups, scale)
    best = groups[archs[0]] if archs else {}
    pairs, tests, kind = network_pairs(groups, archs, scale)
    family = max(1, len(pairs))
    vs_best = {p.worse: (t, p.p_holm) for p, t in zip(pairs, tests, strict=True) if p.better == archs[0]}
    comparisons = [
        comparison(a, groups[a], *(vs_best.get(a, (NOT_TESTED, math.nan)) if i else (NOT_TESTED, math.nan)),
                   i + 1, best, scale, family)
        for i, a in enumerate(archs)
    ]  # fmt: skip
    baselines = baselines or {}
    trivial = {name: seeds for name, seeds in baselines.items() if name in TRIVIAL_ROWS}
    comparisons = [replace(c, flag=trivial_flag(groups[c.arch], trivial, scale)) for c in comparisons]
    others = rank(baselines, scale)
    base_tests = [pair_test(best, baselines[b], scale) if archs else NOT_TESTED for b in others]
    adjusted = holm_adjust(np.array([t.p_beyond for t in base_tests])) if others else []
    for b, test, p_holm in zip(others, base_tests, adjusted, strict=True):
        comparisons.append(comparison(b, baselines[b], test, float(p_holm), 0, best, scale, family))
    seeds = seeds_for_verdict(pairs, tests, scale) if kind == INCONCLUSIVE else math.nan
    return Analysis(comparisons, pairs, kind, scale, seeds, study_resolution(tests, scale))
