"""A resolved run's objects, built from its plain data with no parser in between: the DataModule (kept for the
next run on the same data in this process), the model with the data's shapes, the run's folder, and a Trainer
with archbench's callbacks and logger.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities.exceptions import MisconfigurationException

from archbench.build import cpu_count, data_fingerprint
from archbench.callbacks import LastCheckpoint, RunStatsCallback
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule
from archbench.quiet import writes_to_terminal
from archbench.record import write_atomic
from archbench.resolve import ResolvedRun
from archbench.resume import FINGERPRINT_NAME, LOCK_NAME, VERSION_ENV, choose_version, global_rank
from archbench.spec import LINKED_FROM_DATA

# `import lightning` sets this so that asking whether CUDA exists cannot initialise it before a fork. archbench
# never forks (DDP starts fresh processes, grid workers are spawned), and with it every AdamW step reloads NVML:
# about 150 µs a step on a CUDA build of torch without a GPU (docs/performance.md).
os.environ.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)

CONFIG_NAME = "config.yaml"  # the resolved run, saved in its folder: `archbench fit --config` reruns it
PROGRESS_REFRESH_STEPS = 20
FOLDER_MARKERS = {LOCK_NAME, FINGERPRINT_NAME}  # what a claimed folder holds before its run writes anything
# DataModules kept by a process (a grid worker) for its next runs: a study's cells go dataset by dataset and seed
# by seed, so the next cell usually trains on the data the last one loaded.
KEPT_DATASETS = 4
DATASETS: OrderedDict[str, ArchDataModule] = OrderedDict()


@dataclass
class Assembled:
    """What one run trains with, and where it writes."""

    resolved: ResolvedRun
    data: ArchDataModule
    model: ArchModule
    trainer: L.Trainer
    stats: RunStatsCallback
    run_dir: Path
    resume_from: str | None
    data_fingerprint: str
    config_text: str  # config.yaml, as the record holds it too


def config_text(config: dict[str, Any]) -> str:
    """A resolved config as YAML: libyaml's dumper where it is installed (about 20 ms a run faster than Python's)."""
    return yaml.dump(config, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def instantiate(value: Any) -> Any:
    """Plain data to objects: every ``{class_path, init_args}`` becomes an instance, at any depth."""
    if isinstance(value, list):
        return [instantiate(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_path" not in value:
        return {k: instantiate(v) for k, v in value.items()}
    module, _, name = value["class_path"].rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ArchbenchError(f"class {value['class_path']!r} cannot be imported") from None
    return cls(**{k: instantiate(v) for k, v in (value.get("init_args") or {}).items()})


def datamodule(data_config: dict[str, Any]) -> ArchDataModule:
    """The run's DataModule with its arrays loaded; the one this process built last for the same config and seed
    is reused, so a worker loads and splits a dataset once for all the cells it runs on it."""
    key = json.dumps(data_config, sort_keys=True, default=str)
    if key in DATASETS:
        DATASETS.move_to_end(key)
        return DATASETS[key]
    data = instantiate(data_config)
    data.prepared  # noqa: B018 - a bad file or window fails here, before any folder is claimed
    DATASETS[key] = data
    while len(DATASETS) > KEPT_DATASETS:
        DATASETS.popitem(last=False)
    return data


def build_model(model_config: dict[str, Any], data: ArchDataModule) -> ArchModule:
    """The model with what the DataModule knows linked in: shapes, task, target statistics, label names."""
    linked = {name: getattr(data, name) for name in LINKED_FROM_DATA}
    init_args = {**(model_config.get("init_args") or {}), **linked}
    return instantiate({"class_path": model_config["class_path"], "init_args": init_args})


def assemble(resolved: ResolvedRun, callbacks: Sequence[L.Callback] = ()) -> Assembled:
    """Seed, build data and model, claim the run's folder (resuming an unfinished run of this config) and build the
    Trainer. Bad input raises ``ArchbenchError`` and leaves no folder behind."""
    config = resolved.config
    L.seed_everything(resolved.seed, workers=True, verbose=False)
    data_config = resolved.data_config()
    data = datamodule(data_config)
    # Seeded again, so the model's initial weights do not depend on whether the data was loaded or reused.
    L.seed_everything(resolved.seed, workers=True, verbose=False)
    model = build_model(config["model"], data)
    fingerprint = data_fingerprint(data_config)
    run_root = Path(config["log_root"]) / config["run_name"]
    existed = bool(config["run_version"]) and (run_root / config["run_version"]).is_dir()
    version, resume_from = choose_version(
        run_root, config, fingerprint, config["run_prefix"], config["run_version"], config["resume"]
    )
    run_dir = run_root / version
    fresh = resume_from is None and not existed and global_rank() == 0 and not os.environ.get(VERSION_ENV)
    stats = RunStatsCallback()
    text = config_text(config)
    try:
        if global_rank() == 0:
            write_atomic(run_dir / FINGERPRINT_NAME, fingerprint)
        trainer = build_trainer(config, run_dir, [stats, *callbacks])
        if global_rank() == 0:
            write_atomic(run_dir / CONFIG_NAME, text)
    except BaseException:
        if fresh:
            forget_fresh_dir(run_dir, Path(config["log_root"]))
        raise
    warn_about_oversubscription(trainer)
    return Assembled(resolved, data, model, trainer, stats, run_dir, resume_from, fingerprint, text)


def build_trainer(config: dict[str, Any], run_dir: Path, callbacks: list[L.Callback]) -> L.Trainer:
    """Lightning's Trainer from the run's trainer args, logging with TensorBoard into ``run_dir``."""
    args = dict(config["trainer"])
    args["default_root_dir"] = str(run_dir)  # where SLURM saves hpc_ckpt_N
    if args.get("logger") in (None, True):
        args["logger"] = TensorBoardLogger(
            save_dir=config["log_root"], name=config["run_name"], version=run_dir.name, default_hp_metric=False
        )
    bf16 = str(args.get("precision")).startswith("bf16")
    if bf16 and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        warnings.warn("this GPU has no bf16: using fp16 mixed precision instead", stacklevel=1)
        args["precision"] = "16-mixed"
    configured = instantiate(args.get("callbacks") or [])
    chosen = [*callbacks, LearningRateMonitor(logging_interval="epoch"), *configured]
    chosen += [ModelCheckpoint(**config["checkpoint"]), LastCheckpoint(config["last_checkpoint_s"])]
    bar_configured = any("ProgressBar" in type(c).__name__ for c in configured)
    if args.get("enable_progress_bar") is None and not bar_configured and not writes_to_terminal():
        args["enable_progress_bar"] = False  # a log file holds what a user reads, not a bar's redraws
    if args.get("enable_progress_bar") is not False and not bar_configured:
        # Refreshing every step costs about 100 µs a step for small models (docs/performance.md).
        chosen.append(TQDMProgressBar(refresh_rate=PROGRESS_REFRESH_STEPS))
    patience = config.get("early_stopping_patience")
    if patience is not None:
        if patience < 1:
            raise ArchbenchError(f"early_stopping_patience must be >= 1, got {patience}")
        chosen.append(EarlyStopping(monitor="val/loss", patience=patience))
    args["callbacks"] = chosen
    try:
        return L.Trainer(**{k: instantiate(v) for k, v in args.items()})
    except MisconfigurationException as error:
        message = str(error).splitlines()[0]
        if any(word in message.lower() for word in ("gpu", "cuda", "accelerator", "backend")):
            available = "cpu, gpu, auto" if torch.cuda.is_available() else "cpu, auto (no GPU here)"
            message += f"; allowed accelerators: {available}"
        raise ArchbenchError(f"trainer: {message}") from None


def forget_fresh_dir(run_dir: Path, log_root: Path) -> None:
    """Bad input found after the folder was claimed: remove the empty folder, so nothing half-written stays."""
    if not run_dir.is_dir() or not {p.name for p in run_dir.iterdir()} <= FOLDER_MARKERS:
        return
    shutil.rmtree(run_dir, ignore_errors=True)
    log_root = log_root.resolve()
    for parent in run_dir.resolve().parents:
        if (parent != log_root and log_root not in parent.parents) or any(parent.iterdir()):
            break
        parent.rmdir()  # empty folders this run made, up to and including an empty log root


def warn_about_oversubscription(trainer: L.Trainer) -> None:
    """More CPU training processes than CPUs: each step waits on the others' time slices."""
    if trainer.accelerator.__class__.__name__ != "CPUAccelerator" or trainer.num_devices <= cpu_count():
        return
    print(
        f"archbench: warning: --devices {trainer.num_devices} starts {trainer.num_devices} training processes on "
        f"{cpu_count()} CPUs; they share cores, so each step takes about {trainer.num_devices / cpu_count():.1f}x "
        "as long as with one process per CPU",
        file=sys.stderr,
    )
