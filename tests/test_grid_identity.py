"""Grids reuse a cell only when its settings, YAML text, data content, archbench version and source are unchanged."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from archbench.cli import main

REPO = Path(__file__).parents[1]
TINY = ["--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2", "--trainer.enable_progress_bar",
        "false"]  # fmt: skip


def grid(tmp_path: Path, *args: str) -> list[str]:
    return ["compare", "--seeds", "1", "--name", "g", "--baselines", "sk_linear", "--log_root", str(tmp_path / "logs"),
            "--reports_root", str(tmp_path / "reports"), *TINY, *args]  # fmt: skip


def results(tmp_path: Path) -> dict[str, dict[str, str]]:
    with (tmp_path / "reports" / "g" / "results.csv").open() as handle:
        return {row["arch"]: row for row in csv.DictReader(handle)}


def test_a_changed_max_epochs_under_the_same_name_retrains_in_a_new_folder(tmp_path):
    args = ["--archs", "linear", "--data", "wine"]
    assert main(grid(tmp_path, *args, "--max_epochs", "1")) == 0
    first = results(tmp_path)["linear"]
    assert main(grid(tmp_path, *args, "--max_epochs", "3")) == 0
    second = results(tmp_path)
    assert second["linear"]["epochs"] == "3" and second["linear"]["reused"] == ""
    assert second["linear"]["log_dir"] != first["log_dir"]
    assert (Path(first["log_dir"]) / "run.json").is_file(), "the earlier run folder was deleted"
    assert second["sk_linear"]["reused"] == "yes", "a baseline does not depend on max_epochs"


def test_a_diverged_cell_reruns_once_its_learning_rate_is_fixed(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    monkeypatch.setenv("ARCHBENCH_CONFIGS", "")  # restored after the test: --configs sets it for this process
    model = configs / "model" / "risky.yaml"
    model.write_text("class_path: archbench.models.LinearModel\ninit_args:\n  lr: 1.0e+30\n")
    args = ["--archs", "risky", "--data", "house_prices", "--max_epochs", "2", "--configs", str(configs)]
    assert main(grid(tmp_path, *args)) == 1
    assert results(tmp_path)["risky"]["status"] == "diverged"
    model.write_text("class_path: archbench.models.LinearModel\ninit_args:\n  lr: 0.01\n")
    assert main(grid(tmp_path, *args)) == 0
    assert results(tmp_path)["risky"]["status"] == "ok"


def test_a_run_folder_survives_a_deleted_reports_folder(tmp_path):
    args = ["--archs", "linear", "--data", "wine", "--max_epochs", "1"]
    assert main(grid(tmp_path, *args)) == 0
    run_dir = Path(results(tmp_path)["linear"]["log_dir"])
    record = (run_dir / "run.json").read_text()
    shutil.rmtree(tmp_path / "reports")
    assert main(grid(tmp_path, *args)) == 0
    assert (run_dir / "run.json").read_text() == record
    assert Path(results(tmp_path)["linear"]["log_dir"]) != run_dir
    assert json.loads(record)["identity"] == ""  # a run's own record is written before a grid stamps its identity


def test_an_edited_model_file_reruns_the_cell_and_an_edited_readme_does_not(tmp_path):
    # A copy of the repository's layout (the package and its configs), run from that copy in fresh processes.
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "src" / "archbench", tree / "src" / "archbench", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copytree(REPO / "configs", tree / "configs")
    readme = tree / "src" / "archbench" / "README.md"
    readme.write_text("# notes\n")
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("ARCHBENCH_CONFIGS", None)

    def compare() -> dict[str, str]:
        code = "import sys; from archbench.cli import main; sys.exit(main(sys.argv[1:]))"
        args = grid(tmp_path, "--archs", "linear", "--data", "wine", "--max_epochs", "1")
        done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return results(tmp_path)["linear"]

    first = compare()
    readme.write_text("# notes\n\nA changed sentence.\n")
    assert compare()["reused"] == "yes", "an edited README reran the cell"
    model = tree / "src" / "archbench" / "models" / "linear.py"
    model.write_text(model.read_text() + "\nEDITED = True  # a change to the model's source\n")
    rerun = compare()
    assert rerun["reused"] == "", "an edited model file reused the old result"
    assert rerun["log_dir"] != first["log_dir"]
    assert rerun["log_dir"].startswith(str(tmp_path / "logs"))
