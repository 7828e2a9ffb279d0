"""`make bench`: archbench against hand-written PyTorch and against itself, in three ratios.

(a) per step: an MLP 8→64→64→1 on a 65,536 × 8 table, batch 256, with 1, 4 and 16 optimizer steps per Lightning
step (`steps_per_call`), and an LSTM (hidden 64) on the adding problem, T=100, batch 128; TensorBoard on. archbench
builds each run from a `RunSpec`, as `archbench train` does (the YAML configs, the DataModule's tensor batching,
RunStatsCallback, checkpointing, LearningRateMonitor, the TensorBoard logger). The hand-written loop (handwritten.py)
trains an `nn.Sequential` / `nn.LSTM` of the same shape on the same tensors with AdamW, the same batch size, learning
rate, epochs and threads, and like archbench validates, saves a checkpoint and writes its losses every epoch.
Timed: whole training epochs after the first (warm-up), start to start, per optimizer step. Repetitions alternate
which side runs first; the table gives medians over repetitions and the ratio's range over them.
(b) per run, (c) parallel, (d) per cell and (e) the study engine: whole commands in fresh processes (whole_runs.py).
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import math
import os
import platform
import pstats
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import lightning as L
import numpy as np
import torch
from handwritten import hand_us_per_step  # benchmarks/handwritten.py, beside this file
from lightning.pytorch.callbacks import LearningRateMonitor
from threadpoolctl import threadpool_limits
from whole_runs import cell_grid_lines, engine_lines, parallel_lines, per_run_lines

from archbench.assemble import Assembled, assemble
from archbench.baselines import run_baseline
from archbench.data.base import ArchDataModule
from archbench.resolve import resolve
from archbench.spec import RunSpec

STEPS_PER_CALL = (1, 4, 16)


@dataclass(frozen=True)
class Case:
    """One benchmark workload: an archbench model config, the data it trains on, and its steps per call."""

    name: str
    arch: str
    data: str
    data_args: tuple[str, ...]
    epochs: int
    steps_per_call: int = 1


@dataclass
class Timing:
    archbench_us: list[float]
    hand_us: list[float]

    @property
    def ratios(self) -> list[float]:
        return [a / h for a, h in zip(self.archbench_us, self.hand_us, strict=True)]


def make_cases(table_csv: Path, quick: bool) -> list[Case]:
    """The MLP at each number of steps per call, then the LSTM (one step per call: its own step dominates)."""
    table = ("--data.init_args.path", str(table_csv), "--data.init_args.batch_size", "256")
    adding = ("--data.init_args.num_samples", "512" if quick else "4000", "--data.init_args.seq_len",
              "20" if quick else "100", "--data.init_args.batch_size", "128")  # fmt: skip
    mlp = [Case(f"MLP 8-64-64-1, table, K={k}", "mlp", "csv", table, 3 if quick else 4, k) for k in STEPS_PER_CALL]
    return [*mlp, Case("LSTM 64, adding, K=1", "lstm", "adding", adding, 2 if quick else 3)]


def write_table(path: Path, rows: int, seed: int = 0) -> None:
    """A 8-feature regression table whose target an MLP can learn and a straight line cannot."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 8))
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + np.abs(x[:, 3]) + 0.5 * x[:, 4] ** 2 + 0.1 * rng.normal(size=rows)
    header = ",".join([f"x{i}" for i in range(8)] + ["target"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt="%.9g")


def build_run(case: Case, workdir: Path, logger: bool, epochs: int) -> Assembled:
    """The run `archbench train` would build (progress bar and model summary off, as in a parallel grid)."""
    overrides = [*case.data_args, "--model.init_args.steps_per_call", str(case.steps_per_call),
                 "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]  # fmt: skip
    if not logger:
        overrides += ["--trainer.logger", "false"]
    spec = RunSpec(case.arch, case.data, trainer="cpu", max_epochs=epochs, overrides=tuple(overrides),
                   log_root=str(workdir), run_version=case.arch)  # fmt: skip
    cli = assemble(resolve(spec))
    if not logger:  # LearningRateMonitor refuses to run without a logger; it only writes to one
        cli.trainer.callbacks = [c for c in cli.trainer.callbacks if not isinstance(c, LearningRateMonitor)]
    return cli


class EpochClock(L.Callback):
    """Each epoch's start and the end of training; all else in between is the epochs' own work.

    Its only cost is Lightning calling its no-op hooks, about 1% of an MLP step. (RunStatsCallback's epoch
    clock would cost nothing but stops before Lightning's epoch-end logging, about 3% of an MLP step.)
    """

    def __init__(self) -> None:
        self.marks: list[float] = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.marks.append(time.perf_counter())

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.marks.append(time.perf_counter())


def archbench_us_per_step(cli: Assembled, compile_model: bool) -> float:
    if compile_model:
        cli.model.compile()  # the module's forward only; Lightning's step code and the metrics stay eager
    clock = EpochClock()
    cli.trainer.callbacks.append(clock)
    cli.trainer.fit(cli.model, datamodule=cli.data)
    seconds = np.diff(clock.marks)[1:]
    return statistics.median(seconds) / cli.trainer.num_training_batches * 1e6


def time_case(case: Case, root: Path, logger: bool, options: argparse.Namespace) -> Timing:
    timing = Timing([], [])
    for rep in range(options.repeats):
        workdir = Path(tempfile.mkdtemp(dir=root))
        cli = build_run(case, workdir, logger, case.epochs)
        cli.data.setup("fit")  # data loading is start-up, not training
        sides = {
            "archbench": partial(archbench_us_per_step, cli, options.compile),
            "hand": partial(hand_us_per_step, cli, case.arch, case.epochs, workdir, logger, options.compile),
        }
        order = ["archbench", "hand"] if rep % 2 == 0 else ["hand", "archbench"]  # drift hits both sides alike
        us = {side: sides[side]() for side in order}
        timing.archbench_us.append(us["archbench"])
        timing.hand_us.append(us["hand"])
    return timing


class StopAtTestMSE(L.Callback):
    """Stops training at the first epoch whose test MSE reaches ``target``; evaluation time is not counted."""

    def __init__(self, target: float, data: ArchDataModule, started: float) -> None:
        self.target, self.data, self.started = target, data, started
        self.paused = 0.0
        self.reached_s: float | None = None
        self.epochs = 0
        self.best = math.inf

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        pause = time.perf_counter()
        x, y = self.data.prepared.x["test"], self.data.prepared.y["test"]
        with torch.inference_mode():
            error = (pl_module(x) - y) * torch.tensor(self.data.target_std)
        self.best = min(self.best, float(error.pow(2).mean()))
        if self.best <= self.target and self.reached_s is None:
            self.reached_s = pause - self.started - self.paused
            self.epochs = trainer.current_epoch + 1
            trainer.should_stop = True
        self.paused += time.perf_counter() - pause


def time_to_sklearn(case: Case, root: Path, threads: int, max_epochs: int) -> str:
    """archbench's MLP (TensorBoard on) until it matches MLPRegressor's test MSE, against MLPRegressor's fit time."""
    cli = build_run(case, Path(tempfile.mkdtemp(dir=root)), logger=True, epochs=max_epochs)
    data = cli.data
    with threadpool_limits(limits=threads):
        baseline = run_baseline("sk_mlp", data, "table", seed=0)
    target, sk_seconds = baseline.metrics["test/mse"], baseline.stats["train_time_s"]
    started = time.perf_counter()
    stopper = StopAtTestMSE(target, data, started)
    cli.trainer.callbacks.append(stopper)
    cli.trainer.fit(cli.model, datamodule=data)
    head = f"time to MLPRegressor's test MSE {target:.4g}: MLPRegressor {sk_seconds:.1f} s"
    if stopper.reached_s is None:
        return f"{head}; archbench not reached in {max_epochs} epochs (best test MSE {stopper.best:.4g})"
    ratio = stopper.reached_s / sk_seconds
    reached = f"archbench {stopper.reached_s:.1f} s ({stopper.epochs} epochs, Trainer start-up included)"
    return f"{head}; {reached}, ratio {ratio:.2f}"


def profile_archbench(case: Case, root: Path) -> None:
    """cProfile of one archbench fit (logger off): the evidence for where a step's time goes."""
    cli = build_run(case, Path(tempfile.mkdtemp(dir=root)), logger=False, epochs=case.epochs)
    cli.data.setup("fit")
    profiler = cProfile.Profile()
    profiler.runcall(cli.trainer.fit, cli.model, datamodule=cli.data)
    steps = cli.trainer.num_training_batches
    print(f"cProfile of archbench training {case.name}: {case.epochs} epochs of {steps} steps, logger off")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def row(label: str, timing: Timing) -> str:
    ratios = timing.ratios
    arch, hand = statistics.median(timing.archbench_us), statistics.median(timing.hand_us)
    spread = f"({min(ratios):.2f}-{max(ratios):.2f})"
    return f"{label:<42}{arch:>12,.0f}{hand:>12,.0f}{statistics.median(ratios):>9.2f}  {spread}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repetition: checks that it runs")
    parser.add_argument("--repeats", type=int, help="repetitions per case (default 5; 1 with --quick)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads on both sides (default 1)")
    parser.add_argument("--rows", type=int, help="table rows (default 65,536; 4,096 with --quick)")
    parser.add_argument("--skip-sklearn", action="store_true", help="leave out the time to MLPRegressor's test MSE")
    parser.add_argument("--skip-runs", action="store_true", help="leave out the whole commands, (b) to (e)")
    parser.add_argument("--runs", default="b,c,d,e", help="which whole-command measurements to make (default b,c,d,e)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of archbench's MLP training and stop")
    parser.add_argument("--compile", action="store_true", help="torch.compile both networks (slower on CPU: see docs)")
    options = parser.parse_args(argv)
    options.repeats = options.repeats or (1 if options.quick else 5)
    options.rows = options.rows or (4096 if options.quick else 65_536)
    return options


def quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("lightning.pytorch", "lightning.fabric", "lightning_utilities"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    quiet()
    torch.set_num_threads(options.threads)
    cpu = f"{platform.machine()} {os.cpu_count()} cores"
    print(f"archbench bench: torch {torch.__version__}, lightning {L.__version__}, {cpu}, {options.threads} thread(s)")
    print(
        f"{options.repeats} repetition(s); per training step over whole epochs after the first (validation, checkpoint)"
    )
    with tempfile.TemporaryDirectory(prefix="archbench-bench-") as tmp:
        root = Path(tmp)
        write_table(root / "table.csv", options.rows)
        cases = make_cases(root / "table.csv", options.quick)
        if options.profile:
            profile_archbench(cases[0], root)
            return
        print(f"\n(a) per step, TensorBoard on{'':<13}{'archbench':>12}{'by hand':>12}{'ratio':>9}  (min-max)")
        print(f"{'':<42}{'µs/step':>12}{'µs/step':>12}")
        for case in cases:
            print(row(f"    {case.name}", time_case(case, root, True, options)), flush=True)
        if not options.skip_sklearn:
            print("\n    " + time_to_sklearn(cases[0], root, options.threads, 5 if options.quick else 60))
        if not options.skip_runs:
            load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
            print(f"\nwhole commands in fresh processes (load average {load} before them)")
            measurements = {
                "b": partial(per_run_lines, root, options.repeats if options.quick else 3),
                "c": partial(parallel_lines, root, options.quick),
                "d": partial(cell_grid_lines, root, options.quick),
                "e": partial(engine_lines, root, options.quick),
            }
            for name in options.runs.split(","):
                print("\n".join(measurements[name.strip()]()), flush=True)


if __name__ == "__main__":
    main()
