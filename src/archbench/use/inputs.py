"""A user's raw rows as the network's inputs: the run's columns checked, parsed and scaled as in training.

Tables are rows (N, F); sequences are whole series, one row per time step with an optional ``series_id`` column, or an
array (N, T, C); a series to forecast is one row per time step, cut into windows. Every check is one line naming the
bad value and what is allowed; nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from archbench.data.csv_file import GAP_TEXTS, exact_numbers, note
from archbench.data.forecast_windows import TargetTransform
from archbench.errors import ArchbenchError

SERIES_ID = "series_id"


@dataclass(frozen=True)
class Batch:
    """Scaled network inputs (float32); ``label`` names what ``index`` gives for each of them, where the output should
    say it (a series' id, a window's last row), and is None where outputs follow the input rows one for one."""

    x: np.ndarray
    index: list[Any]
    label: str | None = None
    offset: np.ndarray | None = None  # a differenced series: each forecast's level in the transformed space
    log: bool = False  # a log-transformed series: the forecast is exp of the network's, after the offset


def as_frame(data: pd.DataFrame | np.ndarray, columns: list[str], what: str) -> pd.DataFrame:
    """A DataFrame as given, or a 2-D array whose columns are the run's columns in order."""
    if isinstance(data, pd.DataFrame):
        return data
    array = np.asarray(data)
    if array.ndim != 2 or array.shape[1] != len(columns):
        raise ArchbenchError(
            f"{what} has shape {array.shape}; allowed: (rows, {len(columns)}) with columns {', '.join(columns)}"
        )
    return pd.DataFrame(array, columns=columns)


def select_columns(frame: pd.DataFrame, expected: list[str], known: list[str], source: str) -> pd.DataFrame:
    """The expected columns in order; one line for a missing one; one note naming the extra ones (ignored)."""
    names = [str(c) for c in frame.columns]
    missing = [c for c in expected if c not in names]
    if missing:
        raise ArchbenchError(f"column {missing[0]!r} is missing from {source}; expected columns: {', '.join(expected)}")
    extra = [c for c in names if c not in expected and c not in known]
    if extra:
        note(f"ignored {len(extra)} column(s) of {source} that the model does not read: {', '.join(extra)}")
    return frame.set_axis(names, axis=1)[expected]


def numbers(frame: pd.DataFrame, source: str, where: str, allow_gaps: bool = False) -> np.ndarray:
    """Every column as float64; one line for a text cell (wrong kind) or a gap, with its column and row."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            text = column.astype(str).str.strip()
            gaps = text.str.lower().isin(GAP_TEXTS) | column.isna()
            values = exact_numbers(text.where(~gaps))
            bad = values.isna() & ~gaps
            if bad.any():
                row = bad.index[bad][0]
                raise ArchbenchError(
                    f"column {name!r} of {source} is text ({text[row]!r} at {where} {row}); allowed: numbers, as the"
                    " model was trained on"
                )
        else:
            values = column.astype(float)
        gaps = values.isna() | np.isinf(values)
        if gaps.any() and not allow_gaps:
            row = gaps.index[gaps][0]
            raise ArchbenchError(
                f"column {name!r} of {source} has a gap or an infinite value at {where} {row}; allowed: finite numbers"
            )
        columns.append(values.to_numpy(dtype=np.float64))
    return np.stack(columns, axis=-1) if columns else np.zeros((len(frame), 0))


def scaled(raw: np.ndarray, inputs: dict[str, Any]) -> np.ndarray:
    """Standardised with the training statistics, in float64 and then float32, exactly as the DataModule did."""
    if inputs.get("normalize_each_series"):
        from archbench.data.ucr import znormalise

        raw = znormalise(raw)
    mean, std = np.asarray(inputs["mean"], dtype=np.float64), np.asarray(inputs["std"], dtype=np.float64)
    return ((raw - mean) / std).astype(np.float32)


def table_batch(pre: dict[str, Any], data: pd.DataFrame | np.ndarray, source: str, where: str = "row") -> Batch:
    """Rows of a table: one input row per row, in the given order; through the run's fitted column transformer
    (categories as codes, an unseen one the unknown code; gaps imputed where training imputed them) where it has one."""
    inputs = pre["inputs"]
    columns = inputs["columns"]
    frame = select_columns(as_frame(data, columns, source), columns, pre["ignored_columns"], source)
    if frame.empty:
        raise ArchbenchError(f"{source} has no rows; allowed: at least one row")
    if not inputs.get("column_transformer"):
        return Batch(scaled(numbers(frame, source, where), inputs), list(frame.index))
    from archbench.data.preprocess import NumericColumn, Preprocessing

    fitted = Preprocessing.from_json(inputs["column_transformer"])
    parsed = {}
    for column in fitted.columns:
        values = frame[[column.name]]
        if isinstance(column, NumericColumn):  # parsed here: exact floats, and a text cell named with its line
            parsed[column.name] = numbers(values, source, where, allow_gaps=column.fill is not None)[:, 0]
        else:
            parsed[column.name] = category_values(values[column.name])
    return Batch(scaled(fitted.transform(pd.DataFrame(parsed, index=frame.index)), inputs), list(frame.index))


def category_values(values: pd.Series) -> pd.Series:
    """A categorical column with its gaps (empty cells, "NA", ...) as NaN, as the training rows had them."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values
    gaps = values.isna() | values.astype(str).str.strip().str.lower().isin(GAP_TEXTS)
    return values.where(~gaps, np.nan)


def sequence_batch(pre: dict[str, Any], data: pd.DataFrame | np.ndarray, source: str, where: str = "row") -> Batch:
    """Whole series: an array (N, T, C) or (T, C), or rows of time steps grouped by ``series_id`` (one series
    without it), each of the run's length."""
    inputs = pre["inputs"]
    columns, steps = inputs["columns"], inputs["seq_len"]
    label = None
    if isinstance(data, np.ndarray) and data.ndim == 3:
        array, ids = np.asarray(data, dtype=np.float64), list(range(len(data)))
        if array.shape[1:] != (steps, len(columns)):
            raise ArchbenchError(
                f"{source} has series of shape {array.shape[1:]}; allowed: (N, {steps}, {len(columns)}) as in training"
            )
    else:
        frame = as_frame(data, columns, source)
        label = SERIES_ID if SERIES_ID in frame.columns else None
        ids_column = frame[SERIES_ID] if label else pd.Series(0, index=frame.index)
        values = numbers(select_columns(frame, columns, [*pre["ignored_columns"], SERIES_ID], source), source, where)
        ids = list(dict.fromkeys(ids_column))
        array = np.stack([sequence_steps(values[(ids_column == i).to_numpy()], i, inputs, source) for i in ids])
    padding = np.isnan(array) if inputs["pads_with_nan"] else np.zeros(array.shape, dtype=bool)
    if not (np.isfinite(array) | padding).all():
        raise ArchbenchError(f"{source} holds NaN or infinite values; allowed: finite numbers")
    return Batch(scaled(array, inputs), ids, label)


def sequence_steps(rows: np.ndarray, series: Any, inputs: dict[str, Any], source: str) -> np.ndarray:
    """One series' rows (T, C): the run's length, or shorter and padded with NaN steps where the run read padding."""
    steps = inputs["seq_len"]
    if len(rows) == steps or (inputs["pads_with_nan"] and 0 < len(rows) < steps):
        return np.concatenate([rows, np.full((steps - len(rows), rows.shape[1]), np.nan)])
    most = "at most " if inputs["pads_with_nan"] else ""
    raise ArchbenchError(
        f"series {series!r} of {source} has {len(rows)} rows; allowed: {most}{steps} rows (time steps) per series, as"
        f" in training; several series are told apart by a {SERIES_ID} column"
    )


def series_batch(
    pre: dict[str, Any], data: pd.DataFrame | np.ndarray, source: str, windows: bool, where: str = "row"
) -> Batch:
    """A series (time steps as rows): its last window, or every window with ``windows``; each labelled by the
    position (0-based, after sorting by time) of its last row."""
    series, inputs = pre["series"], pre["inputs"]
    frame = as_frame(data, inputs["columns"], source)
    time_column = series["time_column"]
    if time_column and time_column in frame.columns:
        frame = frame.loc[time_order(frame[time_column], source, where).index]
    values = numbers(select_columns(frame, inputs["columns"], pre["ignored_columns"], source), source, where)
    transform = TargetTransform(**(pre["target"].get("transform") or {}))
    window, lag, targets = series["window"], transform.lag, len(pre["target"]["columns"])
    if len(values) < window + lag:
        raise ArchbenchError(
            f"{source} has {len(values)} rows; allowed: at least {window + lag} rows, the window the model forecasts"
            f" from{' and the ' + str(lag) + ' before it that its differencing needs' if lag else ''}"
        )
    levels = transform.transformed(values, targets, source)  # as in training (data/forecast_windows.py)
    steps = levels.copy()
    if lag:
        steps[lag:, :targets] = levels[lag:, :targets] - levels[:-lag, :targets]
        steps, levels = steps[lag:], levels[lag:]
    starts = np.arange(len(steps) - window + 1) if windows else np.array([len(steps) - window])
    rows = starts[:, None] + np.arange(window)
    offset = transform.offset(levels[rows][:, :, :targets], series["horizon"]) if lag else None
    return Batch(
        scaled(steps[rows], inputs),
        [int(s) + window - 1 + lag for s in starts],
        "last_row" if windows else None,
        offset,
        transform.log,
    )


def time_order(times: pd.Series, source: str, where: str) -> pd.Series:
    """A time column as numbers, or else dates, sorted (stable); one line for a cell that is neither."""
    if pd.api.types.is_numeric_dtype(times) or pd.api.types.is_datetime64_any_dtype(times):
        parsed = times
    else:
        parsed = exact_numbers(times.astype(str))
        if parsed.isna().any():
            parsed = pd.to_datetime(times, errors="coerce", format="mixed")
    if parsed.isna().any():
        row = parsed.index[parsed.isna()][0]
        raise ArchbenchError(
            f"time column {times.name!r} of {source} has {times[row]!r} at {where} {row}; allowed: numbers or dates"
        )
    return parsed.sort_values(kind="stable")
