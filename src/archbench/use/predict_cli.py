"""``archbench predict`` and ``archbench export``: a run (folder, or a study's best seed) applied to a file.

Everything is checked and computed before anything is written, so rejected input leaves no file behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from archbench.errors import ArchbenchError
from archbench.record import write_atomic
from archbench.use.runs import best_study_run


def run_folder(options: argparse.Namespace) -> Path:
    """RUN as a folder, or the best-validation run of a study's cell."""
    folder = Path(options.run)
    if folder.is_dir() or "/" in options.run:
        if options.study_data or options.arch:
            raise ArchbenchError(f"--data and --arch choose a run of a study; {options.run} is a run folder")
        return folder
    return best_study_run(options.run, options.study_data, options.arch, options.reports_root)


def read_rows(path: str, delimiter: str) -> pd.DataFrame | np.ndarray:
    """A CSV as text cells indexed by file line (so messages name the line), or a .npy array."""
    if path.endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ArchbenchError(f"--data.path {path} cannot be read as .npy ({type(error).__name__})") from None
    from archbench.data.csv_file import CSVFile

    return CSVFile(path, delimiter).cells


def run_predict(options: argparse.Namespace) -> int:
    from archbench.use.load import load

    model = load(run_folder(options))
    rows = read_rows(options.path, options.delimiter)
    frame = model.predict_frame(rows, options.windows, source=options.path, where="line")
    text = frame.to_csv(index=False)  # floats as Python writes them: they read back exactly
    if options.output:
        write_atomic(options.output, text)
        print(f"archbench: {len(frame)} predictions of {model.arch} written to {options.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_export(options: argparse.Namespace) -> int:
    from archbench.use.export import export
    from archbench.use.load import load

    model = load(run_folder(options))
    network, sidecar = export(model, options.format, options.output)
    print(f"archbench: {model.arch} exported to {network} (preprocessing and classes in {sidecar})")
    return 0
