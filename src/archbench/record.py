"""The run record: what a run was (config, seed, versions, rerun command) and what it measured."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

RECORD_NAME = "run.json"
PACKAGES = ("archbench", "torch", "lightning", "torchmetrics", "numpy", "scikit-learn", "tensorboard")


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that decide a run's numbers."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def write_atomic(target: str | Path, text: str) -> Path:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, target)
    return target


def git_state() -> dict[str, str | bool]:
    """The commit of the archbench source tree this run used, and whether it had uncommitted changes."""
    source = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(source), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": "unknown (not a git checkout)", "dirty": False}
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def scored_predictions(task: str, y_test: Any) -> int:
    """How many predictions a test score counts: every label for classification (sequence labels count each step),
    else the test samples."""
    return int(y_test.numel()) if task == "classification" else len(y_test)


@dataclass
class RunRecord:
    """One finished (or failed, or diverged) run; written atomically as ``run.json`` in its log dir."""

    dataset: str
    arch: str
    seed: int
    status: str
    log_dir: str
    command: str
    kind: str = "model"
    world_size: int = 1
    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    n_test: int | None = None  # test predictions scored (samples, or labelled steps): accuracy moves by 1/n_test
    params: int | None = None
    latency_us: float | None = None
    peak_mem_mb: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    config: str = ""
    data_fingerprint: str = ""
    identity: str = ""  # the cell identity a grid reuses this record under (spec.RunSpec.identity)
    checkpoint: str = ""  # the checkpoint that was tested
    versions: dict[str, str] = field(default_factory=versions)
    git: dict[str, str | bool] = field(default_factory=git_state)
    reused: bool = False  # set by a grid when this record came from an earlier run of the same cell

    def write(self, target: str | Path) -> Path:
        """Write the record as JSON, atomically."""
        return write_atomic(target, json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def read(cls, path: str | Path) -> RunRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(Path(path).read_text()).items() if k in known})
