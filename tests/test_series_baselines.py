"""The field's strong sequence baselines: MiniRocket for series classification, ETS and ARIMA for forecasting, on the
identical splits and from the same origins as the networks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from archbench.baselines import BASELINES, applies, run_baseline
from archbench.baselines.statistical import FITTED, fit_arima, fit_ets, forecast_origins, state_forecasts
from archbench.build import build_datamodule
from archbench.catalog import select
from archbench.data import HousePricesDataModule, SineDataModule, UCRDataModule
from archbench.errors import ArchbenchError
from archbench.spec import RunSpec, load_study

FORECASTING = select("sequence", "forecasting")


class AlteredTail(SineDataModule):
    """A sine whose last ``altered`` steps are shifted far away: only data after the first test origin differs."""

    def __init__(self, altered: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.altered = altered

    def load_series(self):
        series = super().load_series()
        if self.altered:
            series[-self.altered :] += 50.0
        return series


def seasonal_sine(**kwargs) -> SineDataModule:
    """A short seasonal series (season of 6 steps), small enough for auto_arima's seasonal search to be quick."""
    return SineDataModule(length=200, periods=(6.0,), noise_std=0.2, window=12, horizon=3, season_length=6, **kwargs)


def test_minirocket_on_gunpoint_reaches_the_published_accuracy():
    # Dempster et al. 2021 report 1.00 on GunPoint (whole training split); here 15% of it is held out for validation.
    record = run_baseline("minirocket", UCRDataModule(dataset="GunPoint"), "gunpoint", 0)
    assert record.metrics["test/accuracy"] >= 0.95
    assert record.params > 9000 and record.stats["train_time_s"] > 0


def test_minirocket_applies_to_series_classification_only():
    assert "minirocket" in BASELINES
    assert not applies("minirocket", UCRDataModule(dataset="JapaneseVowels", unequal_length="pad"))
    assert not applies("minirocket", seasonal_sine())
    assert not applies("minirocket", HousePricesDataModule())
    with pytest.raises(ArchbenchError, match="baseline 'minirocket' needs a classification of whole series"):
        run_baseline("minirocket", HousePricesDataModule(), "house_prices", 0)


def test_forecast_origins_are_the_test_windows_last_steps():
    data = seasonal_sine()
    series, n_train, origins = forecast_origins(data)
    assert n_train == len(data.prepared.x["train"]) + data.window + data.horizon - 1
    following = series[origins[:, None] + 1 + np.arange(data.horizon), 0]
    np.testing.assert_allclose(following, data.targets("test").numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(series[origins, 0], data.persistence_forecast()[:, 0].numpy(), rtol=1e-5, atol=1e-5)


# auto_arima's stepwise search fits a dozen or more models: about 10 s even on 200 steps, so its cases are slow.
SLOW_ARIMA = pytest.param("arima", marks=pytest.mark.slow)


@pytest.mark.parametrize("fit", [fit_ets, pytest.param(fit_arima, marks=pytest.mark.slow)], ids=["ets", "arima"])
def test_each_origin_forecasts_as_statsmodels_does_from_the_data_up_to_it(fit):
    data = seasonal_sine()
    series, n_train, origins = forecast_origins(data)
    y = series[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit(y[:n_train], data.season_length)
        ours = state_forecasts(fitted.apply(y), origins, data.horizon)
        for i in (0, len(origins) // 2, len(origins) - 1):  # statsmodels' own forecast, from the series cut there
            expected = fitted.apply(y[: origins[i] + 1]).forecast(data.horizon)
            np.testing.assert_allclose(ours[i], expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["ets", SLOW_ARIMA])
def test_parameters_are_fitted_on_the_training_part_only(name):
    plain, altered = (AlteredTail(altered=k, length=200, periods=(8.0,), window=12) for k in (0, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (first, _), (second, _) = (FITTED[name](d) for d in (plain, altered))
    np.testing.assert_allclose(first[0], second[0], rtol=1e-6)  # the first origin sees none of the altered steps
    assert not np.allclose(first[-1], second[-1])  # the last origin sees them


@pytest.mark.parametrize("name", ["ets", SLOW_ARIMA])
def test_statistical_forecasts_beat_persistence_on_a_seasonal_series(name):
    data = seasonal_sine()
    persistence = run_baseline("persistence", data, "sine", 0).metrics["test/mae"]
    assert run_baseline(name, data, "sine", 0).metrics["test/mae"] < 0.7 * persistence


def test_ets_and_arima_apply_to_series_only():
    assert applies("ets", seasonal_sine()) and applies("arima", seasonal_sine())
    assert not applies("ets", HousePricesDataModule()) and not applies("arima", HousePricesDataModule())
    with pytest.raises(ArchbenchError, match="baseline 'arima' needs a series"):
        run_baseline("arima", HousePricesDataModule(), "house_prices", 0)


def test_the_sequences_study_lists_the_strong_baselines():
    assert {"minirocket", "ets", "arima"} <= set(load_study("sequences")["baselines"])


@pytest.mark.slow
@pytest.mark.parametrize("dataset", FORECASTING)
def test_ets_and_arima_run_on_every_forecasting_entry(dataset):
    data = build_datamodule(RunSpec(arch="mlp", data=dataset))
    for name in ("ets", "arima"):
        record = run_baseline(name, data, dataset, 0)
        assert np.isfinite(record.metrics["test/mse"]) and np.isfinite(record.metrics["test/mae"])
