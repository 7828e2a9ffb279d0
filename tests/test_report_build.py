"""The report: curves read back from real TensorBoard files, and a byte-stable report.md/html with figures."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from archbench.errors import ArchbenchError
from archbench.report import build_report
from archbench.report.build import learning_curves
from archbench.report.columns import RESULT_COLUMNS
from archbench.report.curves import mean_band, read_scalar

SEEDS = (0, 1, 2)
ADDING_MSE = {"linear": (0.170, 0.168, 0.166), "mlp": (0.010, 0.014, 0.011), "lstm": (0.0012, 0.0011, 0.0013)}
CANCER_ACCURACY = {
    "linear": (0.956, 0.962, 0.950),
    "mlp": (0.960, 0.953, 0.965),
    "lstm": (0.951, 0.958, 0.962),
}
FIGURES = [f"{d}_{kind}.png" for d in ("adding", "breast_cancer") for kind in ("curves", "bars", "cost")]


def write_curve(log_dir: Path, values: list[float]) -> None:
    writer = SummaryWriter(log_dir=str(log_dir))
    for step, value in enumerate(values):
        writer.add_scalar("val/loss", value, global_step=(step + 1) * 10)
    writer.close()


def model_row(dataset: str, arch: str, seed: int, metric: str, value: float, log_dir: Path) -> dict[str, str]:
    epochs = 4 + seed  # early stopping ends seeds at different epochs
    write_curve(log_dir, [value * (epochs - e) for e in range(epochs)])
    row = {
        "dataset": dataset,
        "arch": arch,
        "kind": "model",
        "seed": str(seed),
        "status": "ok",
        metric: f"{value}",
    }
    costs = {
        "params": "1000",
        "train_time_s": f"{2.0 + seed}",
        "time_per_epoch_s": "0.5",
        "epochs": str(epochs),
    }
    return {
        **row,
        **costs,
        "latency_us": "12.5",
        "gen_gap": "0.01",
        "grad_norm_max": "3.2",
        "log_dir": str(log_dir),
    }


def grid_rows(logs: Path) -> list[dict[str, str]]:
    """2 datasets x (3 archs + 1 baseline) x 3 seeds; lstm seed 2 on adding diverged."""
    rows = []
    for dataset, metric, table in (
        ("adding", "test_mse", ADDING_MSE),
        ("breast_cancer", "test_accuracy", CANCER_ACCURACY),
    ):
        for arch, values in table.items():
            for seed, value in zip(SEEDS, values, strict=True):
                rows.append(model_row(dataset, arch, seed, metric, value, logs / dataset / arch / str(seed)))
        baseline = {"adding": 0.169, "breast_cancer": 0.958}[dataset]
        trivial = {"adding": ("train_mean", 0.1767), "breast_cancer": ("majority_class", 0.6316)}[dataset]
        for seed in SEEDS:
            rows.append({"dataset": dataset, "arch": "sk_linear", "kind": "baseline", "seed": str(seed),
                         "status": "ok", metric: str(baseline), "train_time_s": "0.05"})  # fmt: skip
            rows.append({"dataset": dataset, "arch": trivial[0], "kind": "baseline", "seed": str(seed),
                         "status": "ok", metric: str(trivial[1])})  # fmt: skip
    for row in rows:
        row["n_test"] = "114" if row["dataset"] == "breast_cancer" else "1000"
    diverged = next(r for r in rows if (r["dataset"], r["arch"], r["seed"]) == ("adding", "lstm", "2"))
    diverged.update(status="diverged", test_mse="", error="non-finite loss (nan) at epoch 3 | step 30")
    return rows


@pytest.fixture(scope="module")
def results_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grid")
    path = root / "results.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(grid_rows(root / "logs"))
    return path


@pytest.fixture(scope="module")
def report(results_csv: Path) -> Path:
    return build_report(results_csv, results_csv.parent / "report")


def section(text: str, heading: str) -> str:
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_read_scalar_reads_back_summary_writer_events(tmp_path: Path):
    write_curve(tmp_path, [0.5, 0.25, 0.125])
    assert read_scalar(tmp_path, "val/loss") == [(10, 0.5), (20, 0.25), (30, 0.125)]


def test_read_scalar_is_empty_for_a_missing_tag_or_run(tmp_path: Path):
    write_curve(tmp_path, [1.0])
    assert read_scalar(tmp_path, "train/loss") == []
    assert read_scalar(tmp_path / "absent", "val/loss") == []


def test_mean_band_aligns_early_stopped_curves_on_the_union_of_steps():
    steps, mean, std = mean_band([[(1, 1.0), (2, 3.0), (3, 5.0)], [(1, 3.0), (2, 5.0)]])
    assert steps.tolist() == [1, 2, 3]
    assert mean.tolist() == [2.0, 4.0, 5.0]
    assert std == pytest.approx([np.sqrt(2), np.sqrt(2), 0.0])


def test_build_writes_markdown_html_and_every_figure(report: Path):
    out = report.parent
    assert report.name == "report.md"
    for name in ["report.html", *FIGURES]:
        assert (out / name).stat().st_size > 0, name
        assert (out / name).read_bytes()[:4] == b"\x89PNG" or name.endswith(".html")
    html = (out / "report.html").read_text()
    assert "<style>" in html and '<img src="adding_curves.png"' in html and "sk_linear (baseline)" in html
    assert "![adding_bars.png](adding_bars.png)" in report.read_text()


def test_report_is_byte_stable(results_csv: Path, tmp_path: Path):
    first = build_report(results_csv, tmp_path / "a").parent
    second = build_report(results_csv, tmp_path / "b").parent
    for name in ["report.md", "report.html", *FIGURES]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_report_answers_per_dataset(report: Path):
    verdicts = section(report.read_text(), "Verdict")
    assert (
        "adding: architectures differ by more than errors within a factor 1.05 (log scale) — lstm is best "
        "(test_mse 0.00115); mlp is 10.1× worse (p_holm=0.029), linear is 146× worse" in verdicts
    )
    # three seeds 0.6 points apart cannot show equivalence within 1.3 points: not "similar", and it says why
    assert "breast_cancer: inconclusive — no pair is shown to differ by more than ±0.0132 (absolute; set by" in verdicts
    assert "seeds per architecture would decide it" in verdicts


def test_baselines_are_reported_beside_the_verdict_not_in_it(report: Path):
    text = report.read_text()
    adding_row = next(line for line in section(text, "Verdict").splitlines() if line.startswith("| adding |"))
    verdict_cell, baselines_cell = adding_row.split(" | ")[3:5]
    assert "sk_linear" not in verdict_cell
    assert "sk_linear is 147× worse than the best network (lstm), p_holm(beyond the margin) = " in baselines_cell
    assert "Baselines: sk_linear is 147× worse" in section(text, "adding")


def test_report_states_the_margin_and_the_interval_method(report: Path):
    text = report.read_text()
    floor = "±0.0132 (absolute; set by the test set's resolution, 1.5 × 1/114, not the stated ±0.01)"
    assert f"Equivalence margin: {floor}; α=0.05." in section(text, "breast_cancer")
    assert "Equivalence margin: errors within a factor 1.05 (log scale); α=0.05." in section(text, "adding")
    assert "gap [90% CI] vs ±0.0132" in section(text, "breast_cancer") and "gap [90% CI] vs ×1.05" in text
    assert "Smallest margin these seeds could show equivalent with 80% power: ±" in section(text, "breast_cancer")
    assert "t-interval clipped to the metric's range" in section(text, "Method")


def test_a_wider_margin_passed_to_build_report_makes_the_three_seeds_similar(results_csv: Path, tmp_path: Path):
    text = build_report(results_csv, tmp_path, margin=0.05).read_text()
    assert "breast_cancer: architectures perform similarly — every pair within ±0.05 (absolute)" in text
    assert "±0.05 absolute for accuracy-type metrics" in section(text, "Method")


def test_table_uses_the_primary_metric_and_marks_baselines(report: Path):
    adding = section(report.read_text(), "adding")
    cancer = section(report.read_text(), "breast_cancer")
    assert "test_mse mean ± std" in adding and "lower is better" in adding
    assert "test_accuracy mean ± std" in cancer and "higher is better" in cancer
    assert "| sk_linear (baseline) |" in adding
    lstm = next(line for line in adding.splitlines() if line.startswith("| lstm |"))
    assert lstm.split(" | ")[3:5] == ["2", "1"]  # n and rank: the diverged seed is left out
    linear = next(line for line in adding.splitlines() if line.startswith("| linear |"))
    assert "paired t" in linear and "| 1000 |" in linear


def test_diverged_runs_are_listed_with_their_error(report: Path):
    failed = section(report.read_text(), "Failed or diverged runs")
    assert "| adding | lstm | 2 | diverged | non-finite loss (nan) at epoch 3 \\| step 30 |" in failed


def test_results_without_the_expected_columns_are_refused(tmp_path: Path):
    path = tmp_path / "results.csv"
    path.write_text("dataset,arch\nadding,mlp\n")
    with pytest.raises(ArchbenchError, match="missing columns"):
        build_report(path, tmp_path / "out")


def test_a_compared_study_report_says_what_was_run(tmp_path):
    from archbench.cli import main

    args = ["compare", "--archs", "linear,mlp", "--data", "wine", "--seeds", "2", "--baselines", "none", "--name", "w",
            "--max_epochs", "2", "--log_root", str(tmp_path / "logs"), "--reports_root", str(tmp_path / "reports"),
            "--trainer.limit_train_batches", "2", "--model.lr", "0.02"]  # fmt: skip
    assert main(args) == 0
    report = (tmp_path / "reports" / "w" / "report.md").read_text()
    section = report[report.index("## What was run") :]
    assert '| archs | ["linear", "mlp"] |' in section and "| seeds | [0, 1] |" in section
    assert "Command: `archbench compare --archs linear,mlp --data wine --seeds 2" in section
    assert "archbench commit " in section and "torch " in section
    assert "| wine | mlp |" in section and "hidden_sizes=[64, 64]" in section and "lr=0.02" in section
    assert "classes " not in section, "wine's labels 0, 1, 2 are their own class indices: no mapping to show"
    html = (tmp_path / "reports" / "w" / "report.html").read_text()
    assert "overflow-x: auto" in html, "wide tables scroll instead of overflowing a laptop screen"
    results = list(csv.DictReader((tmp_path / "reports" / "w" / "results.csv").read_text().splitlines()))
    sizes = {r["n_test"] for r in results}
    assert len(sizes) == 1 and 10 < int(sizes.pop()) < 178, "wine's test split, recorded by every run"
    assert sorted(r["seed"] for r in results if r["arch"] == "majority_class") == ["0", "1"]
    assert "| majority_class (baseline) |" in report


def test_a_log_axis_band_stays_positive_where_an_arithmetic_one_would_not():
    from archbench.report.curves import log_band, mean_band

    curves = [[(0, 1.0), (1, 0.5)], [(0, 100.0), (1, 50.0)]]  # std > mean at every step
    _, mean, std = mean_band(curves)
    assert (mean - std < 0).all(), "the case this guards against"
    steps, low, middle, high = log_band(curves)
    assert list(steps) == [0, 1] and (low > 0).all()
    assert middle == pytest.approx([10.0, 5.0])  # geometric means
    assert high / middle == pytest.approx(middle / low)  # symmetric on a log axis


def test_runs_without_validation_get_training_loss_curves(tmp_path: Path):
    rows = []
    for seed in range(2):  # runs without validation log only the training loss
        log_dir = tmp_path / f"run{seed}"
        with SummaryWriter(str(log_dir)) as writer:
            for step in range(3):
                writer.add_scalar("train/loss_epoch", 1.0 / (step + 1 + seed), step)
        rows.append({"arch": "fcn", "seed": str(seed), "kind": "model", "log_dir": str(log_dir)})
    curves, tag = learning_curves(rows, tmp_path)
    assert tag == "train/loss_epoch"
    assert [len(c) for c in curves["fcn"]] == [3, 3]
    with SummaryWriter(str(tmp_path / "run0")) as writer:  # one run with validation: validation curves win
        writer.add_scalar("val/loss", 0.5, 2)
    curves, tag = learning_curves(rows, tmp_path)
    assert (tag, len(curves["fcn"])) == ("val/loss", 1)


def test_the_trivial_predictor_has_a_row_and_a_flag_when_a_network_sits_at_it(tmp_path: Path):
    rows = []
    for seed in (0, 1):  # churn-like: 5,000 rows, 1,000 in the test split; gru sits exactly at the majority rate
        for arch, value in (("mlp", 0.93 + 0.002 * seed), ("gru", 0.8615)):
            rows.append({"dataset": "churn", "arch": arch, "kind": "model", "seed": str(seed), "status": "ok",
                         "test_accuracy": str(value), "n_test": "1000"})  # fmt: skip
        rows.append({"dataset": "churn", "arch": "majority_class", "kind": "baseline", "seed": str(seed),
                     "status": "ok", "test_accuracy": "0.8615", "n_test": "1000"})  # fmt: skip
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    text = build_report(path, tmp_path / "report").read_text()
    assert "gru is no better than the majority class" in section(text, "Verdict")
    churn = section(text, "churn")
    assert "| majority_class (baseline) |" in churn
    gru = next(line for line in churn.splitlines() if line.startswith("| gru |"))
    assert "| no better than the majority class |" in gru


def test_a_test_set_too_small_for_the_margin_is_said_at_the_top(results_csv: Path, tmp_path: Path):
    small = tmp_path / "results.csv"
    small.write_text(results_csv.read_text().replace(",114,", ",50,"))
    text = build_report(small, tmp_path / "report").read_text()
    top = text[: text.index("## Verdict")]
    assert "Warning — test set too small for the margin: breast_cancer: the test set has 50 samples" in top
    assert "adding" not in top, "errors are compared as ratios: no resolution floor"


def test_alpha_is_used_and_printed_and_a_bad_alpha_is_one_line(results_csv: Path, tmp_path: Path, capsys):
    text = build_report(results_csv, tmp_path / "a", alpha=0.1).read_text()
    assert "α=0.1" in section(text, "Verdict") and "gap [80% CI]" in text
    with pytest.raises(ArchbenchError, match=r"alpha must be inside \(0, 1\), got 1.5"):
        build_report(results_csv, tmp_path / "b", alpha=1.5)
    from archbench.cli import main

    assert main(["report", str(tmp_path), "--alpha", "0"]) == 2
    assert capsys.readouterr().err.strip() == "archbench: error: --alpha must be inside (0, 1), got 0"
