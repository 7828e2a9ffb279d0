"""`make bench` (b) and (c): whole `archbench` commands in fresh processes, as a user starts them.

(b) per run: the wall time of `archbench train --arch linear --data house_prices --max_epochs 1` against the fit time
its run record holds (RunStatsCallback's `train_time_s`) and against a bare `python -c "import lightning"`.
(c) parallel: a study with `--jobs 2` against `--jobs 1`, the ratio of their wall times.
(d) per cell: a grid of 100 one-epoch linear cells, the share of its wall time (whole command, report included)
spent outside training and testing (the cells' `train_time_s` and `test_time_s`), with `--jobs 1`, `--jobs 2` and
as a SLURM array when a cluster answers (scripts/start_local_slurm.sh), counted per process slot.
(e) the study engine: the time outside training each further cell costs once the workers are warm (a 100-cell grid
of 1-epoch cells against a 1-cell one, so start-up and the report count once), and a 100-cell study of small MLPs
training about 1-2 s a cell: its share outside training with `--jobs 1` and `--jobs 2`, their speed-up and cells
per minute.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from archbench.slurm import wait_for_job

ARCHBENCH = [sys.executable, "-m", "archbench.cli"]
RUN = ["train", "--arch", "linear", "--data", "house_prices", "--max_epochs", "1"]
# The default study as a user runs it (66 cells: 4 architectures, 3 datasets, 3 seeds and the baselines). A grid of
# 1-epoch cells of about a second each measures worker start-up instead: each spawned worker imports Lightning.
GRID = ["compare", "--study", "default"]
QUICK_GRID = ["compare", "--archs", "linear,mlp", "--data", "sine", "--seeds", "1", "--max_epochs", "1",
              "--baselines", "none"]  # fmt: skip


# (d): issue #13's grid of many short cells, one seed each.
CELL_GRID = ["compare", "--archs", "linear", "--data", "house_prices", "--max_epochs", "1", "--baselines", "none"]
CELLS, QUICK_CELLS = 100, 4
ARRAY_CHUNKS, QUICK_ARRAY_CHUNKS = (50, 8), (2,)  # cells per array task; 8 is `archbench slurm compare`'s default
# (e): cells of a small MLP on a small table that train about 1-2 s each on this machine.
MLP_CELLS = ["compare", "--archs", "mlp", "--data", "diabetes", "--max_epochs", "10", "--baselines", "none"]


@dataclass
class RunTimes:
    wall_s: list[float]
    fit_s: list[float]
    import_s: list[float]


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds a command takes from start to exit; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


def time_runs(root: Path, repeats: int) -> RunTimes:
    times = RunTimes([], [], [])
    for rep in range(repeats):
        log_root = root / f"run{rep}"
        times.wall_s.append(timed([*ARCHBENCH, *RUN, "--log_root", str(log_root)], root))
        record = json.loads(next(log_root.rglob("run.json")).read_text())
        times.fit_s.append(record["stats"]["train_time_s"])
        times.import_s.append(timed([sys.executable, "-c", "import lightning"], root))
    return times


def per_run_lines(root: Path, repeats: int) -> list[str]:
    times = time_runs(root, repeats)
    wall, fit, bare = (statistics.median(t) for t in (times.wall_s, times.fit_s, times.import_s))
    return [
        f"(b) per run: `archbench {' '.join(RUN)}`, median of {repeats}",
        f"    whole command {wall:.2f} s; its fit (run.json train_time_s) {fit:.2f} s; ratio {wall / fit:.1f}",
        f"    `python -c 'import lightning'` {bare:.2f} s, {bare / wall:.0%} of the command",
        f"    the rest: start-up beyond that import, testing, the record: {wall - fit - bare:.2f} s",
    ]


def parallel_lines(root: Path, quick: bool) -> list[str]:
    grid = QUICK_GRID if quick else GRID
    seconds = {}
    for jobs in (1, 2):
        where = ["--log_root", str(root / f"logs_j{jobs}"), "--reports_root", str(root / f"reports_j{jobs}")]
        seconds[jobs] = timed([*ARCHBENCH, *grid, "--jobs", str(jobs), *where], root)
    cells = len(list((root / "reports_j1").rglob("cells/*.json")))
    outside = {jobs: 1 - inside_seconds(root / f"reports_j{jobs}") / (jobs * seconds[jobs]) for jobs in (1, 2)}
    return [
        f"(c) parallel: `archbench {' '.join(grid)}` ({cells} cells)",
        f"    --jobs 1 {seconds[1]:.1f} s, --jobs 2 {seconds[2]:.1f} s: speed-up {seconds[1] / seconds[2]:.2f}",
        f"    outside training and testing: {outside[1]:.0%} with --jobs 1, {outside[2]:.0%} with --jobs 2",
    ]


def inside_seconds(reports: Path) -> float:
    """Seconds a grid's cells spent training and testing, summed over its cells (a baseline records its fit only)."""
    stats = [json.loads(path.read_text())["stats"] for path in reports.rglob("cells/*.json")]
    return sum(s["train_time_s"] + s.get("test_time_s", 0.0) for s in stats)


def outside_line(label: str, wall: float, slots: int, inside: float, cells: int) -> str:
    outside = 1 - inside / (slots * wall)
    return (
        f"    {label:<36} {wall:7.1f} s wall, {slots * wall / cells:.2f} s a cell per process; "
        f"training and testing {inside:.1f} s: {outside:.0%} outside"
    )


def cell_grid_lines(root: Path, quick: bool) -> list[str]:
    cells = QUICK_CELLS if quick else CELLS
    grid = [*CELL_GRID, "--seeds", str(cells)]
    lines = [f"(d) outside training and testing: `archbench {' '.join(grid)}` ({cells} cells)"]
    for jobs in (1, 2):
        name = f"cells_j{jobs}"
        where = ["--name", name, "--log_root", str(root / f"logs_{name}"), "--reports_root", str(root / "reports_d")]
        wall = timed([*ARCHBENCH, *grid, "--jobs", str(jobs), *where], root)
        lines.append(outside_line(f"--jobs {jobs}", wall, jobs, inside_seconds(root / "reports_d" / name), cells))
    cpus = slurm_cpus()
    if cpus is None:
        return [*lines, "    SLURM array: left out, no SLURM cluster answers here (scripts/start_local_slurm.sh)"]
    for per_task in QUICK_ARRAY_CHUNKS if quick else ARRAY_CHUNKS:
        name = f"cells_slurm{per_task}"
        where = ["--name", name, "--log_root", str(root / f"logs_{name}"), "--reports_root", str(root / "reports_d")]
        start = time.perf_counter()
        submitted = subprocess.run(
            [*ARCHBENCH, "slurm", *grid, *where, "--cells_per_task", str(per_task), "--submit"],
            cwd=root, capture_output=True, text=True, check=True,
        )  # fmt: skip
        wait_for_job(re.search(r"submitted job (\d+)", submitted.stdout).group(1), timeout=1800)
        subprocess.run(
            [*ARCHBENCH, "report", str(root / "reports_d" / name)], cwd=root, capture_output=True, check=True
        )
        wall = time.perf_counter() - start
        tasks = math.ceil(cells / per_task)
        label = f"SLURM array, {per_task} cells x {tasks} tasks"
        inside = inside_seconds(root / "reports_d" / name)
        lines.append(outside_line(label, wall, min(tasks, cpus), inside, cells))
    return lines


def slurm_cpus() -> int | None:
    """CPUs of the local cluster's node when SLURM takes jobs here, else None."""
    if shutil.which("sinfo") is None:
        return None
    answer = subprocess.run(["sinfo", "-h", "-o", "%c %T"], capture_output=True, text=True, timeout=30, check=False)
    ready = [line.split()[0] for line in answer.stdout.splitlines() if line.split()[1:] in (["idle"], ["mixed"])]
    return int(ready[0]) if answer.returncode == 0 and ready else None


@dataclass
class GridRun:
    wall_s: float
    inside_s: float
    report_s: float  # `archbench report` of the same folder, run again after it: the report's share of wall_s

    @property
    def outside_s(self) -> float:
        return self.wall_s - self.inside_s


def timed_grid(root: Path, name: str, grid: list[str], seeds: int, jobs: int) -> GridRun:
    """A study in a fresh process, one torch thread per process as in (a): its wall time, its cells' training and
    testing time summed, and the time its report takes to rebuild."""
    reports = root / "reports_e"
    where = ["--name", name, "--log_root", str(root / f"logs_{name}"), "--reports_root", str(reports)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    wall = timed([*ARCHBENCH, *grid, "--seeds", str(seeds), "--jobs", str(jobs), *where], root, env)
    report = timed([*ARCHBENCH, "report", name, "--reports_root", str(reports)], root, env)
    bare = timed([sys.executable, "-c", "import archbench.cli"], root, env)  # the report's own start-up
    return GridRun(wall, inside_seconds(reports / name), report - bare)


def engine_lines(root: Path, quick: bool) -> list[str]:
    cells = QUICK_CELLS if quick else CELLS
    one, many = (timed_grid(root, f"warm{n}", CELL_GRID, n, 1) for n in (1, cells))
    warm = (many.outside_s - one.outside_s) / (cells - 1)
    report = (many.report_s - one.report_s) / (cells - 1)
    lines = [
        f"(e) the study engine, one torch thread a process: `archbench {' '.join(CELL_GRID)}`, 1 and {cells} cells",
        f"    outside training per further cell, warm, --jobs 1: {warm:.3f} s, of which the report {report:.3f} s; "
        f"start-up and report once: {one.outside_s:.1f} s",
        f"    `archbench {' '.join(MLP_CELLS)} --seeds {cells}`",
    ]
    runs = {jobs: timed_grid(root, f"mlp_j{jobs}", MLP_CELLS, cells, jobs) for jobs in (1, 2)}
    for jobs, run in runs.items():
        share = 1 - run.inside_s / (jobs * run.wall_s)
        lines.append(
            f"    --jobs {jobs}: {run.wall_s:6.1f} s wall, {run.inside_s / cells:.2f} s training a cell, "
            f"{share:.0%} outside training, {60 * cells / run.wall_s:.1f} cells a minute"
        )
    lines.append(f"    --jobs 2 speed-up over --jobs 1: {runs[1].wall_s / runs[2].wall_s:.2f}")
    return lines
