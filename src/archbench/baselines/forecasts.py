"""Forecast baselines: persistence and seasonal naive, from the test windows alone (nothing is fitted)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from archbench.data.sequence import SeriesDataModule

# Forecasts in original units, (N, horizon · C), from the test windows alone: nothing is fitted.
FORECASTS: dict[str, Callable[[SeriesDataModule], torch.Tensor | None]] = {
    "persistence": lambda data: data.persistence_forecast("test"),
    "seasonal_naive": lambda data: data.seasonal_naive_forecast("test"),
}
