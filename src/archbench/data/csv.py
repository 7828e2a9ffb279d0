"""DataModules over the user's own CSV files: a table with a target column, or a time series.

pandas reads every cell as text first, so that each message can quote the bad cell and its line in the file; the
columns are then parsed as numbers, dates or class labels, sorted by their time column, and their gaps handled
as ``missing`` says.
"""

from __future__ import annotations

import functools
import re
import sys
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from archbench.data.base import TASKS, Splits
from archbench.data.labels import encode_labels
from archbench.data.sequence import SeriesDataModule
from archbench.data.splits import chronological_split, random_split, stratified_split
from archbench.data.tabular import TabularDataModule
from archbench.errors import ArchbenchError

GAP_TEXTS = frozenset({"", "nan", "na", "n/a", "null", "none"})  # cells read as a gap, in any case
MISSING = ("error", "drop", "ffill", "interpolate")
MISSING_HINT = "--data.missing drop, ffill or interpolate"
OTHER_DELIMITERS = (";", "\t", ",", "|")
# A target is taken for class labels when it is text, or whole numbers with at most this many distinct values that
# are at most this share of the rows (two values always are).
MAX_INFERRED_CLASSES = 20
MAX_CLASS_SHARE = 0.05
TIME_LIKE_NAME = re.compile(r"^(t|step|index|idx|epoch|month|week|day)$|date|time|year", re.IGNORECASE)


@functools.cache
@rank_zero_only
def note(message: str) -> None:
    """Print a one-line note once per process (a grid builds the same data many times), on rank zero only."""
    print(f"archbench: {message}", file=sys.stderr)


def exact_numbers(text: pd.Series) -> pd.Series:
    """Cells as floats, NaN where a cell is no number; parsed like Python's float (pandas' own parser can be one
    bit off, so a file's values would not round-trip)."""
    numeric = pd.to_numeric(text, errors="coerce").notna()
    values = pd.Series(np.nan, index=text.index)
    values[numeric] = text[numeric].astype(float)
    return values


def require_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ArchbenchError(f"{name} {value!r} is not known; allowed: {', '.join(allowed)}")


class CSVFile:
    """A CSV file's cells as stripped text, one row per data line; the index is each row's line in the file."""

    def __init__(self, path: str | Path, delimiter: str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ArchbenchError(f"CSV file not found: {self.path}")
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        try:
            cells = pd.read_csv(self.path, sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=False,
                                encoding="utf-8-sig")  # fmt: skip
        except pd.errors.EmptyDataError:
            raise ArchbenchError(
                f"CSV file {self.path} is empty; allowed: a header line, then one line per row"
            ) from None
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            reason = str(error).strip().splitlines()[-1]
            raise ArchbenchError(
                f"CSV file {self.path} cannot be read with delimiter {delimiter!r}: {reason}"
            ) from None
        cells.columns = [str(c).strip() for c in cells.columns]
        cells.index = cells.index + 2  # line 1 is the header
        cells = cells.apply(lambda column: column.str.strip())
        self.cells = cells[~(cells == "").all(axis=1)]  # blank lines
        header = self.cells.columns[0]
        others = [d for d in OTHER_DELIMITERS if d != delimiter and d in header]
        if len(self.cells.columns) == 1 and others:
            raise ArchbenchError(
                f"CSV file {self.path} has one column {header!r} with delimiter {delimiter!r}; "
                f"allowed: the file's delimiter, e.g. --data.delimiter {others[0]!r}"
            )
        if self.cells.empty:
            raise ArchbenchError(f"CSV file {self.path} has a header but no data rows; allowed: one line per row")

    @property
    def columns(self) -> list[str]:
        return list(self.cells.columns)

    def require(self, option: str, names: list[str]) -> None:
        """One line for the first name that is not a column, listing the columns there are."""
        for name in names:
            if name not in self.cells.columns:
                raise ArchbenchError(
                    f"column {name!r} ({option}) is not in {self.path}; allowed: {', '.join(self.columns)}"
                )

    def keep(self, rows: pd.Index) -> None:
        self.cells = self.cells.loc[rows]

    def gaps(self, name: str) -> pd.Series:
        return self.cells[name].str.lower().isin(GAP_TEXTS)

    def numbers(self, name: str, fix: str | None = None) -> pd.Series:
        """A column as floats, NaN at its gaps; ``fix`` tells what to do about a text cell."""
        fix = fix or f"leave it out with --data.drop_columns [{name}]"
        text, gaps = self.cells[name], self.gaps(name)
        values = exact_numbers(text.where(~gaps))
        text_cells = values.isna() & ~gaps
        if text_cells.any():
            line = text_cells.idxmax()
            if self.holds_dates(name):
                fix = (
                    f"use it as time with --data.time_column {name}, or leave it out with --data.drop_columns [{name}]"
                )
            raise ArchbenchError(
                f"column {name!r} of {self.path} is text ({text[line]!r} at line {line}); allowed: numbers only; {fix}"
            )
        infinite = np.isinf(values)
        if infinite.any():
            line = infinite.idxmax()
            raise ArchbenchError(
                f"column {name!r} of {self.path} has {text[line]!r} at line {line}; allowed: finite numbers only"
            )
        return values

    def times(self, name: str) -> pd.Series:
        """A time column as numbers, or else as dates (as pandas reads them); NaN/NaT at its gaps."""
        text, gaps = self.cells[name].where(~self.gaps(name)), self.gaps(name)
        numbers = exact_numbers(text)
        if (numbers.notna() | gaps).all():
            return numbers
        with warnings.catch_warnings():  # "could not infer format": each cell is then parsed on its own
            warnings.simplefilter("ignore", UserWarning)
            dates = pd.to_datetime(text, errors="coerce")
        unreadable = dates.isna() & ~gaps
        if unreadable.any():
            line = unreadable.idxmax()
            raise ArchbenchError(
                f"time column {name!r} of {self.path} has {text[line]!r} at line {line}; "
                "allowed: numbers, or dates in one format (e.g. 2024-01-31)"
            )
        return dates

    def holds_dates(self, name: str) -> bool:
        try:
            return pd.api.types.is_datetime64_any_dtype(self.times(name))
        except ArchbenchError:
            return False

    def sort_by_time(self, name: str, missing: str) -> pd.Series:
        """Order the rows by the time column (rows without a time are an error, or dropped with ``drop``)."""
        times = self.times(name)
        untimed = times.isna()
        if untimed.any():
            if missing != "drop":
                raise ArchbenchError(
                    f"time column {name!r} of {self.path} has a gap at line {untimed.idxmax()}; "
                    "allowed: a time on every row, or --data.missing drop to drop rows without one"
                )
            note(f"dropped {int(untimed.sum())} rows of {self.path} without a time in {name!r}")
            times = times[~untimed]
        times = times.sort_values(kind="stable")
        self.keep(times.index)
        return times

    def fill_gaps(self, values: pd.DataFrame, missing: str, times: pd.Series | None) -> pd.DataFrame:
        """Numeric columns (NaN at gaps) with their gaps handled as ``missing`` says, in row (time) order.

        ``ffill`` and ``interpolate`` cannot fill a column before its first value: those leading rows are dropped.
        ``interpolate`` is time-weighted along a time column (dates or numbers), else linear in the row order.
        """
        gaps = values.isna()
        if not gaps.any(axis=None):
            return values
        if missing == "error":
            line = gaps.any(axis=1).idxmax()
            name = gaps.columns[gaps.loc[line].argmax()]
            raise ArchbenchError(
                f"column {name!r} of {self.path} has a gap ({self.cells.at[line, name]!r}) at line {line}; "
                f"allowed: finite numbers, or {MISSING_HINT}"
            )
        if missing == "drop":
            filled = values[~gaps.any(axis=1)]
            note(f"missing=drop: dropped {len(values) - len(filled)} rows of {self.path} with a gap")
            return filled
        if missing == "ffill":
            filled = values.ffill()
        elif times is None:
            filled = values.interpolate(method="linear")
        else:
            method = "time" if pd.api.types.is_datetime64_any_dtype(times) else "index"
            filled = values.set_axis(pd.Index(times.loc[values.index])).interpolate(method=method)
            filled.index = values.index
        leading = filled.isna().any(axis=1)
        if leading.any():
            note(f"missing={missing}: dropped the first {int(leading.sum())} rows of {self.path}, before a value")
        return filled[~leading]


class CSVDataModule(TabularDataModule):
    """The user's table: numeric feature columns and one target column (numbers, or class labels of any kind).

    ``task`` None infers it from the target (see ``MAX_INFERRED_CLASSES``) and says so in one line. With a
    ``time_column`` the rows are split chronologically (oldest train, newest test); otherwise classification
    splits are stratified by class and regression splits random. Rows without a target are never filled in: they
    are an error with ``missing: error`` and dropped otherwise.
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
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if task is not None:
            require_choice("task", task, TASKS)
        require_choice("missing", missing, MISSING)
        self.path = path
        self.target = target
        self.requested_task = task
        self.feature_columns = feature_columns
        self.drop_columns = drop_columns or []
        self.time_column = time_column
        self.missing = missing
        self.delimiter = delimiter

    @property
    def task(self) -> str:
        """As given, else inferred from the target column (reading the file)."""
        return self.table.task

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
                    f"target {self.target!r} of {source.path} has a gap at line {unlabelled.idxmax()}; "
                    f"allowed: a target on every row, or {MISSING_HINT} to drop rows without one"
                )
            note(f"dropped {int(unlabelled.sum())} rows of {source.path} without a target")
            source.keep(unlabelled.index[~unlabelled])
        times = source.sort_by_time(self.time_column, self.missing) if self.time_column else None
        x = pd.DataFrame({c: source.numbers(c) for c in features})
        x = source.fill_gaps(x, self.missing, times)
        source.keep(x.index)
        task = self.requested_task or self.infer_task(source)
        if task == "classification":
            labels = source.cells[self.target]
            if exact_numbers(labels).notna().all():
                labels = exact_numbers(labels)  # 3 and 3.0 are one class
            (y,), self.label_names = encode_labels(labels.to_numpy())
        else:
            y = source.numbers(self.target, "class labels need --data.task classification").to_numpy()
        return LoadedTable(x.to_numpy(dtype=float), y, task)

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
        return self.table.x, self.table.y

    def load_splits(self) -> Splits:
        x, y = self.load_arrays()
        if self.time_column:
            parts = chronological_split(np.arange(len(x)), self.val_fraction, self.test_fraction, self.name)
        elif self.task == "classification":
            parts = stratified_split(y, self.val_fraction, self.test_fraction, self.seed, self.name)
        else:
            parts = random_split(len(x), self.val_fraction, self.test_fraction, self.seed, self.name)
        y = y.reshape(len(y), -1) if self.task == "regression" else y
        return Splits(*(array[rows] for rows in parts for array in (x, y)))


@dataclass(frozen=True)
class LoadedTable:
    x: np.ndarray
    y: np.ndarray
    task: str


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
