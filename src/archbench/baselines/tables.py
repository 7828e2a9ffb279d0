"""Table baselines from scikit-learn, fitted on the identical split, scaling and rows the networks get."""

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
