"""Tabular DataModules: the house-price recipe and the datasets shipped inside scikit-learn, on the table base.

A table's features come as they are (numbers, text, booleans, pandas categories); ``data/preprocess.py`` fits on
the training rows and turns them into the float inputs every model reads: scaled numbers first, then categorical codes
(0 the unknown code), with ``categorical_cardinalities`` linked into the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn import datasets as sk_datasets

from archbench.data.base import ArchDataModule, Splits, require_positive
from archbench.data.csv_file import note
from archbench.data.preprocess import FILE_NAME, MIN_FREQUENCY, Preprocessing, fit_preprocessing, is_categorical
from archbench.data.splits import random_split


class TabularDataModule(ArchDataModule):
    """A table (features: a DataFrame as it comes, y: (N,)) split at random by the seed.

    Subclasses implement ``load_table`` (or ``load_arrays`` for all-numeric tables). Numeric gaps left in the table
    are imputed (the training mean and a missing indicator) when ``missing`` is ``impute``, else an error; subclasses
    handle the other choices (drop, fill) while loading. Categorical gaps are the unknown code.
    """

    prescaled_inputs = True  # data/preprocess.py scales the numeric columns; the base scales nothing more
    missing = "error"  # the subclass's --data.missing choice
    min_category_count = MIN_FREQUENCY
    target_column = "target"

    def load_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Feature columns as they come, and targets: class indices (classification) or numbers."""
        x, y = self.load_arrays()
        return pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])]), y

    def split_rows(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return random_split(len(y), self.val_fraction, self.test_fraction, self.seed, self.name)

    def load_splits(self) -> Splits:
        frame, y = self.load_table()
        frame = frame.reset_index(drop=True)
        categorical = sum(is_categorical(frame[c]) for c in frame.columns)
        self.raw_facts = {"features": frame.shape[1], "categorical": int(categorical)}
        parts = self.split_rows(y)
        gaps = "impute" if self.missing == "impute" else "error"
        self.fitted = fit_preprocessing(frame.iloc[parts[0]], gaps, self.min_category_count, self.scale_features, note)
        x = self.fitted.transform(frame)
        y = y.reshape(len(y), -1) if self.task == "regression" else y
        return Splits(*(array[rows] for rows in parts for array in (x, y)))

    @property
    def categorical_cardinalities(self) -> list[int]:
        self.prepared  # noqa: B018 - fitting the preprocessing finds the categories
        return self.fitted.categorical_cardinalities

    @property
    def preprocessing(self) -> Preprocessing:
        """What was fitted on the training rows, with the target's classes or scaling: preprocessing.json."""
        self.prepared  # noqa: B018
        if self.task == "classification":
            return self.fitted.with_target(name=self.target_column, task=self.task, classes=self.class_names)
        return self.fitted.with_target(
            name=self.target_column, task=self.task, mean=self.target_mean, std=self.target_std
        )

    def observed_facts(self) -> dict[str, int]:
        """Rows, and the table's raw feature columns (before missing indicators) and how many are categorical."""
        rows = sum(len(t) for t in self.prepared.x.values())
        return {"rows": rows, **self.raw_facts}

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        trainer = self.trainer
        if trainer is not None and trainer.is_global_zero and trainer.log_dir:
            Path(trainer.log_dir).mkdir(parents=True, exist_ok=True)
            self.preprocessing.save(Path(trainer.log_dir) / FILE_NAME)


class HousePricesDataModule(TabularDataModule):
    """Price from square footage: X ~ U(0, 1000), y = 100 + 150 X + N(0, 50^2).

    ``nonlinear=True`` makes the price saturate (a tanh curve), so that a straight line underfits it.
    """

    name = "house_prices"
    task = "regression"
    target_column = "price"

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

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray]:
        x, y = self.load_arrays()
        return pd.DataFrame({"sqft": x[:, 0]}), y


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
        return bunch.data.astype(np.float64), bunch.target

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray]:
        bunch = self.LOADERS[self.name][0]()
        return pd.DataFrame(bunch.data.astype(np.float64), columns=list(bunch.feature_names)), bunch.target
