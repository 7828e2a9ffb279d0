"""Series shipped with statsmodels, sktime and pmdarima as forecasting datasets, and scikit-learn's digits read row
by row."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_digits

from archbench.data import DigitsSequenceDataModule, PackagedSeriesDataModule, StatsmodelsSeriesDataModule
from archbench.data.packaged_series import LOADERS, MONTHS
from archbench.errors import ArchbenchError


@pytest.mark.parametrize(
    ("dataset", "length", "columns"), [("nile", 100, 1), ("elnino", 732, 1), ("macrodata", 202, 3)]
)
def test_series_have_their_documented_length(dataset, length, columns):
    series = StatsmodelsSeriesDataModule(dataset=dataset).load_series()
    assert series.shape == (length, columns)
    assert np.isfinite(series).all()


def test_nile_is_the_annual_flow_in_year_order():
    frame = sm.datasets.nile.load_pandas().data
    series = StatsmodelsSeriesDataModule(dataset="nile").load_series()
    assert np.all(np.diff(frame["year"]) == 1)
    np.testing.assert_array_equal(series[:, 0], frame["volume"].to_numpy())


def test_elnino_is_flattened_month_after_month():
    frame = sm.datasets.elnino.load_pandas().data
    expected = frame.set_index("YEAR")[list(MONTHS)].stack().to_numpy()  # pandas' own row-major order
    series = StatsmodelsSeriesDataModule(dataset="elnino").load_series()[:, 0]
    np.testing.assert_array_equal(series, expected)
    assert series[12] == frame.loc[1, "JAN"] and series[11] == frame.loc[0, "DEC"]


def test_macrodata_is_quarterly_growth_of_gdp_consumption_investment():
    frame = sm.datasets.macrodata.load_pandas().data
    data = StatsmodelsSeriesDataModule(dataset="macrodata", window=8)
    growth = 100 * np.log1p(frame[["realgdp", "realcons", "realinv"]].pct_change().to_numpy()[1:])
    np.testing.assert_allclose(data.load_series(), growth, rtol=1e-10)
    assert data.series_columns() == ["realgdp_growth", "realcons_growth", "realinv_growth"]


def test_windows_keep_the_chronological_order():
    data = StatsmodelsSeriesDataModule(dataset="nile", window=10, val_fraction=0.2, test_fraction=0.2)
    series = data.load_series()[:, 0]
    targets = {stage: data.targets(stage).numpy()[:, 0] for stage in ("train", "val", "test")}
    np.testing.assert_allclose(targets["train"], series[10:60], rtol=1e-5)  # 60 training years, 10 as context
    np.testing.assert_allclose(targets["val"], series[70:80], rtol=1e-5)
    np.testing.assert_allclose(targets["test"], series[90:100], rtol=1e-5)


def test_unknown_series_is_a_one_line_error():
    with pytest.raises(ArchbenchError, match=rf"'sunspot'.*allowed: {', '.join(LOADERS)}$"):
        PackagedSeriesDataModule(dataset="sunspot")


def test_sktime_series_read_as_sktime_loads_them():
    from sktime.datasets import load_airline, load_lynx, load_uschange

    np.testing.assert_array_equal(PackagedSeriesDataModule(dataset="airline").load_series()[:, 0], load_airline())
    np.testing.assert_array_equal(PackagedSeriesDataModule(dataset="lynx").load_series()[:, 0], load_lynx())
    target, covariates = load_uschange()
    data = PackagedSeriesDataModule(dataset="uschange", window=8)
    np.testing.assert_allclose(data.load_series(), np.column_stack([covariates.to_numpy(), target])[:, [4, 0, 1, 2, 3]])
    assert data.target_names == ["consumption"] and len(data.covariate_columns()) == 4
    assert data.targets("test").shape[1] == 1 and data.prepared.x["test"].shape[2] == 5


def test_pmdarima_and_statsmodels_series_keep_their_values():
    from pmdarima.datasets import load_taylor, load_wineind

    np.testing.assert_array_equal(PackagedSeriesDataModule(dataset="taylor").load_series()[:, 0], load_taylor())
    np.testing.assert_array_equal(PackagedSeriesDataModule(dataset="wineind").load_series()[:, 0], load_wineind())
    raw = sm.datasets.co2.load_pandas().data["co2"].to_numpy()
    co2 = PackagedSeriesDataModule(dataset="co2").load_series()[:, 0]
    gaps = np.isnan(raw)
    assert gaps.sum() == 59 and np.isfinite(co2).all()
    np.testing.assert_array_equal(co2[~gaps], raw[~gaps])
    first_gap = np.flatnonzero(gaps)[0]  # a lone missing week: halfway between its neighbours
    if not gaps[first_gap + 1]:
        assert co2[first_gap] == pytest.approx((raw[first_gap - 1] + raw[first_gap + 1]) / 2)


def test_digits_are_read_one_pixel_row_per_step():
    data = DigitsSequenceDataModule()
    splits = data.load_splits()
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    y = np.concatenate([splits.y_train, splits.y_val, splits.y_test])
    assert x.shape == (1797, 8, 8) and (data.seq_len, data.input_size) == (8, 8)
    assert data.class_names == [str(d) for d in range(10)]
    digits = load_digits()
    first = splits.x_train[0]
    matches = np.flatnonzero((digits.data == first.reshape(-1)).all(axis=1))  # rows in order: the flat image
    assert matches.size and digits.target[matches[0]] == splits.y_train[0]
    np.testing.assert_array_equal(np.bincount(y), np.bincount(digits.target))


def test_digits_split_keeps_each_class_share():
    data = DigitsSequenceDataModule(seed=3)
    overall = np.bincount(load_digits().target) / 1797
    for stage in ("train", "val", "test"):
        labels = data.prepared.y[stage].numpy()
        assert np.abs(np.bincount(labels, minlength=10) / len(labels) - overall).max() < 1.0 / len(labels)
