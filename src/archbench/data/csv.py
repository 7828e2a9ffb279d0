"""DataModules over the user's own CSV files: a table with a target column, or a time series.

The file is read by ``csv_file.CSVFile``; these classes choose its columns, infer the task, encode class labels and
split the rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from archbench.data.base import TASKS
from archbench.data.csv_file import MISSING, MISSING_HINT, CSVFile, exact_numbers, first_line, note, require_choice
from archbench.data.labels import encode_labels
from archbench.data.preprocess import MIN_FREQUENCY, is_categorical
from archbench.data.sequence import SeriesDataModule
from archbench.data.splits import chronological_split, random_split, stratified_split
from archbench.data.tabular import TabularDataModule
from archbench.errors import ArchbenchError

# A target is taken for class labels when it is text, or whole numbers with at most this many distinct values that
# are at most this share of the rows (two values always are).
MAX_INFERRED_CLASSES = 20
MAX_CLASS_SHARE = 0.05
TABLE_MISSING = (*MISSING, "impute")  # a table may also impute numeric gaps (data/preprocess.py)
# Column names that say "time axis": t, year, order_date, timestamp, Date (not update or lifetime).
TIME_LIKE_NAME = re.compile(r"^(t|step|index|idx|epoch|month|week|day)$|(^|[^a-z])(date|time|year)", re.IGNORECASE)


@dataclass(frozen=True)
class LoadedTable:
    """A table as read: feature columns (numbers and categories), targets (numbers or class indices), the task."""

    x: pd.DataFrame
    y: np.ndarray
    task: str


class CSVDataModule(TabularDataModule):
    """The user's table: feature columns of numbers or categories (text, "yes"/"no") and one target column
    (numbers, or class labels of any kind). A column whose every cell is a number or a gap is numeric; any other is
    categorical, its gaps the unknown code.

    ``task`` None infers it from the target (see ``MAX_INFERRED_CLASSES``) and says so in one line. With a
    ``time_column`` the rows are split chronologically (oldest train, newest test); otherwise classification
    splits are stratified by class and regression splits random. Rows without a target are never filled in: they
    are an error with ``missing: error`` and dropped otherwise. ``missing: impute`` fills numeric gaps with the
    training mean and adds a missing indicator; ``drop`` drops rows with a gap in any feature; ``ffill`` and
    ``interpolate`` fill numeric gaps. A category seen fewer than ``min_category_count`` times in the training rows
    reads as the unknown code.
    """

    name = "csv"

    def __init__(
        self,
        path: str = "data.csv",
        target: str = "target",
        task: str | None = None,
        feature_columns: list[str] | None = None,
        drop_columns: list[str] | None = None,
        time_column: str | None = None,
        missing: str = "error",
        delimiter: str = ",",
        min_category_count: int = MIN_FREQUENCY,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if task is not None:
            require_choice("task", task, TASKS)
        require_choice("missing", missing, TABLE_MISSING)
        self.path = path
        self.target = target
        self.requested_task = task
        self.feature_columns = feature_columns
        self.drop_columns = drop_columns or []
        self.time_column = time_column
        self.missing = missing
        self.delimiter = delimiter
        self.min_category_count = min_category_count

    @property
    def task(self) -> str:
        """As given, else inferred from the target column (reading the file)."""
        return self.table.task

    @property
    def target_column(self) -> str:
        return self.target

    @cached_property
    def table(self) -> LoadedTable:
        source = CSVFile(self.path, self.delimiter)
        source.require("--data.target", [self.target])
        source.require("--data.feature_columns", self.feature_columns or [])
        source.require("--data.drop_columns", self.drop_columns)
        source.require("--data.time_column", [self.time_column] if self.time_column else [])
        left_out = {self.target, self.time_column, *self.drop_columns}
        features = self.feature_columns or [c for c in source.columns if c not in left_out]
        if not features:
            raise ArchbenchError(
                f"{source.path} has no feature column beside target {self.target!r}; allowed: a table with the"
                f" target and at least one feature column (columns found: {', '.join(source.columns)})"
            )
        unlabelled = source.gaps(self.target)
        if unlabelled.any():
            if self.missing == "error":
                raise ArchbenchError(
                    f"target {self.target!r} of {source.path} has a gap at line {first_line(unlabelled)}; "
                    f"allowed: a target on every row, or {MISSING_HINT} to drop rows without one"
                )
            note(f"dropped {int(unlabelled.sum())} rows of {source.path} without a target")
            source.keep(unlabelled.index[~unlabelled])
        times = source.sort_by_time(self.time_column, self.missing) if self.time_column else None
        x = self.feature_frame(source, features, times)
        source.keep(x.index)
        task = self.requested_task or self.infer_task(source)
        if task == "classification":
            labels = source.cells[self.target]
            if exact_numbers(labels).notna().all():
                labels = exact_numbers(labels)  # 3 and 3.0 are one class
            (y,), self.label_names = encode_labels(labels.to_numpy())
        else:
            y = source.numbers(self.target, "class labels need --data.task classification").to_numpy()
        return LoadedTable(x, y, task)

    def feature_frame(self, source: CSVFile, features: list[str], times: pd.Series | None) -> pd.DataFrame:
        """Numeric columns as floats, categorical ones as text (NaN at gaps), with gaps handled as ``missing`` says:
        ``error`` and ``drop`` look at every column, ``ffill`` and ``interpolate`` fill the numeric ones, ``impute``
        leaves them to the preprocessing fitted on the training rows."""
        x = pd.DataFrame({c: feature_column(source, c) for c in features})
        if self.missing in ("error", "drop"):
            return source.fill_gaps(x, self.missing, times)
        numeric = [c for c in features if not is_categorical(x[c])]
        if self.missing == "impute" or not numeric:
            return x
        filled = source.fill_gaps(x[numeric], self.missing, times)
        return x.loc[filled.index].assign(**{c: filled[c] for c in numeric})

    def infer_task(self, source: CSVFile) -> str:
        labels = source.cells[self.target]
        values = exact_numbers(labels)
        distinct = labels.nunique()
        if values.isna().any():
            task, why = "classification", f"text labels ({distinct} distinct)"
        else:
            whole = bool((values == values.round()).all())
            few = distinct <= 2 or (distinct <= MAX_INFERRED_CLASSES and distinct <= MAX_CLASS_SHARE * len(values))
            task = "classification" if whole and few else "regression"
            kind = "whole numbers" if whole else "numbers"
            why = f"{kind} with {distinct} distinct values in {len(values)} rows"
        other = "regression" if task == "classification" else "classification"
        note(f"task {task} inferred from target {self.target!r} ({why}); override with --data.task {other}")
        return task

    def load_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The raw feature values (an all-numeric table's numbers) and targets, in row order."""
        return self.table.x.to_numpy(), self.table.y

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray]:
        return self.table.x, self.table.y

    def split_rows(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.time_column:
            return chronological_split(np.arange(len(y)), self.val_fraction, self.test_fraction, self.name)
        if self.task == "classification":
            return stratified_split(y, self.val_fraction, self.test_fraction, self.seed, self.name)
        return random_split(len(y), self.val_fraction, self.test_fraction, self.seed, self.name)


def feature_column(source: CSVFile, name: str) -> pd.Series:
    """A feature column as floats when every cell is a number or a gap, else as text categories (NaN at gaps).

    Dates written with digits (2024-01-31) are no categories: ``source.numbers`` stops with one line pointing at
    ``--data.time_column``. Month or day names ("Jan", "Mon") stay categories.
    """
    gaps = source.gaps(name)
    cells = source.cells[name].where(~gaps)
    if exact_numbers(cells).notna().sum() == (~gaps).sum():
        return source.numbers(name)
    if cells.dropna().str.contains(r"\d").all() and source.holds_dates(name):
        return source.numbers(name)
    return cells


class CSVSeriesDataModule(SeriesDataModule):
    """The user's time series: ``target_columns`` are forecast (and fed as inputs); ``feature_columns`` not among
    them are covariates, fed as inputs only. Rows are in file order, or sorted by ``time_column``."""

    name = "csv_series"

    def __init__(
        self,
        path: str = "series.csv",
        target_columns: list[str] | None = None,
        feature_columns: list[str] | None = None,
        drop_columns: list[str] | None = None,
        time_column: str | None = None,
        missing: str = "error",
        delimiter: str = ",",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_choice("missing", missing, MISSING)
        self.path = path
        self.target_columns = target_columns
        self.feature_columns = feature_columns or []
        self.drop_columns = drop_columns or []
        self.time_column = time_column
        self.missing = missing
        self.delimiter = delimiter

    @cached_property
    def series(self) -> pd.DataFrame:
        """The target columns, then the covariates, as floats in time order with gaps handled."""
        source = CSVFile(self.path, self.delimiter)
        for option in ("target_columns", "feature_columns", "drop_columns"):
            source.require(f"--data.{option}", getattr(self, option) or [])
        source.require("--data.time_column", [self.time_column] if self.time_column else [])
        left_out = {self.time_column, *self.drop_columns, *self.feature_columns}
        targets = self.target_columns or [c for c in source.columns if c not in left_out]
        covariates = [c for c in self.feature_columns if c not in targets]
        if not targets:
            raise ArchbenchError(f"{source.path} has no column to forecast; allowed: --data.target_columns [...]")
        times = source.sort_by_time(self.time_column, self.missing) if self.time_column else None
        values = pd.DataFrame({c: source.numbers(c) for c in [*targets, *covariates]})
        if times is None:
            self.warn_about_time_like(values)
        elif times.duplicated().any():
            line = times.index[times.duplicated()][0]
            raise ArchbenchError(
                f"time column {self.time_column!r} of {source.path} repeats {source.cells.at[line, self.time_column]!r}"
                f" at line {line}; allowed: one row per time step in a series"
            )
        values = source.fill_gaps(values, self.missing, times)
        if times is not None:
            self.note_uneven_steps(times.loc[values.index])
        self.covariates = covariates
        return values

    def warn_about_time_like(self, values: pd.DataFrame) -> None:
        """A time axis left among the columns is forecast and fed back as an input: a trivially good score."""
        for name, column in values.items():
            steps = column.diff().dropna()
            counts_up = len(steps) > 0 and steps.iloc[0] > 0 and bool((steps == steps.iloc[0]).all())
            if TIME_LIKE_NAME.search(str(name)) or counts_up:
                note(
                    f"warning: column {name!r} of {self.path} looks like a time axis, and is forecast and fed as an "
                    f"input; if it is one, use --data.time_column {name}"
                )

    def note_uneven_steps(self, times: pd.Series) -> None:
        steps = times.diff().dropna()
        if len(steps) and steps.nunique() > 1:
            usual = steps.mode().iloc[0]
            odd = int((steps != usual).sum())
            note(
                f"{odd} of {len(steps)} time steps of {self.path} differ from the usual step {usual}; "
                "windows treat every row as one step"
            )

    def load_series(self) -> np.ndarray:
        return self.series.to_numpy(dtype=float)

    def series_columns(self) -> list[str]:
        return [str(c) for c in self.series.columns]

    def covariate_columns(self) -> list[str]:
        self.series  # noqa: B018 - the columns are chosen when the file is read
        return list(self.covariates)
