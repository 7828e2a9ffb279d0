"""``archbench slurm``: write (and optionally submit) sbatch scripts for a study array or a DDP run."""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from archbench.errors import ArchbenchError
from archbench.grid import array_tasks, check_study, write_study
from archbench.spec import RunSpec, StudySpec, TuneSpec, archbench_executable
from archbench.tune_storage import shown

# Lightning saves an hpc checkpoint and requeues the job when SLURM sends SIGUSR1 before the time limit.
REQUEUE_SIGNAL = "--signal=SIGUSR1@90"


def header(options: argparse.Namespace, job_name: str, output: Path, extra: list[str]) -> list[str]:
    """The ``#SBATCH`` lines shared by both kinds of job."""
    lines = ["#!/bin/bash", f"#SBATCH --job-name={job_name}", f"#SBATCH --output={output}", f"#SBATCH {REQUEUE_SIGNAL}"]
    lines += [f"#SBATCH {line}" for line in extra]
    lines.append(f"#SBATCH --cpus-per-task={options.cpus_per_task}")
    for flag in ("partition", "time", "mem", "account"):
        if getattr(options, flag):
            lines.append(f"#SBATCH --{flag}={getattr(options, flag)}")
    for line in options.sbatch_line:
        option = line.removeprefix("#SBATCH").strip()
        lines.append(f"#SBATCH {option if option.startswith('-') else '--' + option}")
    return lines


def write_and_maybe_submit(lines: list[str], script: Path, submit: bool) -> Path:
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("\n".join(lines) + "\n")
    print(f"wrote {script}")
    if submit:
        if shutil.which("sbatch") is None:
            raise ArchbenchError(
                "--submit needs sbatch on PATH; allowed: run where SLURM is installed, or omit --submit"
            )
        done = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True)
        if done.returncode != 0:
            raise ArchbenchError(f"sbatch rejected {script}: {done.stderr.strip()}")
        print(f"submitted job {done.stdout.strip().split(';')[0]}")
    return script


def write_array(study: StudySpec, options: argparse.Namespace) -> int:
    """An array over the study's cells, ``cells_per_task`` per task; each task reads SLURM_ARRAY_TASK_ID."""
    cells = check_study(study)
    tasks = array_tasks(cells, options.cells_per_task)
    out_dir = study.out_dir.resolve()
    script = Path(options.script or out_dir / "slurm" / "array.sbatch").resolve()
    lines = header(options, f"archbench-{study.name}", script.parent / "%A_%a.out", [f"--array=0-{tasks - 1}"])
    compare = [archbench_executable(), "compare", "--study", str(write_study(study).resolve())]
    lines += [
        f"cd {shlex.quote(str(Path.cwd()))}",
        f'exec {shlex.join(compare)} --cells_per_task {options.cells_per_task} --task "$SLURM_ARRAY_TASK_ID"',
    ]
    write_and_maybe_submit(lines, script, options.submit)
    print(f"{len(cells)} cells in {tasks} array tasks; when the array has ended: archbench report {out_dir}")
    return 0


def write_tuning(tune: TuneSpec, options: argparse.Namespace) -> int:
    """An array of ``--workers`` tasks, each a worker of one study: in a journal file (the default, safe on a shared
    filesystem) or in the PostgreSQL database of ``--storage postgresql://...`` (many workers; a dead worker's trial is
    retried). SQLite is refused: Optuna advises against it for parallel workers."""
    if options.workers < 1:
        raise ArchbenchError(f"--workers must be >= 1, got {options.workers}")
    if options.workers > 1 and tune.storage is not None and tune.storage.startswith("sqlite:"):
        raise ArchbenchError(
            f"--storage {tune.storage}: SQLite is not for parallel workers; allowed: journal:<file on a shared "
            "filesystem> or postgresql://..."
        )
    if tune.storage is None:
        tune = replace(tune, storage=f"journal:{(tune.folder / 'tune.journal').resolve()}")
    script = Path(options.script or tune.folder / "slurm" / "tune.sbatch").resolve()
    lines = header(
        options, f"archbench-tune-{tune.name}", script.parent / "%A_%a.out", [f"--array=0-{options.workers - 1}"]
    )
    lines += [f"cd {shlex.quote(str(Path.cwd()))}", f"exec {shlex.join([archbench_executable(), *tune.tune_args()])}"]
    write_and_maybe_submit(lines, script, options.submit)
    print(f"{options.workers} workers share {tune.trials} trials in {shown(tune.storage_url)}")
    return 0


def write_ddp(spec: RunSpec, options: argparse.Namespace) -> int:
    """A DDP run over nodes × tasks, started by srun; Lightning reads the SLURM environment."""
    tasks = options.tasks_per_node or options.gpus_per_node or 2
    if min(options.nodes, tasks) < 1 or options.gpus_per_node < 0:
        raise ArchbenchError(f"--nodes and --tasks-per-node must be >= 1, got {options.nodes} and {tasks}")
    spec = replace(
        spec,
        trainer="ddp",
        devices=str(tasks),
        accelerator="gpu" if options.gpus_per_node else "cpu",
        overrides=(*spec.overrides, "--trainer.num_nodes", str(options.nodes)),
        run_version=None,
    )
    script = Path(options.script or Path("lightning_logs") / "slurm" / f"{spec.arch}.sbatch").resolve()
    resources = [f"--nodes={options.nodes}", f"--ntasks-per-node={tasks}"]
    if options.gpus_per_node:
        resources.append(f"--gpus-per-node={options.gpus_per_node}")
    lines = header(options, f"archbench-{spec.arch}", script.parent / "%j.out", resources)
    command = shlex.join([archbench_executable(), *spec.train_args()])
    # The job id survives a requeue, so a requeued job finds its run folder and resumes from the hpc checkpoint.
    lines += [f"cd {shlex.quote(str(Path.cwd()))}", f'srun {command} --run_version "slurm_$SLURM_JOB_ID"']
    write_and_maybe_submit(lines, script, options.submit)
    return 0


def wait_for_job(job_id: str, timeout: float) -> None:
    """Wait until squeue no longer lists the job (with accounting off, as on the local cluster, squeue is all there
    is to ask)."""
    deadline = time.monotonic() + timeout
    while True:
        result = subprocess.run(["squeue", "-h", "-j", job_id], capture_output=True, text=True, timeout=30)
        # squeue lists only jobs not yet finished, and rejects an id that slurmctld has already forgotten.
        if (result.returncode == 0 and not result.stdout.strip()) or "Invalid job id" in result.stderr:
            return
        if time.monotonic() > deadline:
            last = (result.stdout + result.stderr).strip()
            raise TimeoutError(f"job {job_id} not finished after {timeout:.0f} s; last squeue output:\n{last}")
        time.sleep(0.5)
