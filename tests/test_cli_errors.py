"""Bad input: one line naming the bad value and what is allowed, exit code 2, no run directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from archbench.cli import main
from archbench.configs import available

ARCHS = ", ".join(available("model"))


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def good_table(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "table.csv", "a,b,target", [f"{i},{i % 7},{2 * i}" for i in range(60)])


def fail(capsys, tmp_path: Path, *args: str) -> str:
    """Run the CLI, expect exit 2 with a one-line error and no run output; return the message."""
    log_root = tmp_path / "logs"
    code = main(["train", *args, "--log_root", str(log_root), "--trainer", "cpu", "--max_epochs", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    errors = [line for line in err if line.startswith("archbench: error: ")]
    assert len(errors) == 1 and err[-1] == errors[0], err
    assert not any("Traceback" in line for line in err), err
    assert not log_root.exists() or not any(log_root.iterdir()), "a run directory was written"
    return errors[0]


def test_unknown_arch_lists_the_available_ones(capsys, tmp_path):
    message = fail(capsys, tmp_path, "--arch", "perceiver", "--data", "adding")
    assert "'perceiver'" in message and ARCHS in message


def test_unknown_data_names_the_nearest_and_the_catalogue_command(capsys, tmp_path):
    message = fail(capsys, tmp_path, "--arch", "mlp", "--data", "mnist")
    assert "'mnist'" in message and "nearest: " in message and "`archbench datasets` lists all" in message


def test_missing_csv_file(capsys, tmp_path):
    missing = tmp_path / "nope.csv"
    message = fail(capsys, tmp_path, "--arch", "mlp", "--data", "csv", "--data.path", str(missing))
    assert str(missing) in message and "not found" in message


def test_missing_target_column(capsys, tmp_path, good_table):
    message = fail(
        capsys, tmp_path, "--arch", "mlp", "--data", "csv", "--data.path", str(good_table), "--data.target", "price"
    )
    assert "'price'" in message and "allowed: a, b, target" in message


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_nan_or_inf_values(capsys, tmp_path, bad):
    rows = [f"{i},{i},{i}" for i in range(60)]
    rows[5] = f"5,{bad},5"
    table = write_csv(tmp_path / "t.csv", "a,b,target", rows)
    message = fail(capsys, tmp_path, "--arch", "mlp", "--data", "csv", "--data.path", str(table))
    assert "'b'" in message and bad in message and "line 7" in message and "finite" in message


def test_fewer_rows_than_the_splits_need(capsys, tmp_path):
    table = write_csv(tmp_path / "t.csv", "a,target", [f"{i},{i}" for i in range(8)])
    message = fail(capsys, tmp_path, "--arch", "linear", "--data", "csv", "--data.path", str(table))
    assert "8 samples" in message and "at least 14" in message


def test_window_longer_than_the_series(capsys, tmp_path):
    series = write_csv(tmp_path / "s.csv", "load", [str(i % 13) for i in range(100)])
    message = fail(
        capsys, tmp_path, "--arch", "lstm", "--data", "csv_series", "--data.path", str(series), "--data.window", "40"
    )
    assert "window=40" in message and "allowed: window + horizon <=" in message


def test_horizon_longer_than_the_series(capsys, tmp_path):
    message = fail(capsys, tmp_path, "--arch", "lstm", "--data", "sine", "--data.horizon", "5000")
    assert "horizon=5000" in message


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--model.init_args.lr", "0", "lr must be > 0, got 0.0"),
        ("--model.init_args.lr", "-0.1", "lr must be > 0, got -0.1"),
        ("--model.init_args.hidden_size", "0", "hidden_size must be > 0, got 0"),
        ("--data.init_args.batch_size", "-4", "batch_size must be > 0, got -4"),
        ("--data.init_args.seq_len", "0", "seq_len must be > 0, got 0"),
        ("--data.init_args.num_samples", "-1", "num_samples must be > 0, got -1"),
    ],
)
def test_non_positive_sizes_and_learning_rate(capsys, tmp_path, option, value, expected):
    message = fail(capsys, tmp_path, "--arch", "lstm", "--data", "adding", option, value)
    assert message == f"archbench: error: {expected}"


def test_console_script_exits_2_with_one_line(tmp_path):
    done = subprocess.run(
        [Path(sys.executable).with_name("archbench"), "train", "--arch", "resnet50"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"archbench: error: unknown ARCH 'resnet50'; allowed: {ARCHS}"]


def test_gpu_profile_without_a_gpu_is_a_one_line_error(capsys, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU, so the gpu profile is valid here")
    log_root = tmp_path / "logs"
    code = main(["train", "--arch", "mlp", "--data", "wine", "--trainer", "gpu", "--log_root", str(log_root)])
    assert code == 2
    assert "allowed accelerators: cpu, auto" in capsys.readouterr().err
    assert not log_root.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--archs", "linear,cnn"], f"unknown ARCH 'cnn'; allowed: {ARCHS}"),
        (["--data", "imagenet"], "unknown DATA 'imagenet'"),
        (
            ["--baselines", "sk_svm"],
            "unknown baseline 'sk_svm'; allowed: sk_linear, sk_mlp, sk_hgb, sk_rf, persistence, seasonal_naive",
        ),
        (["--seeds", "0"], "--seeds must be >= 1, got 0"),
    ],
)
def test_compare_rejects_bad_grids_before_running_anything(capsys, tmp_path, args, expected):
    reports = tmp_path / "reports"
    code = main(["compare", *args, "--reports_root", str(reports), "--log_root", str(tmp_path / "logs")])
    assert code == 2
    assert expected in capsys.readouterr().err
    assert not reports.exists() and not (tmp_path / "logs").exists()
