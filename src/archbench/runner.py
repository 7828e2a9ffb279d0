"""One runner for every architecture and dataset: LightningCLI builds it, Lightning trains and tests it."""

from __future__ import annotations

import copy
import os
import time
import warnings
from pathlib import Path

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities.exceptions import MisconfigurationException, SIGTERMException

from archbench.callbacks import RunStatsCallback, count_parameters, peak_memory_mb
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError, DivergedError
from archbench.models.base import ArchModule
from archbench.record import RECORD_NAME, RunRecord
from archbench.resume import VERSION_ENV, choose_version

# `import lightning` sets this so that asking whether CUDA exists cannot initialise it before a fork. archbench
# never forks (DDP starts fresh processes, grid workers are spawned), and with it every AdamW step reloads NVML:
# about 150 µs a step on a CUDA build of torch without a GPU (docs/performance.md).
os.environ.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)

PROGRESS_REFRESH_STEPS = 20
LINKED_FROM_DATA = ("task", "input_size", "seq_len", "output_size", "target_mean", "target_std")


class ArchbenchCLI(LightningCLI):
    """LightningCLI with data-derived shapes linked into the model and archbench's callbacks and logger."""

    def __init__(self, args: list[str]) -> None:
        self.stats = RunStatsCallback()
        with warnings.catch_warnings():
            # Runs are built from Python with explicit args, which LightningCLI warns about when sys.argv is set.
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
            self._build(args)

    def _build(self, args: list[str]) -> None:
        super().__init__(
            ArchModule,
            ArchDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            seed_everything_default=0,
            save_config_kwargs={"overwrite": True},
            trainer_defaults={"callbacks": [self.stats, LearningRateMonitor(logging_interval="epoch")]},
            args=args,
            run=False,
        )
        # config.yaml keeps what the user asked for, not the folder picked for this run, so that
        # `archbench fit --config config.yaml` reruns the experiment in a new folder instead of over this one.
        for callback in self.trainer.callbacks:
            if isinstance(callback, SaveConfigCallback):
                callback.config = self.requested_config

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        for name in LINKED_FROM_DATA:
            parser.link_arguments(f"data.{name}", f"model.init_args.{name}", apply_on="instantiate")
        parser.link_arguments("seed_everything", "data.init_args.seed")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": "val/loss",
                "checkpoint.save_last": True,
                "checkpoint.filename": "best-{epoch}",
            }
        )
        parser.add_argument("--early_stopping_patience", type=int | None, default=None, help="epochs; off if unset")
        parser.add_argument("--run_name", type=str, default="runs", help="log folder under --log_root: data/arch")
        parser.add_argument("--run_version", type=str | None, default=None, help="fixed folder; else version_N")
        parser.add_argument("--log_root", type=str, default="lightning_logs")
        parser.add_argument("--resume", type=bool, default=True, help="continue an unfinished run of this config")

    def before_instantiate_classes(self) -> None:
        config = self.config
        self.requested_config = copy.deepcopy(config)
        run_root = Path(config.log_root) / config.run_name
        current = yaml.safe_load(self.parser.dump(config, skip_none=False))
        config.run_version, self.resume_from = choose_version(run_root, current, config.run_version, config.resume)
        config.trainer.default_root_dir = str(run_root / config.run_version)  # where SLURM saves hpc_ckpt_N
        if config.trainer.logger in (None, True):
            config.trainer.logger = {
                "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                "init_args": {
                    "save_dir": config.log_root,
                    "name": config.run_name,
                    "version": config.run_version,
                    "default_hp_metric": False,
                },
            }
        bf16 = str(config.trainer.precision).startswith("bf16")
        if bf16 and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
            warnings.warn("this GPU has no bf16: using fp16 mixed precision instead", stacklevel=1)
            config.trainer.precision = "16-mixed"
        configured = [str(getattr(c, "class_path", c)) for c in config.trainer.callbacks or []]
        if config.trainer.enable_progress_bar is not False and not any("ProgressBar" in c for c in configured):
            # Refreshing every step costs about 100 µs a step for small models (docs/performance.md).
            self.trainer_defaults["callbacks"].append(TQDMProgressBar(refresh_rate=PROGRESS_REFRESH_STEPS))
        patience = config.early_stopping_patience
        if patience is not None:
            if patience < 1:
                raise ArchbenchError(f"early_stopping_patience must be >= 1, got {patience}")
            self.trainer_defaults["callbacks"].append(EarlyStopping(monitor="val/loss", patience=patience))


def build_cli(args: list[str]) -> ArchbenchCLI:
    """Parse and instantiate; an ``ArchbenchError`` raised inside a class is unwrapped from jsonargparse's."""
    try:
        return ArchbenchCLI(args)
    except MisconfigurationException as error:
        message = str(error).splitlines()[0]
        if any(word in message.lower() for word in ("gpu", "cuda", "accelerator", "backend")):
            available = "cpu, gpu, auto" if torch.cuda.is_available() else "cpu, auto (no GPU here)"
            message += f"; allowed accelerators: {available}"
        raise ArchbenchError(f"trainer: {message}") from None
    except (ValueError, TypeError) as error:
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ArchbenchError):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        raise cause from None


def train(args: list[str], command: str, dataset: str | None = None, arch: str | None = None) -> RunRecord:
    """Fit, test the best checkpoint, log hparams with the final metrics and write the run record.

    ``dataset`` and ``arch`` name the run (config names); they default to the classes' own names.
    Bad input raises ``ArchbenchError`` before anything is written; a crash or divergence during
    training is recorded in the run record instead of raised.
    """
    cli = build_cli(args)
    trainer, model, data = cli.trainer, cli.model, cli.datamodule
    record = RunRecord(
        dataset=dataset or data.name,
        arch=arch or model.arch_name,
        seed=int(cli.config.seed_everything),
        status="ok",
        log_dir=str(trainer.log_dir),
        command=command,
        params=count_parameters(model),
        config=cli.parser.dump(cli.config, skip_none=False),
    )
    os.environ[VERSION_ENV] = cli.config.run_version
    try:
        trainer.fit(model, datamodule=data, ckpt_path=cli.resume_from)
    except SIGTERMException:
        # Lightning stopped at the end of the epoch, after its last.ckpt: no record, so a rerun resumes.
        record.status, record.error = "preempted", "SIGTERM: stopped after saving a checkpoint"
        return record
    except DivergedError as error:
        record.status, record.error = "diverged", str(error)
    except Exception as error:  # noqa: BLE001 - any crash is recorded; the grid goes on
        record.status, record.error = "failed", f"{type(error).__name__}: {error}"
    finally:
        os.environ.pop(VERSION_ENV, None)
    record.stats = cli.stats.summary()
    record.world_size = trainer.world_size
    if record.status == "ok":
        ckpt = "best" if trainer.checkpoint_callback and trainer.checkpoint_callback.best_model_path else None
        results = trainer.test(model, datamodule=data, ckpt_path=ckpt, verbose=False)
        record.metrics = {k: float(v) for k, v in results[0].items()}
        record.baseline = data.naive_baseline()
        record.latency_us = inference_latency_us(model, data)
    record.peak_mem_mb = peak_memory_mb(model.device)
    if trainer.is_global_zero:
        log_final_hparams(trainer, model, record)
        record.write(Path(record.log_dir) / RECORD_NAME)
    return record


def inference_latency_us(model: L.LightningModule, data: ArchDataModule) -> float:
    """Microseconds per sample for a forward pass over the whole test split, in inference mode."""
    x = data.prepared.x["test"].to(model.device)
    model.eval()
    with torch.inference_mode():
        model(x[:2])  # warm-up: first-call allocation and kernel selection
        start = time.perf_counter()
        model(x)
        if x.is_cuda:
            torch.cuda.synchronize()
    return (time.perf_counter() - start) / len(x) * 1e6


def log_final_hparams(trainer: L.Trainer, model: ArchModule, record: RunRecord) -> None:
    """Write hparams with the final metrics so TensorBoard's HPARAMS tab can compare runs."""
    metrics = {k: v for k, v in record.metrics.items() if k.startswith("test/")}
    metrics["model/params"] = float(record.params or 0)
    hparams = {k: v for k, v in model.hparams.items() if k not in ("target_mean", "target_std")}
    hparams.update(arch=record.arch, dataset=record.dataset, seed=record.seed, status=record.status)
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(hparams, metrics=metrics)
            logger.save()
