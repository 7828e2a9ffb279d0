"""A long results table (dataset, method, score, optionally metric and higher_is_better), checked and read the
same way for published tables and for archbench's own, so that both are ranked by one function."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from archbench.errors import ArchbenchError
from archbench.report.columns import LOWER_IS_BETTER

REQUIRED = ("dataset", "method", "score")
ALLOWED = "a long CSV with columns dataset, method, score (optionally metric, higher_is_better)"
TRUE, FALSE = {"true", "1", "yes", "higher"}, {"false", "0", "no", "lower"}
ERRORS = {"mse", "mae", "rmse", "loss", "error", "log_loss", "nll"}  # lower-is-better names without "test_"


def lower_is_better(metric: str) -> bool:
    """Whether a metric named in a published table is an error (lower is better); unknown names are not."""
    name = str(metric).strip().lower()
    return LOWER_IS_BETTER.get(name, name.removeprefix("test_") in ERRORS)


def direction(frame: pd.DataFrame) -> pd.Series:
    """Per row: True when higher is better, from higher_is_better, else the metric's name, else True."""
    if "higher_is_better" in frame:
        text = frame["higher_is_better"].astype(str).str.strip().str.lower()
        bad = text[~text.isin(TRUE | FALSE)]
        if len(bad):
            raise ArchbenchError(f"higher_is_better {bad.iloc[0]!r} is not a truth value; allowed: true or false")
        return text.isin(TRUE)
    if "metric" in frame:
        return ~frame["metric"].map(lower_is_better).astype(bool)
    return pd.Series(True, index=frame.index)


def check_long(frame: pd.DataFrame, source: str = "the table") -> pd.DataFrame:
    """The table with numeric scores and a boolean ``higher_is_better``; one clear error for anything wrong."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ArchbenchError(f"{source}: missing column(s) {', '.join(missing)}; allowed: {ALLOWED}")
    frame = frame.assign(dataset=frame["dataset"].astype(str), method=frame["method"].astype(str))
    scores = pd.to_numeric(frame["score"], errors="coerce")
    bad = frame["score"][scores.isna() & frame["score"].notna() & (frame["score"].astype(str).str.strip() != "")]
    if len(bad):
        raise ArchbenchError(f"{source}: score {bad.iloc[0]!r} is not a number; allowed: numeric scores")
    frame = frame.assign(score=scores, higher_is_better=direction(frame))
    if frame["method"].nunique() < 2:
        raise ArchbenchError(f"{source}: only one method ({frame['method'].iloc[0]}); allowed: 2 or more to rank")
    duplicated = frame[frame.duplicated(["dataset", "method"])]
    if len(duplicated):
        first = duplicated.iloc[0]
        raise ArchbenchError(
            f"{source}: {first['method']} has several scores on {first['dataset']}; allowed: one score per dataset "
            "and method (average resamples first)"
        )
    mixed = frame.groupby("dataset")["higher_is_better"].nunique()
    if (mixed > 1).any():
        raise ArchbenchError(f"{source}: dataset {mixed[mixed > 1].index[0]} mixes higher- and lower-is-better scores")
    return frame


def read_long_csv(path: str | Path) -> pd.DataFrame:
    """A long CSV file, checked (``check_long``)."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ArchbenchError(f"{path}: cannot be read as CSV ({type(error).__name__}); allowed: {ALLOWED}") from None
    return check_long(frame, str(path))
