"""Tabular DataModules: the house-price recipe and the datasets shipped inside scikit-learn."""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn import datasets as sk_datasets

from archbench.data.base import ArchDataModule, Splits, require_positive
from archbench.data.splits import random_split


class TabularDataModule(ArchDataModule):
    """A tabular dataset (x: (N, F), y: (N,)) split at random by the seed."""

    def load_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def load_splits(self) -> Splits:
        x, y = self.load_arrays()
        y = y.reshape(len(y), -1) if self.task == "regression" else y
        train, val, test = random_split(len(x), self.val_fraction, self.test_fraction, self.seed, self.name)
        return Splits(x[train], y[train], x[val], y[val], x[test], y[test])


class HousePricesDataModule(TabularDataModule):
    """Price from square footage: X ~ U(0, 1000), y = 100 + 150 X + N(0, 50^2).

    ``nonlinear=True`` makes the price saturate (a tanh curve), so that a straight line underfits it.
    """

    name = "house_prices"
    task = "regression"

    def __init__(self, num_samples: int = 1000, nonlinear: bool = False, noise_std: float = 50.0, **kwargs) -> None:
        super().__init__(**kwargs)
        require_positive(num_samples=num_samples)
        self.num_samples = num_samples
        self.nonlinear = nonlinear
        self.noise_std = noise_std

    def load_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        x = rng.uniform(0, 1000, size=(self.num_samples, 1))
        trend = 100 + 150_000 * np.tanh(x[:, 0] / 300) if self.nonlinear else 100 + 150 * x[:, 0]
        return x, trend + rng.normal(0, self.noise_std, size=self.num_samples)


class SklearnDataModule(TabularDataModule):
    """A real dataset that scikit-learn ships on disk (no download)."""

    LOADERS = {
        "diabetes": (sk_datasets.load_diabetes, "regression"),
        "breast_cancer": (sk_datasets.load_breast_cancer, "classification"),
        "wine": (sk_datasets.load_wine, "classification"),
    }

    def __init__(self, dataset: Literal["diabetes", "breast_cancer", "wine"] = "diabetes", **kwargs) -> None:
        super().__init__(**kwargs)
        self.name = dataset
        self.task = self.LOADERS[dataset][1]

    def load_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        bunch = self.LOADERS[self.name][0]()
        self.feature_names = list(bunch.feature_names)  # the input columns a trained model expects (archbench.use)
        return bunch.data.astype(np.float64), bunch.target
