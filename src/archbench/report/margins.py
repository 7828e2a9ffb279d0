"""The scale a dataset's scores are compared on and the margin that counts as a practical difference.

Both are fixed before the data are seen, from the metric, the test set's size and the stated margin:

- Accuracy-type metrics (accuracy, F1, AUROC, R²) are compared as they are; the stated margin is absolute
  (default 0.01). A test set of n samples moves accuracy-type classification scores in steps of h = 1/n, so the margin
  used is δ = max(stated, 1.5·h) and the SD of a pair is at least h/√12, the SD of rounding to whole samples.
- Error metrics (MSE, MAE, RMSE) are compared on the log scale, so a difference is a ratio and the margin a factor
  fixed in advance: similar when the errors are within a factor 1 + stated (default 1.05) of each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ABSOLUTE_MARGIN = 0.01  # accuracy-type metrics: one percentage point
RATIO_MARGIN = 0.05  # error metrics: within a factor 1.05
FLOOR_FACTOR = 1.5  # the margin is at least 1.5 test samples
TINY = np.finfo(float).tiny


@dataclass(frozen=True)
class Scale:
    """How one dataset's scores are compared; ``margin`` is δ on the compared scale."""

    higher_is_better: bool
    log: bool  # error metrics: compared as -log(error), so differences are log ratios
    stated: float  # the margin as stated: absolute, or the fraction a ratio may exceed 1 by
    resolution: float  # h = 1/n_test for accuracy-type classification metrics, else 0
    alpha: float = 0.05
    bounds: tuple[float, float] = (-math.inf, math.inf)

    @property
    def margin(self) -> float:
        if self.log:
            return math.log1p(self.stated)
        return max(self.stated, FLOOR_FACTOR * self.resolution)

    @property
    def floor_sd(self) -> float:
        return self.resolution / math.sqrt(12)

    @property
    def floor_sets_margin(self) -> bool:
        return not self.log and FLOOR_FACTOR * self.resolution > self.stated

    @property
    def too_coarse(self) -> bool:
        """One test sample moves the score by more than the stated margin: the stated margin means nothing here."""
        return not self.log and self.resolution > self.stated

    def compared(self, values: np.ndarray) -> np.ndarray:
        """Scores on the compared scale, turned so that higher is better."""
        values = np.asarray(values, dtype=float)
        if self.log:
            return -np.log(np.maximum(values, TINY))
        return values if self.higher_is_better else -values

    def gap_text(self, gap: float) -> str:
        """A gap on the compared scale (positive: worse than the best) in the metric's terms."""
        if math.isnan(gap):
            return "—"
        return f"{math.exp(gap):.3g}×" if self.log else f"{gap:.3g}"

    @property
    def text(self) -> str:
        if self.log:
            return f"errors within a factor {1 + self.stated:.3g} (log scale)"
        if self.floor_sets_margin:
            return (
                f"±{self.margin:.3g} (absolute; set by the test set's resolution, 1.5 × 1/{round(1 / self.resolution)}"
                f", not the stated ±{self.stated:.3g})"
            )
        return f"±{self.margin:.3g} (absolute)"


def make_scale(
    lower_is_better: bool,
    floored: bool,
    n_test: float = math.nan,
    margin: float | None = None,
    alpha: float = 0.05,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Scale:
    """The scale of a metric: errors (lower is better) on the log scale, the rest absolute; ``floored`` metrics
    (accuracy-type classification scores) take the resolution 1/n_test when n_test is known."""
    resolution = 1.0 / n_test if floored and n_test > 0 and math.isfinite(n_test) else 0.0
    stated = margin if margin is not None else (RATIO_MARGIN if lower_is_better else ABSOLUTE_MARGIN)
    return Scale(not lower_is_better, lower_is_better, stated, resolution, alpha, bounds)
