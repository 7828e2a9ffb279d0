"""A non-editable install carries the configs and runs from any folder; a configs/ there is not picked up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
pytestmark = pytest.mark.slow


def test_a_wheel_install_trains_from_another_folder_with_its_own_configs(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("archbench-*.whl"))
    installed = subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=300)  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "configs" / "model").mkdir(parents=True)  # a user's folder of the same name must not shadow ours
    env = {**os.environ, "PYTHONPATH": str(target), "OMP_NUM_THREADS": "1"}
    env.pop("ARCHBENCH_CONFIGS", None)
    run = subprocess.run(
        [sys.executable, "-m", "archbench.cli", "train", "--arch", "linear", "--data", "house_prices",
         "--max_epochs", "1", "--trainer.enable_progress_bar", "false"],
        capture_output=True, text=True, timeout=300, cwd=elsewhere, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert list((elsewhere / "lightning_logs" / "house_prices" / "linear").glob("version_0/run.json"))
    where = subprocess.run([sys.executable, "-c", "import archbench; print(archbench.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)  # fmt: skip
    assert where.stdout.strip().startswith(str(target)), "the test ran the repository's sources, not the wheel"
