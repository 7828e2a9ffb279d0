"""A series as forecasters prepare it: an optional target transform (log, differencing, seasonal differencing), the
windows a model reads, and the scale MASE divides by.

A differenced series is forecast relative to a known level: with ``difference 1`` the target of each horizon step is
its change from the window's last value (the persistence forecast), with seasonal differencing its change from the
value one season earlier (the seasonal-naive forecast). That level is each window's ``offset``; adding it back (and
``exp`` after a log) gives the forecast in original units, so every metric is in the data's own units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archbench.data.splits import make_windows
from archbench.errors import ArchbenchError


@dataclass(frozen=True)
class ForecastWindows:
    """One split part's windows, N of them, over K target columns and C input channels."""

    x: np.ndarray  # (N, window, C): what the model reads, target columns transformed, covariates as they are
    y: np.ndarray  # (N, horizon · K): transformed targets, relative to ``offset``
    offset: np.ndarray  # (N, horizon · K): the level each target is relative to, in the transformed space
    levels: np.ndarray  # (N, window, K): the target columns of each window in original units
    target: np.ndarray  # (N, horizon · K): the targets in original units


@dataclass(frozen=True)
class TargetTransform:
    """``log`` first, then ``difference`` (order 0 or 1) or differencing at ``seasonal_lag`` steps (0: none)."""

    difference: int = 0
    seasonal_lag: int = 0
    log: bool = False

    def __post_init__(self) -> None:
        if self.difference not in (0, 1):
            raise ArchbenchError(f"difference {self.difference} is not offered; allowed: 0 or 1")
        if self.difference and self.seasonal_lag:
            raise ArchbenchError("difference 1 and seasonal_difference together are not offered; allowed: one of them")

    @property
    def lag(self) -> int:
        return 1 if self.difference else self.seasonal_lag

    @property
    def relative(self) -> bool:
        """Whether targets are relative to a per-window level."""
        return self.lag > 0

    def transformed(self, series: np.ndarray, targets: int, what: str) -> np.ndarray:
        """The target columns (the first ``targets``) in the transformed space, before differencing."""
        values = series.astype(float).copy()
        if self.log:
            bad = values[:, :targets] <= 0
            if bad.any():
                row, column = np.argwhere(bad)[0]
                raise ArchbenchError(
                    f"{what} has {values[row, column]:g} in target column {column} at row {row}; "
                    "allowed with --data.log true: values > 0 only"
                )
            values[:, :targets] = np.log(values[:, :targets])
        return values

    def windows(self, part: np.ndarray, raw: np.ndarray, window: int, horizon: int, targets: int) -> ForecastWindows:
        """Windows of one split part: ``part`` transformed (``transformed``), ``raw`` the same rows in original units.
        With differencing the part's first ``lag`` rows only serve as the previous values of the next ones."""
        lag = self.lag
        inputs = part.copy()
        if lag:
            inputs[lag:, :targets] = part[lag:, :targets] - part[:-lag, :targets]
            inputs, part, raw = inputs[lag:], part[lag:], raw[lag:]
        x, _ = make_windows(inputs, window, horizon, targets)
        levels_t, y_t = make_windows(part[:, :targets], window, horizon)
        levels, target = make_windows(raw[:, :targets], window, horizon)
        offset = self.offset(levels_t, horizon)
        return ForecastWindows(x, y_t - offset, offset, levels, target)

    def offset(self, levels: np.ndarray, horizon: int) -> np.ndarray:
        """Each window's level per horizon step (N, horizon · K): the last value, or the value one season before the
        step; zero without differencing."""
        if not self.lag:
            return np.zeros((len(levels), horizon * levels.shape[2]))
        return naive_forecast(levels, horizon, self.lag)


def naive_forecast(levels: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The seasonal-naive forecast from windows (N, window, K): each horizon step repeats the value one season
    earlier, from the window's last ``season`` steps (season 1: persistence). Returns (N, horizon · K)."""
    last_season = levels[:, -season:]
    steps = np.arange(horizon) % season
    return last_season[:, steps].reshape(len(levels), -1)


def mase_scale(train: np.ndarray, season: int) -> list[float]:
    """Per column of the training part (T, K): the mean absolute change over ``season`` steps, the in-sample MAE of
    the (seasonal) naive forecast that MASE divides by (Hyndman & Koehler 2006)."""
    if len(train) <= season:
        raise ArchbenchError(f"the training part has {len(train)} rows, too few for MASE at season {season}")
    return [float(v) for v in np.abs(train[season:] - train[:-season]).mean(axis=0)]
