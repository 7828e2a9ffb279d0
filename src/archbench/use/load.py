"""``archbench.load(run_dir)``: a trained run as a scikit-learn-style estimator.

It reads the run folder only (``run.json``, ``preprocessing.json``, the tested checkpoint) and never imports the
runner or the grid: the model class comes from the run's saved config.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml

from archbench.errors import ArchbenchError
from archbench.use.artifacts import read_preprocessing
from archbench.use.inputs import Batch, sequence_batch, series_batch, table_batch
from archbench.use.runs import checkpoint_of, finished_run

ROWS_PER_PASS = 8192  # rows per forward pass: bounds memory on large inputs


def model_class(config_text: str) -> type:
    """The LightningModule class a run's saved config names."""
    class_path = str(((yaml.safe_load(config_text) or {}).get("model") or {}).get("class_path", ""))
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ArchbenchError(f"the run's model class {class_path!r} cannot be imported") from None


def load(run_dir: str | Path) -> TrainedModel:
    """Load a finished run: its network from the tested checkpoint, on the CPU, in eval mode."""
    folder = Path(run_dir)
    record = finished_run(folder)
    preprocessing = read_preprocessing(folder)
    checkpoint = checkpoint_of(folder, record)
    network = model_class(record.config).load_from_checkpoint(checkpoint, map_location="cpu")
    return TrainedModel(network.eval(), preprocessing, folder, record.arch)


class TrainedModel:
    """``predict`` (original units and labels), ``predict_proba`` (classification), ``classes_``,
    ``feature_names_in_``; ``network_output`` gives the raw network output (logits, or standardised targets).

    Inputs: a pandas DataFrame with the training columns (extra ones are ignored with a note), or a NumPy array with
    the columns in ``feature_names_in_`` order. A sequence run takes an array (N, T, C), or time steps as rows with a
    ``series_id`` column; a series run forecasts the ``horizon`` steps after the rows given, or with ``windows=True``
    after every window of them.
    """

    def __init__(self, network: torch.nn.Module, preprocessing: dict[str, Any], run_dir: Path, arch: str) -> None:
        self.network = network
        self.preprocessing = preprocessing
        self.run_dir = run_dir
        self.arch = arch
        self.task = preprocessing["task"]
        self.kind = preprocessing["kind"]
        self.feature_names_in_ = np.array(preprocessing["inputs"]["columns"], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        if self.task == "classification":
            self.classes_ = np.array(preprocessing["classes"], dtype=object)

    def __repr__(self) -> str:
        return f"TrainedModel({self.arch} on {self.preprocessing['dataset']}, {self.task}, from {self.run_dir})"

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample's network input shape: (F,) for a table (the column transformer's outputs where it has one:
        missing indicators add columns), (T, C) for a sequence or a series window."""
        inputs = self.preprocessing["inputs"]
        steps = self.preprocessing["series"]["window"] if self.kind == "series" else inputs["seq_len"]
        if steps:
            return (steps, self.n_features_in_)
        transformer = inputs.get("column_transformer")
        return (len(transformer["outputs"]) if transformer else self.n_features_in_,)

    def batch(
        self, data: pd.DataFrame | np.ndarray, windows: bool = False, source: str = "the input", where: str = "row"
    ) -> Batch:
        """The scaled network inputs of raw rows, checked as the run's preprocessing requires; messages name a bad
        cell's ``where`` (row, or line of a file) by the DataFrame's index."""
        if self.kind == "series":
            return series_batch(self.preprocessing, data, source, windows, where)
        if windows:
            raise ArchbenchError("windows is for a series to forecast; this run predicts one value per row or series")
        if self.kind == "sequence":
            return sequence_batch(self.preprocessing, data, source, where)
        return table_batch(self.preprocessing, data, source, where)

    def check_predictable(self) -> None:
        """One line for a run whose outputs predict cannot turn into values yet; its network still exports."""
        target = self.preprocessing["target"]
        if target["steps"]:
            raise ArchbenchError(
                f"{self.preprocessing['dataset']} predicts a value at every step; allowed here: runs with one"
                " prediction per sample (export the network instead)"
            )

    def network_output(self, x: np.ndarray) -> np.ndarray:
        """The raw network output (float32) of scaled inputs, in passes of ``ROWS_PER_PASS`` rows."""
        tensor = torch.as_tensor(x)
        with torch.inference_mode():
            parts = [self.network(tensor[i : i + ROWS_PER_PASS]) for i in range(0, len(tensor), ROWS_PER_PASS)]
        return torch.cat(parts).float().numpy()

    def predict_proba(self, data: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes), columns in ``classes_`` order."""
        if self.task != "classification":
            raise ArchbenchError("predict_proba is for classification; this run is a regression")
        self.check_predictable()
        return probabilities(self.network_output(self.batch(data).x))

    def predict(self, data: pd.DataFrame | np.ndarray, windows: bool = False) -> np.ndarray:
        """Labels (classification) or values in the original units: (N,) for one target, else (N, targets); a
        series' forecast is (horizon, targets), with ``windows`` (windows, horizon · targets)."""
        frame = self.predict_frame(data, windows)
        if self.task == "classification":
            return frame["prediction"].to_numpy()
        values = frame[self.output_columns(windows)].to_numpy()
        return values[:, 0] if values.shape[1] == 1 else values

    def predict_frame(
        self, data: pd.DataFrame | np.ndarray, windows: bool = False, source: str = "the input", where: str = "row"
    ) -> pd.DataFrame:
        """Predictions as a table (what ``archbench predict`` writes), one row per input row, series or window."""
        self.check_predictable()
        batch = self.batch(data, windows, source, where)
        output = self.network_output(batch.x)
        if self.task == "classification":
            proba = probabilities(output)
            frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in self.classes_])
            frame.insert(0, "prediction", self.classes_[proba.argmax(axis=1)])
        else:
            target = self.preprocessing["target"]
            values = output.astype(np.float64) * np.asarray(target["std"]) + np.asarray(target["mean"])
            if batch.offset is not None:  # a differenced series: back to levels, then out of the log (as training)
                values = values + batch.offset
            if batch.log:
                values = np.exp(values)
            if self.kind == "series" and not windows:
                values = values.reshape(self.preprocessing["series"]["horizon"], -1)
            frame = pd.DataFrame(values, columns=self.output_columns(windows))
        if batch.label:
            frame.insert(0, batch.label, batch.index)
        elif self.kind == "series":
            frame.insert(0, "step", np.arange(1, len(frame) + 1))  # steps after the end of the input
        return frame

    def output_columns(self, windows: bool) -> list[str]:
        """Names of the regression output columns: the targets, or per horizon step with ``windows``."""
        target = self.preprocessing["target"]
        if self.kind == "series" and windows:
            horizon = self.preprocessing["series"]["horizon"]
            return [f"{c}_t+{h}" for h in range(1, horizon + 1) for c in target["columns"]]
        return list(target["columns"])


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax over classes, in float32 as the run's metrics computed it."""
    return torch.as_tensor(logits).softmax(dim=-1).numpy()
