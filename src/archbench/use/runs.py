"""Which run folder a user means: a folder, or a study's cell (dataset, architecture) at its best validation seed.

Reads only what runs and grids leave on disk (``run.json``, ``reports/<study>/cells/*.json``); imports no torch.
"""

from __future__ import annotations

import math
from pathlib import Path

from archbench.errors import ArchbenchError
from archbench.record import RECORD_NAME, RunRecord

CHECKPOINT_DIR = "checkpoints"
LAST_CHECKPOINT = "last.ckpt"


def finished_run(run_dir: str | Path) -> RunRecord:
    """The record of a run folder that finished training (status ok); one line for anything else."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise ArchbenchError(f"run folder {folder} does not exist; allowed: a run folder (lightning_logs/...)")
    if not (folder / RECORD_NAME).is_file():
        inside = sorted(p.parent.name for p in folder.glob(f"*/{RECORD_NAME}"))
        allowed = f"one of the runs inside: {', '.join(inside)}" if inside else "a folder where a run ended"
        raise ArchbenchError(
            f"{folder} is not a finished run: it has no {RECORD_NAME}; allowed: {allowed}"
            " (a run prints 'logs: <folder>')"
        )
    try:
        record = RunRecord.read(folder / RECORD_NAME)
    except (OSError, ValueError, TypeError) as error:
        raise ArchbenchError(f"{folder / RECORD_NAME} cannot be read ({type(error).__name__})") from None
    if record.kind != "model":
        raise ArchbenchError(f"{folder} holds a {record.kind} run; allowed: a run of a network")
    if record.status != "ok":
        raise ArchbenchError(f"{folder} is not a finished run: its status is {record.status}; allowed: status ok")
    return record


def checkpoint_of(run_dir: str | Path, record: RunRecord) -> Path:
    """The checkpoint the run tested, found in the folder itself (the folder may have been moved since)."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    tested = folder / Path(record.checkpoint).name if record.checkpoint else folder / LAST_CHECKPOINT
    if not tested.is_file():
        raise ArchbenchError(f"{Path(run_dir)} is not a finished run: its checkpoint {tested} is missing")
    return tested


def best_study_run(study: str, dataset: str | None, arch: str | None, reports_root: str | Path = "reports") -> Path:
    """The run folder of a study's cell (dataset, arch) whose seed had the best (lowest) validation loss."""
    cells = Path(reports_root) / study / "cells"
    if not cells.is_dir():
        raise ArchbenchError(
            f"{study!r} is neither a run folder nor a study under {reports_root}/; allowed: a run folder, or a study"
            " name with --data and --arch"
        )
    records = [RunRecord.read(path) for path in sorted(cells.glob("*.json"))]
    models = [r for r in records if r.kind == "model"]
    if dataset is None or arch is None:
        raise ArchbenchError(
            f"study {study!r} needs --data and --arch to choose a run; allowed --data: "
            f"{', '.join(sorted({r.dataset for r in models}))}; --arch: {', '.join(sorted({r.arch for r in models}))}"
        )
    cell = [r for r in models if r.dataset == dataset and r.arch == arch]
    if not cell:
        pairs = sorted({f"{r.dataset}/{r.arch}" for r in models})
        raise ArchbenchError(f"study {study!r} has no runs of {arch} on {dataset}; allowed: {', '.join(pairs)}")
    scored = [r for r in cell if r.status == "ok" and is_number(r.stats.get("best_val_loss"))]
    if not scored:
        raise ArchbenchError(
            f"study {study!r} has no finished run of {arch} on {dataset} with a validation loss to choose a seed by"
        )
    best = min(scored, key=lambda r: (r.stats["best_val_loss"], r.seed))
    return Path(best.log_dir)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
