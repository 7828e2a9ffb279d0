"""Tuning: equal budgets in shared storage, pruning, validation only, and Dodge et al.'s expected best score."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml
from optuna.trial import TrialState

from archbench.data.base import ArchDataModule
from archbench.report.tuning import expected_best, expected_best_band
from archbench.spec import RunSpec, TuneSpec
from archbench.tune import run_tuning

REPO = Path(__file__).parents[1]
SMALL = ("--data.num_samples", "300", "--trainer.limit_val_batches", "2")


def tuning(tmp_path: Path, trials: int, *extra: str, arch: str = "mlp", epochs: int = 3, **options) -> TuneSpec:
    run = RunSpec(arch=arch, data="house_prices", trainer="cpu", max_epochs=epochs, overrides=(*SMALL, *extra),
                  log_root=str(tmp_path / "logs"))  # fmt: skip
    return TuneSpec(run=run, trials=trials, reports_root=str(tmp_path / "reports"), **options)


def states(study: optuna.Study) -> list[TrialState]:
    return [t.state for t in study.get_trials()]


def test_expected_best_matches_brute_force_over_every_draw():
    scores = [0.9, 0.2, 0.5, 0.7]
    for n in (1, 2, 3):
        draws = itertools.product(scores, repeat=n)  # every way to draw n trials with replacement, equally likely
        brute = np.mean([min(d) for d in draws])
        assert expected_best(scores)[n - 1] == pytest.approx(brute)
        assert expected_best(scores, lower_is_better=False)[n - 1] == pytest.approx(
            np.mean([max(d) for d in itertools.product(scores, repeat=n)])
        )
        assert expected_best_band(scores)[n - 1][1] == pytest.approx(
            np.std([min(d) for d in itertools.product(scores, repeat=n)])
        )


def test_tuning_never_reads_the_test_split(tmp_path, monkeypatch):
    def forbidden(self):  # noqa: ANN001, ANN202
        raise AssertionError("the test split was read during tuning")

    monkeypatch.setattr(ArchDataModule, "test_dataloader", forbidden)
    study = run_tuning(tuning(tmp_path, 2, pruner="none"))
    assert states(study) == [TrialState.COMPLETE, TrialState.COMPLETE]


@pytest.mark.slow
def test_a_small_tuning_run_fixes_a_bad_learning_rate(tmp_path, train_run):
    bad = train_run("mlp", "house_prices", *SMALL, "--model.init_args.lr", "1e-6", epochs=3, tiny=False)
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    (configs / "search" / "mlp.yaml").write_text("model.dropout: {type: float, low: 0.0, high: 0.1}\n")
    os.environ["ARCHBENCH_CONFIGS"] = str(configs)
    try:
        study = run_tuning(tuning(tmp_path, 4, "--model.lr", "1e-6", pruner="none"))
    finally:
        del os.environ["ARCHBENCH_CONFIGS"]
    assert bad["stats"]["best_val_loss"] > 2 * study.best_value, (bad["stats"]["best_val_loss"], study.best_value)


@pytest.mark.slow
def test_the_median_pruner_stops_a_hopeless_trial(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    (configs / "search" / "default.yaml").write_text("model.lr: {type: categorical, choices: [1.0e-7, 1.0e-2]}\n")
    (configs / "search" / "mlp.yaml").unlink()
    monkeypatch.setenv("ARCHBENCH_CONFIGS", str(configs))
    study = run_tuning(tuning(tmp_path, 6, epochs=4, sampler_seed=1))
    pruned = [t for t in study.get_trials() if t.state == TrialState.PRUNED]
    assert pruned and all(t.params["model.lr"] == 1e-7 for t in pruned), [(t.state, t.params) for t in study.trials]


def test_a_rerun_continues_the_study_up_to_its_budget(tmp_path):
    run_tuning(tuning(tmp_path, 2, pruner="none"))
    study = run_tuning(tuning(tmp_path, 3, pruner="none"))
    assert [t.number for t in study.get_trials()] == [0, 1, 2]


@pytest.mark.slow
def test_two_worker_processes_share_one_study_without_running_a_trial_twice(tmp_path):
    storage = f"journal:{tmp_path / 'study.journal'}"
    command = [str(Path(sys.executable).with_name("archbench")), "tune", "--arch", "linear", "--data", "house_prices",
               "--trainer", "cpu", "--max_epochs", "2", "--trials", "5", "--storage", storage, "--pruner", "none",
               "--log_root", str(tmp_path / "logs"), "--reports_root", str(tmp_path / "reports"), *SMALL]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip
    errors = [w.communicate(timeout=600)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [e[-1500:] for e in errors]
    study = optuna.load_study(study_name="house_prices__linear", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "study.journal"))))  # fmt: skip
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == [0, 1, 2, 3, 4], "the budget is the study's, not each worker's"
    assert len({t.user_attrs["log_dir"] for t in trials}) == 5, "two workers trained the same trial"


@pytest.mark.slow
def test_a_tuned_study_gives_every_architecture_the_same_budget_then_compares_the_best(tmp_path):
    from archbench.cli import main

    study_file = tmp_path / "tiny.yaml"
    study_file.write_text(
        "archs: [linear, mlp]\ndatasets: [house_prices]\nseeds: 2\nbaselines: []\nmax_epochs: 2\n"
        "overrides: [--data.num_samples, '300', --trainer.limit_val_batches, '2']\n"
        "tune: {trials: 3, pruner: none}\n"
    )
    reports, logs = tmp_path / "reports", tmp_path / "logs"
    code = main(
        ["compare", "--study", str(study_file), "--tune", "--reports_root", str(reports), "--log_root", str(logs)]
    )
    assert code == 0
    storage = f"sqlite:///{(reports / 'tiny' / 'tune.db').resolve()}"
    counts = {s.study_name: s.n_trials for s in optuna.get_all_study_summaries(storage)}
    assert counts == {"house_prices__linear": 3, "house_prices__mlp": 3}
    tuned = reports / "tiny_tuned"
    assert (tuned / "results.csv").is_file() and (tuned / "tuning_house_prices.png").is_file()
    tuning = (tuned / "tuning.md").read_text()
    assert "3 trials per architecture and dataset" in tuning and "--model.lr" in tuning
    mlp_settings = yaml.safe_load((tuned / "study.yaml").read_text())["cell_overrides"]["house_prices/mlp"]
    assert "--model.lr" in mlp_settings
