"""`make bench` (b) and (c): whole `archbench` commands in fresh processes, as a user starts them.

(b) per run: the wall time of `archbench train --arch linear --data house_prices --max_epochs 1` against the fit time
its run record holds (RunStatsCallback's `train_time_s`) and against a bare `python -c "import lightning"`.
(c) parallel: a study with `--jobs 2` against `--jobs 1`, the ratio of their wall times.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ARCHBENCH = [sys.executable, "-m", "archbench.cli"]
RUN = ["train", "--arch", "linear", "--data", "house_prices", "--max_epochs", "1"]
# The default study as a user runs it (66 cells: 4 architectures, 3 datasets, 3 seeds and the baselines). A grid of
# 1-epoch cells of about a second each measures worker start-up instead: each spawned worker imports Lightning.
GRID = ["compare", "--study", "default"]
QUICK_GRID = ["compare", "--archs", "linear,mlp", "--data", "sine", "--seeds", "1", "--max_epochs", "1",
              "--baselines", "none"]  # fmt: skip


@dataclass
class RunTimes:
    wall_s: list[float]
    fit_s: list[float]
    import_s: list[float]


def timed(command: list[str], cwd: Path) -> float:
    """Seconds a command takes from start to exit; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
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
    return [
        f"(c) parallel: `archbench {' '.join(grid)}` ({cells} cells)",
        f"    --jobs 1 {seconds[1]:.1f} s, --jobs 2 {seconds[2]:.1f} s: speed-up {seconds[1] / seconds[2]:.2f}",
    ]
