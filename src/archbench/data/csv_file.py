"""A user's CSV file read with pandas as stripped text, so that every message can quote the bad cell and its line
in the file; its columns parsed as numbers or dates, its rows sorted by time and its gaps handled as asked."""

from __future__ import annotations

import functools
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from lightning.pytorch.utilities.rank_zero import rank_zero_only
from pandas.tseries.frequencies import to_offset

from archbench.data.csv_dialect import DELIMITERS, Dialect, chosen_delimiter, detect_decimal, sniff_delimiter
from archbench.errors import ArchbenchError

GAP_TEXTS = frozenset({"", "nan", "na", "n/a", "null", "none"})  # cells read as a gap, in any case
MISSING = ("error", "drop", "ffill", "interpolate")
MISSING_HINT = "--data.missing drop, ffill or interpolate"


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


def first_line(rows: pd.Series) -> int:
    """The first line of the file among the rows marked True (rows may be sorted by time)."""
    return int(rows.index[rows].min())


def calendar_step(times: pd.Series) -> tuple[str, int] | None:
    """Dates' calendar frequency (monthly, quarterly, business days: pandas' name for it) and how many steps do not
    follow it; None when no frequency fits even short runs of rows. Months of 28 to 31 days are one step each."""
    index = pd.DatetimeIndex(times)
    if len(index) < 3:
        return None
    frequency = pd.infer_freq(index)
    if frequency:
        return frequency, 0
    every = max(1, (len(index) - 2) // 200)  # the most common frequency of runs of three rows, from up to 200 runs
    found = Counter(pd.infer_freq(index[i : i + 3]) for i in range(0, len(index) - 2, every))
    found.pop(None, None)
    if not found:
        return None
    frequency = found.most_common(1)[0][0]
    return frequency, int((index[:-1] + to_offset(frequency) != index[1:]).sum())


def require_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ArchbenchError(f"{name} {value!r} is not known; allowed: {', '.join(allowed)}")


class CSVFile:
    """A CSV file's cells as stripped text, one row per data line; the index is each row's line in the file."""

    def __init__(self, path: str | Path, delimiter: str | None = None, decimal: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ArchbenchError(f"CSV file not found: {self.path}")
        detected = {"delimiter"} if delimiter is None else set()
        delimiter = chosen_delimiter(delimiter) or sniff_delimiter(self.path)
        cells = self.read_cells(delimiter)
        if decimal is None:
            detected.add("decimal")
            decimal = detect_decimal(cells)
        self.dialect = Dialect(delimiter, decimal)
        # Numbers are rewritten before any column is read: "1.234,5" is a number, not a category.
        self.cells = cells.apply(self.dialect.number_text)
        self.detected = detected

    def note_dialect(self) -> None:
        """Say how the file was read, once it was read without error (an error stays one line)."""
        note(f"read {self.path}: {self.dialect.describe(self.detected)}")

    def read_cells(self, delimiter: str) -> pd.DataFrame:
        """The file's cells as stripped text without blank lines, indexed by line in the file."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)  # more cells on a line than in the header
                cells = pd.read_csv(self.path, sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=False,
                                    encoding="utf-8-sig", index_col=False)  # fmt: skip
        except pd.errors.EmptyDataError:
            raise ArchbenchError(
                f"CSV file {self.path} is empty; allowed: a header line, then one line per row"
            ) from None
        except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as error:
            reason = str(error).strip().splitlines()[-1]
            raise ArchbenchError(
                f"CSV file {self.path} cannot be read with delimiter {delimiter!r}: {reason}; allowed: as many cells"
                " on each line as in the header, in UTF-8, or another --data.delimiter"
            ) from None
        cells.columns = [str(c).strip() for c in cells.columns]
        cells.index = cells.index + 2  # line 1 is the header
        cells = cells.apply(lambda column: column.str.strip())
        cells = cells[~(cells == "").all(axis=1)]  # blank lines
        header = cells.columns[0]
        others = [d for d in DELIMITERS if d != delimiter and d in header]
        if len(cells.columns) == 1 and others:
            raise ArchbenchError(
                f"CSV file {self.path} has one column {header!r} with delimiter {delimiter!r}; "
                f"allowed: the file's delimiter, e.g. --data.delimiter {others[0]!r}"
            )
        if cells.empty:
            raise ArchbenchError(f"CSV file {self.path} has a header but no data rows; allowed: one line per row")
        return cells

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
            line = first_line(text_cells)
            if self.holds_dates(name):
                fix = (
                    f"use it as time with --data.time_column {name}, or leave it out with --data.drop_columns [{name}]"
                )
            raise ArchbenchError(
                f"column {name!r} of {self.path} is text ({text[line]!r} at line {line}); allowed: numbers only; {fix}"
            )
        infinite = np.isinf(values)
        if infinite.any():
            line = first_line(infinite)
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
            line = first_line(unreadable)
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
                    f"time column {name!r} of {self.path} has a gap at line {first_line(untimed)}; "
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
        empty = gaps.all()
        if empty.any():  # no way of handling gaps leaves a row: drop would drop them all, the fills have nothing
            name = empty.index[empty.argmax()]
            raise ArchbenchError(
                f"column {name!r} of {self.path} has no value on any row; allowed: leave it out with"
                f" --data.drop_columns [{name}]"
            )
        if missing == "error":
            line = first_line(gaps.any(axis=1))
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
