"""One runner for every architecture and dataset: a run resolved once (resolve.py) is built (assemble.py), trained
and tested by Lightning, and recorded."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities.exceptions import SIGTERMException
from torch.utils.tensorboard.summary import hparams as hparams_summary

from archbench.assemble import Assembled, assemble
from archbench.callbacks import count_parameters, peak_memory_mb, reset_peak_memory
from archbench.data.base import ArchDataModule
from archbench.errors import DivergedError
from archbench.models.base import ArchModule
from archbench.quiet import silence_dependency_noise
from archbench.record import RECORD_NAME, RunRecord, scored_predictions
from archbench.resolve import ResolvedRun, resolve
from archbench.resume import VERSION_ENV, release_lock
from archbench.spec import RunSpec
from archbench.use.artifacts import save_preprocessing

NOT_HPARAMS = ("target_mean", "target_std", "target_names", "mase_scale")  # data statistics, not choices


def train(
    run: RunSpec | ResolvedRun,
    callbacks: Sequence[L.Callback] = (),
    evaluate: bool = True,
    reraise: tuple[type[BaseException], ...] = (),
) -> RunRecord:
    """Fit, test the best checkpoint, log hparams with the final metrics and write the run record.

    Bad input raises ``ArchbenchError`` before anything is written; a crash or divergence during
    training is recorded in the run record instead of raised, except the exception types in ``reraise``
    (a tuning trial's pruning signal). ``evaluate=False`` never touches the test split: the record then
    holds the best validation loss (``val/loss_best``), which is all a tuning trial may look at.
    """
    silence_dependency_noise()
    resolved = run if isinstance(run, ResolvedRun) else resolve(run)
    spec = resolved.spec
    reset_peak_memory()  # the run's own peak, data loading included, not the process's lifetime peak
    built = assemble(resolved, callbacks)
    record = RunRecord(
        dataset=spec.dataset_label,
        arch=spec.arch,
        seed=resolved.seed,
        status="ok",
        log_dir=str(built.trainer.log_dir or built.run_dir),
        command=spec.rerun_command(),
        params=count_parameters(built.model),
        config=built.config_text,
        data_fingerprint=built.data_fingerprint,
    )
    try:
        fit(built, record, reraise)
        if record.status != "preempted":
            finish(built, record, evaluate)
    finally:
        release_lock(built.run_dir)  # also on Ctrl-C: the next run need not wait for a stale lock to be noticed
    return record


def fit(built: Assembled, record: RunRecord, reraise: tuple[type[BaseException], ...] = ()) -> None:
    """Train; a preemption, a divergence or a crash is recorded in ``record`` instead of raised."""
    os.environ[VERSION_ENV] = built.run_dir.name
    try:
        built.trainer.fit(built.model, datamodule=built.data, ckpt_path=built.resume_from)
    except SIGTERMException:
        # Lightning stopped after the current batch: no record, so a rerun resumes from the newest last.ckpt.
        record.status, record.error = "preempted", "SIGTERM: stopped after saving a checkpoint"
    except DivergedError as error:
        record.status, record.error = "diverged", str(error)
    except reraise:
        raise
    except Exception as error:  # noqa: BLE001 - any crash is recorded; the grid goes on
        record.status, record.error = "failed", f"{type(error).__name__}: {error}"
    finally:
        os.environ.pop(VERSION_ENV, None)


def finish(built: Assembled, record: RunRecord, evaluate: bool = True) -> None:
    """Test the best checkpoint of a finished run and write its hparams and record (rank 0)."""
    trainer, model, data = built.trainer, built.model, built.data
    record.stats = built.stats.summary()
    record.world_size = trainer.world_size
    if record.status == "ok" and not evaluate:
        record.metrics = {"val/loss_best": record.stats["best_val_loss"]}
    elif record.status == "ok":
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        start = time.perf_counter()
        results = trainer.test(model, datamodule=data, ckpt_path=best or None, verbose=False)
        record.stats["test_time_s"] = time.perf_counter() - start  # with loading the checkpoint it tests
        record.checkpoint = best
        record.metrics = {k: float(v) for k, v in results[0].items()}
        record.baseline = data.naive_baseline()
        record.n_test = scored_predictions(data.task, data.prepared.y["test"])
        record.latency_us = inference_latency_us(model, data)
    record.peak_mem_mb = peak_memory_mb(model.device)
    if trainer.is_global_zero:
        log_final_hparams(trainer, model, record)
        if record.status == "ok":  # before the record: a folder with run.json holds all that `archbench.load` reads
            save_preprocessing(data, record.log_dir)
        record.write(Path(record.log_dir) / RECORD_NAME)


def inference_latency_us(model: L.LightningModule, data: ArchDataModule) -> float:
    """Microseconds per sample for a forward pass over the whole test split, in inference mode.

    A warm-up pass at the same shape comes first (allocations and kernel choices depend on the shape), and the
    device is synchronised before the clock starts and before it stops, so queued work is neither counted nor missed.
    """
    x = data.prepared.x["test"].to(model.device)
    model.eval()
    with torch.inference_mode():
        model(x)
        synchronize(x.device)
        start = time.perf_counter()
        model(x)
        synchronize(x.device)
    return (time.perf_counter() - start) / len(x) * 1e6


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on an accelerator; CPU work is already done."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def log_final_hparams(trainer: L.Trainer, model: ArchModule, record: RunRecord) -> None:
    """Write hparams with the final metrics so TensorBoard's HPARAMS tab can compare runs.

    Each run writes its session (its hparams and metrics) but no experiment summary: TensorBoard takes the columns
    of the first experiment summary it finds, so with one per run, a regression run's columns would hide a
    classification run's and one architecture's hyperparameters another's. Without any, it builds the columns
    from every run's session. Keys LightningCLI adds for itself (``_class_path``, ``_instantiator``) are left out.
    """
    metrics = {k: v for k, v in record.metrics.items() if k.startswith("test/") or k == "val/loss_best"}
    metrics["model/params"] = float(record.params or 0)
    hparams = {k: v for k, v in model.hparams.items() if k not in NOT_HPARAMS and not k.startswith("_")}
    hparams.update(arch=record.arch, dataset=record.dataset, seed=record.seed, status=record.status)
    shown = {k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in hparams.items()}
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(hparams)  # hparams.yaml; with default_hp_metric off it writes no summary
            logger.log_metrics(metrics, trainer.global_step)
            _, session_start, session_end = hparams_summary(shown, metrics)
            writer = logger.experiment._get_file_writer()  # noqa: SLF001 - where Lightning's own call writes
            writer.add_summary(session_start)
            writer.add_summary(session_end)
            logger.save()
