"""Real time series that installed packages ship on disk (statsmodels here; sktime and pmdarima in
``data/sources/``), as forecasting datasets windowed by ``SeriesDataModule``: one registry of loaders, one
DataModule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from archbench.data.sequence import SeriesDataModule
from archbench.data.sources import pmdarima_series, sktime_series
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


def co2() -> tuple[np.ndarray, list[str]]:
    """Weekly atmospheric CO2 at Mauna Loa (ppm), 1958-03-29 to 2001-12-29: 2,284 weeks; the 59 missing weeks are
    interpolated linearly in time (statsmodels' own example does the same)."""
    frame = statsmodels_frame("co2").interpolate(method="time")
    return frame[["co2"]].to_numpy(np.float64), ["co2"]


def sunspots() -> tuple[np.ndarray, list[str]]:
    """Yearly mean sunspot numbers, 1700-2008: 309 years."""
    frame = statsmodels_frame("sunspots").sort_values("YEAR")
    return frame[["SUNACTIVITY"]].to_numpy(np.float64), ["sunactivity"]


Loader = Callable[[], tuple[np.ndarray, list[str]]]
LOADERS: dict[str, Loader] = {
    "nile": nile,
    "elnino": elnino,
    "macrodata": macrodata,
    "co2": co2,
    "sunspots": sunspots,
    "airline": sktime_series.airline,
    "lynx": sktime_series.lynx,
    "uschange": sktime_series.uschange,
    "taylor": pmdarima_series.taylor,
    "wineind": pmdarima_series.wineind,
}
COVARIATES = {"uschange": 4}  # input-only columns, the last ones of the series


class PackagedSeriesDataModule(SeriesDataModule):
    """A real series shipped with statsmodels, sktime or pmdarima (no download): split chronologically, windowed,
    forecast ``horizon`` steps of every target column (all columns but the dataset's covariates)."""

    def __init__(self, dataset: str = "nile", **kwargs) -> None:
        super().__init__(**kwargs)
        if dataset not in LOADERS:
            raise ArchbenchError(f"packaged series {dataset!r} is not known; allowed: {', '.join(LOADERS)}")
        self.name = dataset

    def load_series(self) -> np.ndarray:
        series, self.found_columns = LOADERS[self.name]()
        return series

    def series_columns(self) -> list[str]:
        self.prepared  # noqa: B018 - the column names come with the data
        return list(self.found_columns)

    def covariate_columns(self) -> list[str]:
        count = COVARIATES.get(self.name, 0)
        if not count:
            return []
        # While the splits are made, load_series has just named the columns: asking series_columns would recurse.
        columns = getattr(self, "found_columns", None) or self.series_columns()
        return list(columns[-count:])


# The name the first three series' configs use.
StatsmodelsSeriesDataModule = PackagedSeriesDataModule
