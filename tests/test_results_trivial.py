"""results.csv records each run's test-set size and gives the trivial predictors rows of their own."""

from __future__ import annotations

import csv
from pathlib import Path

from archbench.record import RunRecord
from archbench.results import write_results


def record(dataset: str, arch: str, seed: int, kind: str = "model", **fields) -> RunRecord:
    return RunRecord(dataset, arch, seed, "ok", "", "", kind=kind, versions={}, git={}, **fields)


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_trivial_predictors_get_one_row_per_dataset_and_seed(tmp_path: Path):
    naive_class = {"test/accuracy": 0.6316}
    naive_series = {"test/mse": 2.0, "test/mae": 1.1, "test/mse_persistence": 0.5, "test/mae_persistence": 0.4}
    records = [
        record("cancer", arch, seed, metrics={"test/accuracy": 0.95}, baseline=naive_class, n_test=114)
        for arch in ("mlp", "lstm")
        for seed in (0, 1)
    ]
    records += [record("sine", "tcn", 0, metrics={"test/mse": 0.1}, baseline=naive_series, n_test=390)]
    records += [record("cancer", "gru", 2, metrics={}, baseline=naive_class, n_test=114)]
    records[-1].status = "failed"  # a failed run's naive scores are not used
    rows = rows_of(write_results(records, tmp_path / "results.csv"))
    trivial = [
        (r["dataset"], r["arch"], r["seed"], r["kind"]) for r in rows if r["arch"] not in ("mlp", "lstm", "tcn", "gru")
    ]
    assert trivial == [
        ("cancer", "majority_class", "0", "baseline"),
        ("cancer", "majority_class", "1", "baseline"),
        ("sine", "persistence", "0", "baseline"),
        ("sine", "train_mean", "0", "baseline"),
    ]
    majority = next(r for r in rows if r["arch"] == "majority_class")
    assert (majority["test_accuracy"], majority["n_test"], majority["status"]) == ("0.6316", "114", "ok")
    persistence = next(r for r in rows if r["arch"] == "persistence")
    assert (persistence["test_mse"], persistence["test_mae"]) == ("0.5", "0.4")
    assert all(r["n_test"] == "114" for r in rows if r["arch"] == "mlp")


def test_a_study_that_ran_persistence_keeps_its_own_row(tmp_path: Path):
    naive = {"test/mse": 2.0, "test/mse_persistence": 0.5}
    records = [
        record("sine", "tcn", 0, metrics={"test/mse": 0.1}, baseline=naive),
        record("sine", "persistence", 0, kind="baseline", metrics={"test/mse": 0.5}, n_test=390),
    ]
    rows = rows_of(write_results(records, tmp_path / "results.csv"))
    assert [r["arch"] for r in rows if r["arch"] == "persistence"] == ["persistence"]
    assert next(r for r in rows if r["arch"] == "persistence")["n_test"] == "390"
