"""The one base every architecture shares: task, loss, torchmetrics, optimizer and logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import AUROC, Accuracy, F1Score
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

from archbench.data.base import TASKS, ArchDataModule, require_positive
from archbench.errors import ArchbenchError
from archbench.models.steps_per_call import step_schedulers, use_steps_per_call
from archbench.models.tabular_inputs import OneHotCategories, one_hot_width

STAGES = ("train", "val", "test")
BUDGET_TOLERANCE = 0.05
MAX_WIDTH = 2**20

Network = nn.Module | tuple[nn.Module, ...]


class ScaledColumns:
    """A per-column metric computed on values divided by a fixed scale per column (mixed in before the metric)."""

    def __init__(self, column_scale: list[float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.column_scale = column_scale

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        scale = torch.tensor(self.column_scale, dtype=preds.dtype, device=preds.device)
        super().update(preds / scale, target / scale)


class ColumnR2Score(ScaledColumns, R2Score):
    """R² of each column, computed on values divided by a fixed scale per column (R² does not change).

    torchmetrics calls a column perfect when its residual sum of squares is below an absolute 1e-4; in a column
    measured in small units (a rate around 0.01) that is any model at all. Scaled, the rule no longer depends on units.
    """

    def __init__(self, column_scale: list[float]) -> None:
        super().__init__(column_scale, multioutput="raw_values")


class ColumnMASE(ScaledColumns, MeanAbsoluteError):
    """MASE of each column (Hyndman & Koehler 2006): the MAE divided by the training MAE of the naive forecast."""

    def __init__(self, mase_scale: list[float]) -> None:
        super().__init__(mase_scale, num_outputs=len(mase_scale))


def task_metrics(
    task: str, num_classes: int, column_scale: list[float] | None = None, mase_scale: list[float] | None = None
) -> MetricCollection:
    """Regression: MSE, MAE, R² of each target column (and MASE for a forecast, given ``mase_scale``);
    classification: accuracy, macro-F1, AUROC.

    Regression inputs are (N, columns) in original units, ``column_scale`` a typical size of each column (its
    training standard deviation); ``metric_values`` averages the per-column values. Regression states are float64:
    R² sums squared targets, and in float32 a column around 1e5 loses its whole variance to rounding.
    """
    if task == "regression":
        scale = column_scale or [1.0]
        metrics = {
            "mse": MeanSquaredError(num_outputs=len(scale)),
            "mae": MeanAbsoluteError(num_outputs=len(scale)),
            "r2": ColumnR2Score(scale),
        }
        if mase_scale is not None:
            metrics["mase"] = ColumnMASE(mase_scale)
        return MetricCollection(metrics).set_dtype(torch.float64)
    return MetricCollection(
        {
            "accuracy": Accuracy(task="multiclass", num_classes=num_classes),
            "f1": F1Score(task="multiclass", num_classes=num_classes, average="macro"),
            "auroc": AUROC(task="multiclass", num_classes=num_classes),
        }
    )


def metric_values(metrics: MetricCollection, columns: list[str]) -> dict[str, torch.Tensor]:
    """Computed metrics by name: the mean over target columns under ``<name>``, and with several columns each
    column's value under ``<name>/<column>``. Columns are never pooled: one in large units cannot dominate."""
    values = {}
    for name, value in metrics.compute().items():
        per_column = value.float().reshape(-1)
        values[name] = per_column.mean()
        if len(columns) > 1 and len(per_column) == len(columns):
            values.update({f"{name}/{column}": v for column, v in zip(columns, per_column, strict=True)})
    return values


class Float32Linear(nn.Linear):
    """An ``nn.Linear`` that runs in its weights' precision (float32) under mixed precision: a bf16 output keeps about
    3 significant digits, which the un-scaling of regression targets multiplies into the original units. Same weights
    and state dict as ``nn.Linear``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return super().forward(x.to(self.weight.dtype))


def count_trainable(network: Network) -> int:
    """Trainable parameters of a module or of a tuple of modules."""
    modules = network if isinstance(network, tuple) else (network,)
    return sum(p.numel() for m in modules for p in m.parameters() if p.requires_grad)


def closest_width(count: Callable[[int], int], budget: int) -> int:
    """The width >= 1 whose parameter count is closest to ``budget``; ``count`` must not shrink as width grows."""
    high = 1
    while count(high) < budget and high < MAX_WIDTH:
        high *= 2
    low = max(high // 2, 1)
    while low < high:  # the smallest width whose count reaches the budget
        middle = (low + high) // 2
        low, high = (middle + 1, high) if count(middle) < budget else (low, middle)
    return min({max(low - 1, 1), low}, key=lambda width: (abs(count(width) - budget), width))


def proportional_widths(widths: list[int], first: int) -> list[int]:
    """``widths`` rescaled so the first is ``first``, the others keeping their ratio to it (at least 1 each)."""
    return [max(1, round(first * width / widths[0])) for width in widths]


def writes_step_logs(trainer: L.Trainer) -> bool:
    """Lightning's rule for writing step metrics: every ``log_every_n_steps`` steps, and when stopping."""
    every = trainer.log_every_n_steps
    due = every > 0 and ((trainer.global_step + 1) % every == 0 or trainer.should_stop)
    return due or bool(trainer.fast_dev_run)


def one_hot_inputs(module: ArchModule, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """Forward pre-hook: a table's categorical codes one-hot encoded before ``forward`` of a model that does not
    encode them itself, so every caller of ``model(x)`` passes the DataModule's rows as they are."""
    return (module.category_encoding(args[0]), *args[1:])


class ArchModule(L.LightningModule):
    """Subclasses set ``arch_name``, build their network in ``__init__`` and implement ``forward``.

    The data-derived arguments (task, input_size, seq_len, output_size, target statistics, target_steps)
    are linked in by the CLI from the DataModule. Regression is trained on standardized targets; metrics
    are computed after undoing the scaling, so they are in the data's original units.

    ``target_names`` names the regression target columns; outputs cycle through them, column fastest (a series'
    horizon steps of one column share its name), and metrics are computed per column, then averaged. The head
    (``Float32Linear``), the loss, the un-scaling and the metrics run in float32 under mixed precision.

    ``target_steps`` > 0 asks for a prediction at each of the last ``target_steps`` steps, (B, T, C), instead
    of one per sample, (B, C); loss and metrics then run over every predicted position.
    ``class_names`` records the original label of each class index (the data's label mapping) in the hparams.
    ``steps_per_call`` > 1 takes that many optimizer steps per Lightning training step, the same training with less
    of Lightning's per-step cost (models/steps_per_call.py).
    ``categorical_cardinalities`` (a table with categories: its last columns hold codes, 0 unknown) are one-hot
    encoded before ``forward`` unless the class sets ``encodes_categories``.
    ``param_budget`` asks the architecture to pick its width so that its trainable parameter count is
    within 5% of the budget (``budget_width``); the width chosen replaces the configured one in the hparams.
    """

    arch_name = "custom"
    default_data = "house_prices"  # what `archbench train --arch <this>` trains on when no --data is given
    reads_padding = False  # whether forward reads steps that are NaN in every channel as padding (unequal_length=pad)
    # Whether forward reads a table's categorical codes itself (embeddings, tokens); if not, the base one-hot encodes
    # them before forward (models/tabular_inputs.py) and ``input_size`` is the encoded width.
    encodes_categories = False

    def __init__(
        self,
        task: str = "regression",
        input_size: int = 1,
        seq_len: int = 0,
        output_size: int = 1,
        target_mean: list[float] | None = None,
        target_std: list[float] | None = None,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_schedule: Literal["none", "cosine", "plateau", "plateau_train"] = "none",
        target_steps: int = 0,
        param_budget: int | None = None,
        target_names: list[str] | None = None,
        class_names: list[str] | None = None,
        steps_per_call: int = 1,
        mase_scale: list[float] | None = None,
        target_log: bool = False,
        categorical_cardinalities: list[int] | None = None,
    ) -> None:
        super().__init__()
        if task not in TASKS:
            raise ArchbenchError(f"task {task!r} is not known; allowed: {', '.join(TASKS)}")
        require_positive(input_size=input_size, output_size=output_size, lr=lr, steps_per_call=steps_per_call)
        if weight_decay < 0:
            raise ArchbenchError(f"weight_decay must be >= 0, got {weight_decay}")
        if param_budget is not None:
            require_positive(param_budget=param_budget)
        if not 0 <= target_steps <= (seq_len or input_size):
            raise ArchbenchError(
                f"target_steps must be between 0 and the {seq_len or input_size} steps, got {target_steps}"
            )
        self.save_hyperparameters()
        self.task = task
        self.input_size = input_size
        self.categorical_cardinalities = list(categorical_cardinalities or [])
        if self.categorical_cardinalities and not self.encodes_categories and not seq_len:
            self.category_encoding = OneHotCategories(self.categorical_cardinalities)
            self.input_size = one_hot_width(input_size, self.categorical_cardinalities)
            self.register_forward_pre_hook(one_hot_inputs)
        self.seq_len = seq_len
        self.output_size = output_size
        self.target_steps = target_steps
        self.param_budget = param_budget
        self.steps_per_call = steps_per_call
        self.derived_hparams: set[str] = set()
        self.register_buffer("target_mean", torch.tensor(target_mean or [0.0]), persistent=False)
        self.register_buffer("target_std", torch.tensor(target_std or [1.0]), persistent=False)
        self.target_names = self.checked_target_names(target_names) if task == "regression" else []
        column_scale = (target_std or [1.0] * output_size)[: len(self.target_names)]
        self.target_log = target_log
        metrics = task_metrics(task, output_size, column_scale, mase_scale if task == "regression" else None)
        self.metrics = nn.ModuleDict({stage: metrics.clone(prefix=f"{stage}/") for stage in ("val", "test")})
        # "disable": a NaN loss stays NaN (so divergence is seen) and no step waits on a NaN check on the device.
        # Keys are "<stage>_loss" because a module named "train" would hide nn.Module.train().
        self.mean_loss = nn.ModuleDict({f"{stage}_loss": MeanMetric(nan_strategy="disable") for stage in STAGES})

    def checked_target_names(self, names: list[str] | None) -> list[str]:
        """The regression target columns: the data's names, or one unnamed column per output."""
        if not names:
            return [f"y{i}" for i in range(self.output_size)] if self.output_size > 1 else ["y"]
        if self.output_size % len(names):
            raise ArchbenchError(f"output_size={self.output_size} is not a multiple of the {len(names)} target_names")
        return list(names)

    def __setattr__(self, name: str, value: object) -> None:
        # Lightning sets `_current_fx_name` around every hook, about 60 times a training step; nn.Module's
        # __setattr__ checks every value for parameters, modules and buffers first, a microsecond each time.
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    @property
    def flat_input_size(self) -> int:
        """Inputs per sample once a sequence (T, F) is flattened, for models without memory."""
        return self.input_size * max(self.seq_len, 1)

    @property
    def flat_output_size(self) -> int:
        """Outputs of a model without memory: C, or C at each of the ``target_steps`` predicted steps."""
        return self.output_size * max(self.target_steps, 1)

    @property
    def steps(self) -> int:
        """Steps a sequence model reads: T, or F for tabular rows."""
        return self.seq_len or self.input_size

    @property
    def step_features(self) -> int:
        """Features per step: the sequence's channels, or 1 for tabular rows."""
        return self.input_size if self.seq_len else 1

    @staticmethod
    def as_sequence(x: torch.Tensor) -> torch.Tensor:
        """Tabular rows (B, F) become F steps of one feature (B, F, 1); sequences pass through."""
        return x.unsqueeze(-1) if x.ndim == 2 else x

    def read_out(self, features: torch.Tensor) -> torch.Tensor:
        """Per-step features (B, T, H) to what the head sees: the last step, or the last ``target_steps``."""
        return features[:, -self.target_steps :] if self.target_steps else features[:, -1]

    def unflatten_output(self, output: torch.Tensor) -> torch.Tensor:
        """A flat model's (B, T·C) output as (B, T, C) when predicting per step."""
        return output.unflatten(1, (self.target_steps, self.output_size)) if self.target_steps else output

    def budget_width(self, build: Callable[[int], Network], width: int, fixed: str | None) -> int:
        """``width``, or with ``param_budget`` set, the width whose network's count is closest to the budget.

        ``build(width)`` returns every trainable module of the network; it is built on the meta device,
        so counting costs no memory. When the closest width misses the budget by over 5%, the error names
        ``fixed``, the options that set the rest of the size; ``fixed=None`` leaves the miss to the caller.
        """
        if self.param_budget is None:
            return width
        width = closest_width(lambda w: self.meta_count(build, w), self.param_budget)
        count = self.meta_count(build, width)
        if fixed is not None and not self.meets_budget(count):
            raise self.budget_error(count, fixed)
        return width

    def meets_budget(self, count: int) -> bool:
        return self.param_budget is None or abs(count - self.param_budget) <= BUDGET_TOLERANCE * self.param_budget

    def budget_error(self, count: int, fixed: str) -> ArchbenchError:
        return ArchbenchError(
            f"param_budget={self.param_budget} cannot be met within 5% by {self.arch_name}: the closest size has"
            f" {count} parameters; change the budget or {fixed}"
        )

    @staticmethod
    def meta_count(build: Callable[[int], Network], width: int) -> int:
        """Trainable parameters of ``build(width)``, built on the meta device (no memory, no initialisation cost)."""
        with torch.device("meta"):
            return count_trainable(build(width))

    def update_hparams(self, **values: Any) -> None:
        """Record sizes settled in ``__init__`` (a width chosen for the budget) in the hparams the run logs."""
        # Saving again also refreshes `hparams_initial`, which is what the logger writes to hparams.yaml.
        self.save_hyperparameters({**self.hparams, **values})

    def record_derived(self, **values: Any) -> None:
        """Facts computed from the init args (a receptive field): logged with the hparams, kept out of checkpoints."""
        self.update_hparams(**values)
        self.derived_hparams.update(values)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Loading a checkpoint passes its hparams back to __init__, which does not take derived facts.
        for name in self.derived_hparams:
            checkpoint.get("hyper_parameters", {}).pop(name, None)

    def data_is_padded(self) -> bool | None:
        """Whether the trainer's data holds NaN steps (``unequal_length=pad``); None for data that cannot be inspected.
        Checked once on the data in memory: a NaN check on each batch would make every step wait for the device."""
        datamodule = self.trainer.datamodule
        if not isinstance(datamodule, ArchDataModule):
            return None
        return any(bool(torch.isnan(x).any()) for x in datamodule.prepared.x.values())

    def setup(self, stage: str) -> None:
        if stage == "fit" and self.steps_per_call > 1:
            use_steps_per_call(self)
        if not self.reads_padding and self.data_is_padded():
            raise ArchbenchError(
                f"{self.arch_name} cannot read NaN-padded sequences (unequal_length=pad); "
                "use unequal_length=resample or arch fcn/resnet"
            )

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.task == "regression":
            return F.mse_loss(output, target)
        return F.cross_entropy(output.flatten(0, -2), target.flatten())

    def _metric_inputs(
        self, output: torch.Tensor, target: torch.Tensor, offset: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.task == "classification":
            return output.flatten(0, -2).softmax(dim=-1), target.flatten()
        scale, shift, columns = self.target_std.double(), self.target_mean.double(), len(self.target_names)
        pair = [values * scale + shift for values in (output, target)]
        if offset is not None:  # the target transform undone: metrics are in the data's original units
            pair = [values + offset.double() for values in pair]
        if self.target_log:
            pair = [values.exp() for values in pair]
        return pair[0].reshape(-1, columns), pair[1].reshape(-1, columns)

    def _shared_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], stage: str, call_losses: list[torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Loss, loss metric, task metrics and step log of one batch.

        ``call_losses`` (several optimizer steps per call, models/steps_per_call.py): the batch's per-sample losses are
        appended there and the caller adds a whole call's to the epoch mean in one update (a torchmetrics update costs
        about 60 µs, a tenth of the bench MLP's forward and backward pass).
        """
        x, y, *offset = batch  # offset: each sample's level that targets are relative to (a differenced series)
        output = self(x).float()  # a head outside float32 (a user's model) is cast before loss and un-scaling
        loss = self.loss(output, y)
        # The batch mean once per sample weights samples equally ("disable" also ignores a `weight` argument).
        per_sample = loss.detach().expand(len(x))
        if not call_losses:  # one step per call, or a call's first step: before any update of the call
            self.log_mean_loss(stage, len(x))
        if call_losses is None:
            self.mean_loss[f"{stage}_loss"].update(per_sample)
        else:
            call_losses.append(per_sample)
        if stage != "train":
            self.metrics[stage].update(*self._metric_inputs(output, y, *offset))
        elif writes_step_logs(self.trainer):  # batch_size: Lightning asks for it when training_step takes the iterator
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True, batch_size=len(x))
        return loss

    def log_mean_loss(self, stage: str, batch_size: int) -> None:
        """Hand the stage's loss metric to Lightning before its first update of an epoch (it computes and resets it at
        epoch end).

        Each `self.log` call costs Lightning hundreds of microseconds, so the loss metric is handed over once per epoch,
        the task metrics are logged at epoch end, and step values only when Lightning writes them. Before the update,
        not after a call's steps: a log from another hook in between (the gradient norm) would make Lightning reset the
        call's pending step values.
        """
        mean_loss = self.mean_loss[f"{stage}_loss"]
        if mean_loss.update_count:
            return
        if stage == "train":
            self.log("train/loss_epoch", mean_loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=batch_size)
        else:
            self.log(f"{stage}/loss", mean_loss, on_epoch=True, prog_bar=True)

    def log_task_metrics(self, stage: str) -> None:
        """Compute, log and reset the epoch's task metrics (per target column and their mean)."""
        metrics = self.metrics[stage]
        if not next(iter(metrics.values())).update_called:
            return
        self.log_dict(metric_values(metrics, self.target_names), on_epoch=True)
        metrics.reset()

    def on_validation_epoch_end(self) -> None:
        self.log_task_metrics("val")

    def on_test_epoch_end(self) -> None:
        self.log_task_metrics("test")

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._shared_step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._shared_step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._shared_step(batch, "test")

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Lightning clips in automatic optimization only; this is the same call at the same point of a step.
        if not self.automatic_optimization:
            trainer = self.trainer
            self.configure_gradient_clipping(optimizer, trainer.gradient_clip_val, trainer.gradient_clip_algorithm)

    def on_train_epoch_end(self) -> None:
        if not self.automatic_optimization:  # Lightning steps schedules in automatic optimization only
            step_schedulers(self, "epoch")

    def configure_optimizers(self):  # noqa: ANN201 - Lightning accepts several return shapes
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        schedule = self.hparams.lr_schedule
        if schedule == "cosine":
            max_epochs = max(self.trainer.max_epochs or 1, 1)
            return [optimizer], [torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)]
        if schedule == "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss"}}
        if schedule == "plateau_train":  # Fawaz et al. 2019: on the training loss, for runs without validation
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=50, min_lr=1e-4)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "train/loss_epoch"}}
        return optimizer
