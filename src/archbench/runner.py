"""One runner for every architecture and dataset: LightningCLI builds it, Lightning trains and tests it."""

from __future__ import annotations

import copy
import os
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
import yaml
from jsonargparse import ArgumentError
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities.exceptions import MisconfigurationException, SIGTERMException
from torch.utils.tensorboard.summary import hparams as hparams_summary

from archbench.build import check_overrides, cpu_count, data_fingerprint, first_line, unwrap
from archbench.callbacks import RunStatsCallback, count_parameters, peak_memory_mb, reset_peak_memory
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError, DivergedError
from archbench.models.base import ArchModule
from archbench.record import RECORD_NAME, RunRecord, write_atomic
from archbench.resume import (
    FINGERPRINT_NAME,
    LOCK_NAME,
    VERSION_ENV,
    choose_version,
    global_rank,
    release_lock,
)
from archbench.spec import LINKED_FROM_DATA, RunSpec
from archbench.use.artifacts import save_preprocessing

# `import lightning` sets this so that asking whether CUDA exists cannot initialise it before a fork. archbench
# never forks (DDP starts fresh processes, grid workers are spawned), and with it every AdamW step reloads NVML:
# about 150 µs a step on a CUDA build of torch without a GPU (docs/performance.md).
os.environ.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)

PROGRESS_REFRESH_STEPS = 20
NOT_HPARAMS = ("target_mean", "target_std", "target_names")  # data statistics, not choices
FOLDER_MARKERS = {LOCK_NAME, FINGERPRINT_NAME}  # what a claimed folder holds before its run writes anything


class CheckedOnceParser(LightningArgumentParser):
    """A run's config is checked once, when it is parsed. LightningCLI and the runner dump it four more times a run
    (the resume match, the hparams of the module, config.yaml, the run record), and checking it again in each dump
    is half of a dump's cost: about 60 ms a run, a tenth of a 1-epoch cell in a grid (docs/performance.md)."""

    def dump(self, cfg: Any, *args: Any, **kwargs: Any) -> str:
        kwargs.setdefault("skip_validation", True)
        return super().dump(cfg, *args, **kwargs)

    def save(self, cfg: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("skip_validation", True)
        super().save(cfg, *args, **kwargs)


# Building the parser inspects every class signature (about 80 ms); a grid, a tuning study or a benchmark builds
# many runs in one process, and the parser is the same for all of them. Keyed by the arguments that shape it.
PARSERS: dict[str, LightningArgumentParser] = {}


class ArchbenchCLI(LightningCLI):
    """LightningCLI with data-derived shapes linked into the model and archbench's callbacks and logger."""

    def __init__(self, args: list[str], callbacks: Sequence[L.Callback] = ()) -> None:
        self.stats = RunStatsCallback()
        self.extra_callbacks = list(callbacks)
        self.fresh_dir: Path | None = None
        with warnings.catch_warnings():
            # Runs are built from Python with explicit args, which LightningCLI warns about when sys.argv is set.
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
            try:
                self._build(args)
            except BaseException:
                self.forget_fresh_dir()
                raise

    def _build(self, args: list[str]) -> None:
        super().__init__(
            ArchModule,
            ArchDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            seed_everything_default=0,
            save_config_kwargs={"overwrite": True},
            trainer_defaults={
                "callbacks": [self.stats, LearningRateMonitor(logging_interval="epoch"), *self.extra_callbacks]
            },
            parser_kwargs={"exit_on_error": False},
            parser_class=CheckedOnceParser,
            args=args,
            run=False,
        )
        # config.yaml keeps what the user asked for, not the folder picked for this run, so that
        # `archbench fit --config config.yaml` reruns the experiment in a new folder instead of over this one.
        for callback in self.trainer.callbacks:
            if isinstance(callback, SaveConfigCallback):
                callback.config = self.requested_config

    def setup_parser(
        self, add_subcommands: bool, main_kwargs: dict[str, Any], subparser_kwargs: dict[str, Any]
    ) -> None:
        key = repr((add_subcommands, main_kwargs, subparser_kwargs))
        if key not in PARSERS:
            super().setup_parser(add_subcommands, main_kwargs, subparser_kwargs)
            PARSERS[key] = self.parser
        self.parser = PARSERS[key]

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
                # After RunStatsCallback's epoch end, so each checkpoint holds the run's statistics so far.
                "checkpoint.save_on_train_epoch_end": True,
            }
        )
        parser.add_argument("--early_stopping_patience", type=int | None, default=None, help="epochs; off if unset")
        parser.add_argument("--run_name", type=str, default="runs", help="log folder under --log_root: data/arch")
        parser.add_argument("--run_prefix", type=str, default="version", help="run folders are <prefix>_<N>")
        parser.add_argument("--run_version", type=str | None, default=None, help="fixed folder; else <prefix>_<N>")
        parser.add_argument("--log_root", type=str, default="lightning_logs")
        parser.add_argument("--resume", type=bool, default=True, help="continue an unfinished run of this config")

    def before_instantiate_classes(self) -> None:
        config = self.config
        self.requested_config = copy.deepcopy(config)
        run_root = Path(config.log_root) / config.run_name
        current = yaml.safe_load(self.parser.dump(config, skip_none=False))
        self.data_fingerprint = data_fingerprint(current["data"])
        existed = (run_root / config.run_version).is_dir() if config.run_version else False
        config.run_version, self.resume_from = choose_version(
            run_root, current, self.data_fingerprint, config.run_prefix, config.run_version, config.resume
        )
        run_dir = run_root / config.run_version
        if self.resume_from is None and not existed and global_rank() == 0 and not os.environ.get(VERSION_ENV):
            self.fresh_dir = run_dir
        if global_rank() == 0:
            write_atomic(run_dir / FINGERPRINT_NAME, self.data_fingerprint)
        config.trainer.default_root_dir = str(run_dir)  # where SLURM saves hpc_ckpt_N
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

    def forget_fresh_dir(self) -> None:
        """Bad input found after the folder was claimed: remove the empty folder, so nothing half-written stays."""
        run_dir = self.fresh_dir
        if run_dir is not None and run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= FOLDER_MARKERS:
            shutil.rmtree(run_dir, ignore_errors=True)
            log_root = Path(self.config.log_root).resolve()
            for parent in run_dir.resolve().parents:
                if (parent != log_root and log_root not in parent.parents) or any(parent.iterdir()):
                    break
                parent.rmdir()  # empty folders this run made, up to and including an empty log root
        self.fresh_dir = None


def warn_about_oversubscription(cli: ArchbenchCLI) -> None:
    """More CPU training processes than CPUs: each step waits on the others' time slices."""
    trainer = cli.trainer
    if trainer.accelerator.__class__.__name__ != "CPUAccelerator" or trainer.num_devices <= cpu_count():
        return
    print(
        f"archbench: warning: --devices {trainer.num_devices} starts {trainer.num_devices} training processes on "
        f"{cpu_count()} CPUs; they share cores, so each step takes about {trainer.num_devices / cpu_count():.1f}x "
        "as long as with one process per CPU",
        file=sys.stderr,
    )


def build_cli(args: list[str], callbacks: Sequence[L.Callback] = ()) -> ArchbenchCLI:
    """Parse and instantiate; an ``ArchbenchError`` raised inside a class is unwrapped from jsonargparse's."""
    try:
        return ArchbenchCLI(args, callbacks)
    except MisconfigurationException as error:
        message = str(error).splitlines()[0]
        if any(word in message.lower() for word in ("gpu", "cuda", "accelerator", "backend")):
            available = "cpu, gpu, auto" if torch.cuda.is_available() else "cpu, auto (no GPU here)"
            message += f"; allowed accelerators: {available}"
        raise ArchbenchError(f"trainer: {message}") from None
    except ArgumentError as error:
        raise ArchbenchError(first_line(unwrap(error))) from None
    except (ValueError, TypeError) as error:
        cause = unwrap(error)
        if not isinstance(cause, ArchbenchError):
            raise
        raise cause from None


def train(
    spec: RunSpec,
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
    check_overrides(spec)
    reset_peak_memory()  # the run's own peak, data loading included, not the process's lifetime peak
    cli = build_cli(spec.lightning_args(), callbacks)
    trainer, model = cli.trainer, cli.model
    warn_about_oversubscription(cli)
    record = RunRecord(
        dataset=spec.dataset_label,
        arch=spec.arch,
        seed=int(cli.config.seed_everything),
        status="ok",
        log_dir=str(trainer.log_dir),
        command=spec.rerun_command(),
        params=count_parameters(model),
        config=cli.parser.dump(cli.config, skip_none=False),
        data_fingerprint=cli.data_fingerprint,
    )
    run_dir = Path(trainer.log_dir)
    try:
        fit(cli, record, reraise)
        if record.status != "preempted":
            finish(cli, record, evaluate)
    finally:
        release_lock(run_dir)  # also on Ctrl-C: the next run need not wait for a stale lock to be noticed
    return record


def fit(cli: ArchbenchCLI, record: RunRecord, reraise: tuple[type[BaseException], ...] = ()) -> None:
    """Train; a preemption, a divergence or a crash is recorded in ``record`` instead of raised."""
    os.environ[VERSION_ENV] = cli.config.run_version
    try:
        cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=cli.resume_from)
    except SIGTERMException:
        # Lightning stopped at the end of the epoch, after its last.ckpt: no record, so a rerun resumes.
        record.status, record.error = "preempted", "SIGTERM: stopped after saving a checkpoint"
    except DivergedError as error:
        record.status, record.error = "diverged", str(error)
    except reraise:
        raise
    except Exception as error:  # noqa: BLE001 - any crash is recorded; the grid goes on
        record.status, record.error = "failed", f"{type(error).__name__}: {error}"
    finally:
        os.environ.pop(VERSION_ENV, None)


def finish(cli: ArchbenchCLI, record: RunRecord, evaluate: bool = True) -> None:
    """Test the best checkpoint of a finished run and write its hparams and record (rank 0)."""
    trainer, model, data = cli.trainer, cli.model, cli.datamodule
    record.stats = cli.stats.summary()
    record.world_size = trainer.world_size
    if record.status == "ok" and not evaluate:
        record.metrics = {"val/loss_best": record.stats["best_val_loss"]}
    elif record.status == "ok":
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        start = time.perf_counter()
        results = trainer.test(model, datamodule=data, ckpt_path="best" if best else None, verbose=False)
        record.stats["test_time_s"] = time.perf_counter() - start  # with loading the checkpoint it tests
        record.checkpoint = best
        record.metrics = {k: float(v) for k, v in results[0].items()}
        record.baseline = data.naive_baseline()
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
