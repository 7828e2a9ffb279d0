"""Talk to the local SLURM cluster (scripts/start_local_slurm.sh) from tests: is it up, submit a job, wait for it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from archbench.slurm import wait_for_job  # noqa: F401 - the tests' way to wait, as the bench's

START_HINT = "start it with: sudo scripts/start_local_slurm.sh"
READY_STATES = {"idle", "mixed", "allocated", "completing", "planned"}


def slurm_available() -> tuple[bool, str]:
    """Whether a SLURM node takes jobs; when not, the reason in one line."""
    if shutil.which("sinfo") is None:
        return False, f"SLURM is not installed (no sinfo on PATH); {START_HINT}"
    try:
        result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False, f"sinfo did not answer within 30 s; {START_HINT}"
    if result.returncode != 0:
        return False, f"sinfo failed: {result.stderr.strip()}; {START_HINT}"
    states = set(result.stdout.split())
    if not states & READY_STATES:
        return False, f"no SLURM node takes jobs (sinfo states: {', '.join(sorted(states)) or 'none'}); {START_HINT}"
    return True, "SLURM node ready"


def submit(script_path: str | Path) -> str:
    """Submit a batch script with sbatch and return its job id."""
    result = subprocess.run(["sbatch", "--parsable", str(script_path)], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"sbatch {script_path} failed: {result.stderr.strip()}")
    return result.stdout.strip().split(";")[0]  # --parsable prints "id" or "id;cluster"
