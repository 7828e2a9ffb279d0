"""Lightning callbacks that measure a run: gradient norms, epoch times, divergence, memory."""

from __future__ import annotations

import contextlib
import math
import resource
import statistics
import time
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Checkpoint

from archbench.errors import DivergedError
from archbench.models.base import writes_step_logs


def count_parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def reset_peak_memory() -> None:
    """Start a run's CPU memory measurement: reset this process's resident-memory high-water mark (Linux).

    Writing "5" to /proc/self/clear_refs sets VmHWM to the current resident size, so an earlier, larger run in
    the same process (a grid's cells) does not count towards this one. Elsewhere nothing is reset.
    """
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mb(device: torch.device) -> float:
    """Peak GPU memory allocated on ``device`` since fit start, or on CPU the peak resident memory (RSS) of this
    process since ``reset_peak_memory``: /proc/self/status's VmHWM, which includes the memory the process already
    held (Python, torch, the data). Without /proc it is the process's lifetime peak (``ru_maxrss``)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


class LastCheckpoint(Checkpoint):
    """``checkpoints/last.ckpt``: what a preempted run resumes from, and the final weights of a finished one.

    Written at an epoch end once ``every_s`` seconds of training have passed since the last write (0: every epoch),
    and when training ends, so a run of a few seconds writes it once instead of with every improvement; a preemption
    loses at most ``every_s`` seconds of training. The best checkpoint is Lightning's ModelCheckpoint's
    (``save_top_k=1``: written only when the monitored metric improves). A ``Checkpoint`` subclass, so Lightning runs
    it last, after the run's statistics and the best checkpoint are updated.
    """

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self._last = 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._last = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        final = trainer.max_epochs is not None and trainer.current_epoch + 1 >= trainer.max_epochs
        due = not (final or trainer.should_stop) and time.perf_counter() - self._last >= self.every_s
        # Every rank must agree: saving is collective under DDP, and each rank's clock would decide on its own.
        if trainer.strategy.broadcast(due):
            self.save(trainer)  # the final epoch's is written once training ends

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.save(trainer)

    def save(self, trainer: L.Trainer) -> None:
        if trainer.fast_dev_run or trainer.sanity_checking:
            return
        trainer.save_checkpoint(Path(trainer.log_dir or trainer.default_root_dir) / "checkpoints" / "last.ckpt")
        self._last = time.perf_counter()


class RunStatsCallback(L.Callback):
    """Logs ``train/grad_norm``; keeps per-epoch losses and times for the run record.

    ``model/params`` is written once, with the final metrics, by the runner's hparams call.

    The gradient norm is computed only on logging steps, and losses are read once per epoch, so the
    training hot path gains no host synchronisation. A non-finite epoch loss stops the run as diverged.
    The per-epoch lists and the time spent so far are saved in every checkpoint, so a resumed run's summary
    covers the whole run, not only the epochs after the resume.
    """

    def __init__(self) -> None:
        self.grad_norms: list[torch.Tensor] = []
        self.epoch_seconds: list[float] = []
        self.train_losses: list[float] = []
        self.val_losses: list[float] = []
        self.epochs: list[int] = []  # absolute epoch numbers: a resumed run starts past 0
        self.fit_seconds = 0.0
        self.earlier_seconds = 0.0  # training time before a resume
        self._fit_start = self._epoch_start = 0.0

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._fit_start = time.perf_counter()
        if pl_module.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(pl_module.device)

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.fit_seconds = self.earlier_seconds + time.perf_counter() - self._fit_start

    def state_dict(self) -> dict[str, Any]:
        return {
            "grad_norms": [float(n) for n in self.grad_norms],
            "epoch_seconds": self.epoch_seconds,
            "train_losses": self.train_losses,
            "val_losses": self.val_losses,
            "epochs": self.epochs,
            "fit_seconds": self.earlier_seconds + time.perf_counter() - self._fit_start,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.grad_norms = [torch.tensor(n) for n in state_dict["grad_norms"]]
        self.epoch_seconds = list(state_dict["epoch_seconds"])
        self.train_losses = list(state_dict["train_losses"])
        self.val_losses = list(state_dict["val_losses"])
        self.epochs = list(state_dict["epochs"])
        self.earlier_seconds = float(state_dict["fit_seconds"])

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._epoch_start = time.perf_counter()

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if not writes_step_logs(trainer):
            return
        grads = [p.grad for p in pl_module.parameters() if p.grad is not None]
        if not grads:
            return
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        self.grad_norms.append(norm.detach())
        pl_module.log("train/grad_norm", norm, on_step=True, on_epoch=False, batch_size=1)  # a step value: any size

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
        self.epochs.append(trainer.current_epoch)
        metrics = trainer.callback_metrics
        train_loss = float(metrics.get("train/loss_epoch", math.nan))
        self.train_losses.append(train_loss)
        self.val_losses.append(float(metrics.get("val/loss", math.nan)))
        if not math.isfinite(train_loss) and "train/loss_epoch" in metrics:
            raise DivergedError(f"training loss became {train_loss} in epoch {trainer.current_epoch}")

    def summary(self) -> dict[str, float | int | None]:
        """Numbers for the run record: timing, best epoch, generalization gap, gradient norms."""
        norms = [float(n) for n in self.grad_norms]
        finite_val = [(v, i) for i, v in enumerate(self.val_losses) if math.isfinite(v)]
        best = min(finite_val)[1] if finite_val else None
        # A run without validation (protocol: paper) tests its lowest-training-loss epoch: that is its best epoch.
        finite_train = [(v, i) for i, v in enumerate(self.train_losses) if math.isfinite(v)]
        best_epoch = best if best is not None else (min(finite_train)[1] if finite_train else None)
        return {
            "epochs": self.epochs[-1] + 1 if self.epochs else 0,
            "train_time_s": self.fit_seconds,
            "time_per_epoch_s": statistics.median(self.epoch_seconds) if self.epoch_seconds else None,
            "best_epoch": self.epochs[best_epoch] if best_epoch is not None else None,
            "best_val_loss": self.val_losses[best] if best is not None else None,
            "gen_gap": (self.val_losses[best] - self.train_losses[best] if best is not None else None),
            "grad_norm_max": max(norms) if norms else None,
            "grad_norm_median": statistics.median(norms) if norms else None,
        }
