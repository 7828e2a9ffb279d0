"""Tables that statsmodels ships (``statsmodels.datasets``; BSD-3 package, the data mostly public domain)."""

from __future__ import annotations

import importlib
import pkgutil

import pandas as pd

from archbench.errors import ArchbenchError

PACKAGE = "statsmodels"
EXTRA = None


def read(dataset: str) -> pd.DataFrame:
    """``statsmodels.datasets.<dataset>.load_pandas().data``: endogenous and exogenous columns together."""
    import statsmodels.datasets

    offered = [m.name for m in pkgutil.iter_modules(statsmodels.datasets.__path__) if m.ispkg and m.name != "tests"]
    if dataset not in offered:
        raise ArchbenchError(f"statsmodels dataset {dataset!r} is not shipped; allowed: {', '.join(offered)}")
    return importlib.import_module(f"statsmodels.datasets.{dataset}").load_pandas().data
