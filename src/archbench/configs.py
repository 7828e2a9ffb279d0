"""Where the YAML configs live and which architectures, datasets and trainer profiles they offer."""

from __future__ import annotations

import os
from pathlib import Path

from archbench.errors import ArchbenchError

GROUPS = ("model", "data", "trainer")


def config_root() -> Path:
    """``$ARCHBENCH_CONFIGS``, else ``./configs``, else the repository's ``configs/`` beside ``src/``."""
    for candidate in (os.environ.get("ARCHBENCH_CONFIGS"), "configs", Path(__file__).parents[2] / "configs"):
        if candidate and (Path(candidate) / "model").is_dir():
            return Path(candidate)
    raise ArchbenchError("no configs/ folder found; set ARCHBENCH_CONFIGS to the folder holding model/ data/ trainer/")


def available(group: str) -> list[str]:
    """Names offered in one group: the YAML file stems of ``configs/<group>/``."""
    return sorted(p.stem for p in (config_root() / group).glob("*.yaml"))


def config_path(group: str, name: str) -> Path:
    """The YAML file for ``name`` in ``group``, or a one-line error listing what is allowed."""
    names = available(group)
    label = {"model": "ARCH", "data": "DATA", "trainer": "TRAINER"}[group]
    if name not in names:
        raise ArchbenchError(f"unknown {label} {name!r}; allowed: {', '.join(names)}")
    return config_root() / group / f"{name}.yaml"
