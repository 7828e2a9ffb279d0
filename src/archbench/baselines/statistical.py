"""Statistical forecasts, ETS and ARIMA, from the same origins as the networks' test windows.

Each target column gets its own univariate model. Its parameters (and its order, chosen automatically) are fitted on
the training part of the series only; the fitted model is then run over the whole series with those parameters
fixed (statsmodels' ``results.apply``: a Kalman filter, no refit), so its state at a test window's last step holds
only the data up to that step. The forecast of the window's ``horizon`` steps runs the state-space recursion on from
there: ``a[t+1] = T a[t] + c``, ``y[t] = Z a[t] + d``, for every origin at once.

- ``ets``: linear exponential smoothing in state-space form (statsmodels' ``ExponentialSmoothing``, additive errors),
  chosen by AIC among no trend, additive trend and damped trend, each with and without an additive season.
- ``arima``: pmdarima's ``auto_arima`` (Hyndman & Khandakar 2008's stepwise search by AIC; differencing by its unit
  root tests) on the last ``ARIMA_FIT_STEPS`` training steps, refiltered with statsmodels' SARIMAX.

A season longer than ``MAX_SEASON`` steps (weekly data's year, half-hourly data's day) makes both models
non-seasonal: the seasonal state would have that many entries to estimate, too slow for a baseline.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
import torch

from archbench.data.sequence import SeriesDataModule
from archbench.data.splits import split_sizes

MAX_SEASON = 24
# ARIMA's order search fits dozens of models: on a long series (half-hourly, weekly) it reads the latest steps only.
ARIMA_FIT_STEPS = 300
ETS_TRENDS = ((False, False), (True, False), (True, True))  # (trend, damped)


def forecast_origins(data: SeriesDataModule) -> tuple[np.ndarray, int, np.ndarray]:
    """The whole series (T, C), the number of training steps, and each test window's last step (its origin)."""
    series = data.load_series()
    n_train, n_val, _ = split_sizes(len(series), data.val_fraction, data.test_fraction, data.name)
    start = n_train + n_val
    count = len(series) - start - data.window - data.horizon + 1
    return series, n_train, start + data.window - 1 + np.arange(count)


def steady(ssm, what: str, ndim: int) -> np.ndarray:
    """A state-space matrix without a time axis (statsmodels gives one only to a matrix stored per time step, such
    as SARIMAX's intercept); one whose values change over time is not supported."""
    matrix = np.asarray(ssm[what])
    if matrix.ndim == ndim:
        return matrix
    if not np.allclose(matrix, matrix[..., :1]):
        raise ValueError(f"the {what} matrix varies over time")
    return matrix[..., 0]


def state_forecasts(results, origins: np.ndarray, horizon: int) -> np.ndarray:
    """Forecasts (len(origins), horizon) of a filtered state-space model, each from data up to its origin."""
    ssm = results.model.ssm
    design, obs_intercept = steady(ssm, "design", 2)[0], steady(ssm, "obs_intercept", 1)[0]
    transition, state_intercept = steady(ssm, "transition", 2), steady(ssm, "state_intercept", 1)
    state = results.filter_results.predicted_state[:, origins + 1]  # a[o+1 | data up to o], (k, N)
    steps = []
    for _ in range(horizon):
        steps.append(design @ state + obs_intercept)
        state = transition @ state + state_intercept[:, None]
    return np.stack(steps, axis=1)


def fit_ets(train: np.ndarray, season: int | None):
    """The lowest-AIC exponential smoothing model on ``train``, among trend and season options."""
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    seasons = (None, season) if season else (None,)
    fits = []
    for (trend, damped), seasonal in ((t, s) for t in ETS_TRENDS for s in seasons):
        model = ExponentialSmoothing(train, trend=trend, damped_trend=damped, seasonal=seasonal)
        fits.append(model.fit(disp=False))
    return min(fits, key=lambda fit: fit.aic)


def fit_arima(train: np.ndarray, season: int | None):
    """pmdarima's stepwise ARIMA on the last ``ARIMA_FIT_STEPS`` steps of ``train`` (seasonal when a season is
    given), as statsmodels results."""
    import pmdarima

    found = pmdarima.auto_arima(
        train[-ARIMA_FIT_STEPS:], seasonal=bool(season), m=season or 1, stepwise=True, information_criterion="aic",
        max_p=3, max_q=3, max_P=1, max_Q=1, maxiter=50, suppress_warnings=True, error_action="ignore",
    )  # fmt: skip
    return found.arima_res_


def model_forecasts(fit: Callable, data: SeriesDataModule) -> tuple[torch.Tensor, float]:
    """Every test window's forecast (N, horizon · K) in original units, and the seconds spent fitting."""
    series, n_train, origins = forecast_origins(data)
    season = data.season_length if data.season_length and data.season_length <= MAX_SEASON else None
    columns, fit_seconds = [], 0.0
    with warnings.catch_warnings():  # convergence chatter from the optimiser, not a result
        warnings.simplefilter("ignore")
        for column in series[:, : len(data.target_names)].T:
            started = time.perf_counter()
            fitted = fit(column[:n_train], season)
            fit_seconds += time.perf_counter() - started
            columns.append(state_forecasts(fitted.apply(column), origins, data.horizon))
    preds = np.stack(columns, axis=2).reshape(len(origins), -1)  # (N, horizon, K) -> step by step
    return torch.as_tensor(preds, dtype=torch.float32), fit_seconds


# Fitted forecasts: (test forecasts in original units, seconds spent fitting).
FITTED: dict[str, Callable[[SeriesDataModule], tuple[torch.Tensor, float]]] = {
    "ets": lambda data: model_forecasts(fit_ets, data),
    "arima": lambda data: model_forecasts(fit_arima, data),
}
