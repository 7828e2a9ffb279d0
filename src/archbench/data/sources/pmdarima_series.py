"""Forecasting series that pmdarima (MIT) ships inside its package (pmdarima.datasets): nothing is downloaded."""

from __future__ import annotations

import numpy as np


def pmdarima_series(name: str) -> np.ndarray:
    """A pmdarima dataset as a float array of one column."""
    # Imported here: only these datasets need pmdarima.
    from pmdarima import datasets

    return np.asarray(getattr(datasets, f"load_{name}")(as_series=False), dtype=np.float64).reshape(-1, 1)


def taylor() -> tuple[np.ndarray, list[str]]:
    """Half-hourly electricity demand in England and Wales (MW), 5 June to 27 August 2000: 4,032 half-hours,
    12 weeks (Taylor 2003)."""
    return pmdarima_series("taylor"), ["demand"]


def wineind() -> tuple[np.ndarray, list[str]]:
    """Monthly Australian wine sales by winemakers (litres, bottles under 1 litre), 1980-01 to 1994-08: 176 months."""
    return pmdarima_series("wineind"), ["sales"]
