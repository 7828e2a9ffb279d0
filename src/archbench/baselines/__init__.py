"""Baselines on the identical splits, windows and scaling that the neural models see, one module per family:
scikit-learn models for any dataset (``tables.py``), and forecasts for forecasting series (``forecasts.py``)."""

from __future__ import annotations

import time

import torch

from archbench.baselines.forecasts import FORECASTS
from archbench.baselines.tables import SKLEARN, fit_and_predict
from archbench.data.base import ArchDataModule
from archbench.data.sequence import SeriesDataModule
from archbench.errors import ArchbenchError
from archbench.models.base import metric_values, task_metrics
from archbench.record import RunRecord

BASELINES = (*SKLEARN, *FORECASTS)  # every name a study may list


def applies(name: str, data: ArchDataModule) -> bool:
    """Whether a baseline can run on this data: a forecast needs a series (and seasonal-naive a season length)."""
    if name not in FORECASTS:
        return True
    return isinstance(data, SeriesDataModule) and FORECASTS[name](data) is not None


def run_baseline(name: str, data: ArchDataModule, dataset: str, seed: int) -> RunRecord:
    """Score one baseline on the test split with the models' torchmetrics, per target column and their mean."""
    if name in FORECASTS:
        started = time.perf_counter()
        preds, params, train_time = forecast(name, data), 0, 0.0
        predict_time = time.perf_counter() - started
    else:
        preds, params, train_time, predict_time = fit_and_predict(name, data, seed)
    latency_us = predict_time / len(data.prepared.x["test"]) * 1e6
    columns = data.target_names
    metrics = task_metrics(data.task, data.output_size, data.target_std[: len(columns)])
    if data.task == "regression":
        target = data.targets("test").double().reshape(-1, len(columns))
        metrics.update(preds.double().reshape(-1, len(columns)), target)
    else:
        metrics.update(preds, data.prepared.y["test"])
    return RunRecord(
        dataset=dataset,
        arch=name,
        seed=seed,
        status="ok",
        log_dir="",
        command="",
        kind="baseline",
        metrics={f"test/{k}": float(v) for k, v in metric_values(metrics, columns).items()},
        params=params,
        latency_us=latency_us,
        stats={"train_time_s": train_time},
    )


def forecast(name: str, data: ArchDataModule) -> torch.Tensor:
    if not applies(name, data):
        needs = "a season length (--data.season_length)" if isinstance(data, SeriesDataModule) else "a series"
        raise ArchbenchError(f"baseline {name!r} needs {needs}; {data.name} has none")
    return FORECASTS[name](data)
