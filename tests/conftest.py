"""Shared fixtures: run the real CLI in-process with tiny budgets and logs under tmp_path."""

from __future__ import annotations

import json
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


@pytest.fixture
def train_run(tmp_path: Path) -> Callable[..., dict]:
    """Train through ``archbench train`` with a tiny budget; return the run record as a dict."""

    def run(arch: str, data: str, *extra: str, epochs: int = 1, tiny: bool = True) -> dict:
        log_root = tmp_path / "logs"
        args = [
            "train",
            "--arch",
            arch,
            "--data",
            data,
            "--max_epochs",
            str(epochs),
            "--log_root",
            str(log_root),
        ]
        code = main(args + (TINY if tiny else ["--trainer", "cpu"]) + list(extra))
        records = sorted(log_root.rglob("run.json"), key=lambda p: p.stat().st_mtime)
        assert records, f"no run record written (exit code {code})"
        return json.loads(records[-1].read_text())

    return run
