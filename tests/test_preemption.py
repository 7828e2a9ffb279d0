"""SIGTERM mid-training, then the same command again: resumes from the checkpoint, ends where it would have."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ARCHBENCH = str(Path(sys.executable).with_name("archbench"))


def command(log_root: Path) -> list[str]:
    return [
        ARCHBENCH, "train", "--arch", "gru", "--data", "adding", "--max_epochs", "6", "--trainer", "cpu",
        "--data.init_args.num_samples", "12000", "--data.init_args.seq_len", "30",
        "--model.init_args.hidden_size", "32", "--trainer.deterministic", "true",
        "--trainer.enable_progress_bar", "false", "--log_root", str(log_root),
        "--last_checkpoint_s", "0",  # last.ckpt at every epoch end: the test stops the run after the first one
    ]  # fmt: skip


def test_sigterm_then_rerun_resumes_and_matches_the_uninterrupted_run(tmp_path, monkeypatch):
    repo = Path(__file__).parents[1]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a tiny GRU: extra threads only fight whatever else runs
    uninterrupted = subprocess.run(command(tmp_path / "a"), cwd=repo, capture_output=True, text=True, timeout=600)
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-2000:]
    expected = json.loads(next((tmp_path / "a").rglob("run.json")).read_text())

    run_dir = tmp_path / "b" / "adding" / "gru" / "version_0"
    process = subprocess.Popen(command(tmp_path / "b"), cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not (run_dir / "checkpoints" / "last.ckpt").exists():
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before a checkpoint appeared"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=300)[0].decode()
    assert process.returncode == 143, output[-2000:]
    assert "preempted" in output
    assert not (run_dir / "run.json").exists(), "the interrupted run finished anyway: no preemption was tested"

    resumed = subprocess.run(command(tmp_path / "b"), cwd=repo, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Restoring states from the checkpoint path" in resumed.stderr + resumed.stdout
    assert sorted(p.name for p in run_dir.parent.iterdir()) == ["version_0"], "the rerun did not reuse the run"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["stats"]["epochs"] == 6
    # The statistics cover the whole run, not only the epochs after the resume.
    assert record["stats"]["best_epoch"] == expected["stats"]["best_epoch"]
    assert record["checkpoint"].endswith(f"best-epoch={record['stats']['best_epoch']}.ckpt")
    assert record["stats"]["gen_gap"] == pytest.approx(expected["stats"]["gen_gap"], rel=1e-4)
    assert record["stats"]["train_time_s"] > 0.5 * expected["stats"]["train_time_s"]
    for name, value in expected["metrics"].items():
        assert record["metrics"][name] == pytest.approx(value, rel=1e-5, abs=1e-7), name
