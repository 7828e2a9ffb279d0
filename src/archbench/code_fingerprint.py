"""A hash of the archbench source that a run executes, so a grid reuses a result only for identical code.

The package version stays the same across edits and a commit hash misses uncommitted ones, so the identity of a
cell hashes the text of the package's ``.py`` files instead. The YAML files a cell reads are hashed with its settings
(``RunSpec.identity``); documentation is not code and is left out. ``report/`` only reads finished results, so an
edit to a table or plot rebuilds the report without retraining anything.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).parent
NOT_RUN_BY_A_CELL = ("report",)  # subpackages that read results after the cells have run


@cache
def code_fingerprint() -> str:
    """SHA-256 over the path and bytes of every ``.py`` file a run may execute; computed once per process."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        relative = path.relative_to(PACKAGE_ROOT)
        if relative.parts[0] in NOT_RUN_BY_A_CELL:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
