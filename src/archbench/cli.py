"""The ``archbench`` command: one argparse parser with subcommands; every run is built from a run spec.

Parsing, ``--help`` and argument errors import neither torch nor Lightning; a command imports them once it runs.
"""

from __future__ import annotations

import argparse
import difflib
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from archbench.configs import available, config_path, use_configs
from archbench.errors import ArchbenchError
from archbench.spec import OPTION_GROUPS, RUNNER_OPTIONS, RunSpec, TuneSpec, build_study

EXIT_CODES = {"ok": 0, "failed": 1, "diverged": 1, "preempted": 143}  # 143: terminated by SIGTERM
PASSED_ON = tuple(f"--{group}." for group in OPTION_GROUPS)  # a run's classes, checked when the run is resolved
CELLS_PER_TASK = 8  # a task of small cells then lasts minutes, and pays the ~6 s start-up once, not per cell


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument as an ``ArchbenchError`` (one line, exit 2) instead of a usage dump."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # --max_epoch must not silently mean --max_epochs
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArchbenchError(f"{self.prog}: {message}")


def jobs_count(text: str) -> int | str:
    if text != "auto" and not int(text) >= 1:
        raise ArchbenchError(f"--jobs must be >= 1 or auto, got {text}")
    return text if text == "auto" else int(text)


def at_least_one(option: str) -> Callable[[str], int]:
    """An argparse type: a whole number >= 1, else one line naming ``option`` (before torch is imported)."""

    def parse(text: str) -> int:
        value = int(text)
        if value < 1:
            raise ArchbenchError(f"{option} must be >= 1, got {text}")
        return value

    return parse


def seed(text: str) -> int:
    return int(text)  # the range is checked by the run spec, with the allowed values in the message


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arch", default="lstm", help=f"architecture, one of: {', '.join(available('model'))}")
    parser.add_argument("--data", help="a data config (default: the architecture's, e.g. adding for RNNs)")
    parser.add_argument("--trainer", default="default", help=f"trainer profile: {', '.join(available('trainer'))}")
    parser.add_argument("--seed", type=seed, default=0, help="0..2^32-1 (default 0)")
    add_trainer_shortcuts(parser)


def add_trainer_shortcuts(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max_epochs", type=int, help="default: the trainer profile's")
    parser.add_argument("--accelerator", help="cpu, gpu or auto")
    parser.add_argument("--devices", help="devices (processes on CPU) per node")
    parser.add_argument("--log_root", default="lightning_logs", help="where runs are logged")
    parser.add_argument("--run_version", help="a fixed run folder name (default: the next version_N)")


def add_configs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configs", help="a config folder of your own (model/ data/ trainer/ study/); also $ARCHBENCH_CONFIGS"
    )


def add_study_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", help="a study file: a name under configs/study/ or a YAML path (default: default)")
    parser.add_argument("--archs", help="comma-separated architectures (overrides the study)")
    parser.add_argument("--data", dest="datasets", help="comma-separated datasets (overrides the study)")
    parser.add_argument("--seeds", type=at_least_one("--seeds"), help="run seeds 0..N-1 (overrides the study)")
    parser.add_argument("--baselines", help="comma-separated scikit-learn baselines, or 'none'")
    parser.add_argument("--name", help="the report's folder under reports/ (default: the study's name)")
    parser.add_argument("--max_epochs", type=int, help="per model cell (default: the trainer profile's)")
    parser.add_argument("--trainer", help="trainer profile for every cell")
    parser.add_argument("--log_root", help="where the cells' runs are logged (default lightning_logs)")
    parser.add_argument("--reports_root", help="where reports go (default reports)")


def margin(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ArchbenchError(f"--margin must be > 0, got {text}")
    return value


def add_margin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--margin",
        type=margin,
        help="equivalence margin, fixed before the data are seen: absolute for accuracy-type metrics (default 0.01; "
        "at least 1.5 test samples), for error metrics the fraction a ratio of errors may exceed 1 (default 0.05)",
    )
    parser.add_argument("--alpha", type=alpha, default=0.05, help="level of every test, 0 < α < 1 (default 0.05)")


def alpha(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ArchbenchError(f"--alpha must be inside (0, 1), got {text}")
    return value


def add_tune_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trials", type=at_least_one("--trials"), default=20, help="the study's budget: trials in total, all workers"
    )
    parser.add_argument("--name", default="tune", help="the study's folder under --reports_root (storage, report)")
    parser.add_argument(
        "--storage",
        help="default sqlite:///<reports_root>/<name>/tune.db; journal:<file> on a shared filesystem; "
        "postgresql://... for many workers (pip install 'archbench[postgres]')",
    )
    parser.add_argument("--pruner", default="median", help="median, hyperband or none")
    parser.add_argument("--sampler_seed", type=int, default=0, help="TPE sampler seed")
    parser.add_argument("--reports_root", default="reports")


def add_sbatch_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sbatch")
    group.add_argument("--partition")
    group.add_argument("--time", help="wall-clock limit, e.g. 02:00:00")
    group.add_argument("--mem", help="memory per node, e.g. 16G")
    group.add_argument("--account")
    group.add_argument("--cpus-per-task", type=int, default=1)
    group.add_argument("--sbatch-line", action="append", default=[], help="an extra #SBATCH option (repeatable)")
    group.add_argument("--script", help="where to write the sbatch script")
    group.add_argument("--submit", action="store_true", help="submit it with sbatch")


# archbench predict / export (archbench.use): a trained run applied to new rows, or saved as a portable network.
def add_use_run_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder, or a study name with --data and --arch")
    parser.add_argument("--data", dest="study_data", help="with a study name: the dataset of the run to use")
    parser.add_argument("--arch", help="with a study name: the architecture (the seed with the best val/loss)")
    parser.add_argument("--reports_root", default="reports", help="where studies are (default reports)")


def add_predict_options(parser: argparse.ArgumentParser) -> None:
    add_use_run_argument(parser)
    parser.add_argument("--data.path", dest="path", required=True, help="new rows: a CSV file, or .npy (N, T, C)")
    parser.add_argument("--data.delimiter", dest="delimiter", default=",", help="the CSV's delimiter (default ,)")
    parser.add_argument("--output", help="where to write the predictions as CSV (default: print them)")
    parser.add_argument("--windows", action="store_true", help="a series: forecast after every window of the file")


def add_export_options(parser: argparse.ArgumentParser) -> None:
    add_use_run_argument(parser)
    parser.add_argument("--format", required=True, choices=("onnx", "torchscript"), help="onnx or torchscript")
    parser.add_argument("--output", help="the file (default <run>/model.onnx or model.pt); a .json sidecar beside it")


def top_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="archbench",
        description="Do different neural network architectures yield similar performance? Train, log, compare.",
        epilog="Options of the model, data and trainer (--model.*, --data.*, --trainer.*) follow any run command.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command", parser_class=OneLineParser)
    train = commands.add_parser("train", help="train one architecture on one dataset, test it, log to TensorBoard")
    add_run_options(train)
    add_configs_option(train)
    fit = commands.add_parser("fit", help="rerun a saved config.yaml (archbench fit --config <run>/config.yaml)")
    fit.add_argument("--config", required=True, help="a run's config.yaml")
    fit.add_argument("--seed", type=seed, help="default: the config's seed_everything")
    add_trainer_shortcuts(fit)
    fit.set_defaults(log_root=None)
    compare = commands.add_parser("compare", help="run a study (archs x datasets x seeds) and write its report")
    add_study_options(compare)
    compare.add_argument(
        "--jobs", type=jobs_count, default=1, help="cells run in parallel processes; 'auto': one per CPU this may use"
    )
    compare.add_argument("--task", type=int, help="run only this array task's cells (SLURM), no report")
    compare.add_argument(
        "--cells_per_task", type=at_least_one("--cells_per_task"), default=1, help="cells per array task (with --task)"
    )
    add_margin_option(compare)
    compare.add_argument("--tune", action="store_true", help="first tune every architecture with the study's budget")
    add_configs_option(compare)
    tune = commands.add_parser("tune", help="an Optuna study of one architecture on one dataset (validation only)")
    add_run_options(tune)
    add_tune_options(tune)
    add_configs_option(tune)
    report = commands.add_parser("report", help="rebuild a study's report from its records, without training")
    report.add_argument("grid", help="a folder written by compare, or a study name under reports/")
    report.add_argument("--reports_root", default="reports")
    add_margin_option(report)
    predict = commands.add_parser("predict", help="predict with a trained run on new rows (CSV, or .npy series)")
    add_predict_options(predict)
    export = commands.add_parser("export", help="export a trained run's network to ONNX or TorchScript, with a sidecar")
    add_export_options(export)
    datasets = commands.add_parser("datasets", help="the dataset catalogue: a table, --json, or one entry by name")
    datasets.add_argument("name", nargs="?", help="one dataset: its facts and citation")
    datasets.add_argument("--json", action="store_true", help="print JSON (a list of objects, or one object)")
    add_configs_option(datasets)
    add_rank_command(commands)
    slurm = commands.add_parser("slurm", help="write (and submit) sbatch scripts: a study array or a DDP run")
    jobs = slurm.add_subparsers(dest="slurm_command", metavar="slurm_command", parser_class=OneLineParser)
    array = jobs.add_parser("compare", help="an sbatch array over the cells of a study")
    array.add_argument(
        "--cells_per_task",
        type=at_least_one("--cells_per_task"),
        default=CELLS_PER_TASK,
        help=f"cells each array task runs in one process, paying the start-up once (default {CELLS_PER_TASK})",
    )
    add_study_options(array)
    add_configs_option(array)
    add_sbatch_options(array)
    workers = jobs.add_parser("tune", help="an sbatch array of tuning workers sharing one study (journal, PostgreSQL)")
    add_run_options(workers)
    add_tune_options(workers)
    workers.add_argument("--workers", type=int, default=2, help="array tasks, each a worker of the same study")
    add_configs_option(workers)
    add_sbatch_options(workers)
    ddp = jobs.add_parser("fit", help="a DDP run over nodes x tasks, started by srun")
    add_run_options(ddp)
    ddp.add_argument("--nodes", type=int, default=1)
    ddp.add_argument("--gpus-per-node", type=int, default=0, help="0 trains on CPUs with gloo")
    ddp.add_argument("--tasks-per-node", type=int, help="DDP processes per node (default: gpus-per-node or 2)")
    add_configs_option(ddp)
    add_sbatch_options(ddp)
    return parser


def add_rank_command(commands: argparse._SubParsersAction) -> None:
    """``archbench rank``: its help text lives with it, in archbench.rank_cli (imported only when it runs)."""
    rank = commands.add_parser(
        "rank",
        help="rank methods over datasets from a long CSV: mean ranks, Friedman, Wilcoxon-Holm pairs, CD diagram",
        description="Rank methods over datasets from a long CSV with columns dataset, method, score (optionally "
        "metric, higher_is_better): mean ranks (ties averaged), the Friedman test and every pair by the two-sided "
        "Wilcoxon signed-rank test (Pratt's zeros), Holm-corrected. A dataset where some method has no score is "
        "dropped, with a note. aeon's critical-difference plot uses other defaults (one-sided tests, zero "
        "differences dropped, alpha 0.1), so its p-values differ from these.",
    )
    rank.add_argument("table", help="the long CSV file")
    rank.add_argument("--alpha", type=alpha, help="level of the tests, 0 < α < 1 (default 0.05; 0.1 with --aeon)")
    rank.add_argument(
        "--aeon",
        action="store_true",
        help="pairs in aeon's plot_critical_difference convention: one-sided Wilcoxon, zeros dropped, p < α/(k−1)",
    )
    rank.add_argument("--plot", help="write the critical-difference diagram (scikit-posthocs) to this PNG")


def check_passed_on(extra: list[str], parser_options: list[str]) -> None:
    """Options not for the command itself must be LightningCLI's; anything else is a typo, named with its fix."""
    for token in extra:
        key = token.split("=", 1)[0]
        if not key.startswith("--") or key.startswith(PASSED_ON) or key in RUNNER_OPTIONS:
            continue
        close = difflib.get_close_matches(key, [*parser_options, *RUNNER_OPTIONS], n=2, cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(close)}?"
            if close
            else "allowed: the options in --help, --model.*, --data.*, --trainer.*"
        )
        raise ArchbenchError(f"unknown option {key}; {hint}")


def run_spec(options: argparse.Namespace, extra: list[str]) -> RunSpec:
    """The run spec of ``train`` (and of ``slurm fit``): flags plus the LightningCLI overrides that follow them."""
    data = options.data
    config_path("model", options.arch)  # an unknown name is a one-line error before anything heavy is imported
    if data is None:
        from archbench.build import default_data  # imports the model class, so only when it is needed

        data = default_data(options.arch)
    return RunSpec(
        arch=options.arch,
        data=data,
        trainer=options.trainer,
        seed=options.seed,
        max_epochs=options.max_epochs,
        accelerator=options.accelerator,
        devices=options.devices,
        overrides=tuple(extra),
        log_root=options.log_root,
        run_version=options.run_version,
    )


def saved_run_spec(options: argparse.Namespace, extra: list[str]) -> RunSpec:
    """The run spec of ``fit --config``: the saved config names the run, its seed and its log root."""
    try:
        saved = yaml.safe_load(Path(options.config).read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ArchbenchError(
            f"--config {options.config}: {type(error).__name__}; allowed: a run's config.yaml"
        ) from None
    data = str(saved.get("run_name", "runs")).partition("/")[0]
    return RunSpec(
        arch=str(saved.get("arch") or "custom"),
        data=data,
        seed=options.seed if options.seed is not None else int(saved.get("seed_everything") or 0),
        config_file=options.config,
        max_epochs=options.max_epochs,
        accelerator=options.accelerator,
        devices=options.devices,
        overrides=tuple(extra),
        log_root=options.log_root or saved.get("log_root") or "lightning_logs",
        run_version=options.run_version,
    )


def tune_spec(options: argparse.Namespace, extra: list[str]) -> TuneSpec:
    return TuneSpec(
        run=run_spec(options, extra),
        trials=options.trials,
        name=options.name,
        storage=options.storage,
        sampler_seed=options.sampler_seed,
        pruner=options.pruner,
        reports_root=options.reports_root,
    )


def names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [] if text.strip() == "none" else [n.strip() for n in text.split(",") if n.strip()]


def study_spec(options: argparse.Namespace, extra: list[str]):  # noqa: ANN201 - spec.StudySpec
    if options.seeds is not None and options.seeds < 1:
        raise ArchbenchError(f"--seeds must be >= 1, got {options.seeds}")
    flags = {
        "name": options.name,
        "archs": names(options.archs),
        "datasets": names(options.datasets),
        "seeds": list(range(options.seeds)) if options.seeds is not None else None,
        "baselines": names(options.baselines),
        "max_epochs": options.max_epochs,
        "trainer": options.trainer,
        "log_root": options.log_root,
        "reports_root": options.reports_root,
    }
    return build_study(options.study, flags, extra)


def print_summary(record) -> None:  # noqa: ANN001 - record.RunRecord
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
    for line in forecast_comparisons(record.arch, record.metrics, record.baseline):
        print(f"  {line}")
    print(f"  logs: {record.log_dir}   (make tensorboard)")
    print(f"  rerun: {record.command}")


def forecast_comparisons(arch: str, metrics: dict[str, float], baseline: dict[str, float]) -> list[str]:
    """Plain sentences: how many times better or worse the model's test errors are than the naive forecasts'."""
    lines = []
    for forecast, label in (("persistence", "persistence"), ("seasonal_naive", "seasonal-naive")):
        for metric in ("test/mse", "test/mae"):
            model, naive = metrics.get(metric), baseline.get(f"{metric}_{forecast}")
            if model is None or naive is None:
                continue
            if model > naive:
                ratio = f"{model / naive:.3g}×" if naive > 0 else "infinitely"
                lines.append(f"{arch} is {ratio} worse than the {label} forecast on {metric}")
            else:
                ratio = f"{naive / model:.3g}×" if model > 0 else "infinitely"
                lines.append(f"{arch} is {ratio} better than the {label} forecast on {metric}")
    return lines


def train_one(spec: RunSpec) -> int:
    from archbench.runner import train  # heavy imports only once the arguments are known to be sane

    record = train(spec)
    print_summary(record)
    return EXIT_CODES[record.status]


def report_folder(grid: str, reports_root: str) -> Path:
    """The folder ``archbench report`` reads: ``grid`` itself, or the study of that name under ``reports_root``."""
    for folder in (Path(grid), Path(reports_root) / grid):
        if (folder / "cells").is_dir():
            return folder
    raise ArchbenchError(f"grid {grid!r} not found; allowed: a folder or a name under {reports_root}/")


def dispatch(options: argparse.Namespace, extra: list[str], parser: OneLineParser, argv: list[str]) -> int:
    command = options.command
    use_configs(getattr(options, "configs", None))
    if command == "report":
        if extra:
            raise ArchbenchError(f"unknown option {extra[0]}; allowed: see archbench report --help")
        grid = report_folder(options.grid, options.reports_root)  # a typo is one line before torch is imported
        from archbench.compare import run_report

        return run_report(str(grid), options.reports_root, options.margin, options.alpha)
    if command in ("predict", "export"):
        if extra:
            raise ArchbenchError(f"unknown option {extra[0]}; allowed: see archbench {command} --help")
        from archbench.use import predict_cli

        return predict_cli.run_predict(options) if command == "predict" else predict_cli.run_export(options)
    if command == "datasets":
        if extra:
            raise ArchbenchError(f"unknown option {extra[0]}; allowed: see archbench datasets --help")
        from archbench.datasets_command import run_datasets

        return run_datasets(options.name, options.json)
    if command == "rank":
        if extra:
            raise ArchbenchError(f"unknown option {extra[0]}; allowed: see archbench rank --help")
        from archbench.rank_cli import run_rank

        return run_rank(options.table, options.alpha, options.plot, options.aeon)
    if command == "slurm" and options.slurm_command is None:
        raise ArchbenchError("archbench slurm: a command is needed; allowed: compare, fit")
    chosen = parser._subparsers._group_actions[0].choices[command]  # noqa: SLF001 - the subcommand's own options
    if command == "slurm":
        chosen = chosen._subparsers._group_actions[0].choices[options.slurm_command]  # noqa: SLF001
    check_passed_on(extra, [o for a in chosen._actions for o in a.option_strings])  # noqa: SLF001
    if command == "train":
        return train_one(run_spec(options, extra))
    if command == "fit":
        return train_one(saved_run_spec(options, extra))
    if command == "tune":
        from archbench.tune import run_tune

        return run_tune(tune_spec(options, extra))
    if command == "compare":
        study = study_spec(options, extra)  # a bad study is one line before torch is imported
        from archbench.compare import run_compare

        task = None if options.task is None else (options.task, options.cells_per_task)
        command = shlex.join(["archbench", *argv])
        return run_compare(study, options.jobs, task, options.margin, options.tune, command, options.alpha)
    from archbench import slurm

    if options.slurm_command == "compare":
        return slurm.write_array(study_spec(options, extra), options)
    if options.slurm_command == "tune":
        return slurm.write_tuning(tune_spec(options, extra), options)
    return slurm.write_ddp(run_spec(options, extra), options)


def show_class_options(parser: OneLineParser, argv: list[str]) -> None:
    """``train --data csv --help`` lists the ``--data.*`` options of that class under the command's own."""
    from archbench.help_options import class_options_epilog

    epilog = class_options_epilog(argv)
    if epilog:
        command = parser._subparsers._group_actions[0].choices[argv[0]]  # noqa: SLF001 - the subcommand's parser
        command.epilog = epilog
        command.formatter_class = argparse.RawDescriptionHelpFormatter


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if "--configs" in argv[:-1]:  # before the parser is built, so --help lists the folder's architectures
            use_configs(argv[argv.index("--configs") + 1])
        parser = top_parser()
        if not argv:
            parser.print_help()
            return 0
        if {"-h", "--help"} & set(argv) and argv[0] in ("train", "tune"):
            show_class_options(parser, argv)
        options, extra = parser.parse_known_args(argv)
        return dispatch(options, extra, parser, argv)
    except ArchbenchError as error:
        print(f"archbench: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
