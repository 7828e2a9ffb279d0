"""Series as forecasters prepare them: target transforms undone before metrics, MASE as sktime computes it, and time
steps judged on the calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sktime.performance_metrics.forecasting import mean_absolute_scaled_error
from sktime.transformations.series.difference import Differencer

from archbench.baselines import run_baseline
from archbench.data import CSVSeriesDataModule
from archbench.data.csv_file import note
from archbench.data.splits import split_sizes
from archbench.errors import ArchbenchError
from archbench.models.mlp import MLPModel

ROWS = 300


@pytest.fixture(autouse=True)
def fresh_notes():
    note.cache_clear()


def trending(tmp_path, rows: int = ROWS, columns: int = 1):
    """A positive series with a trend and a 12-step season, dated monthly."""
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    values = {f"y{c}": 100 + 0.5 * t + 5 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, rows) for c in range(columns)}
    frame = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=rows, freq="MS").astype(str), **values})
    frame.to_csv(tmp_path / "s.csv", index=False)
    return str(tmp_path / "s.csv"), frame


def series(path: str, **options) -> CSVSeriesDataModule:
    return CSVSeriesDataModule(path=path, time_column="date", window=24, horizon=3, **options)


TRANSFORMS = {
    "none": {},
    "difference": {"difference": 1},
    "seasonal": {"season_length": 12, "seasonal_difference": True},
    "log": {"log": True},
    "log and difference": {"log": True, "difference": 1},
}


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_a_transformed_target_undone_is_the_series_itself(tmp_path, transform):
    path, frame = trending(tmp_path, columns=2)
    data = series(path, **TRANSFORMS[transform])
    for stage in ("train", "val", "test"):
        undone = data.original_units(stage, data.prepared.y[stage].double())
        np.testing.assert_allclose(undone.numpy(), data.targets(stage).numpy(), rtol=1e-5)
    # the last test target is the last row of the file, in its own units
    np.testing.assert_allclose(data.targets("test")[-1, -2:].numpy(), frame[["y0", "y1"]].iloc[-1], rtol=1e-6)


def test_differenced_inputs_are_what_sktimes_differencer_makes(tmp_path):
    path, frame = trending(tmp_path)
    data = series(path, difference=1, scale_features=False)
    expected = Differencer(lags=1, na_handling="drop_na").fit_transform(frame.y0).to_numpy()
    np.testing.assert_allclose(data.prepared.x["train"][0, :, 0].numpy(), expected[:24], rtol=1e-5)


def test_a_model_scores_in_original_units_through_a_transform(tmp_path):
    """A model whose output is the target exactly scores MSE 0 and R² 1 on the original series."""
    path, _ = trending(tmp_path)
    data = series(path, log=True, difference=1)
    model = MLPModel(
        input_size=data.input_size, seq_len=data.seq_len, output_size=data.output_size, target_mean=data.target_mean,
        target_std=data.target_std, target_names=data.target_names, mase_scale=data.mase_scale, target_log=True,
    )  # fmt: skip
    x, y, offset = data.batch_tensors("test")
    preds, target = model._metric_inputs(y, y, offset)
    np.testing.assert_allclose(target.numpy().ravel(), data.targets("test").numpy().ravel(), rtol=1e-5)
    model.metrics["test"].update(preds, target)
    values = model.metrics["test"].compute()
    assert float(values["test/mse"]) < 1e-6 and float(values["test/r2"]) == pytest.approx(1.0)


@pytest.mark.parametrize("season", [None, 12])
def test_mase_of_the_naive_forecasts_is_sktimes(tmp_path, season):
    path, frame = trending(tmp_path)
    data = series(path, season_length=season, difference=1)
    n_train = split_sizes(ROWS, data.val_fraction, data.test_fraction, "s")[0]
    y_train = frame.y0.to_numpy()[:n_train]
    found = data.naive_baseline()
    y_true = data.targets("test").numpy()
    forecasts = {"persistence": data.persistence_forecast(), "seasonal_naive": data.seasonal_naive_forecast()}
    for name, forecast in forecasts.items():
        if forecast is None:
            continue
        expected = mean_absolute_scaled_error(y_true.ravel(), forecast.numpy().ravel(), y_train=y_train, sp=season or 1)
        assert found[f"test/mase_{name}"] == pytest.approx(expected, rel=1e-5)


def test_forecast_baselines_report_mase_beside_mse_and_mae(tmp_path):
    path, _ = trending(tmp_path)
    data = series(path, season_length=12)
    for name in ("persistence", "seasonal_naive", "sk_linear"):
        metrics = run_baseline(name, data, "s", 0).metrics
        assert {"test/mse", "test/mae", "test/mase"} <= set(metrics)
        assert metrics["test/mase"] == pytest.approx(metrics["test/mae"] / data.mase_scale[0], rel=1e-5)


def test_sk_linear_through_a_difference_forecasts_in_original_units(tmp_path):
    path, _ = trending(tmp_path)
    plain = run_baseline("sk_linear", series(path), "s", 0).metrics
    differenced = run_baseline("sk_linear", series(path, difference=1), "s", 0).metrics
    assert differenced["test/mae"] < 3 and plain["test/mae"] < 3  # the noise is 1: both near it, in the same units


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"difference": 2}, "difference 2 is not offered; allowed: 0 or 1"),
        ({"seasonal_difference": True}, "seasonal_difference needs a season; allowed: with --data.season_length"),
        ({"difference": 1, "season_length": 12, "seasonal_difference": True}, "allowed: one of them"),
    ],
)
def test_impossible_transforms_are_one_line(tmp_path, options, expected):
    path, _ = trending(tmp_path)
    with pytest.raises(ArchbenchError, match=expected):
        series(path, **options)


def test_log_of_a_value_at_or_below_zero_is_one_line(tmp_path):
    path = tmp_path / "z.csv"
    pd.DataFrame({"y": np.r_[np.arange(1.0, 100.0), 0.0]}).to_csv(path, index=False)
    with pytest.raises(ArchbenchError, match="allowed with --data.log true: values > 0 only"):
        CSVSeriesDataModule(path=str(path), window=8, log=True).prepared  # noqa: B018


# --- calendar time steps --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("frequency", ["MS", "ME", "QS", "B", "W-SUN", "D", "h"])
def test_calendar_regular_dates_are_not_called_uneven(tmp_path, capsys, frequency):
    dates = pd.date_range("2001-01-01", periods=120, freq=frequency)
    pd.DataFrame({"date": dates.astype(str), "y": np.sin(np.arange(120.0))}).to_csv(tmp_path / "c.csv", index=False)
    CSVSeriesDataModule(path=str(tmp_path / "c.csv"), time_column="date", window=8).prepared  # noqa: B018
    assert "differ from the usual step" not in capsys.readouterr().err


def test_a_missing_month_is_one_uneven_step_named_in_months(tmp_path, capsys):
    dates = pd.date_range("2001-01-01", periods=120, freq="MS").delete(50)
    pd.DataFrame({"date": dates.astype(str), "y": np.sin(np.arange(119.0))}).to_csv(tmp_path / "c.csv", index=False)
    CSVSeriesDataModule(path=str(tmp_path / "c.csv"), time_column="date", window=8).prepared  # noqa: B018
    err = capsys.readouterr().err
    assert "1 of 118 time steps" in err and "usual step MS" in err


def test_model_metrics_include_mase_only_for_forecasts():
    model = MLPModel(input_size=3, output_size=1, mase_scale=[2.0])
    assert "mase" in model.metrics["test"]
    assert "mase" not in MLPModel(input_size=3, output_size=1).metrics["test"]
    model.metrics["test"].update(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [0.0]]))
    assert float(model.metrics["test"].compute()["test/mase"]) == pytest.approx(1.0)  # MAE 2 over scale 2
