"""The comparison grid: end to end with a report, failure isolation, resume after a finished or interrupted grid."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archbench.cli import main
from archbench.results import TRIVIAL_SOURCES

REPO = Path(__file__).parents[1]
TINY = ["--trainer.limit_train_batches", "4", "--trainer.limit_val_batches", "2", "--trainer.deterministic", "true"]
QUALITY_COLUMNS = ("dataset", "arch", "kind", "seed", "status", "test_mse", "test_mae", "test_r2", "test_accuracy",
                   "test_f1", "test_auroc", "params", "epochs", "best_epoch")  # fmt: skip


def grid_args(tmp_path: Path, *extra: str, name: str = "g") -> list[str]:
    return [
        "compare", "--archs", "linear,mlp", "--data", "house_prices", "--seeds", "2", "--baselines", "sk_linear",
        "--name", name, "--max_epochs", "3", "--log_root", str(tmp_path / "logs"),
        "--reports_root", str(tmp_path / "reports"), *TINY, *extra,
    ]  # fmt: skip


def read_rows(path: Path) -> list[dict[str, str]]:
    """The grid's cells: results.csv without the trivial predictors' rows (derived from the model runs)."""
    with path.open() as handle:
        return [row for row in csv.DictReader(handle) if row["arch"] not in TRIVIAL_SOURCES]


def quality(path: Path) -> list[tuple[str, ...]]:
    return [tuple(row[c] for c in QUALITY_COLUMNS) for row in read_rows(path)]


def test_small_grid_runs_end_to_end_and_writes_the_report(tmp_path):
    assert main(grid_args(tmp_path)) == 0
    out = tmp_path / "reports" / "g"
    rows = read_rows(out / "results.csv")
    assert len(rows) == 6  # (2 archs + 1 baseline) x 2 seeds
    assert {r["status"] for r in rows} == {"ok"}
    assert {(r["arch"], r["kind"]) for r in rows} == {("linear", "model"), ("mlp", "model"), ("sk_linear", "baseline")}
    model_rows = [r for r in rows if r["kind"] == "model"]
    for row in model_rows:
        for column in ("test_mse", "params", "train_time_s", "time_per_epoch_s", "epochs", "best_epoch", "latency_us",
                       "peak_mem_mb", "gen_gap", "grad_norm_max", "grad_norm_median", "log_dir"):  # fmt: skip
            assert row[column] != "", column
        assert Path(row["log_dir"]).is_relative_to(tmp_path / "logs" / "house_prices")
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert list(out.glob("*.png"))
    report = (out / "report.md").read_text()
    assert "house_prices" in report and "sk_linear" in report
    with (out / "results.csv").open() as handle:
        trivial = [r for r in csv.DictReader(handle) if r["arch"] in TRIVIAL_SOURCES]
    assert [(r["arch"], r["seed"]) for r in trivial] == [("train_mean", "0"), ("train_mean", "1")]


def test_rerunning_a_finished_grid_trains_nothing_and_says_every_cell_was_reused(tmp_path, capsys):
    assert main(grid_args(tmp_path)) == 0
    runs_before = {p: p.stat().st_mtime_ns for p in (tmp_path / "logs").rglob("run.json")}
    capsys.readouterr()
    assert main(grid_args(tmp_path)) == 0
    assert "reused 6 of 6 cells" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "logs").rglob("run.json")} == runs_before
    rows = read_rows(tmp_path / "reports" / "g" / "results.csv")
    assert {r["reused"] for r in rows} == {"yes"}


def test_a_diverging_cell_is_recorded_and_the_others_complete(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    (configs / "model" / "exploding.yaml").write_text(
        "class_path: archbench.models.LinearModel\ninit_args:\n  lr: 1.0e+30\n"
    )
    monkeypatch.setenv("ARCHBENCH_CONFIGS", str(configs))
    args = grid_args(tmp_path)
    args[args.index("linear,mlp")] = "exploding,mlp"
    assert main(args) == 1, "a grid with diverged cells must not exit 0"
    rows = read_rows(tmp_path / "reports" / "g" / "results.csv")
    statuses = {(r["arch"], r["seed"]): r["status"] for r in rows}
    assert statuses[("exploding", "0")] == statuses[("exploding", "1")] == "diverged"
    assert {s for (arch, _), s in statuses.items() if arch != "exploding"} == {"ok"}
    diverged = next(r for r in rows if r["arch"] == "exploding")
    assert "nan" in diverged["error"] or "inf" in diverged["error"]
    assert "Failed or diverged" in (tmp_path / "reports" / "g" / "report.md").read_text()


def start_and_interrupt(tmp_path: Path, signum: int, *extra: str) -> tuple[subprocess.Popen, str]:
    """Start a grid as a background job would be (SIGINT ignored), send ``signum`` once two cells are done."""
    command = [str(Path(sys.executable).with_name("archbench")), *grid_args(tmp_path, *extra)]
    cells = tmp_path / "reports" / "g" / "cells"
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    deadline = time.monotonic() + 300
    while len(list(cells.glob("*.json"))) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "the grid ended before it could be interrupted"
        time.sleep(0.02)
    process.send_signal(signum)
    return process, process.communicate(timeout=120)[0].decode()


@pytest.mark.slow
def test_an_interrupted_grid_resumed_gives_the_same_results(tmp_path):
    assert main(grid_args(tmp_path / "straight")) == 0
    expected = quality(tmp_path / "straight" / "reports" / "g" / "results.csv")

    cells = tmp_path / "resumed" / "reports" / "g" / "cells"
    process, output = start_and_interrupt(tmp_path / "resumed", signal.SIGINT)
    assert process.returncode == 130, output[-2000:]
    finished = len(list(cells.glob("*.json")))
    assert 2 <= finished < 6, f"{finished} cells finished: the interruption came too late to test resuming"

    assert main(grid_args(tmp_path / "resumed")) == 0
    assert quality(tmp_path / "resumed" / "reports" / "g" / "results.csv") == expected


@pytest.mark.slow
def test_sigterm_to_compare_keeps_finished_cells_and_exits_143_without_a_verdict(tmp_path):
    process, output = start_and_interrupt(tmp_path, signal.SIGTERM)
    assert process.returncode == 143, output[-2000:]
    assert "## Verdict" not in output and "interrupted" in output
    assert len(list((tmp_path / "reports" / "g" / "cells").glob("*.json"))) >= 2


@pytest.mark.slow
def test_parallel_cells_give_the_same_results_as_sequential_ones_and_each_runs_once(tmp_path):
    assert main(grid_args(tmp_path, name="seq")) == 0
    assert main(grid_args(tmp_path / "par", "--jobs", "2", name="par")) == 0
    reports = tmp_path / "reports"
    assert quality(tmp_path / "par" / "reports" / "par" / "results.csv") == quality(reports / "seq" / "results.csv")
    # The grid's process and a spawned worker take cells from one counter: a cell started twice would leave a
    # second run folder beside the first.
    folders = sorted(p.parent.name for p in (tmp_path / "par" / "logs").rglob("run.json"))
    assert len(folders) == 4 and all(name.endswith("_0") for name in folders), folders


@pytest.mark.slow
def test_an_interrupted_parallel_grid_exits_130_keeps_its_cells_and_resumes_to_the_same_results(tmp_path):
    assert main(grid_args(tmp_path / "straight")) == 0
    expected = quality(tmp_path / "straight" / "reports" / "g" / "results.csv")
    process, output = start_and_interrupt(tmp_path / "resumed", signal.SIGINT, "--jobs", "2")
    assert process.returncode == 130, output[-2000:]
    assert "## Verdict" not in output
    assert main(grid_args(tmp_path / "resumed", "--jobs", "2")) == 0
    assert quality(tmp_path / "resumed" / "reports" / "g" / "results.csv") == expected


def test_jobs_auto_uses_the_cpus_this_process_may_use():
    probe = "from archbench.grid import usable_cpus; print(usable_cpus())"
    one_cpu = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
        preexec_fn=lambda: os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}),
    )  # fmt: skip
    assert one_cpu.stdout.strip() == "1", one_cpu.stderr[-1000:]
    env = {**os.environ, "SLURM_CPUS_PER_TASK": "1"}
    in_slurm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert in_slurm.stdout.strip() == "1"


CRASHING_MODEL = '''
import multiprocessing, os, time
from pathlib import Path
from archbench.models import LinearModel

class CrashingModel(LinearModel):
    """Kills a spawned grid worker outright; in the grid's own process it waits until a worker has died."""
    def __init__(self, **kwargs):
        marker = Path(os.environ["CRASH_MARKER"])
        if multiprocessing.parent_process() is not None:
            marker.touch()
            os._exit(3)
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        super().__init__(**kwargs)
'''


@pytest.mark.slow
def test_a_worker_process_that_dies_fails_its_cell_and_the_grid_goes_on(tmp_path, monkeypatch):
    (tmp_path / "crashmod.py").write_text(CRASHING_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers start with this process's sys.path
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    (configs / "model" / "crashing.yaml").write_text("class_path: crashmod.CrashingModel\n")
    monkeypatch.setenv("ARCHBENCH_CONFIGS", str(configs))
    monkeypatch.setenv("CRASH_MARKER", str(tmp_path / "a_worker_died"))
    args = grid_args(tmp_path, "--jobs", "2")
    args[args.index("linear,mlp")], args[args.index("sk_linear")] = "crashing", "none"
    args[args.index("--seeds") + 1] = "3"
    assert main(args) == 1, "a grid with a failed cell must not exit 0"
    rows = read_rows(tmp_path / "reports" / "g" / "results.csv")
    statuses = sorted(r["status"] for r in rows)
    assert len(rows) == 3 and statuses.count("failed") >= 1 and "ok" in statuses, rows
    failed = [r for r in rows if r["status"] == "failed"]
    assert all("worker process died" in r["error"] for r in failed), failed
