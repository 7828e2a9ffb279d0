"""Forecasting series that sktime ships as CSV files (sktime/datasets/data/), read with pandas, without importing
sktime (its import takes seconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from archbench.data.ucr import sktime_data_folder

USCHANGE_COLUMNS = ("Consumption", "Income", "Production", "Savings", "Unemployment")


def sktime_csv(name: str) -> pd.DataFrame:
    """The CSV file sktime ships as ``<name>/<name>.csv``."""
    return pd.read_csv(sktime_data_folder() / name / f"{name}.csv")


def airline() -> tuple[np.ndarray, list[str]]:
    """Monthly international airline passengers (thousands), 1949-01 to 1960-12: 144 months (Box & Jenkins'
    series G)."""
    return sktime_csv("Airline")[["Passengers"]].to_numpy(np.float64), ["passengers"]


def lynx() -> tuple[np.ndarray, list[str]]:
    """Annual Canadian lynx trappings, 1821-1934: 114 years."""
    frame = sktime_csv("Lynx")
    return frame.iloc[:, 1:2].to_numpy(np.float64), ["trappings"]


def uschange() -> tuple[np.ndarray, list[str]]:
    """Quarterly percentage changes of US consumption, income, production, savings and unemployment, 1970Q1-2016Q3:
    187 quarters (Hyndman & Athanasopoulos, fpp2). Consumption is the target; the others are covariates (last)."""
    return sktime_csv("Uschange")[list(USCHANGE_COLUMNS)].to_numpy(np.float64), [c.lower() for c in USCHANGE_COLUMNS]
