"""The Reproduction section: published numbers beside ours, and the bai2018 study and reference files."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from archbench.build import build_datamodule, class_of
from archbench.configs import config_path
from archbench.errors import ArchbenchError
from archbench.record import RunRecord
from archbench.report import build_report
from archbench.report.columns import RESULT_COLUMNS
from archbench.report.reference import finding, load_reference
from archbench.results import record_row
from archbench.spec import build_study

REFERENCE = """
source:
  title: A Paper
  authors: A. Author
  year: 2018
  arxiv: "0000.00000"
  table: Table 1
tasks:
  - name: adding, T=600
    metric: test_mse
    datasets: [adding]
    baseline: {column: naive_mse_predict_1, name: always answer 1, value: 0.1667}
    results: {tcn: 5.8e-5, gru: 5.3e-5, lstm: 0.164}
  - name: copy memory, T=1000
    metric: test_loss
    datasets: [copy_memory]
    baseline: {column: naive_loss_memoryless, value: 0.0204}
    results: {tcn: 3.5e-5, gru: 0.0197}
"""

# (dataset, arch, per-seed metric values, the column they go in, the baseline column and its value)
RUNS = [
    ("adding", "tcn", [0.001, 0.002, 0.0015], "test_mse", "naive_mse_predict_1", 0.16),
    ("adding", "gru", [0.15, 0.17, 0.16], "test_mse", "naive_mse_predict_1", 0.16),
    ("adding", "lstm", [0.16, 0.165, 0.158], "test_mse", "naive_mse_predict_1", 0.16),
    ("adding", "rnn", [0.08, 0.09, 0.07], "test_mse", "naive_mse_predict_1", 0.16),
    ("copy_memory", "tcn", [0.01, 0.02, 0.015], "test_loss", "naive_loss_memoryless", 0.3),
    ("copy_memory", "gru", [0.29, 0.3, 0.31], "test_loss", "naive_loss_memoryless", 0.3),
]


def write_results(path: Path) -> Path:
    rows = []
    for dataset, arch, values, column, baseline_column, baseline in RUNS:
        for seed, value in enumerate(values):
            rows.append(
                {"dataset": dataset, "arch": arch, "kind": "model", "seed": str(seed), "status": "ok",
                 column: str(value), baseline_column: str(baseline), "params": "1000", "log_dir": ""}
            )  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def section(tmp_path: Path) -> str:
    """The Reproduction section of a report built from synthetic results and a reference file."""
    reference = tmp_path / "paper.yaml"
    reference.write_text(REFERENCE)
    text = build_report(write_results(tmp_path / "results.csv"), tmp_path / "out", reference=reference).read_text()
    start = text.index("## Reproduction")
    return text[start : text.index("\n## ", start + 1)]


@pytest.fixture
def reproduction(section: str) -> dict[tuple[str, str], dict[str, str]]:
    """The section's table as {(dataset, arch): {column: cell}}."""
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines() if line[:1] == "|"]
    table = [dict(zip(lines[0], line, strict=True)) for line in lines[2:]]
    return {(row["dataset"], row["arch"]): row for row in table}


def test_findings_are_judged_against_the_trivial_baseline():
    assert finding(0.01, 0.2) == "solves"
    assert finding(0.21, 0.2) == finding(0.19, 0.2) == "at baseline"
    assert finding(0.1, 0.2) == "in between"
    assert finding(math.nan, 0.2) == "—"


def test_report_puts_our_mean_beside_the_paper_and_says_whether_each_finding_holds(reproduction):
    tcn = reproduction[("adding", "tcn")]
    assert tcn["ours: mean ± std"] == "0.0015 ± 0.0005 (n=3)"
    assert (tcn["paper"], tcn["our finding"], tcn["paper's finding"], tcn["finding holds"]) == (
        "5.8e-05", "solves", "solves", "yes"
    )  # fmt: skip
    assert tcn["paper's row"] == "adding, T=600 (test_mse)"
    assert tcn["baseline ours / paper"] == "0.16 / 0.167"
    gru = reproduction[("adding", "gru")]
    assert (gru["our finding"], gru["paper's finding"], gru["finding holds"]) == ("at baseline", "solves", "no")
    lstm = reproduction[("adding", "lstm")]
    assert (lstm["our finding"], lstm["paper's finding"], lstm["finding holds"]) == ("at baseline",) * 2 + ("yes",)


def test_an_arch_only_one_side_ran_is_shown_without_a_verdict(reproduction):
    rnn = reproduction[("adding", "rnn")]
    assert (rnn["paper"], rnn["our finding"], rnn["finding holds"]) == ("—", "in between", "—")


def test_copy_memory_is_compared_on_the_test_loss_column(reproduction):
    copy = reproduction[("copy_memory", "tcn")]
    assert copy["paper's row"] == "copy memory, T=1000 (test_loss)"
    assert (copy["our finding"], copy["finding holds"]) == ("solves", "yes")
    assert reproduction[("copy_memory", "gru")]["finding holds"] == "yes"


def test_the_section_cites_the_source_and_counts_the_findings_that_hold(section):
    assert "A. Author, 2018, A Paper (arxiv 0000.00000; table Table 1)" in section
    assert "4 of 5 findings hold" in section


def test_a_report_without_a_reference_has_no_reproduction_section(tmp_path: Path):
    report = build_report(write_results(tmp_path / "results.csv"), tmp_path / "out")
    assert "Reproduction" not in report.read_text()


def test_a_reference_naming_an_unknown_column_is_a_one_line_error(tmp_path: Path):
    reference = tmp_path / "bad.yaml"
    reference.write_text(REFERENCE.replace("metric: test_loss", "metric: test_perplexity"))
    with pytest.raises(ArchbenchError, match="names column 'test_perplexity'") as error:
        load_reference(reference)
    assert "\n" not in str(error.value)


def test_results_rows_carry_the_test_loss_and_the_trivial_baselines():
    record = RunRecord(
        dataset="copy_memory", arch="tcn", seed=0, status="ok", log_dir="", command="",
        metrics={"test/loss": 0.25, "test/accuracy": 0.9},
        baseline={"test/loss_memoryless": 0.297, "test/accuracy": 0.8},
    )  # fmt: skip
    row = record_row(record)
    assert (row["test_loss"], row["naive_loss_memoryless"], row["test_accuracy"]) == ("0.25", "0.297", "0.9")


@pytest.mark.parametrize("study", ["bai2018", "bai2018_small"])
def test_every_dataset_of_the_bai2018_studies_is_compared_with_a_published_row(study):
    spec = build_study(study, {}, [])
    reference = load_reference(config_path("reference", spec.reference))
    compared = {dataset for task in reference.tasks for dataset in task.datasets}
    assert set(spec.datasets) <= compared
    assert {arch for task in reference.tasks for arch in task.results} == set(spec.archs)


@pytest.mark.parametrize("study", ["bai2018", "bai2018_small"])
def test_every_model_of_the_bai2018_studies_meets_its_budget_and_reads_the_whole_sequence(study):
    spec = build_study(study, {}, [])
    for cell in spec.cells():
        run = spec.run_spec(cell)
        # The model's shapes depend on the sequence length, not on how many sequences there are.
        data = build_datamodule(replace(run, overrides=(*run.overrides, "--data.init_args.num_samples", "300")))
        model_yaml = yaml.safe_load(config_path("model", cell.arch).read_text()).get("init_args", {})
        options = {key.rsplit(".", 1)[1]: yaml.safe_load(value) for key, value in run.group_overrides("model")}
        shapes = {"task": data.task, "input_size": data.input_size, "seq_len": data.seq_len,
                  "output_size": data.output_size, "target_steps": data.target_steps}  # fmt: skip
        model = class_of("model", run)(**{**model_yaml, **options, **shapes})
        count = sum(p.numel() for p in model.parameters() if p.requires_grad)
        budget = options["param_budget"]
        assert abs(count - budget) <= 0.05 * budget, (cell.key, count, budget)


ACCURACY_REFERENCE = """
source: {title: A Review, authors: B. Author, year: 2019}
tasks:
  - {name: GunPoint, metric: test_accuracy, datasets: [gunpoint], results: {fcn: 1.0, resnet: 0.991, mlp: 0.927}}
"""


def test_a_reference_without_a_baseline_compares_the_numbers_within_two_sigma(tmp_path: Path):
    accuracies = {"fcn": [0.98, 0.99, 1.0], "resnet": [0.90, 0.91, 0.92], "mlp": [0.93]}
    rows = [
        {"dataset": "gunpoint", "arch": arch, "kind": "model", "seed": str(seed), "status": "ok",
         "test_accuracy": str(value), "params": "1000", "log_dir": ""}
        for arch, values in accuracies.items() for seed, value in enumerate(values)
    ]  # fmt: skip
    results = tmp_path / "results.csv"
    with open(results, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    reference = tmp_path / "review.yaml"
    reference.write_text(ACCURACY_REFERENCE)
    text = build_report(results, tmp_path / "out", reference=reference).read_text()
    start = text.index("## Reproduction")
    section = text[start : text.index("\n## ", start + 1)]
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines() if line[:1] == "|"]
    table = {row[2]: dict(zip(lines[0], row, strict=True)) for row in lines[2:]}
    # fcn: mean 0.99, std 0.01: 1.0 is 1σ away; resnet: mean 0.91, std 0.01: 0.991 is 8σ away; mlp: one seed, no σ.
    assert (table["fcn"]["within 2σ"], table["resnet"]["within 2σ"], table["mlp"]["within 2σ"]) == ("yes", "no", "—")
    assert table["resnet"]["ours − paper"] == "-0.081"
    assert "1 of 2 published means lie within 2σ of ours" in section
    assert "finding holds" not in section
