"""Sequence DataModules: a noisy multi-frequency sine to forecast, and the adding problem."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import torch

from archbench.data.base import ArchDataModule, Splits, column_errors, require_positive
from archbench.data.forecast_windows import ForecastWindows, TargetTransform, mase_scale, naive_forecast
from archbench.data.splits import chronological_split, random_split, require_window_fits
from archbench.errors import ArchbenchError


class SeriesDataModule(ArchDataModule):
    """A series (T, C) split chronologically, then windowed: no window straddles two splits.

    Every column is an input channel; all but the last ``covariate_columns()`` are also targets: a window
    (window, C) is followed by ``horizon`` steps of the K target columns, flattened step by step, (horizon · K).
    ``season_length`` (steps per season, e.g. 7 for daily data with a weekly cycle) adds the seasonal-naive forecast
    to the naive baselines and is the season of MASE's scale (1 without it).

    A target transform (data/forecast_windows.py) is what forecasters do to a trending series: ``log``, then
    ``difference 1`` or ``seasonal_difference`` (at ``season_length``). The model reads and predicts the transformed
    series; its forecasts are transformed back before every metric, so metrics stay in the original units.
    """

    task = "regression"

    def __init__(
        self,
        window: int = 32,
        horizon: int = 1,
        season_length: int | None = None,
        difference: int = 0,
        seasonal_difference: bool = False,
        log: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(window=window, horizon=horizon)
        if season_length is not None and not 1 <= season_length <= window:
            raise ArchbenchError(f"season_length must be between 1 and window={window}, got {season_length}")
        if seasonal_difference and season_length is None:
            raise ArchbenchError("seasonal_difference needs a season; allowed: with --data.season_length N")
        self.window = window
        self.horizon = horizon
        self.season_length = season_length
        self.transform = TargetTransform(difference, season_length if seasonal_difference else 0, log)
        self.target_log = log

    def load_series(self) -> np.ndarray:
        raise NotImplementedError

    def series_columns(self) -> list[str]:
        """Names of the series' columns, in channel order."""
        channels = self.input_size
        return [f"y{i}" for i in range(channels)] if channels > 1 else ["y"]

    def covariate_columns(self) -> list[str]:
        """Names of the input-only channels (seen in the window, not forecast), the last ones of the series."""
        return []

    @property
    def target_names(self) -> list[str]:
        columns = self.series_columns()
        return columns[: len(columns) - len(self.covariate_columns())]

    @cached_property
    def forecast_parts(self) -> tuple[list[ForecastWindows], list[float]]:
        """The train, val and test windows, and MASE's scale from the training part."""
        series = self.load_series()
        targets = series.shape[1] - len(self.covariate_columns())
        transformed = self.transform.transformed(series, targets, self.name)
        raw_parts = chronological_split(series, self.val_fraction, self.test_fraction, self.name)
        parts = chronological_split(transformed, self.val_fraction, self.test_fraction, self.name)
        lag = self.transform.lag
        require_window_fits(tuple(p[lag:] for p in parts), self.window, self.horizon)
        windows = [
            self.transform.windows(p, raw, self.window, self.horizon, targets)
            for p, raw in zip(parts, raw_parts, strict=True)
        ]
        return windows, mase_scale(raw_parts[0][:, :targets], self.season_length or 1)

    def windows_of(self, stage: str) -> ForecastWindows:
        return self.forecast_parts[0][("train", "val", "test").index(stage)]

    @property
    def mase_scale(self) -> list[float]:
        return self.forecast_parts[1]

    def batch_tensors(self, stage: str) -> tuple[torch.Tensor, ...]:
        tensors = super().batch_tensors(stage)
        if not self.transform.relative:
            return tensors
        return (*tensors, torch.as_tensor(self.windows_of(stage).offset, dtype=torch.float32))

    def original_units(self, stage: str, scaled: torch.Tensor) -> torch.Tensor:
        values = super().original_units(stage, scaled)
        if self.transform.relative:
            values = values + torch.as_tensor(self.windows_of(stage).offset, dtype=values.dtype)
        return values.exp() if self.transform.log else values

    def targets(self, stage: str) -> torch.Tensor:
        """A split's targets in original units, exactly as in the series (no transform and back)."""
        return torch.as_tensor(self.windows_of(stage).target, dtype=torch.float32)

    def persistence_forecast(self, stage: str = "test") -> torch.Tensor:
        """The last observed value of every column, repeated over the horizon: (N, horizon · C), original units."""
        return torch.as_tensor(naive_forecast(self.windows_of(stage).levels, self.horizon, 1), dtype=torch.float32)

    def seasonal_naive_forecast(self, stage: str = "test") -> torch.Tensor | None:
        """Each horizon step repeats the value one season earlier (from the window's last season); None without
        ``season_length``."""
        if self.season_length is None:
            return None
        levels = self.windows_of(stage).levels
        return torch.as_tensor(naive_forecast(levels, self.horizon, self.season_length), dtype=torch.float32)

    def naive_baseline(self) -> dict[str, float]:
        """The train mean's test errors, and those of the persistence (and seasonal-naive) forecasts."""
        found = super().naive_baseline()
        target, names, scale = self.targets("test"), self.target_names, self.mase_scale
        found.update(column_errors(self.persistence_forecast(), target, names, "_persistence", scale))
        seasonal = self.seasonal_naive_forecast()
        if seasonal is not None:
            found.update(column_errors(seasonal, target, names, "_seasonal_naive", scale))
        return found

    def observed_facts(self) -> dict[str, int]:
        """Time steps of the whole series, and its columns as channels (window and horizon are options)."""
        series = self.load_series()
        return {"rows": int(series.shape[0]), "channels": int(series.shape[1])}

    def load_splits(self) -> Splits:
        return Splits(*(array for part in self.forecast_parts[0] for array in (part.x, part.y)))


class SineDataModule(SeriesDataModule):
    """Sum of sines with several periods plus Gaussian noise; forecast the next value from a window."""

    name = "sine"

    def __init__(
        self,
        length: int = 2000,
        periods: tuple[float, ...] = (25.0, 60.0, 170.0),
        noise_std: float = 0.1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(length=length, **{f"period {p}": p for p in periods})
        self.length = length
        self.periods = tuple(periods)
        self.noise_std = noise_std

    def series_columns(self) -> list[str]:
        return ["sine"]

    def load_series(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        t = np.arange(self.length)
        phases = rng.uniform(0, 2 * np.pi, size=len(self.periods))
        clean = sum(np.sin(2 * np.pi * t / p + phase) for p, phase in zip(self.periods, phases, strict=True))
        return (clean + rng.normal(0, self.noise_std, size=self.length))[:, None]


class AddingDataModule(ArchDataModule):
    """The adding problem (Bai, Kolter & Koltun 2018): sum the two values marked in a length-T sequence.

    Channel 0 holds values U(0, 1); channel 1 is a mask with exactly two ones at distinct random positions.
    Always answering 1 scores an MSE of about 0.167, the baseline a model must beat.
    """

    name = "adding"
    task = "regression"

    def __init__(self, num_samples: int = 4000, seq_len: int = 50, **kwargs) -> None:
        # Inputs are standardised like every dataset's (the base's default, which every CLI run has always used);
        # Bai et al. feed them raw: `--data.scale_features false` for that recipe.
        super().__init__(**kwargs)
        require_positive(num_samples=num_samples, seq_len=seq_len)
        if seq_len < 2:
            raise ArchbenchError(f"seq_len must be >= 2 for two marked positions, got {seq_len}")
        self.num_samples = num_samples
        self.length = seq_len

    def load_splits(self) -> Splits:
        rng = np.random.default_rng(self.seed)
        values = rng.uniform(0, 1, size=(self.num_samples, self.length))
        marked = np.argsort(rng.uniform(size=(self.num_samples, self.length)), axis=1)[:, :2]
        mask = np.zeros_like(values)
        np.put_along_axis(mask, marked, 1.0, axis=1)
        x = np.stack([values, mask], axis=-1)
        y = (values * mask).sum(axis=1, keepdims=True)
        train, val, test = random_split(self.num_samples, self.val_fraction, self.test_fraction, self.seed, self.name)
        return Splits(x[train], y[train], x[val], y[val], x[test], y[test])

    def naive_baseline(self) -> dict[str, float]:
        y_test = self.prepared.y["test"] * self.target_std[0] + self.target_mean[0]
        return {**super().naive_baseline(), "test/mse_predict_1": float((y_test - 1).pow(2).mean())}
