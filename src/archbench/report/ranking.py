"""Ranking across datasets: does some method rank better than others over a set of datasets?

Demšar (2006) and Benavoli, Corani & Mangili (2016), the procedure of Fawaz et al. 2019, computed by the libraries
that define it, on a long table (dataset, method, score), so that published tables and archbench's own go through
the same function (``rank_table``):

- Ranks run from 1 (best) in each dataset's own direction; ties share the average rank (``scipy.stats.rankdata``).
- The Friedman test (``scipy.stats.friedmanchisquare``) asks whether any method's ranks differ (3 or more methods;
  with 2 the Wilcoxon test alone decides). Every pair is then tested with the two-sided Wilcoxon signed-rank test
  (``scipy.stats.wilcoxon``, Pratt's treatment of zero differences) on the per-dataset scores, Holm-corrected over
  all pairs (statsmodels ``multipletests``). A pair counts as significant only when the Friedman test rejects as
  well, so the chance of any false "better" stays at most α.
- The Wilcoxon test weighs a difference by its size against the other datasets' differences, so differences must
  be comparable across datasets: errors (lower is better, positive) enter as -log(error), their differences log
  ratios that do not depend on the target's units; accuracy-type scores enter as they are.
- The exact test over n datasets cannot give a two-sided p below 2^(1-n), so Holm over m pairs cannot go below
  m·2^(1-n). Where that is not below α the ranking is inconclusive whatever the data: no winner is named.
- A dataset where some method has no score is left out, and the result says how many.

The words, tables and diagram are ``archbench.report.ranking_text``. aeon's critical-difference plot differs by
default: one-sided Wilcoxon tests, zero differences dropped ("wilcox"), α = 0.1 and cliques formed against a control;
``aeon=True`` reproduces its pairs (``archbench.report.aeon_style``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from archbench.report.aeon_style import aeon_p_values
from archbench.report.columns import LOWER_IS_BETTER
from archbench.report.long_table import check_long
from archbench.report.stats import holm_adjust


@dataclass(frozen=True)
class DatasetScores:
    """One dataset's primary metric (None without one) and each network's mean over its successful seeds."""

    dataset: str
    metric: str | None
    means: Mapping[str, float]


@dataclass(frozen=True)
class RankedPair:
    """The Wilcoxon test of two architectures; ``better`` has the larger signed-rank sum (ties: better rank)."""

    better: str
    worse: str
    wins: int  # datasets where ``better`` scores better than ``worse``
    ties: int
    losses: int
    statistic: float
    p_value: float
    p_holm: float
    significant: bool


@dataclass(frozen=True)
class Ranking:
    """Ranks over the datasets every method has a score on, the tests on them, and what was left out."""

    archs: list[str]  # the methods, best average rank first
    datasets: list[str]
    metrics: list[str]
    scores: np.ndarray  # [dataset, method] in the order of ``datasets`` and ``archs``
    ranks: np.ndarray  # [dataset, method]: 1 = best, ties share the average rank
    friedman_statistic: float  # NaN with fewer than 3 methods
    friedman_p: float
    pairs: list[RankedPair]
    left_out: dict[str, str]  # dataset -> why
    alpha: float
    aeon: bool = False  # pairs in aeon's convention (archbench.report.aeon_style)

    @property
    def pair_test(self) -> str:
        if self.aeon:
            return "one-sided Wilcoxon at α/(k−1), aeon's convention"
        return "Holm-corrected Wilcoxon"

    @property
    def average_ranks(self) -> np.ndarray:
        return self.ranks.mean(axis=0) if len(self.datasets) else np.full(len(self.archs), math.nan)

    @property
    def smallest_p_holm(self) -> float:
        return smallest_p_holm(len(self.datasets), len(self.pairs))


def smallest_p_holm(datasets: int, pairs: int) -> float:
    """The smallest Holm-adjusted p that exact two-sided Wilcoxon tests over ``datasets`` can reach."""
    return min(1.0, pairs * 2.0 ** (1 - datasets))


def datasets_needed(pairs: int, alpha: float) -> int:
    """The fewest datasets with which Holm-corrected Wilcoxon tests over ``pairs`` can reach p < alpha."""
    return math.floor(math.log2(2 * pairs / alpha)) + 1


def comparable(scores: np.ndarray, higher_is_better: np.ndarray) -> np.ndarray:
    """Scores turned higher-is-better: positive errors as -log(error), so that their differences are unit-free
    ratios; a lower-is-better row with a value <= 0 as -score."""
    positive = (scores > 0).all(axis=1, keepdims=True)
    errors = np.where(positive, -np.log(np.where(positive, scores, 1.0)), -scores)
    return np.where(higher_is_better[:, None], scores, errors)


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Ranks within each row of higher-is-better values: 1 for the highest, ties averaged."""
    return stats.rankdata(-values, axis=1)


def friedman(values: np.ndarray) -> tuple[float, float]:
    """Friedman's statistic and p over the columns of ``values``; every row one tie: no difference at all."""
    if values.shape[1] < 3 or values.shape[0] < 2:
        return math.nan, math.nan
    if all(np.ptp(row) == 0 for row in values):
        return 0.0, 1.0
    result = stats.friedmanchisquare(*values.T)
    return float(result.statistic), float(result.pvalue)


def wilcoxon_pair(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(statistic, two-sided p, signed-rank sum of a - b) with Pratt's zero treatment; no difference: p = 1."""
    d = a - b
    if not d.any():
        return 0.0, 1.0, 0.0
    result = stats.wilcoxon(a, b, zero_method="pratt")
    return float(result.statistic), float(result.pvalue), float(np.sum(np.sign(d) * stats.rankdata(np.abs(d))))


def ranked_pairs(values: np.ndarray, archs: list[str], decisive: bool, alpha: float) -> list[RankedPair]:
    """Every pair of archs (in rank order) tested, Holm over all; significant only where ``decisive``."""
    indices = [(i, j) for i in range(len(archs)) for j in range(i + 1, len(archs))]
    tests = [wilcoxon_pair(values[:, i], values[:, j]) for i, j in indices]
    adjusted = holm_adjust(np.array([p for _, p, _ in tests])) if tests else []
    pairs = []
    for (i, j), (statistic, p, signed), p_holm in zip(indices, tests, adjusted, strict=True):
        if signed < 0:
            i, j = j, i
        d = values[:, i] - values[:, j]
        wins, ties, losses = int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum())
        significant = bool(decisive and p_holm < alpha)
        pairs.append(RankedPair(archs[i], archs[j], wins, ties, losses, statistic, p, float(p_holm), significant))
    return pairs


def aeon_pairs(scores: np.ndarray, archs: list[str], decisive: bool, alpha: float) -> list[RankedPair]:
    """Every pair in aeon's convention; ``p_holm`` holds p·(k−1), aeon's level turned into a p-value."""
    pairs = []
    for i, j, statistic, p in aeon_p_values(scores):
        d = scores[:, i] - scores[:, j]
        adjusted = min(1.0, p * (len(archs) - 1))
        counts = int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum())
        pairs.append(
            RankedPair(archs[i], archs[j], *counts, statistic, p, adjusted, bool(decisive and adjusted < alpha))
        )
    return pairs


def complete_datasets(frame: pd.DataFrame, missing_text: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The wide table [dataset, method] of the datasets where every method has a score, and why the rest are out."""
    wide = frame.pivot(index="dataset", columns="method", values="score")
    left_out = {
        str(dataset): f"{missing_text} {', '.join(map(str, row.index[row.isna()]))}"
        for dataset, row in wide.iterrows()
        if row.isna().any()
    }
    return wide.dropna(), left_out


def rank_table(
    long: pd.DataFrame,
    alpha: float = 0.05,
    left_out: Mapping[str, str] | None = None,
    missing_text: str = "no score for",
    aeon: bool = False,
) -> Ranking:
    """Rank the methods of a long table (dataset, method, score[, metric, higher_is_better]) over the datasets where
    each has a score, and test the ranks (see the module docstring). ``left_out``: datasets already left out, why.
    ``aeon``: pairs in aeon's convention instead (``archbench.report.aeon_style``)."""
    frame = check_long(long)
    wide, missing = complete_datasets(frame, missing_text)
    per_dataset = frame.drop_duplicates("dataset").set_index("dataset")
    higher = per_dataset.loc[wide.index, "higher_is_better"].to_numpy(dtype=bool)
    names = sorted(map(str, wide.columns))
    scores = wide[names].to_numpy(dtype=float).reshape(len(wide), len(names))
    values = comparable(scores, higher)
    order = np.argsort(rank_rows(values).mean(axis=0), kind="stable") if len(wide) else np.arange(len(names))
    names, scores, values = [names[i] for i in order], scores[:, order], values[:, order]
    statistic, p = friedman(values)
    family = len(names) * (len(names) - 1) // 2
    reachable = len(wide) >= 2 and smallest_p_holm(len(wide), family) < alpha
    decisive = reachable and (len(names) == 2 or p < alpha)
    if aeon:  # aeon tests the scores as given, and its pairs need only the Friedman test
        raw = np.where(higher[:, None], scores, -scores)
        pairs = aeon_pairs(raw, names, len(wide) >= 2 and p < alpha, alpha) if len(wide) >= 2 else []
    else:
        pairs = ranked_pairs(values, names, decisive, alpha) if len(wide) >= 2 else []
    metric = per_dataset.loc[wide.index, "metric"] if "metric" in per_dataset else pd.Series("score", index=wide.index)
    return Ranking(
        names, list(map(str, wide.index)), list(map(str, metric)), scores, rank_rows(values), statistic, p, pairs,
        {**(left_out or {}), **missing}, alpha, aeon,
    )  # fmt: skip


def rank_architectures(datasets: Sequence[DatasetScores], archs: Sequence[str], alpha: float = 0.05) -> Ranking:
    """Rank the networks of a report over its datasets: ``rank_table`` on their mean scores."""
    no_runs = {s.dataset: "no successful runs" for s in datasets if s.metric is None}
    rows = [
        (s.dataset, arch, s.means.get(arch, math.nan), s.metric, not LOWER_IS_BETTER[s.metric])
        for s in datasets
        if s.metric is not None
        for arch in archs
    ]
    frame = pd.DataFrame(rows, columns=["dataset", "method", "score", "metric", "higher_is_better"])
    return rank_table(frame, alpha, no_runs, "no successful run of")
