"""Sequence DataModules: a noisy multi-frequency sine to forecast, and the adding problem."""

from __future__ import annotations

import numpy as np
import torch

from archbench.data.base import ArchDataModule, Splits, column_errors, require_positive
from archbench.data.splits import chronological_split, make_windows, random_split, require_window_fits
from archbench.errors import ArchbenchError


class SeriesDataModule(ArchDataModule):
    """A series (T, C) split chronologically, then windowed: no window straddles two splits.

    Every column is an input channel; all but the last ``covariate_columns()`` are also targets: a window
    (window, C) is followed by ``horizon`` steps of the K target columns, flattened step by step, (horizon · K).
    ``season_length`` (steps per season, e.g. 7 for
    daily data with a weekly cycle) adds the seasonal-naive forecast to the naive baselines.
    """

    task = "regression"

    def __init__(self, window: int = 32, horizon: int = 1, season_length: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        require_positive(window=window, horizon=horizon)
        if season_length is not None and not 1 <= season_length <= window:
            raise ArchbenchError(f"season_length must be between 1 and window={window}, got {season_length}")
        self.window = window
        self.horizon = horizon
        self.season_length = season_length

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

    def last_steps(self, stage: str, steps: int) -> torch.Tensor:
        """The last ``steps`` steps of each window of ``stage`` in original units, (N, steps, C).

        Inputs are standardised with the training windows' per-channel statistics (not the targets' per-output
        ones), so they are undone with those; channel c of the input is target column c (covariates come last).
        """
        targets = len(self.target_names)
        x = self.prepared.x[stage][:, -steps:, :targets]
        std, mean = (torch.tensor(stat[:targets]) for stat in (self.prepared.feature_std, self.prepared.feature_mean))
        return x * std + mean

    def persistence_forecast(self, stage: str = "test") -> torch.Tensor:
        """The last observed value of every column, repeated over the horizon: (N, horizon · C), original units."""
        return self.last_steps(stage, 1)[:, 0].repeat(1, self.horizon)

    def seasonal_naive_forecast(self, stage: str = "test") -> torch.Tensor | None:
        """Each horizon step repeats the value one season earlier (from the window's last season); None without
        ``season_length``."""
        if self.season_length is None:
            return None
        season = self.last_steps(stage, self.season_length)
        steps = torch.arange(self.horizon) % self.season_length
        return season[:, steps].flatten(1)

    def naive_baseline(self) -> dict[str, float]:
        """The train mean's test errors, and those of the persistence (and seasonal-naive) forecasts."""
        found = super().naive_baseline()
        target, names = self.targets("test"), self.target_names
        found.update(column_errors(self.persistence_forecast(), target, names, "_persistence"))
        seasonal = self.seasonal_naive_forecast()
        if seasonal is not None:
            found.update(column_errors(seasonal, target, names, "_seasonal_naive"))
        return found

    def observed_facts(self) -> dict[str, int]:
        """Time steps of the whole series, and its columns as channels (window and horizon are options)."""
        series = self.load_series()
        return {"rows": int(series.shape[0]), "channels": int(series.shape[1])}

    def load_splits(self) -> Splits:
        series = self.load_series()
        parts = chronological_split(series, self.val_fraction, self.test_fraction, self.name)
        require_window_fits(parts, self.window, self.horizon)
        targets = series.shape[1] - len(self.covariate_columns())
        windows = [make_windows(p, self.window, self.horizon, targets) for p in parts]
        return Splits(*windows[0], *windows[1], *windows[2])


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
