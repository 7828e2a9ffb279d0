"""MiniRocket (Dempster, Schmidt & Webb 2021) for time series classification: sktime's MiniRocket transform (10,000
random convolution features), then a ridge classifier whose penalty is chosen by leave-one-out cross-validation
among ``ALPHAS``, as the paper does, fitted on the identical training split the networks get."""

from __future__ import annotations

import time

import numpy as np
import torch
from scipy.special import softmax
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from archbench.data.base import ArchDataModule

ALPHAS = np.logspace(-3, 3, 10)
MIN_LENGTH = 9  # MiniRocket's kernels span 9 steps


def minirocket_applies(data: ArchDataModule) -> bool:
    """Classification of whole series (N, T, C) of equal length, no NaN padding, at least ``MIN_LENGTH`` steps."""
    x = data.prepared.x["train"]
    return data.task == "classification" and x.ndim == 3 and x.shape[1] >= MIN_LENGTH and not data.pads_with_nan


def class_scores(model, x: np.ndarray, classes: int) -> torch.Tensor:
    """The ridge's decision values as probabilities over all ``classes`` (softmax; their argmax is its
    prediction), for the accuracy, F1 and AUROC the networks are scored with."""
    decision = model.decision_function(x)
    if decision.ndim == 1:  # two classes: one signed distance, positive for the second
        decision = np.stack([-decision, decision], axis=1)
    scores = np.full((len(x), classes), -np.inf)
    scores[:, model.classes_] = decision
    return torch.as_tensor(softmax(scores, axis=1), dtype=torch.float32)


def minirocket(data: ArchDataModule, seed: int) -> tuple[torch.Tensor, int, float, float]:
    """MiniRocket's test class probabilities, its ridge's size, and the seconds spent fitting and predicting."""
    # Imported here: sktime's import takes seconds and numba compiles the transform on first use.
    from sktime.transformations.panel.rocket import MiniRocket, MiniRocketMultivariate

    x = {stage: data.prepared.x[stage].numpy().transpose(0, 2, 1).astype(np.float32) for stage in ("train", "test")}
    # The transform stays outside scikit-learn's Pipeline, whose callbacks sktime's transformers do not support.
    transform = (MiniRocket if x["train"].shape[1] == 1 else MiniRocketMultivariate)(random_state=seed)
    model = make_pipeline(StandardScaler(with_mean=False), RidgeClassifierCV(alphas=ALPHAS))
    started = time.perf_counter()
    model.fit(transform.fit_transform(x["train"]), data.prepared.y["train"].numpy())
    train_time = time.perf_counter() - started
    started = time.perf_counter()
    preds = class_scores(model, transform.transform(x["test"]), data.output_size)
    ridge = model[-1]
    return preds, int(ridge.coef_.size + np.size(ridge.intercept_)), train_time, time.perf_counter() - started
