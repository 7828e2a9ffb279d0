"""The one base every DataModule shares: validation, training-split scaling, tensor batching, shapes."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from functools import cached_property

import lightning as L
import numpy as np
import torch

from archbench.data.loader import ShardedOrder, TensorBatchLoader, place
from archbench.errors import ArchbenchError

TASKS = ("regression", "classification")


@dataclass(frozen=True)
class Splits:
    """Raw (unscaled) arrays per split; x is (N, F) for tabular or (N, T, C) for sequences."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Prepared:
    """Scaled tensors ready for batching, plus the statistics that undo input and target scaling."""

    x: dict[str, torch.Tensor]
    y: dict[str, torch.Tensor]
    target_mean: list[float]
    target_std: list[float]
    feature_mean: list[float]  # per input feature (tabular) or channel (sequence); 0 when inputs are not scaled
    feature_std: list[float]


def require_positive(**values: float) -> None:
    """Raise a one-line error for the first value that is not > 0."""
    for name, value in values.items():
        if not value > 0:
            raise ArchbenchError(f"{name} must be > 0, got {value}")


def require_fraction(**values: float) -> None:
    """Raise a one-line error for the first value outside (0, 1)."""
    for name, value in values.items():
        if not 0 < value < 1:
            raise ArchbenchError(f"{name} must be between 0 and 1 (exclusive), got {value}")


def require_finite(array: np.ndarray, what: str) -> None:
    """Raise a one-line error naming where the first NaN or inf value is."""
    bad = ~np.isfinite(array)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ArchbenchError(f"{what} contains NaN or inf at index {position}; allowed: finite numbers only")


class ArchDataModule(L.LightningDataModule):
    """Splits by seed, scales with training statistics only, batches by tensor indexing.

    Subclasses set ``task`` and implement ``load_splits``. Shapes are known as soon as the data is
    loaded, so the CLI links them into the model before anything is trained or written.
    """

    name: str = "data"
    task: str = "regression"
    # Whether val_fraction 0 is allowed: no validation split, for protocols that test the lowest-training-loss
    # checkpoint (Fawaz et al. 2019); only datasets whose test split is fixed apart from val_fraction offer it.
    trains_without_validation: bool = False
    pads_with_nan: bool = False  # x may end in NaN steps, the padding of unequal-length series (data/ucr.py)
    prescaled_inputs: bool = False  # x comes scaled from load_splits (tables: data/preprocess.py); not scaled again

    def __init__(
        self,
        batch_size: int = 64,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
        scale_features: bool = True,
    ) -> None:
        super().__init__()
        require_positive(batch_size=batch_size)
        if val_fraction == 0 and not self.trains_without_validation:
            raise ArchbenchError(
                f"val_fraction 0 (no validation split) is not offered by {type(self).__name__}; allowed: a fraction"
                " between 0 and 1, or 0 for a dataset with an official test split (the UCR/UEA ones)"
            )
        require_fraction(test_fraction=test_fraction, **({"val_fraction": val_fraction} if val_fraction else {}))
        if val_fraction + test_fraction >= 1:
            raise ArchbenchError(f"val_fraction + test_fraction must be < 1, got {val_fraction} + {test_fraction}")
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.seed = seed
        self.scale_features = scale_features
        self.label_names: list[str] | None = None  # set by loaders that map labels (data/labels.py)
        self._placed: dict[str, tuple[torch.device, tuple[torch.Tensor, ...]]] = {}  # batching copies per split

    @abstractmethod
    def load_splits(self) -> Splits:
        """Load or generate the data and split it deterministically from ``self.seed``."""

    @cached_property
    def prepared(self) -> Prepared:
        splits = self.load_splits()
        for field in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
            values = getattr(splits, field)
            if self.pads_with_nan and field.startswith("x_"):
                values = np.where(np.isnan(values), 0.0, values)  # padding may be NaN, inf never
            require_finite(values, f"{self.name} {field}")
        stats_axes = tuple(range(splits.x_train.ndim - 1))
        features = splits.x_train.shape[-1]
        # Padding is left out of the statistics and stays NaN through the scaling.
        mean_of, std_of = (np.nanmean, np.nanstd) if self.pads_with_nan else (np.mean, np.std)
        scale = self.scale_features and not self.prescaled_inputs
        x_mean = mean_of(splits.x_train, axis=stats_axes) if scale else np.zeros(features)
        x_std = _safe_std(splits.x_train, stats_axes, std_of) if scale else np.ones(features)
        if self.task == "regression":
            y_mean, y_std = splits.y_train.mean(axis=0), _safe_std(splits.y_train, (0,))
        else:
            y_mean, y_std = np.zeros(0), np.zeros(0)
        x, y = {}, {}
        for stage in ("train", "val", "test"):
            raw_x, raw_y = getattr(splits, f"x_{stage}"), getattr(splits, f"y_{stage}")
            x[stage] = torch.as_tensor((raw_x - x_mean) / x_std, dtype=torch.float32)
            if self.task == "regression":
                y[stage] = torch.as_tensor((raw_y - y_mean) / y_std, dtype=torch.float32)
            else:
                y[stage] = torch.as_tensor(raw_y, dtype=torch.long)
        return Prepared(x, y, *([float(v) for v in stat] for stat in (y_mean, y_std, x_mean, x_std)))

    @property
    def input_size(self) -> int:
        """Features per sample (tabular) or channels per step (sequence)."""
        return int(self.prepared.x["train"].shape[-1])

    @property
    def categorical_cardinalities(self) -> list[int]:
        """Codes per categorical input column, the unknown code 0 included; a table's last columns hold them
        (data/preprocess.py). Empty when no input is categorical."""
        return []

    @property
    def seq_len(self) -> int:
        """Steps per sequence; 0 for tabular data."""
        x = self.prepared.x["train"]
        return int(x.shape[1]) if x.ndim == 3 else 0

    @property
    def output_size(self) -> int:
        """Number of classes (classification) or of regression targets."""
        if self.task == "classification":
            return len(self.class_names)
        return int(self.prepared.y["train"].shape[1])

    @property
    def class_names(self) -> list[str]:
        """The original label of each class index (classification); empty for regression."""
        if self.task != "classification":
            return []
        self.prepared  # noqa: B018 - loading sets label_names
        if self.label_names is not None:
            return list(self.label_names)
        return [str(i) for i in range(int(max(int(t.max()) for t in self.prepared.y.values())) + 1)]

    @property
    def target_steps(self) -> int:
        """Steps with a target each (targets (N, T) or (N, T, D)); 0 for one target per sample."""
        y = self.prepared.y["train"]
        per_sample_dims = 1 if self.task == "classification" else 2
        return int(y.shape[1]) if y.ndim > per_sample_dims else 0

    @property
    def target_names(self) -> list[str]:
        """One name per regression target column; outputs cycle through them, column fastest (a series' horizon
        steps of one column share its name). Metrics are reported per column and averaged over columns."""
        if self.task == "classification":
            return []
        return [f"y{i}" for i in range(self.output_size)] if self.output_size > 1 else ["y"]

    @property
    def target_mean(self) -> list[float]:
        return self.prepared.target_mean

    @property
    def target_std(self) -> list[float]:
        return self.prepared.target_std

    def observed_facts(self) -> dict[str, int]:
        """The catalogue facts this data shows when loaded (``configs/data/*.yaml`` ``catalog:`` states them):
        samples in all splits, and features (tables) or length and channels (sequences)."""
        x = self.prepared.x
        facts = {"rows": sum(len(t) for t in x.values())}
        if x["train"].ndim == 3:
            return {**facts, "length": int(x["train"].shape[1]), "channels": int(x["train"].shape[2])}
        return {**facts, "features": int(x["train"].shape[1])}

    def setup(self, stage: str | None = None) -> None:
        self.prepared  # noqa: B018 - load once, before the loops ask for batches

    def _loader(self, stage: str) -> TensorBatchLoader:
        trainer = self.trainer
        rank, world = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        if self._placed.get(stage, (None,))[0] != device:  # once per split and device, not once per fit
            self._placed[stage] = (device, place((self.prepared.x[stage], self.prepared.y[stage]), device))
        x, y = self._placed[stage][1]
        order = ShardedOrder(len(x), shuffle=stage == "train", seed=self.seed, rank=rank, world_size=world)
        return TensorBatchLoader(x, y, self.batch_size, order, device)

    def train_dataloader(self) -> TensorBatchLoader:
        return self._loader("train")

    def val_dataloader(self) -> TensorBatchLoader:
        return self._loader("val")

    def test_dataloader(self) -> TensorBatchLoader:
        return self._loader("test")

    def targets(self, stage: str) -> torch.Tensor:
        """A split's regression targets in original units."""
        return self.prepared.y[stage] * torch.tensor(self.target_std) + torch.tensor(self.target_mean)

    def naive_baseline(self) -> dict[str, float]:
        """Test score of the train mean (regression) or the majority class (classification)."""
        y_train, y_test = self.prepared.y["train"], self.prepared.y["test"]
        if self.task == "classification":
            majority = torch.bincount(y_train.flatten()).argmax()
            return {"test/accuracy": float((y_test == majority).float().mean())}
        train_mean = self.targets("train").mean(dim=0).expand_as(y_test)
        return column_errors(train_mean, self.targets("test"), self.target_names)


def column_errors(preds: torch.Tensor, target: torch.Tensor, names: list[str], suffix: str = "") -> dict[str, float]:
    """Test MSE and MAE of each target column (``test/mse<suffix>/<name>``) and their mean over columns.

    ``preds`` and ``target`` are in original units with columns fastest along the last axis, as the models output.
    """
    error = (preds - target).reshape(-1, len(names))
    scores = {"mse": error.pow(2).mean(dim=0), "mae": error.abs().mean(dim=0)}
    found = {f"test/{metric}{suffix}": float(per_column.mean()) for metric, per_column in scores.items()}
    if len(names) > 1:
        for metric, per_column in scores.items():
            found.update({f"test/{metric}{suffix}/{n}": float(v) for n, v in zip(names, per_column, strict=True)})
    return found


def _safe_std(array: np.ndarray, axes: tuple[int, ...], std_of=np.std) -> np.ndarray:
    std = std_of(array, axis=axes)
    return np.where(std > 0, std, 1.0)
