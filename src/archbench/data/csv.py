"""DataModules over the user's own CSV files: a table with a target column, or a time series."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from archbench.data.sequence import SeriesDataModule
from archbench.data.tabular import TabularDataModule
from archbench.errors import ArchbenchError


def read_table(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """Read a headed CSV file into its header and rows of text cells."""
    path = Path(path)
    if not path.is_file():
        raise ArchbenchError(f"CSV file not found: {path}")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise ArchbenchError(f"CSV file {path} has no data rows; allowed: a header line and numeric rows")
    return [h.strip() for h in rows[0]], rows[1:]


def numeric_columns(path: str | Path, header: list[str], rows: list[list[str]], wanted: list[str]) -> np.ndarray:
    """The named columns as floats, naming the first missing column or non-numeric or non-finite cell."""
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ArchbenchError(f"column {missing[0]!r} is not in {path}; allowed: {', '.join(header)}")
    positions = [header.index(c) for c in wanted]
    values = np.empty((len(rows), len(positions)))
    for r, row in enumerate(rows):
        for c, position in enumerate(positions):
            cell = row[position].strip() if position < len(row) else ""
            try:
                values[r, c] = float(cell)
            except ValueError:
                raise ArchbenchError(
                    f"column {wanted[c]!r} of {path} is not numeric (row {r + 2}: {cell!r}); allowed: numbers only"
                ) from None
            if not np.isfinite(values[r, c]):
                raise ArchbenchError(
                    f"column {wanted[c]!r} of {path} has {cell!r} at row {r + 2}; allowed: finite numbers only"
                )
    return values


class CSVDataModule(TabularDataModule):
    """The user's table: numeric feature columns and one target column (regression or class labels)."""

    name = "csv"

    def __init__(
        self,
        path: str = "data.csv",
        target: str = "target",
        task: str = "regression",
        features: list[str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if task not in ("regression", "classification"):
            raise ArchbenchError(f"task {task!r} is not known; allowed: regression, classification")
        self.path = path
        self.target = target
        self.task = task
        self.features = features

    def load_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        header, rows = read_table(self.path)
        y = numeric_columns(self.path, header, rows, [self.target])[:, 0]
        features = self.features or [c for c in header if c != self.target]
        x = numeric_columns(self.path, header, rows, features)
        if self.task == "classification":
            if not np.all(y == np.round(y)) or y.min() < 0:
                raise ArchbenchError(
                    f"target {self.target!r} of {self.path} must hold class labels 0..K-1 for classification"
                )
            y = y.astype(np.int64)
        return x, y


class CSVSeriesDataModule(SeriesDataModule):
    """The user's time series: one or more numeric columns, rows in time order; forecast every column."""

    name = "csv_series"

    def __init__(self, path: str = "series.csv", columns: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.columns = columns

    def load_series(self) -> np.ndarray:
        header, rows = read_table(self.path)
        self.found_columns = self.columns or header
        return numeric_columns(self.path, header, rows, self.found_columns)

    def series_columns(self) -> list[str]:
        self.prepared  # noqa: B018 - the header is read with the data
        return list(self.found_columns)
