"""Real time series that statsmodels ships on disk, as forecasting datasets (windowed by ``SeriesDataModule``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from archbench.data.sequence import SeriesDataModule
from archbench.errors import ArchbenchError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MACRO_COLUMNS = ("realgdp", "realcons", "realinv")


def statsmodels_frame(dataset: str) -> pd.DataFrame:
    """A statsmodels dataset's table, read from the copy inside the package."""
    # Imported here: statsmodels takes about a second to import and only these datasets need it.
    from statsmodels import datasets

    return getattr(datasets, dataset).load_pandas().data


def nile() -> tuple[np.ndarray, list[str]]:
    """Annual flow of the Nile at Aswan, 1871-1970 (10^8 m^3): 100 values."""
    frame = statsmodels_frame("nile").sort_values("year")
    return frame[["volume"]].to_numpy(np.float64), ["volume"]


def elnino() -> tuple[np.ndarray, list[str]]:
    """Monthly sea surface temperature of the El Nino region (deg C), 1950-2010: 61 years of 12 months read as
    one series of 732 months in time order."""
    frame = statsmodels_frame("elnino").sort_values("YEAR")
    return frame[list(MONTHS)].to_numpy(np.float64).reshape(-1, 1), ["temperature"]


def macrodata() -> tuple[np.ndarray, list[str]]:
    """US real GDP, real personal consumption and real private investment, 1959Q1-2009Q3, as quarter-on-quarter
    growth in percent (100 x log difference): 202 quarters.

    Growth rather than levels: the levels trend upwards, so a chronological split leaves every test value above
    anything seen in training, and the forecast would measure extrapolation, not the dynamics.
    """
    frame = statsmodels_frame("macrodata").sort_values(["year", "quarter"])
    levels = frame[list(MACRO_COLUMNS)].to_numpy(np.float64)
    return 100 * np.diff(np.log(levels), axis=0), [f"{c}_growth" for c in MACRO_COLUMNS]


LOADERS: dict[str, Callable[[], tuple[np.ndarray, list[str]]]] = {
    "nile": nile,
    "elnino": elnino,
    "macrodata": macrodata,
}


class StatsmodelsSeriesDataModule(SeriesDataModule):
    """A real series shipped with statsmodels (no download): split chronologically, windowed, forecast ``horizon``
    steps of every column."""

    def __init__(self, dataset: Literal["nile", "elnino", "macrodata"] = "nile", **kwargs) -> None:
        super().__init__(**kwargs)
        if dataset not in LOADERS:
            raise ArchbenchError(f"statsmodels series {dataset!r} is not known; allowed: {', '.join(LOADERS)}")
        self.name = dataset

    def load_series(self) -> np.ndarray:
        series, self.found_columns = LOADERS[self.name]()
        return series

    def series_columns(self) -> list[str]:
        self.prepared  # noqa: B018 - the column names come with the data
        return list(self.found_columns)
