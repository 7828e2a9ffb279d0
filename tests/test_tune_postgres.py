"""Tuning workers sharing one study in PostgreSQL: an exact budget, no trial twice, a killed worker's trial retried.

The server is a real PostgreSQL 16 from the ``pgserver`` package (the dev extra), started in a temporary folder.
Run as root (as CI is), pgserver itself creates an unprivileged system user ``pgserver`` to own the data folder and
run the server, and opens the folder's parents for it; no environment variable or manual step is needed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from archbench.cli import main
from archbench.tune_storage import shown

SMALL = ("--data.num_samples", "300", "--trainer.limit_val_batches", "2")
STUDY = "house_prices__linear"
BUDGET = 6
# Short heartbeats so that a killed worker's trial is failed (and retried) within seconds, not minutes.
HEARTBEAT = "heartbeat_interval=1&grace_period=10&max_retry=2"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    pgserver = pytest.importorskip("pgserver", reason="the dev extra installs pgserver (a PostgreSQL server)")
    # A short folder: the server's Unix socket lives in it and socket paths may not exceed 107 characters.
    folder = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def worker(tmp_path: Path, storage: str) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("archbench")), "tune", "--arch", "linear", "--data", "house_prices",
               "--trainer", "cpu", "--max_epochs", "3", "--trials", str(BUDGET), "--storage", storage,
               "--log_root", str(tmp_path / "logs"), "--reports_root", str(tmp_path / "reports"), *SMALL]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_the_study(storage: str, process: subprocess.Popen, timeout: float = 300) -> optuna.Study:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return optuna.load_study(study_name=STUDY, storage=optuna.storages.RDBStorage(storage))
        except KeyError:  # the worker has not created it yet
            assert process.poll() is None, process.communicate()[1][-1500:]
            assert time.monotonic() < deadline, "the study was not created"
            time.sleep(0.2)


def wait_for_a_running_trial(study: optuna.Study, process: subprocess.Popen, timeout: float = 300) -> None:
    """Until the study holds a running trial with its parameters drawn (the worker is training it)."""
    deadline = time.monotonic() + timeout
    while not any(t.params for t in study.get_trials(states=(TrialState.RUNNING,))):
        assert process.poll() is None, process.communicate()[1][-1500:]
        assert time.monotonic() < deadline, "no trial started"
        time.sleep(0.1)


@pytest.mark.slow
def test_four_postgres_workers_end_at_the_budget_and_retry_a_killed_workers_trial(tmp_path, postgres_url):
    storage = f"{postgres_url}&{HEARTBEAT}"
    victim = worker(tmp_path, storage)
    # The workers get the server's plain postgresql:// URL; SQLAlchemy 2.1 would read it with psycopg 3.
    study = wait_for_the_study(postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1), victim)
    wait_for_a_running_trial(study, victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = study.get_trials(states=(TrialState.RUNNING,))
    assert len(killed) == 1

    workers = [worker(tmp_path, storage) for _ in range(4)]
    errors = [w.communicate(timeout=900)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [e[-1500:] for e in errors]

    trials = study.get_trials()
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == BUDGET, [(t.number, t.state) for t in trials]
    assert [t.state for t in trials if t.state not in (TrialState.COMPLETE, TrialState.PRUNED)] == [TrialState.FAIL]
    # Each trial trains in its own run folder, tune_trial<number>_<N>: a second worker on one trial would add _1.
    folders = sorted(p.name for p in (tmp_path / "logs" / "house_prices" / "linear").iterdir())
    assert all(name.endswith("_0") for name in folders), folders
    assert {f"tune_trial{t.number}_0" for t in finished} <= set(folders), folders
    failed = study.trials[killed[0].number]
    assert failed.state == TrialState.FAIL, "the heartbeat did not fail the killed worker's trial"
    retried_number = optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number
    retries = [t for t in finished if retried_number(t) == failed.number]
    assert len(retries) == 1 and retries[0].params == failed.params, "the killed worker's trial was not retried"


def test_a_postgres_storage_without_its_driver_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg2", None)  # import psycopg2 now raises ImportError
    code = main(["tune", "--arch", "linear", "--data", "house_prices", "--trials", "1",
                 "--storage", "postgresql://user@localhost:5432/studies", "--reports_root", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "archbench[postgres]" in err and "driver" in err


def test_a_bad_heartbeat_option_in_the_storage_url_is_one_line(tmp_path, capsys):
    storage = "postgresql://user@localhost/studies?grace_period=soon"
    code = main(["tune", "--arch", "linear", "--data", "house_prices", "--trials", "1", "--storage", storage,
                 "--reports_root", str(tmp_path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "grace_period=soon" in err and len(err.strip().splitlines()) == 1, err


def test_a_printed_storage_url_masks_its_password():
    assert shown("postgresql://tuner:s3cret@db.example/studies?heartbeat_interval=5") == (
        "postgresql://tuner:***@db.example/studies?heartbeat_interval=5"
    )
    assert shown("journal:/shared/tune.journal") == "journal:/shared/tune.journal"
