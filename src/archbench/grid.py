"""A grid of runs (architectures × datasets × seeds): resumable, failure-isolated, optionally parallel."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import torch
from jsonargparse import ArgumentParser
from tqdm import tqdm

from archbench.baselines import BASELINES, run_baseline
from archbench.configs import config_path
from archbench.data.base import ArchDataModule
from archbench.errors import ArchbenchError
from archbench.record import RunRecord, rerun_command
from archbench.resume import newest_checkpoint

# Lightning's own bar sits below the grid's bar instead of replacing it.
CELL_PROGRESS_BAR = (
    '--trainer.callbacks+={"class_path":"lightning.pytorch.callbacks.TQDMProgressBar",'
    '"init_args":{"process_position":1,"leave":false,"refresh_rate":20}}'
)
RETRIED_STATUSES = ("failed", "preempted")


@dataclass(frozen=True)
class Cell:
    """One run of the grid: an architecture (or a scikit-learn baseline) on a dataset with a seed."""

    dataset: str
    arch: str
    seed: int

    @property
    def key(self) -> str:
        return f"{self.dataset}__{self.arch}__seed{self.seed}"

    @property
    def is_baseline(self) -> bool:
        return self.arch in BASELINES


@dataclass
class GridSpec:
    """What to run and where: every cell is an ordinary run logged under ``log_root``."""

    name: str
    archs: list[str]
    datasets: list[str]
    seeds: list[int]
    baselines: list[str] = field(default_factory=lambda: list(BASELINES))
    trainer: str = "cpu"
    max_epochs: int | None = None
    extra_args: list[str] = field(default_factory=list)
    log_root: str = "lightning_logs"
    reports_root: str = "reports"

    @property
    def out_dir(self) -> Path:
        return Path(self.reports_root) / self.name

    @property
    def cells_dir(self) -> Path:
        return self.out_dir / "cells"

    def cells(self) -> list[Cell]:
        for arch in self.archs:
            config_path("model", arch)  # one clear error for an unknown name, before anything runs
        for dataset in self.datasets:
            config_path("data", dataset)
        unknown = [b for b in self.baselines if b not in BASELINES]
        if unknown:
            raise ArchbenchError(f"unknown baseline {unknown[0]!r}; allowed: {', '.join(BASELINES)}")
        return [
            Cell(dataset, arch, seed)
            for dataset in self.datasets
            for seed in self.seeds
            for arch in [*self.archs, *self.baselines]
        ]

    def run_version(self, cell: Cell) -> str:
        """The cell's run folder under ``<log_root>/<dataset>/<arch>/``."""
        return f"{self.name}_seed{cell.seed}"

    def cell_args(self, cell: Cell) -> list[str]:
        """The ``archbench train`` arguments of a model cell: the same path as a single run."""
        args = ["--arch", cell.arch, "--data", cell.dataset, "--seed", str(cell.seed), "--trainer", self.trainer]
        if self.max_epochs is not None:
            args += ["--max_epochs", str(self.max_epochs)]
        return [*args, "--log_root", self.log_root, "--run_version", self.run_version(cell), *self.extra_args]


def load_datamodule(dataset: str, seed: int) -> ArchDataModule:
    """Instantiate a dataset from its YAML, as LightningCLI would, without a model or trainer."""
    parser = ArgumentParser(exit_on_error=False)
    parser.add_subclass_arguments(ArchDataModule, "data")
    config = parser.parse_args(["--data", str(config_path("data", dataset)), "--data.init_args.seed", str(seed)])
    return parser.instantiate_classes(config).data


def run_cell(spec: GridSpec, cell: Cell, threads: int | None = None, show_progress: bool = True) -> RunRecord:
    """Run one cell and return its record; a failure of any kind becomes a ``failed`` record."""
    from archbench.cli import lightning_args, train_arguments
    from archbench.runner import train

    if threads:
        torch.set_num_threads(threads)
    try:
        if cell.is_baseline:
            return run_baseline(cell.arch, load_datamodule(cell.dataset, cell.seed), cell.dataset, cell.seed)
        argv = spec.cell_args(cell)
        run_dir = Path(spec.log_root) / cell.dataset / cell.arch / spec.run_version(cell)
        if newest_checkpoint(run_dir) is None:  # a preempted cell resumes; anything else starts clean
            shutil.rmtree(run_dir, ignore_errors=True)
        options, extra = train_arguments(argv)
        progress = [CELL_PROGRESS_BAR] if show_progress else ["--trainer.enable_progress_bar", "false"]
        extra += [*progress, "--trainer.enable_model_summary", "false"]
        return train(lightning_args(options, extra), rerun_command(["train", *argv]), cell.dataset, cell.arch)
    except Exception as error:  # noqa: BLE001 - a broken cell is recorded; the grid goes on
        kind = "baseline" if cell.is_baseline else "model"
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        return RunRecord(cell.dataset, cell.arch, cell.seed, "failed", "", "", kind=kind, error=message)


def finished_records(cells_dir: Path) -> dict[str, RunRecord]:
    """Records already written for a grid, by cell key."""
    return {path.stem: RunRecord.read(path) for path in sorted(cells_dir.glob("*.json"))}


def run_grid(spec: GridSpec, jobs: int = 1) -> dict[str, RunRecord]:
    """Run every unfinished cell, writing each cell's record atomically as it ends; Ctrl-C keeps them."""
    cells = spec.cells()
    done = {k: r for k, r in finished_records(spec.cells_dir).items() if r.status not in RETRIED_STATUSES}
    todo = [c for c in cells if c.key not in done]
    spec.cells_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc=f"grid {spec.name}", unit="cell", position=0)
    try:
        if jobs <= 1:
            for cell in todo:
                bar.set_postfix_str(cell.key)
                record = run_cell(spec, cell)
                if record.status == "preempted":  # SIGTERM: stop here; a rerun resumes this cell
                    break
                done[cell.key] = _store(spec, cell, record)
                bar.update()
        else:
            threads = max(1, (os.cpu_count() or 1) // jobs)
            with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(run_cell, spec, c, threads, False): c for c in todo}
                for future in as_completed(futures):
                    cell = futures[future]
                    done[cell.key] = _store(spec, cell, future.result())
                    bar.set_postfix_str(cell.key)
                    bar.update()
    finally:
        bar.close()
    return {c.key: done[c.key] for c in cells if c.key in done}


def run_one_cell(spec: GridSpec, index: int) -> RunRecord:
    """Run cell ``index`` of the grid (a SLURM array task) and store its record."""
    cells = spec.cells()
    if not 0 <= index < len(cells):
        raise ArchbenchError(f"--cell {index} is out of range; allowed: 0..{len(cells) - 1}")
    return _store(spec, cells[index], run_cell(spec, cells[index], show_progress=False))


def _store(spec: GridSpec, cell: Cell, record: RunRecord) -> RunRecord:
    record.write(spec.cells_dir / f"{cell.key}.json")
    return record
