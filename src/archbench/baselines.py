"""Baselines on the identical splits, windows and scaling that the neural models see: scikit-learn models for any
dataset, and the persistence and seasonal-naive forecasts for forecasting datasets."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

from archbench.data.base import ArchDataModule
from archbench.data.sequence import SeriesDataModule
from archbench.errors import ArchbenchError
from archbench.models.base import metric_values, task_metrics
from archbench.record import RunRecord

SKLEARN: dict[str, tuple[Callable[[int], BaseEstimator], Callable[[int], BaseEstimator]]] = {
    # name: (regressor, classifier), each built from the run's seed
    "sk_linear": (lambda seed: LinearRegression(), lambda seed: LogisticRegression(max_iter=2000)),
    "sk_mlp": (
        lambda seed: MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=300, early_stopping=True, random_state=seed),
        lambda seed: MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=300, early_stopping=True, random_state=seed),
    ),
    "sk_hgb": (
        lambda seed: MultiOutputRegressor(HistGradientBoostingRegressor(random_state=seed)),
        lambda seed: HistGradientBoostingClassifier(random_state=seed),
    ),
}
# Forecasts in original units, (N, horizon · C), from the test windows alone: nothing is fitted.
FORECASTS: dict[str, Callable[[SeriesDataModule], torch.Tensor | None]] = {
    "persistence": lambda data: data.persistence_forecast("test"),
    "seasonal_naive": lambda data: data.seasonal_naive_forecast("test"),
}
BASELINES = (*SKLEARN, *FORECASTS)  # every name a study may list


def applies(name: str, data: ArchDataModule) -> bool:
    """Whether a baseline can run on this data: a forecast needs a series (and seasonal-naive a season length)."""
    if name not in FORECASTS:
        return True
    return isinstance(data, SeriesDataModule) and FORECASTS[name](data) is not None


def parameter_count(model: BaseEstimator) -> int:
    """Learned numbers, from public attributes only: coefficients and intercepts; for gradient boosting, whose trees
    are not public, the most nodes its trees can have (``2 · max_leaf_nodes − 1`` per tree)."""
    if hasattr(model, "estimators_"):
        return sum(parameter_count(m) for m in model.estimators_)
    if hasattr(model, "coefs_"):
        return sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
    if hasattr(model, "coef_"):
        return int(np.size(model.coef_) + np.size(model.intercept_))
    trees = model.n_iter_ * model.n_trees_per_iteration_
    return int(trees * (2 * model.max_leaf_nodes - 1))


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
    metrics = task_metrics(data.task, data.output_size, data.target_std[: len(columns)], data.mase_scale)
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


def fit_and_predict(name: str, data: ArchDataModule, seed: int) -> tuple[torch.Tensor, int, float, float]:
    """A scikit-learn baseline's test predictions (original units, or class probabilities), its size, and the
    seconds spent fitting and predicting."""
    x = {stage: t.flatten(1).numpy() for stage, t in data.prepared.x.items()}
    if data.pads_with_nan:  # padding steps read as 0, the training mean after scaling: these models take no NaN
        x = {stage: np.nan_to_num(values, nan=0.0) for stage, values in x.items()}
    y = {stage: t.numpy() for stage, t in data.prepared.y.items()}
    regression = data.task == "regression"
    model = SKLEARN[name][0 if regression else 1](seed)
    started = time.perf_counter()
    single_target = regression and y["train"].shape[1] == 1
    model.fit(x["train"], y["train"][:, 0] if single_target and not hasattr(model, "estimator") else y["train"])
    train_time = time.perf_counter() - started
    started = time.perf_counter()
    if regression:
        predicted = torch.as_tensor(model.predict(x["test"]), dtype=torch.float32).reshape(len(x["test"]), -1)
        preds = data.original_units("test", predicted)
    else:
        proba = np.zeros((len(x["test"]), data.output_size), dtype=np.float32)
        proba[:, model.classes_] = model.predict_proba(x["test"])
        preds = torch.as_tensor(proba)
    return preds, parameter_count(model), train_time, time.perf_counter() - started
