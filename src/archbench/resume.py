"""Choose a run's folder: resume an unfinished run of the same config, else start the next version.

Rerunning the same command after a preemption (SIGTERM, or SIGUSR1 under SLURM) continues from the newest
checkpoint of that run: Lightning's ``last.ckpt`` or its SLURM ``hpc_ckpt_N.ckpt``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from archbench.record import RECORD_NAME

# DDP ranks started by Lightning's launcher inherit this, so every rank picks the folder rank 0 picked.
VERSION_ENV = "ARCHBENCH_RUN_VERSION"
IGNORED_KEYS = ("run_version", "resume")
IGNORED_TRAINER_KEYS = ("logger", "default_root_dir")


def comparable(config: dict[str, Any]) -> dict[str, Any]:
    """The parts of a config that decide what a run computes (not where it is written)."""
    kept = {k: v for k, v in config.items() if k not in IGNORED_KEYS}
    kept["trainer"] = {k: v for k, v in (config.get("trainer") or {}).items() if k not in IGNORED_TRAINER_KEYS}
    return kept


def newest_checkpoint(run_dir: Path) -> Path | None:
    """The most recent resumable checkpoint of an unfinished run, if any."""
    if (run_dir / RECORD_NAME).exists():
        return None
    candidates = [*run_dir.glob("hpc_ckpt_*.ckpt"), run_dir / "checkpoints" / "last.ckpt"]
    existing = [c for c in candidates if c.is_file()]
    return max(existing, key=lambda c: c.stat().st_mtime) if existing else None


def same_config(run_dir: Path, config: dict[str, Any]) -> bool:
    saved = run_dir / "config.yaml"
    return saved.is_file() and comparable(yaml.safe_load(saved.read_text()) or {}) == comparable(config)


def choose_version(
    run_root: Path, config: dict[str, Any], version: str | None, resume: bool
) -> tuple[str, Path | None]:
    """Return the version folder name and the checkpoint to resume from (None for a fresh start)."""
    version = version or os.environ.get(VERSION_ENV)
    if version is not None:
        run_dir = run_root / version
        checkpoint = newest_checkpoint(run_dir) if resume else None
        return version, checkpoint if checkpoint and same_config(run_dir, config) else None
    numbered = sorted(
        (int(m.group(1)), p) for p in run_root.glob("version_*") if (m := re.fullmatch(r"version_(\d+)", p.name))
    )
    if resume and numbered:
        latest = numbered[-1][1]
        checkpoint = newest_checkpoint(latest)
        if checkpoint and same_config(latest, config):
            return latest.name, checkpoint
    return f"version_{numbered[-1][0] + 1 if numbered else 0}", None
