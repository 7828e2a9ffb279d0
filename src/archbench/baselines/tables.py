"""Table baselines from scikit-learn, fitted on the identical split, scaling and rows the networks get.

A table's categorical columns (its last columns, integer codes with 0 unknown: data/preprocess.py) reach each
baseline the way its family reads categories: one-hot for the linear model and the MLP (as the networks' base does),
native categories for gradient boosting (HistGradientBoosting's ``categorical_features``; a column with more codes
than its ``max_bins`` is read as ordered codes), ordered codes for the random forest, which has no categorical split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

from archbench.data.base import ArchDataModule

HGB_MAX_BINS = 255  # HistGradientBoosting's default, and the most categories a native categorical column may have


@dataclass(frozen=True)
class Inputs:
    """What a baseline is built from: the run's seed and the inputs' layout (categorical codes last)."""

    seed: int
    features: int
    cardinalities: tuple[int, ...] = ()

    @property
    def code_columns(self) -> list[int]:
        return list(range(self.features - len(self.cardinalities), self.features))


def one_hot(model: BaseEstimator, inputs: Inputs) -> BaseEstimator:
    """``model`` reading the categorical codes one-hot encoded (numbers passed through); as is without codes."""
    if not inputs.cardinalities:
        return model
    encoder = OneHotEncoder(categories=[list(range(k)) for k in inputs.cardinalities], handle_unknown="ignore")
    columns = ColumnTransformer([("codes", encoder, inputs.code_columns)], remainder="passthrough")
    return make_pipeline(columns, model)


def native_categories(inputs: Inputs) -> list[bool] | None:
    """HistGradientBoosting's categorical mask: code columns with at most ``HGB_MAX_BINS`` codes."""
    if not inputs.cardinalities:
        return None
    codes = dict(zip(inputs.code_columns, inputs.cardinalities, strict=True))
    return [0 < codes.get(i, 0) <= HGB_MAX_BINS for i in range(inputs.features)]


Builder = Callable[[Inputs], BaseEstimator]
SKLEARN: dict[str, tuple[Builder, Builder]] = {
    # name: (regressor, classifier), each built from the run's seed and inputs
    "sk_linear": (
        lambda i: one_hot(LinearRegression(), i),
        lambda i: one_hot(LogisticRegression(max_iter=2000), i),
    ),
    "sk_mlp": (
        lambda i: one_hot(
            MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=300, early_stopping=True, random_state=i.seed), i
        ),
        lambda i: one_hot(
            MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=300, early_stopping=True, random_state=i.seed), i
        ),
    ),
    "sk_hgb": (
        lambda i: MultiOutputRegressor(
            HistGradientBoostingRegressor(categorical_features=native_categories(i), random_state=i.seed)
        ),
        lambda i: HistGradientBoostingClassifier(categorical_features=native_categories(i), random_state=i.seed),
    ),
    "sk_rf": (
        lambda i: RandomForestRegressor(random_state=i.seed, n_jobs=1),
        lambda i: RandomForestClassifier(random_state=i.seed, n_jobs=1),
    ),
}


def parameter_count(model: BaseEstimator) -> int:
    """Learned numbers: coefficients and intercepts, or tree nodes for gradient boosting and random forests."""
    if isinstance(model, Pipeline):
        return parameter_count(model[-1])
    if hasattr(model, "tree_"):
        return int(model.tree_.node_count)
    if hasattr(model, "estimators_"):
        return sum(parameter_count(m) for m in model.estimators_)
    if hasattr(model, "coefs_"):
        return sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
    if hasattr(model, "coef_"):
        return int(np.size(model.coef_) + np.size(model.intercept_))
    return sum(len(tree.nodes) for iteration in getattr(model, "_predictors", []) for tree in iteration)


def fit_and_predict(name: str, data: ArchDataModule, seed: int) -> tuple[torch.Tensor, int, float, float]:
    """A scikit-learn baseline's test predictions (original units, or class probabilities), its size, and the
    seconds spent fitting and predicting."""
    x = {stage: t.flatten(1).numpy() for stage, t in data.prepared.x.items()}
    if data.pads_with_nan:  # padding steps read as 0, the training mean after scaling: these models take no NaN
        x = {stage: np.nan_to_num(values, nan=0.0) for stage, values in x.items()}
    y = {stage: t.numpy() for stage, t in data.prepared.y.items()}
    regression = data.task == "regression"
    inputs = Inputs(seed, x["train"].shape[1], tuple(data.categorical_cardinalities))
    model = SKLEARN[name][0 if regression else 1](inputs)
    started = time.perf_counter()
    single_target = regression and y["train"].shape[1] == 1
    wraps_columns = isinstance(model, MultiOutputRegressor)  # fits one model per target column: takes 2-D targets
    model.fit(x["train"], y["train"][:, 0] if single_target and not wraps_columns else y["train"])
    train_time = time.perf_counter() - started
    started = time.perf_counter()
    if regression:
        predicted = torch.as_tensor(model.predict(x["test"]), dtype=torch.float32).reshape(len(x["test"]), -1)
        preds = predicted * torch.tensor(data.target_std) + torch.tensor(data.target_mean)
    else:
        proba = np.zeros((len(x["test"]), data.output_size), dtype=np.float32)
        proba[:, model.classes_] = model.predict_proba(x["test"])
        preds = torch.as_tensor(proba)
    return preds, parameter_count(model), train_time, time.perf_counter() - started
