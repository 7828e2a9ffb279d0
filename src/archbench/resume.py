"""Choose a run's folder and hold it: resume an unfinished run of the same config and data, else start a new one.

Rerunning the same command after a preemption (SIGTERM, or SIGUSR1 under SLURM) continues from the newest
checkpoint of that run: Lightning's ``last.ckpt`` or its SLURM ``hpc_ckpt_N.ckpt``. A lock file (PID and host)
keeps two live runs out of one folder; the lock of a process that no longer exists is taken over.
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import yaml

from archbench.errors import ArchbenchError
from archbench.record import RECORD_NAME

# DDP ranks started by Lightning's launcher inherit this, so every rank picks the folder rank 0 picked.
VERSION_ENV = "ARCHBENCH_RUN_VERSION"
LOCK_NAME = "run.lock"
FINGERPRINT_NAME = "data_fingerprint.txt"
IGNORED_KEYS = ("run_version", "run_prefix", "resume")
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


def same_run(run_dir: Path, config: dict[str, Any], fingerprint: str) -> bool:
    """The folder holds a run of this config on this exact data."""
    saved, data = run_dir / "config.yaml", run_dir / FINGERPRINT_NAME
    return (
        saved.is_file()
        and data.is_file()
        and data.read_text().strip() == fingerprint
        and comparable(yaml.safe_load(saved.read_text()) or {}) == comparable(config)
    )


def global_rank() -> int:
    """This process's rank in a distributed run (SLURM's srun or Lightning's launcher), 0 otherwise."""
    for name in ("RANK", "SLURM_PROCID"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def lock_owner(run_dir: Path) -> dict[str, Any] | None:
    """Who holds the folder: the lock's PID and host, when that process is still alive (or on another host)."""
    try:
        owner = json.loads((run_dir / LOCK_NAME).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if owner.get("host") != socket.gethostname():
        job = os.environ.get("SLURM_JOB_ID")
        if job and owner.get("job") == job:
            return None  # this SLURM job, requeued onto another node: SLURM ended the earlier instance
        return owner  # cannot check another machine's processes: assume it is alive
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return None  # stale: that process is gone
    except PermissionError:
        pass
    return owner if int(owner["pid"]) != os.getpid() else None


def take_lock(run_dir: Path) -> bool:
    """Lock ``run_dir`` for this process; False when a live process holds it. A stale lock is taken over."""
    if global_rank() != 0:
        return True  # rank 0 holds the folder for the whole distributed run
    path = run_dir / LOCK_NAME
    mine = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "job": os.environ.get("SLURM_JOB_ID")})
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if lock_owner(run_dir) is not None:
                return False
            stale = path.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
            try:
                os.replace(path, stale)  # only one process can move the stale lock away
                stale.unlink()
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(descriptor, "w") as handle:
            handle.write(mine)
        return True
    return False


def release_lock(run_dir: Path) -> None:
    path = run_dir / LOCK_NAME
    if global_rank() == 0 and path.is_file():
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (FileNotFoundError, ValueError):
            pass


def numbered(run_root: Path, prefix: str) -> list[tuple[int, Path]]:
    pattern = re.compile(rf"{re.escape(prefix)}_(\d+)")
    return sorted((int(m.group(1)), p) for p in run_root.glob(f"{prefix}_*") if (m := pattern.fullmatch(p.name)))


def claim(run_dir: Path, config: dict[str, Any], fingerprint: str, resume: bool) -> Path | None:
    """Hold a named folder: resume it when it is an unfinished run of this config and data, else start it fresh."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if not take_lock(run_dir):
        owner = lock_owner(run_dir) or {}
        raise ArchbenchError(
            f"run folder {run_dir} is in use by PID {owner.get('pid')} on {owner.get('host')}; "
            "allowed: wait for it, or choose another --run_version"
        )
    checkpoint = newest_checkpoint(run_dir) if resume else None
    if checkpoint and same_run(run_dir, config, fingerprint):
        return checkpoint
    if (run_dir / RECORD_NAME).exists() or checkpoint:
        release_lock(run_dir)
        raise ArchbenchError(
            f"run folder {run_dir} holds another run (finished, or of another config or data); "
            "allowed: a new --run_version, or none to number runs automatically"
        )
    return None


def choose_version(
    run_root: Path, config: dict[str, Any], fingerprint: str, prefix: str, version: str | None, resume: bool
) -> tuple[str, Path | None]:
    """Return the folder name (held by this process) and the checkpoint to resume from (None: a fresh start).

    Without a fixed ``version``: the newest unfinished, unlocked run of the same config and data resumes;
    otherwise the next ``<prefix>_<N>`` folder is created (``mkdir`` is atomic, so two identical commands
    started together get two folders).
    """
    inherited = os.environ.get(VERSION_ENV)
    if inherited:  # a DDP rank started by rank 0: the folder is rank 0's
        checkpoint = newest_checkpoint(run_root / inherited) if resume else None
        return inherited, checkpoint if checkpoint and same_run(run_root / inherited, config, fingerprint) else None
    if version is not None:
        return version, claim(run_root / version, config, fingerprint, resume)
    existing = numbered(run_root, prefix)
    if resume:
        for _, run_dir in reversed(existing):
            checkpoint = newest_checkpoint(run_dir)
            if checkpoint and same_run(run_dir, config, fingerprint) and take_lock(run_dir):
                return run_dir.name, checkpoint
    number = existing[-1][0] + 1 if existing else 0
    run_root.mkdir(parents=True, exist_ok=True)
    while True:
        run_dir = run_root / f"{prefix}_{number}"
        try:
            run_dir.mkdir()
        except FileExistsError:
            number += 1
            continue
        take_lock(run_dir)
        return run_dir.name, None
