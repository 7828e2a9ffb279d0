"""``archbench slurm``: write (and optionally submit) sbatch scripts for a grid array or a DDP run."""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from archbench.cli import lightning_args, train_arguments
from archbench.compare import spec_from_args
from archbench.errors import ArchbenchError

# Lightning saves an hpc checkpoint and requeues the job when SLURM sends SIGUSR1 before the time limit.
REQUEUE_SIGNAL = "--signal=SIGUSR1@90"


def sbatch_options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("sbatch")
    group.add_argument("--partition")
    group.add_argument("--time", help="wall-clock limit, e.g. 02:00:00")
    group.add_argument("--mem", help="memory per node, e.g. 16G")
    group.add_argument("--account")
    group.add_argument("--cpus-per-task", type=int, default=1)
    group.add_argument(
        "--sbatch-line", action="append", default=[], help="an extra #SBATCH option, e.g. qos=short (repeatable)"
    )
    group.add_argument("--script", help="where to write the sbatch script")
    group.add_argument("--submit", action="store_true", help="submit it with sbatch")
    return parser


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


def archbench_command() -> str:
    """The archbench executable of this environment, so jobs run the same install."""
    return str(Path(sys.executable).with_name("archbench"))


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


def run_slurm_compare(argv: list[str]) -> int:
    """One array task per grid cell; each reads its cell from SLURM_ARRAY_TASK_ID."""
    options, grid_argv = sbatch_options().parse_known_args(argv)
    spec, _ = spec_from_args(grid_argv)
    cells = spec.cells()
    out_dir = spec.out_dir.resolve()
    script = Path(options.script or out_dir / "slurm" / "array.sbatch").resolve()
    lines = header(options, f"archbench-{spec.name}", script.parent / "%A_%a.out", [f"--array=0-{len(cells) - 1}"])
    grid = shlex.join([archbench_command(), "compare", *grid_argv])
    lines += [f"cd {shlex.quote(str(Path.cwd()))}", f'exec {grid} --cell "$SLURM_ARRAY_TASK_ID"']
    write_and_maybe_submit(lines, script, options.submit)
    print(f"{len(cells)} cells; when the array has ended: archbench report {out_dir}")
    return 0


def run_slurm_fit(argv: list[str]) -> int:
    """A DDP run over nodes × tasks, started by srun; Lightning reads the SLURM environment."""
    parser = argparse.ArgumentParser(prog="archbench slurm fit", parents=[sbatch_options()])
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--gpus-per-node", type=int, default=0, help="0 trains on CPUs with gloo")
    parser.add_argument("--tasks-per-node", type=int, help="DDP processes per node (default: gpus-per-node or 2)")
    options, train_argv = parser.parse_known_args(argv)
    tasks = options.tasks_per_node or options.gpus_per_node or 2
    if min(options.nodes, tasks) < 1 or options.gpus_per_node < 0:
        raise ArchbenchError(f"--nodes and --tasks-per-node must be >= 1, got {options.nodes} and {tasks}")
    train_options, extra = train_arguments(train_argv)
    train_options.trainer = "ddp"
    train_options.devices = str(tasks)
    train_options.accelerator = "gpu" if options.gpus_per_node else "cpu"
    args = lightning_args(train_options, [*extra, "--trainer.num_nodes", str(options.nodes)])
    script = Path(options.script or Path("lightning_logs") / "slurm" / f"{train_options.arch}.sbatch").resolve()
    resources = [f"--nodes={options.nodes}", f"--ntasks-per-node={tasks}"]
    if options.gpus_per_node:
        resources.append(f"--gpus-per-node={options.gpus_per_node}")
    lines = header(options, f"archbench-{train_options.arch}", script.parent / "%j.out", resources)
    command = shlex.join([archbench_command(), "fit", *args])
    # The job id survives a requeue, so a requeued job finds its run folder and resumes from the hpc checkpoint.
    lines += [f"cd {shlex.quote(str(Path.cwd()))}", f'srun {command} --run_version "slurm_$SLURM_JOB_ID"']
    write_and_maybe_submit(lines, script, options.submit)
    return 0


SUBCOMMANDS = {"compare": run_slurm_compare, "fit": run_slurm_fit}


def run_slurm(argv: list[str]) -> int:
    if not argv or argv[0] not in SUBCOMMANDS:
        given = argv[0] if argv else "nothing"
        raise ArchbenchError(f"unknown slurm command {given!r}; allowed: {', '.join(SUBCOMMANDS)}")
    return SUBCOMMANDS[argv[0]](argv[1:])
