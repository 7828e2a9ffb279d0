"""Several optimizer steps per Lightning training step (``steps_per_call``, like Keras' ``steps_per_execution``).

Lightning's loop costs a small model more than its own forward and backward pass (docs/performance.md): hooks, the
batch fetcher, the logger connector and the automatic-optimization closure run once per batch. With ``K`` steps per
call, ``training_step`` takes Lightning's ``dataloader_iter`` and runs up to ``K`` batches itself in manual
optimization, each one a full optimizer step. The result is the same training: the same batches in the same order,
gradient clipping as the trainer asks (``ArchModule.on_before_optimizer_step``), learning-rate schedules stepped once
an epoch, and ``train/loss_step`` and ``train/grad_norm`` written at the same global steps as with ``K`` = 1
(tests/test_steps_per_call.py compares the two).

Two things here reach into Lightning, and that test fails if an upgrade breaks them: the step metrics of every
optimizer step but the call's last are written through the logger connector as Lightning writes them at the end of a
call, and ``_batches_that_stepped`` (the step Lightning's loggers write at, which counts calls) is kept equal to the
global step (which counts optimizer steps). A third is Lightning's private ``_on_before_batch_transfer``, the call it
makes before moving a batch, used only where a module or DataModule overrides the batch-transfer hooks (tested too).

Per optimizer step the call does only what a step needs: the epoch's mean loss gets a whole call's losses in one
torchmetrics update, and a batch whose transfer hooks are Lightning's defaults is moved without dispatching them.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import lightning as L
import torch
from lightning.pytorch.core.hooks import DataHooks
from lightning.pytorch.strategies import Strategy
from lightning.pytorch.utilities import move_data_to_device

from archbench.errors import ArchbenchError

TRANSFER_HOOKS = ("on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer")

# Every ``module`` here is an ArchModule (``steps_per_call``, ``_shared_step``), typed as its Lightning base because
# models/base.py imports this file.


def use_steps_per_call(module: L.LightningModule) -> None:
    """Switch a module with ``steps_per_call`` > 1 to manual optimization over ``dataloader_iter`` before a fit.

    Called from ``setup``, after Lightning's configuration check, which refuses ``gradient_clip_val`` in manual
    optimization because Lightning would not clip: here the module clips itself.
    """
    trainer, steps = module.trainer, module.steps_per_call
    if trainer.world_size > 1:
        raise ArchbenchError(
            f"steps_per_call={steps} runs on one device (DDP synchronises once per call); allowed with --devices N: 1"
        )
    if trainer.accumulate_grad_batches != 1:
        raise ArchbenchError(f"steps_per_call={steps} cannot accumulate gradients; allowed: accumulate_grad_batches 1")
    if trainer.val_check_interval != 1.0:
        raise ArchbenchError(
            f"steps_per_call={steps} validates once an epoch; allowed: val_check_interval 1.0, got "
            f"{trainer.val_check_interval}"
        )
    module.automatic_optimization = False
    # Lightning picks its batch fetcher from the signature of `training_step`; this instance's takes the iterator.
    module.training_step = types.MethodType(train_steps, module)
    warnings.filterwarnings("ignore", message="Found `dataloader_iter` argument", module="lightning")


def train_steps(module: L.LightningModule, dataloader_iter: Iterator) -> torch.Tensor | None:
    """Up to ``steps_per_call`` optimizer steps, one per batch, as Lightning's automatic optimization takes them."""
    trainer = module.trainer
    epoch_loop = trainer.fit_loop.epoch_loop
    optimizer = module.optimizers()
    to_device = batch_mover(module)
    call_losses: list[torch.Tensor] = []
    loss = None
    for step in range(module.steps_per_call):
        if dataloader_iter.done or reached_max_steps(trainer):
            break
        # Loggers write at this step; after the call's last, Lightning adds one, which is the global step again.
        epoch_loop._batches_that_stepped = trainer.global_step  # noqa: SLF001
        batch, _, _ = next(dataloader_iter)
        loss = module._shared_step(to_device(batch), "train", call_losses)  # noqa: SLF001 - as automatic optimization
        module.manual_backward(loss)
        optimizer.step()  # Lightning counts it as a global step; on_before_optimizer_step clips before it
        optimizer.zero_grad()
        step_schedulers(module, "step")
        last = step == module.steps_per_call - 1 or dataloader_iter.done or reached_max_steps(trainer)
        if not last:
            # What Lightning does after each of its calls; it does it itself after this call's last step.
            trainer._logger_connector.update_train_step_metrics()  # noqa: SLF001
    if call_losses:  # the epoch's mean loss gets the call's per-sample losses in one update
        module.mean_loss["train_loss"].update(torch.cat(call_losses))
    return None if loss is None else loss.detach()


def batch_mover(module: L.LightningModule) -> Callable[[Any], Any]:
    """What Lightning does to a batch before a training step: convert it for the precision plugin, call the three
    batch-transfer hooks and move it to the device. Where neither the module nor the DataModule overrides those hooks
    (their defaults only move it) and the strategy moves batches as Lightning's base does: the move alone, without
    the hooks' dispatch (about 40 µs a batch)."""
    trainer = module.trainer
    strategy, convert = trainer.strategy, trainer.precision_plugin.convert_input
    holders = [type(module)] + ([type(trainer.datamodule)] if trainer.datamodule is not None else [])
    overridden = any(getattr(cls, hook) is not getattr(DataHooks, hook) for cls in holders for hook in TRANSFER_HOOKS)
    if overridden or type(strategy).batch_to_device is not Strategy.batch_to_device:
        return lambda batch: strategy.batch_to_device(module._on_before_batch_transfer(convert(batch)))  # noqa: SLF001
    device = strategy.root_device
    return lambda batch: move_data_to_device(convert(batch), device)


def reached_max_steps(trainer: L.Trainer) -> bool:
    return 0 <= trainer.max_steps <= trainer.global_step


def step_schedulers(module: L.LightningModule, interval: str) -> None:
    """Step the learning-rate schedulers of one interval, as Lightning does in automatic optimization only: after an
    optimizer step ("step") or at the end of a training epoch ("epoch"); ReduceLROnPlateau with its monitored value."""
    trainer = module.trainer
    count = trainer.global_step if interval == "step" else trainer.current_epoch + 1
    for config in trainer.lr_scheduler_configs:
        if config.interval != interval or count % config.frequency:
            continue
        if not config.reduce_on_plateau:
            config.scheduler.step()
        elif (value := trainer.callback_metrics.get(config.monitor)) is not None:
            config.scheduler.step(value)
