"""Pairwise tests in aeon's convention (``aeon.visualisation.plot_critical_difference`` defaults), for comparing
with diagrams drawn by aeon: each pair tested one-sided, the better-ranked method against the other, with scipy's
Wilcoxon dropping zero differences ("wilcox"), on the scores as given; a pair is significant when the Friedman test
rejects and p < α / (k − 1), aeon's "holm" level. archbench's own convention is two-sided with Pratt's zeros and Holm
over all pairs (``archbench.report.ranking``)."""

from __future__ import annotations

import numpy as np
from scipy import stats

DEFAULT_ALPHA = 0.1  # aeon's default level


def aeon_p_values(scores: np.ndarray) -> list[tuple[int, int, float, float]]:
    """(i, j, statistic, one-sided p) of every pair i < j of the columns of higher-is-better ``scores``, in rank
    order: p of "column i is better than column j"; identical columns get p = 1, as in aeon."""
    found = []
    for i in range(scores.shape[1]):
        for j in range(i + 1, scores.shape[1]):
            if np.array_equal(scores[:, i], scores[:, j]):
                found.append((i, j, 0.0, 1.0))
                continue
            result = stats.wilcoxon(scores[:, i], scores[:, j], zero_method="wilcox", alternative="greater")
            found.append((i, j, float(result.statistic), float(result.pvalue)))
    return found
