"""The local SLURM cluster that CI starts runs array jobs, each task once with its own index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slurm_helpers import slurm_available, submit, wait_for_job


@pytest.mark.slow
@pytest.mark.slurm
def test_array_job_runs_each_task_once_with_its_index(tmp_path: Path) -> None:
    available, reason = slurm_available()
    if not available:
        # Skip only where SLURM is not installed at all; installed but down is a broken setup and must fail loudly.
        if shutil.which("sbatch") is None:
            pytest.skip(reason)
        pytest.fail(reason)
    script = tmp_path / "array.sh"
    script.write_text(
        "#!/bin/sh\n"
        "#SBATCH --array=0-1\n"
        f"#SBATCH --output={tmp_path}/slurm-%A_%a.out\n"
        f'echo "$SLURM_ARRAY_TASK_ID" > {tmp_path}/task_$SLURM_ARRAY_TASK_ID.txt\n'
    )

    wait_for_job(submit(script), timeout=120)

    logs = "\n".join(p.read_text() for p in sorted(tmp_path.glob("slurm-*.out")))
    assert sorted(p.name for p in tmp_path.glob("task_*.txt")) == ["task_0.txt", "task_1.txt"], logs
    assert (tmp_path / "task_0.txt").read_text().strip() == "0"
    assert (tmp_path / "task_1.txt").read_text().strip() == "1"
