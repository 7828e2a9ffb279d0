"""The run record: what a run was (config, seed, versions, rerun command) and what it measured."""

from __future__ import annotations

import json
import os
import platform
import shlex
import tempfile
from dataclasses import asdict, dataclass, field
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


def rerun_command(args: list[str]) -> str:
    """The shell command that reruns this run."""
    return shlex.join(["archbench", *args])


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
    params: int | None = None
    latency_us: float | None = None
    peak_mem_mb: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    config: str = ""
    versions: dict[str, str] = field(default_factory=versions)

    def write(self, target: str | Path) -> Path:
        """Write the record as JSON, atomically."""
        return write_atomic(target, json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def read(cls, path: str | Path) -> RunRecord:
        return cls(**json.loads(Path(path).read_text()))
