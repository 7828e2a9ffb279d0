"""Run folders: two live runs never share one, a stale lock is taken over, resume needs the same data."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from archbench.cli import main

ARCHBENCH = str(Path(sys.executable).with_name("archbench"))
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false", "--trainer", "cpu"]


def train_args(log_root: Path, *extra: str) -> list[str]:
    return ["train", "--arch", "linear", "--data", "house_prices", "--max_epochs", "1", "--log_root", str(log_root),
            *QUIET, *extra]  # fmt: skip


@pytest.mark.slow
def test_two_identical_commands_started_together_end_in_two_folders(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen([ARCHBENCH, *train_args(tmp_path)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    errors = [p.communicate(timeout=300)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [e[-1500:] for e in errors]
    folders = sorted(p.parent.name for p in (tmp_path / "house_prices" / "linear").glob("*/run.json"))
    assert folders == ["version_0", "version_1"]


def write_lock(run_dir: Path, pid: int) -> None:
    run_dir.mkdir(parents=True)
    (run_dir / "run.lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "job": None}))


def test_a_folder_held_by_a_live_process_is_refused_and_a_stale_lock_is_taken_over(tmp_path, capsys):
    holder = subprocess.Popen(["sleep", "60"])
    try:
        write_lock(tmp_path / "house_prices" / "linear" / "busy", holder.pid)
        assert main(train_args(tmp_path, "--run_version", "busy")) == 2
        assert f"is in use by PID {holder.pid}" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    write_lock(tmp_path / "house_prices" / "linear" / "stale", holder.pid)  # that process is gone now
    assert main(train_args(tmp_path, "--run_version", "stale")) == 0
    run_dir = tmp_path / "house_prices" / "linear" / "stale"
    assert (run_dir / "run.json").is_file() and not (run_dir / "run.lock").exists()


def test_an_unfinished_run_resumes_only_on_the_same_data(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("x,target\n" + "".join(f"{i},{2 * i}\n" for i in range(60)))
    args = ["train", "--arch", "linear", "--data", "csv", "--data.path", str(table), "--max_epochs", "1",
            "--log_root", str(tmp_path / "logs"), *QUIET]  # fmt: skip
    assert main(args) == 0
    first = tmp_path / "logs" / "t" / "linear" / "version_0"
    (first / "run.json").unlink()  # as if preempted after its checkpoint
    table.write_text("x,target\n" + "".join(f"{i},{3 * i}\n" for i in range(60)))
    assert main(args) == 0
    assert (tmp_path / "logs" / "t" / "linear" / "version_1" / "run.json").is_file(), (
        "the edited CSV resumed old weights"
    )
    assert not (first / "run.json").exists()
