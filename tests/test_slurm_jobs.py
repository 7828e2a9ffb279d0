"""archbench on a real local SLURM cluster: an sbatch array of a grid, and a 2-task srun DDP job."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from archbench.cli import main
from archbench.results import TRIVIAL_SOURCES

from slurm_helpers import slurm_available, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

READY, REASON = slurm_available()
needs_slurm = pytest.mark.skipif(not READY, reason=REASON)
TINY = [
    "--trainer.limit_train_batches",
    "3",
    "--trainer.limit_val_batches",
    "2",
    "--trainer.enable_progress_bar",
    "false",
]


def submitted_job(capsys) -> str:
    match = re.search(r"submitted job (\d+)", capsys.readouterr().out)
    assert match, "no job id printed"
    return match.group(1)


def test_slurm_compare_writes_an_array_over_the_cells(tmp_path, capsys):
    script = tmp_path / "array.sbatch"
    grid = ["--archs", "linear,mlp", "--data", "wine", "--seeds", "2", "--baselines", "none", "--name", "arr",
            "--reports_root", str(tmp_path / "reports"), "--log_root", str(tmp_path / "logs")]  # fmt: skip
    sbatch = ["--partition", "debug", "--time", "00:20:00", "--mem", "2G", "--account", "lab",
              "--sbatch-line", "qos=short", "--sbatch-line=#SBATCH --exclusive"]  # fmt: skip
    code = main(["slurm", "compare", *grid, *sbatch, "--script", str(script), "--cells_per_task", "1"])
    assert code == 0
    text = script.read_text()
    expected = ["--array=0-3", "--partition=debug", "--time=00:20:00", "--mem=2G", "--account=lab", "--qos=short",
                "--exclusive", "--signal=SIGUSR1@90"]  # fmt: skip
    for option in expected:
        assert f"#SBATCH {option}" in text.splitlines(), option
    assert '--cells_per_task 1 --task "$SLURM_ARRAY_TASK_ID"' in text
    assert main(["slurm", "compare", *grid, "--script", str(script), "--cells_per_task", "3"]) == 0
    assert "#SBATCH --array=0-1" in script.read_text().splitlines()


@needs_slurm
def test_a_chunked_sbatch_array_runs_every_cell_exactly_once_then_reports(tmp_path, capsys):
    reports = tmp_path / "reports"
    grid = ["--archs", "linear,mlp", "--data", "wine", "--seeds", "2", "--baselines", "sk_linear", "--name", "arr",
            "--max_epochs", "2", "--reports_root", str(reports), "--log_root", str(tmp_path / "logs")]  # fmt: skip
    grid += TINY
    assert main(["slurm", "compare", *grid, "--cells_per_task", "4", "--submit"]) == 0
    wait_for_job(submitted_job(capsys), timeout=600)
    outputs = sorted((reports / "arr" / "slurm").glob("*.out"))
    assert len(outputs) == 2, outputs  # 6 cells, 4 per task
    runs = sorted(p.parent for p in (tmp_path / "logs").rglob("run.json"))
    assert len(runs) == 4, runs  # each of the 4 model cells trained exactly once (baselines log no run)
    assert main(["report", str(reports / "arr")]) == 0
    with (reports / "arr" / "results.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["arch"] not in TRIVIAL_SOURCES]  # the cells, not derived rows
    assert len(rows) == 6 and {r["status"] for r in rows} == {"ok"}, [o.read_text()[-500:] for o in outputs]
    assert (reports / "arr" / "report.md").is_file()


@needs_slurm
def test_srun_ddp_job_runs_with_world_size_two(tmp_path, capsys):
    script = tmp_path / "ddp.sbatch"
    args = ["--arch", "mlp", "--data", "house_prices", "--max_epochs", "2", "--log_root", str(tmp_path / "logs"), *TINY]
    assert (
        main(["slurm", "fit", *args, "--nodes", "1", "--tasks-per-node", "2", "--script", str(script), "--submit"]) == 0
    )
    assert "srun " in script.read_text()
    wait_for_job(submitted_job(capsys), timeout=600)
    output = next(tmp_path.glob("*.out")).read_text()
    assert "MEMBER: 1/2" in output and "MEMBER: 2/2" in output, output[-3000:]
    record = json.loads(next((tmp_path / "logs").rglob("run.json")).read_text())
    assert record["status"] == "ok" and record["world_size"] == 2
    assert Path(record["log_dir"]).name.startswith("slurm_")


@needs_slurm
def test_an_sbatch_array_of_two_tuning_workers_shares_one_budget(tmp_path, capsys):
    import optuna

    journal = tmp_path / "study.journal"
    args = ["--arch", "linear", "--data", "house_prices", "--trainer", "cpu", "--max_epochs", "2", "--trials", "4",
            "--pruner", "none", "--storage", f"journal:{journal}", "--data.num_samples", "300",
            "--log_root", str(tmp_path / "logs"), "--reports_root", str(tmp_path / "reports")]  # fmt: skip
    script = tmp_path / "tune.sbatch"
    assert main(["slurm", "tune", *args, "--workers", "2", "--script", str(script), "--submit"]) == 0
    assert "#SBATCH --array=0-1" in script.read_text().splitlines()
    wait_for_job(submitted_job(capsys), timeout=600)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    trials = optuna.load_study(study_name="house_prices__linear", storage=storage).get_trials()
    outputs = [p.read_text()[-800:] for p in tmp_path.glob("*.out")]
    assert sorted(t.number for t in trials) == [0, 1, 2, 3], outputs
    assert {t.state.name for t in trials} == {"COMPLETE"}, outputs
    assert len({t.user_attrs["log_dir"] for t in trials}) == 4
