"""Turn run records into ``results.csv``: one row per run, every test metric and every cost.

The trivial predictors get rows of their own, as baselines: the majority class (classification) or the training
mean (regression), and the persistence forecast for series. Their scores come from the model runs that measured
them on the same test split (``naive_baseline`` of the DataModule), one row per dataset and seed, unless the study
ran that baseline itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from archbench.record import RunRecord, write_atomic
from archbench.report.columns import RESULT_COLUMNS

STAT_COLUMNS = ("train_time_s", "test_time_s", "time_per_epoch_s", "epochs", "best_epoch", "gen_gap", "grad_norm_max",
                "grad_norm_median")  # fmt: skip
# Trivial predictor: (the naive key that says it was measured, its naive keys -> result columns)
TRIVIAL_SOURCES = {
    "majority_class": ("test/accuracy", {"test/accuracy": "test_accuracy"}),
    "train_mean": ("test/mse", {"test/mse": "test_mse", "test/mae": "test_mae"}),
    "persistence": ("test/mse_persistence", {"test/mse_persistence": "test_mse", "test/mae_persistence": "test_mae"}),
}


def text(value: object) -> str:
    return "" if value is None else f"{value:.10g}" if isinstance(value, float) else str(value)


def record_row(record: RunRecord) -> dict[str, str]:
    """A results row; empty strings where a value does not apply (a baseline has no epochs)."""
    row = {column: "" for column in RESULT_COLUMNS}
    row.update(dataset=record.dataset, arch=record.arch, kind=record.kind, seed=str(record.seed))
    row.update(status=record.status, log_dir=record.log_dir, error=record.error, reused="yes" if record.reused else "")
    row["n_test"] = text(record.n_test)
    for name, value in record.metrics.items():
        column = name.replace("/", "_")
        if column in row:
            row[column] = f"{value:.10g}"
    for name, value in record.baseline.items():
        column = "naive_" + name.removeprefix("test/")
        if column in row:
            row[column] = f"{value:.10g}"
    values = {**record.stats, "params": record.params, "latency_us": record.latency_us,
              "peak_mem_mb": record.peak_mem_mb}  # fmt: skip
    for column in (*STAT_COLUMNS, "params", "latency_us", "peak_mem_mb"):
        row[column] = text(values.get(column))
    return row


def trivial_rows(records: list[RunRecord]) -> list[dict[str, str]]:
    """Rows of the trivial predictors, from the first ok model run of each dataset and seed that measured them."""
    ran = {(r.dataset, r.arch) for r in records if r.kind == "baseline"}
    rows: dict[tuple[str, str, int], dict[str, str]] = {}
    for record in records:
        if record.kind == "baseline" or record.status != "ok":
            continue
        for name, (marker, columns) in TRIVIAL_SOURCES.items():
            key = (record.dataset, name, record.seed)
            if marker not in record.baseline or key in rows or (record.dataset, name) in ran:
                continue
            row = {column: "" for column in RESULT_COLUMNS}
            row.update(dataset=record.dataset, arch=name, kind="baseline", seed=str(record.seed), status="ok")
            row.update({column: text(record.baseline[k]) for k, column in columns.items() if k in record.baseline})
            row.update(n_test=text(record.n_test), params="0", reused="yes" if record.reused else "")
            rows[key] = row
    return list(rows.values())


def write_results(records: list[RunRecord], path: Path) -> Path:
    """Write ``results.csv`` sorted by dataset, kind, arch and seed, atomically."""
    ordered = sorted(records, key=lambda r: (r.dataset, r.kind, r.arch, r.seed))
    rows = [record_row(r) for r in ordered] + trivial_rows(ordered)
    rows.sort(key=lambda row: (row["dataset"], row["kind"], row["arch"], int(row["seed"])))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(path, buffer.getvalue())
