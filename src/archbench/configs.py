"""Where the YAML configs live and which architectures, datasets, trainer profiles and studies they offer.

The configs ship inside the package (``bundled_configs`` links to the repository's top-level ``configs/``, and the
wheel carries the files). A folder of your own is used only when asked for: ``--configs DIR`` or
``$ARCHBENCH_CONFIGS``; a ``configs/`` in the working directory is never picked up by accident.
"""

from __future__ import annotations

import os
from pathlib import Path

from archbench.errors import ArchbenchError

CONFIGS_ENV = "ARCHBENCH_CONFIGS"
BUNDLED = Path(__file__).parent / "bundled_configs"
LABELS = {
    "model": "ARCH",
    "data": "DATA",
    "trainer": "TRAINER",
    "study": "STUDY",
    "reference": "reference",
    "search": "search space",
}


def use_configs(folder: str | None) -> None:
    """Make ``folder`` the config root for this process and the processes it starts (grid workers, DDP ranks)."""
    if folder is None:
        return
    if not (Path(folder) / "model").is_dir():
        raise ArchbenchError(
            f"--configs {folder}: no model/ folder inside; allowed: a folder with model/ data/ trainer/"
        )
    os.environ[CONFIGS_ENV] = str(Path(folder).resolve())


def config_root() -> Path:
    """``$ARCHBENCH_CONFIGS`` when set, else the configs shipped with archbench."""
    chosen = os.environ.get(CONFIGS_ENV)
    if chosen:
        if not (Path(chosen) / "model").is_dir():
            raise ArchbenchError(f"{CONFIGS_ENV}={chosen} has no model/ folder; allowed: a folder with model/ data/")
        return Path(chosen)
    return BUNDLED


def available(group: str) -> list[str]:
    """Names offered in one group: the YAML file stems of ``configs/<group>/``."""
    return sorted(p.stem for p in (config_root() / group).glob("*.yaml"))


def config_path(group: str, name: str) -> Path:
    """The YAML file for ``name`` in ``group``, or a one-line error listing what is allowed."""
    names = available(group)
    if name not in names:
        raise ArchbenchError(f"unknown {LABELS[group]} {name!r}; allowed: {', '.join(names)}")
    return config_root() / group / f"{name}.yaml"
