"""What a run saves for reuse: ``preprocessing.json``, the fitted preprocessing beside the checkpoint.

Plain JSON, never a pickle of live objects, so a run can be read by any later archbench (or by hand) and a
bad file is a clear message, not an unpickling error. Format, version 1::

    {
      "format": "archbench-preprocessing", "version": 1, "archbench": "0.1.0",
      "dataset": "wine", "task": "classification" | "regression",
      "kind": "table" | "sequence" | "series",   # rows (N, F); whole series (N, T, C); one series forecast by windows
      "inputs": {
        "columns": [...],            # table: feature columns in order; sequence and series: channels in order
        "mean": [...], "std": [...], # standardised with the training split's statistics: (x - mean) / std
        "seq_len": 0,                # steps of each sequence (0 for a table)
        "normalize_each_series": false,  # z-normalise each series and channel over time first (UCR/UEA convention)
        "pads_with_nan": false,      # shorter series are padded at the end with NaN steps (unequal_length: pad)
        "column_transformer": null   # a table's fitted encoders, imputers and scalers (data/preprocess.py's
                                     # document: raw columns in, the model's inputs out), where it has them
      },
      "ignored_columns": [...],      # columns of the training file that are not inputs (target, time, dropped)
      "target": {"columns": [...], "mean": [...], "std": [...], "steps": 0,
                 "transform": null},         # a series' target transform ({"difference": 1, ...}) where it has one
      "classes": [...],              # class labels in the order of the network's outputs (classification)
      "series": {"window": 32, "horizon": 1, "target_columns": [...], "covariate_columns": [...],
                 "time_column": null}   # kind "series" only, else null
    }

Regression outputs are standardised targets: ``output * target.std + target.mean`` is in the original units.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archbench.errors import ArchbenchError
from archbench.record import write_atomic

if TYPE_CHECKING:
    from archbench.data.base import ArchDataModule

PREPROCESSING_NAME = "preprocessing.json"
FORMAT = "archbench-preprocessing"
VERSION = 1  # raise when a reader of the old version would misread the new one
KINDS = ("table", "sequence", "series")


def data_kind(data: ArchDataModule) -> str:
    from archbench.data.sequence import SeriesDataModule

    if isinstance(data, SeriesDataModule):
        return "series"
    return "sequence" if data.seq_len else "table"


def input_columns(data: ArchDataModule, kind: str) -> list[str]:
    """The names a user's file gives the inputs: the data's own, else x0, x1... (features) or dim_0... (channels)."""
    if kind == "series":
        return list(data.series_columns())
    named = getattr(data, "feature_names", None)
    if named:
        return [str(n) for n in named]
    prefix = "dim_" if kind == "sequence" else "x"  # dim_0: sktime's name for a series' first channel
    return [f"{prefix}{i}" for i in range(data.input_size)]


def target_columns(data: ArchDataModule) -> list[str]:
    """The names of the predicted values: a table's target column, a series' forecast columns, else the data's."""
    target = target_column(data)
    if target and data.task == "regression" and data.output_size == 1:
        return [target]
    return list(data.target_names)


def target_column(data: ArchDataModule) -> str | None:
    """The column a table's target was read from: a CSV's ``target``, a packaged table's ``target_column``."""
    for name in ("target", "target_column"):
        value = getattr(data, name, None)
        if isinstance(value, str):
            return value
    return None


def describe(data: ArchDataModule) -> dict[str, Any]:
    """The preprocessing a fitted DataModule applied, as the JSON document above."""
    from archbench.data.ucr import UCRDataModule
    from archbench.spec import archbench_version

    kind = data_kind(data)
    prepared = data.prepared
    fitted = getattr(data, "fitted", None)  # a table's fitted column transformer (data/preprocess.py)
    time_column = getattr(data, "time_column", None)
    ignored = [target_column(data), time_column, *(getattr(data, "drop_columns", None) or [])]
    ignored += list(fitted.left_out) if fitted is not None else []
    return {
        "format": FORMAT,
        "version": VERSION,
        "archbench": archbench_version(),
        "dataset": data.name,
        "task": data.task,
        "kind": kind,
        "inputs": {
            "columns": fitted.input_names if fitted is not None else input_columns(data, kind),
            "mean": list(prepared.feature_mean),
            "std": list(prepared.feature_std),
            "seq_len": data.seq_len,
            "normalize_each_series": isinstance(data, UCRDataModule) and data.normalize,
            "pads_with_nan": data.pads_with_nan,
            "column_transformer": data.preprocessing.to_json() if fitted is not None else None,
        },
        "ignored_columns": [c for c in ignored if isinstance(c, str)],
        "target": {
            "columns": target_columns(data) if data.task == "regression" else [],
            "mean": list(prepared.target_mean),
            "std": list(prepared.target_std),
            "steps": data.target_steps,
            "transform": target_transform(data),
        },
        "classes": data.class_names,
        "series": series_section(data, time_column) if kind == "series" else None,
    }


def target_transform(data: ArchDataModule) -> dict[str, Any] | None:
    """A series' target transform (log, differencing) as its fields, where the data has one; None otherwise."""
    transform = getattr(data, "transform", None)
    return dataclasses.asdict(transform) if dataclasses.is_dataclass(transform) else None


def series_section(data: ArchDataModule, time_column: str | None) -> dict[str, Any]:
    covariates = data.covariate_columns()
    return {
        "window": data.window,
        "horizon": data.horizon,
        "target_columns": list(data.target_names),
        "covariate_columns": list(covariates),
        "time_column": time_column,
    }


def save_preprocessing(data: ArchDataModule, run_dir: str | Path) -> Path:
    """Write ``preprocessing.json`` into a run folder, atomically."""
    return write_atomic(Path(run_dir) / PREPROCESSING_NAME, json.dumps(describe(data), indent=2))


def read_preprocessing(run_dir: str | Path) -> dict[str, Any]:
    """A run's ``preprocessing.json``, checked to be a format and version this archbench reads."""
    path = Path(run_dir) / PREPROCESSING_NAME
    if not path.is_file():
        raise ArchbenchError(
            f"{run_dir} has no {PREPROCESSING_NAME}: it was trained by an archbench that did not save its"
            " preprocessing; allowed: a run folder trained by this archbench (train it again)"
        )
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ArchbenchError(f"{path} cannot be read ({type(error).__name__}); allowed: the file a run wrote") from None
    return check_preprocessing(saved, str(path))


def check_preprocessing(saved: Any, where: str) -> dict[str, Any]:
    """One line for a document that is not archbench's preprocessing, or of a version this archbench cannot read."""
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ArchbenchError(f"{where} is not an {FORMAT} file; allowed: the {PREPROCESSING_NAME} a run wrote")
    version = saved.get("version")
    if version != VERSION:
        raise ArchbenchError(
            f"{where} is format version {version!r}, written by archbench {saved.get('archbench', 'unknown')};"
            f" this archbench reads version {VERSION}: allowed: a run trained by a compatible archbench"
        )
    if saved.get("kind") not in KINDS:
        raise ArchbenchError(f"{where} has kind {saved.get('kind')!r}; allowed: {', '.join(KINDS)}")
    return saved
