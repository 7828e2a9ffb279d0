"""Shared fixtures: run the real CLI in-process with tiny budgets and logs under tmp_path."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

import archbench.runner  # noqa: F401 - Lightning binds its log handlers to stderr at import: do it before capsys
from archbench.cli import main

TINY = [
    "--trainer", "cpu",
    "--trainer.limit_train_batches", "3",
    "--trainer.limit_val_batches", "2",
    "--trainer.enable_progress_bar", "false",
    "--trainer.enable_model_summary", "false",
]  # fmt: skip


def run_dirs(log_root: Path) -> list[Path]:
    """Every run directory (one per version) under a log root."""
    return sorted(p.parent for p in log_root.rglob("hparams.yaml"))


def train_tiny(log_root: Path, arch: str, data: str, *extra: str, epochs: int = 1, tiny: bool = True) -> dict:
    """Train through ``archbench train`` with a tiny budget under ``log_root``; return the run record as a dict."""
    args = ["train", "--arch", arch, "--data", data, "--max_epochs", str(epochs), "--log_root", str(log_root)]
    code = main(args + (TINY if tiny else ["--trainer", "cpu"]) + list(extra))
    records = sorted(log_root.rglob("run.json"), key=lambda p: p.stat().st_mtime)
    assert records, f"no run record written (exit code {code})"
    return json.loads(records[-1].read_text())


@pytest.fixture
def train_run(tmp_path: Path) -> Callable[..., dict]:
    """Train through ``archbench train`` with a tiny budget, logs under ``tmp_path/logs``; return the run record."""

    def run(arch: str, data: str, *extra: str, epochs: int = 1, tiny: bool = True) -> dict:
        return train_tiny(tmp_path / "logs", arch, data, *extra, epochs=epochs, tiny=tiny)

    return run


class SharedRuns:
    """Tiny default runs (``train_tiny`` with no extra option), each trained once per session and shared by the
    tests that only read them. Their log root holds nothing else."""

    def __init__(self, log_root: Path) -> None:
        self.log_root = log_root
        self.records: dict[tuple[str, str], dict] = {}

    def __call__(self, arch: str, data: str) -> dict:
        if (arch, data) not in self.records:
            self.records[arch, data] = train_tiny(self.log_root, arch, data)
        return self.records[arch, data]


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
    return SharedRuns(tmp_path_factory.mktemp("shared_runs") / "logs")


# Tests that share one resource run on one xdist worker, one after another (make test: --dist loadgroup).
XDIST_GROUPS = {"slurm": "slurm", "ddp": "ddp"}  # marker -> group: the local cluster's CPUs; local DDP ports


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for marker, group in XDIST_GROUPS.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.xdist_group(group))
                break


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist each worker takes its share of the CPUs for torch, so two workers do not fight over two cores."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))


@pytest.fixture(scope="module")
def no_network():
    """Any attempt to open a connection fails the test: datasets must come from files inside installed packages."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield
