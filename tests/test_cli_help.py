"""The command line: help at every level, one-line errors for typos and wrong types, no torch for either."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archbench.cli import main

REPO = Path(__file__).parents[1]
ARCHBENCH = str(Path(sys.executable).with_name("archbench"))


@pytest.mark.parametrize(
    "args", [[], ["--help"], ["-h"], ["train", "--help"], ["fit", "--help"], ["compare", "--help"],
             ["report", "--help"], ["tune", "--help"], ["slurm", "--help"], ["slurm", "compare", "--help"],
             ["slurm", "fit", "--help"], ["slurm", "tune", "--help"]],
)  # fmt: skip
def test_help_at_every_level_prints_usage_and_exits_0(args, tmp_path):
    done = subprocess.run([ARCHBENCH, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: archbench"), done.stdout[:200]
    assert done.stderr == ""


def test_bare_archbench_lists_the_commands(tmp_path):
    done = subprocess.run([ARCHBENCH], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    for command in ("train", "fit", "compare", "tune", "report", "slurm"):
        assert command in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["train", "--arch", "nope"]])
def test_help_and_an_unknown_architecture_do_not_import_torch(args):
    probe = (
        "import sys\nfrom archbench.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO_TORCH')"
    )
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "NO_TORCH"


def one_line_error(capsys, *args: str) -> str:
    code = main(list(args))
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip() and not line.startswith("Seed set")]
    assert code == 2
    assert len(err) == 1 and err[0].startswith("archbench: error: "), err
    return err[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--data", "csv", "--data.pth", "x.csv"], "unknown option --data.pth; did you mean --data.path"),
        (["--data", "csv", "--data.init_args.pth", "x.csv"], "unknown option --data.init_args.pth; did you mean"),
        (["--model.hiden_sizes", "[3]"], "unknown option --model.hiden_sizes; did you mean --model.hidden_sizes"),
        (["--trainer.max_epocs", "3"], "unknown option --trainer.max_epocs; did you mean --trainer.max_epochs"),
        (["--max_epoch", "3"], "unknown option --max_epoch; did you mean --max_epochs?"),
        (
            ["--data", "csv_series", "--data.target_columns", "value"],
            "--data.target_columns got 'value'; expected list[str] | None",
        ),
        (["--data.batch_size", "abc"], "--data.batch_size got 'abc'; expected int"),
        (["--seed", "-1"], "seed -1 is out of range; allowed: 0..4294967295"),
        (["--seed", str(2**32)], "seed 4294967296 is out of range"),
        (["--max_epochs", "0"], "max_epochs must be >= 1, got 0"),
        (["--seed", "x"], "argument --seed: invalid seed value: 'x'"),
    ],
)
def test_bad_options_are_one_line_naming_the_option_and_what_is_allowed(capsys, tmp_path, args, expected):
    message = one_line_error(capsys, "train", "--arch", "mlp", "--log_root", str(tmp_path / "logs"), *args)
    assert expected in message
    assert not (tmp_path / "logs").exists()


def test_compare_rejects_a_typo_and_a_bad_seed_count_before_running(capsys, tmp_path):
    reports = tmp_path / "reports"
    assert "did you mean --data.horizon" in one_line_error(
        capsys, "compare", "--data", "sine", "--data.horizn", "3", "--reports_root", str(reports)
    )
    assert "--seeds must be >= 1, got 0" in one_line_error(capsys, "compare", "--seeds", "0")
    assert not reports.exists()


@pytest.mark.ddp
def test_more_cpu_devices_than_cpus_warns_what_it_costs(train_run, capsys):
    import os

    cpus = len(os.sched_getaffinity(0))
    if cpus > 2:
        pytest.skip("this test starts one more DDP process than CPUs only on small machines")
    record = train_run("linear", "house_prices", "--accelerator", "cpu", "--devices", str(cpus + 1),
                       "--trainer.strategy", "ddp_spawn", "--trainer.limit_val_batches", "1")  # fmt: skip
    err = capsys.readouterr().err
    assert f"--devices {cpus + 1} starts {cpus + 1} training processes on {cpus} CPUs" in err
    assert record["status"] == "ok"


def test_train_help_with_a_dataset_lists_that_datasets_options(tmp_path):
    done = subprocess.run(
        [ARCHBENCH, "train", "--data", "csv", "--arch", "mlp", "--help"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    for option in ("--data.path", "--data.delimiter", "--data.decimal", "--data.max_classes", "--model.hidden_sizes"):
        assert f"\n  {option}  (" in done.stdout, option
    assert "--model.input_size" not in done.stdout  # linked from the data, never given by hand
