"""``archbench tune``: one Optuna study per (architecture, dataset), every trial an ordinary archbench run.

A seeded TPE sampler proposes values from ``configs/search/`` (the default space plus the architecture's own);
optuna_integration's Lightning pruning callback reports ``val/loss`` each epoch to a median (or Hyperband) pruner.
Trials are scored on the validation split only (``runner.train(evaluate=False)`` never builds the test loader).
The study lives in storage beside the report (SQLite), in a journal file for workers on a cluster, or in PostgreSQL
for many workers (``tune_storage``), so a rerun continues it and several processes can share it; a lock around
"count, then ask" keeps the number of trials at the budget however many workers run.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.exceptions import ExperimentalWarning
from optuna.trial import TrialState
from optuna_integration import PyTorchLightningPruningCallback

from archbench.configs import available, config_path
from archbench.errors import ArchbenchError
from archbench.runner import train
from archbench.spec import TuneSpec
from archbench.tune_storage import JOURNAL_PREFIX, SQLITE_PREFIX, BudgetLock, make_storage, shown

SPACE_KINDS = ("float", "int", "categorical")
QUIET_TRIAL = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")
INTERRUPTED = "interrupted"  # user attr of a trial stopped by Ctrl-C/SIGTERM: it does not count against the budget
OWN_FAILURE = "error"  # user attr of a trial whose run failed or diverged: it counts
SPENT = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


class TrialInterrupted(Exception):
    """Carries Ctrl-C/SIGTERM out of ``Study.optimize``, which then fails the trial (a SystemExit would leave it
    running)."""


def search_space(arch: str) -> dict[str, dict[str, Any]]:
    """The default space with the architecture's own entries over it (``configs/search/``)."""
    space = yaml.safe_load(config_path("search", "default").read_text()) or {}
    if arch in available("search"):
        space.update(yaml.safe_load(config_path("search", arch).read_text()) or {})
    for name, entry in space.items():
        if entry.get("type") not in SPACE_KINDS:
            raise ArchbenchError(f"search space {name}: type {entry.get('type')!r}; allowed: {', '.join(SPACE_KINDS)}")
    return space


def sample(trial: optuna.Trial, space: dict[str, dict[str, Any]]) -> list[str]:
    """One point of the space as command-line overrides (``--model.lr 0.003 ...``)."""
    tokens = []
    for name, entry in space.items():
        kind = entry["type"]
        if kind == "categorical":
            value = trial.suggest_categorical(name, entry["choices"])
        elif kind == "int":
            value = trial.suggest_int(name, entry["low"], entry["high"], log=entry.get("log", False))
        else:
            value = trial.suggest_float(name, entry["low"], entry["high"], log=entry.get("log", False))
        tokens += [f"--{name}", str(value)]
    return tokens


def lock_path(tune: TuneSpec) -> Path:
    url = tune.storage_url
    for prefix in (JOURNAL_PREFIX, SQLITE_PREFIX):
        if url.startswith(prefix):
            return Path(url.removeprefix(prefix) + ".lock")
    return tune.folder / f"{tune.study_name}.lock"


def counted(study: optuna.Study) -> int:
    """Trials that use up the budget: complete, pruned, failed by their own run (diverged, crashed) and running ones.
    A trial stopped by an interruption does not count, nor one failed by the heartbeat (its worker died: it is
    retried), nor a retry still waiting for a worker."""
    return sum(1 for t in study.get_trials(deepcopy=False) if t.state in SPENT or t.user_attrs.get(OWN_FAILURE))


def fail_stale_trials(study: optuna.Study) -> None:
    """Fail (and so retry) the running trials whose worker stopped beating; nothing without a heartbeat."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def next_step(study: optuna.Study, budget: int, heartbeat: int | None) -> str:
    """``ask`` for a trial, ``wait`` for running ones (a dead worker's trial fails by heartbeat and is retried), or
    ``stop``. Only storage with a heartbeat waits: elsewhere a dead worker's trial would stay running for ever."""
    if counted(study) < budget:
        return "ask"
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return "wait" if running and heartbeat else "stop"


def open_study(tune: TuneSpec, storage: optuna.storages.BaseStorage | str) -> optuna.Study:
    pruner = {
        "median": optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        "hyperband": optuna.pruners.HyperbandPruner(),
        "none": optuna.pruners.NopPruner(),
    }[tune.pruner]
    return optuna.create_study(
        study_name=tune.study_name,
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=tune.sampler_seed),
        pruner=pruner,
        direction="minimize",
        load_if_exists=True,
    )


def run_trial(tune: TuneSpec, trial: optuna.Trial, space: dict[str, dict[str, Any]]) -> float:
    """Train one trial on the training split and score it on validation; raises ``TrialPruned`` when pruned."""
    spec = replace(
        tune.run,
        overrides=(*tune.run.overrides, *sample(trial, space), *QUIET_TRIAL),
        run_prefix=f"{tune.name}_trial{trial.number}",
    )
    pruning = PyTorchLightningPruningCallback(trial, monitor="val/loss")
    record = train(spec, callbacks=[pruning], evaluate=False, reraise=(optuna.TrialPruned,))
    trial.set_user_attr("log_dir", record.log_dir)
    trial.set_user_attr("status", record.status)
    if record.status != "ok":
        raise ArchbenchError(f"trial {trial.number} {record.status}: {record.error}")
    return float(record.metrics["val/loss_best"])


def objective(tune: TuneSpec, space: dict[str, dict[str, Any]], lock: BudgetLock, trial: optuna.Trial) -> float:
    lock.release()  # the trial is in the study now: other workers may count it and ask for theirs
    try:
        return run_trial(tune, trial, space)
    except ArchbenchError as error:
        trial.set_user_attr(OWN_FAILURE, str(error))
        raise
    except (KeyboardInterrupt, SystemExit) as stop:  # Lightning turns Ctrl-C during a fit into SystemExit
        trial.set_user_attr(INTERRUPTED, True)
        raise TrialInterrupted from stop


def run_tuning(tune: TuneSpec) -> optuna.Study:
    """Run trials until the study holds ``trials`` of them; a pruned, failed or diverged trial counts and the
    study goes on. Ctrl-C/SIGTERM marks the running trial interrupted (not counted) and propagates.

    Each trial goes through ``Study.optimize``, which records the heartbeat of a PostgreSQL study and first fails
    (and so retries) trials whose worker died."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # a failed trial's error is kept in its user attrs
    storage = make_storage(tune.storage_url)
    heartbeat = storage.get_heartbeat_interval() if isinstance(storage, optuna.storages.RDBStorage) else None
    study = open_study(tune, storage)
    space = search_space(tune.run.arch)
    lock = BudgetLock(tune.storage_url, lock_path(tune), study.study_name)
    while True:
        with lock:
            fail_stale_trials(study)
            step = next_step(study, tune.trials, heartbeat)
            if step == "ask":
                try:
                    study.optimize(partial(objective, tune, space, lock), n_trials=1, catch=(ArchbenchError,))
                except TrialInterrupted as interrupted:
                    raise interrupted.__cause__ from None
        if step == "stop":
            return study
        if step == "wait":
            time.sleep(heartbeat)


def completed_scores(study: optuna.Study) -> list[float]:
    return [float(t.value) for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]


def best_overrides(study: optuna.Study) -> list[str]:
    """The best completed trial's values as command-line overrides."""
    completed = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if not completed:
        raise ArchbenchError(f"study {study.study_name} has no completed trial; allowed: more trials or a wider space")
    best = min(completed, key=lambda t: t.value)
    return [token for name, value in best.params.items() for token in (f"--{name}", str(value))]


def run_tune(tune: TuneSpec) -> int:
    """``archbench tune``: run the budget, then print the best configuration and the command that trains it."""
    study = run_tuning(tune)
    states = [t.state for t in study.get_trials(deepcopy=False) if not t.user_attrs.get(INTERRUPTED)]
    print(
        f"\n{tune.study_name}: {len(states)} trials ({states.count(TrialState.COMPLETE)} complete, "
        f"{states.count(TrialState.PRUNED)} pruned, {states.count(TrialState.FAIL)} failed) "
        f"in {shown(tune.storage_url)}"
    )
    best = best_overrides(study)
    print(f"  best val/loss {study.best_value:.6g} with {' '.join(best)}")
    print(f"  train it over seeds: {replace(tune.run, overrides=(*tune.run.overrides, *best)).rerun_command()}")
    return 0
