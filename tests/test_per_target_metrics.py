"""Multi-output regression: each target column's MSE/MAE/R² in its own units, and their mean, never pooled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torchmetrics.regression import R2Score

from archbench.baselines import run_baseline
from archbench.data import CSVSeriesDataModule
from archbench.models.base import metric_values, task_metrics


def two_unit_csv(path: Path, rows: int = 500) -> Path:
    """A price around 100,000 and a rate around 0.01, each with its own seasonal wiggle and noise."""
    rng = np.random.default_rng(1)
    t = np.arange(rows)
    price = 1e5 + 50 * np.sin(t / 7) + rng.normal(0, 20, rows)
    rate = 0.01 + 0.002 * np.sin(t / 11) + rng.normal(0, 0.0005, rows)
    path.write_text("price,rate\n" + "".join(f"{a:.6f},{b:.8f}\n" for a, b in zip(price, rate, strict=True)))
    return path


def test_predicting_each_columns_mean_scores_r2_zero_per_column_not_pooled(tmp_path: Path):
    data = CSVSeriesDataModule(path=str(two_unit_csv(tmp_path / "s.csv")), window=8)
    target = data.targets("test")
    preds = target.mean(dim=0).expand_as(target)
    metrics = task_metrics("regression", data.output_size, data.target_std)
    metrics.update(preds.double(), target.double())
    values = {k: float(v) for k, v in metric_values(metrics, data.target_names).items()}
    assert values["r2/price"] == pytest.approx(0, abs=1e-3)
    assert values["r2/rate"] == pytest.approx(0, abs=1e-3)
    assert values["r2"] == pytest.approx(0, abs=1e-3)
    assert values["mse"] == pytest.approx((values["mse/price"] + values["mse/rate"]) / 2)
    assert values["mse/rate"] == pytest.approx(float(target[:, 1].var(unbiased=False)), rel=1e-3)
    pooled = R2Score()
    pooled.update(preds.double().flatten(), target.double().flatten())
    assert float(pooled.compute()) > 0.999  # what pooling the columns used to report


def test_horizon_steps_of_one_column_are_averaged_into_that_column(tmp_path: Path):
    data = CSVSeriesDataModule(path=str(two_unit_csv(tmp_path / "s.csv")), window=8, horizon=3)
    assert data.output_size == 6 and data.target_names == ["price", "rate"]
    record = run_baseline("persistence", data, "csv_series", 0)
    error = (data.persistence_forecast() - data.targets("test")).reshape(-1, 3, 2)
    assert record.metrics["test/mse/rate"] == pytest.approx(float(error[..., 1].pow(2).mean()), rel=1e-4)


def test_sklearn_baseline_reports_every_column(tmp_path: Path):
    data = CSVSeriesDataModule(path=str(two_unit_csv(tmp_path / "s.csv")), window=8)
    metrics = run_baseline("sk_linear", data, "csv_series", 0).metrics
    for name in ("mse", "mae", "r2"):
        per_column = [metrics[f"test/{name}/price"], metrics[f"test/{name}/rate"]]
        assert metrics[f"test/{name}"] == pytest.approx(sum(per_column) / 2, rel=1e-6)
    assert metrics["test/r2/rate"] < 0.99  # the rate is noisy; pooled with the price it would look perfect


def test_trained_model_logs_each_target_column_and_their_mean(train_run, tmp_path: Path):
    path = two_unit_csv(tmp_path / "s.csv")
    metrics = train_run("linear", "csv_series", "--data.path", str(path), "--data.window", "8")["metrics"]
    for name in ("mse", "mae", "r2"):
        per_column = [metrics[f"test/{name}/price"], metrics[f"test/{name}/rate"]]
        assert metrics[f"test/{name}"] == pytest.approx(sum(per_column) / 2, rel=1e-5)
    assert torch.isfinite(torch.tensor(list(metrics.values()))).all()
