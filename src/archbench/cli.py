"""The ``archbench`` command: train one run; ``fit`` passes everything to LightningCLI."""

from __future__ import annotations

import argparse
import sys

from archbench.configs import available, config_path
from archbench.errors import ArchbenchError
from archbench.record import RunRecord, rerun_command

EXIT_CODES = {"ok": 0, "failed": 1, "diverged": 1, "preempted": 143}  # 143: terminated by SIGTERM


def train_arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="archbench train",
        description="Train one architecture on one dataset, test its best checkpoint, log to TensorBoard.",
        epilog="Other --model.*, --data.*, --trainer.* options go to LightningCLI (archbench fit --help).",
    )
    parser.add_argument("--arch", default="lstm", help=f"one of: {', '.join(available('model'))}")
    parser.add_argument("--data", help="one of the data configs (default: adding for RNNs, house_prices otherwise)")
    parser.add_argument("--trainer", default="default", help=f"one of: {', '.join(available('trainer'))}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max_epochs", type=int)
    parser.add_argument("--accelerator")
    parser.add_argument("--devices")
    return parser.parse_known_args(argv)


def lightning_args(options: argparse.Namespace, extra: list[str]) -> list[str]:
    """The LightningCLI arguments for one run: three config files, the seed, the run name and overrides."""
    args = [
        "--model", str(config_path("model", options.arch)),
        "--data", str(config_path("data", options.data)),
        "--trainer", str(config_path("trainer", options.trainer)),
        "--seed_everything", str(options.seed),
        "--run_name", f"{options.data}/{options.arch}",
    ]  # fmt: skip
    for key in ("max_epochs", "accelerator", "devices"):
        if getattr(options, key) is not None:
            args += [f"--trainer.{key}", str(getattr(options, key))]
    return args + extra


def print_summary(record: RunRecord) -> None:
    """Print the run's result once: on global rank 0 (Lightning sets the rank when DDP starts)."""
    from lightning.pytorch.utilities.rank_zero import rank_zero_only

    if rank_zero_only.rank != 0:
        return
    if record.status == "preempted":
        print(f"\n{record.arch} on {record.dataset}: preempted; rerun the same command to resume from {record.log_dir}")
        return
    print(f"\n{record.arch} on {record.dataset} (seed {record.seed}): {record.status}")
    if record.error:
        print(f"  error: {record.error}")
    for name, value in sorted(record.baseline.items()):
        print(f"  naive baseline {name:<22} {value:.6g}")
    for name, value in sorted(record.metrics.items()):
        print(f"  {record.arch:<14} {name:<22} {value:.6g}")
    print(f"  logs: {record.log_dir}   (make tensorboard)")
    print(f"  rerun: {record.command}")


def run_train(argv: list[str]) -> int:
    options, extra = train_arguments(argv)
    if options.data is None:
        options.data = "adding" if options.arch in ("lstm", "gru") else "house_prices"
    args = lightning_args(options, extra)
    from archbench.runner import train  # heavy imports only once the arguments are known to be sane

    record = train(args, rerun_command(["train", *argv]), options.data, options.arch)
    print_summary(record)
    return EXIT_CODES[record.status]


def run_fit(argv: list[str]) -> int:
    from archbench.runner import train

    record = train(argv, rerun_command(["fit", *argv]))
    print_summary(record)
    return EXIT_CODES[record.status]


def run_compare(argv: list[str]) -> int:
    from archbench.compare import run_compare as compare

    return compare(argv)


def run_report(argv: list[str]) -> int:
    from archbench.compare import run_report as report

    return report(argv)


def run_slurm(argv: list[str]) -> int:
    from archbench.slurm import run_slurm as slurm

    return slurm(argv)


COMMANDS = {"train": run_train, "fit": run_fit, "compare": run_compare, "report": run_report, "slurm": run_slurm}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        given = argv[0] if argv else "nothing"
        print(f"archbench: error: unknown command {given!r}; allowed: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except ArchbenchError as error:
        print(f"archbench: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
