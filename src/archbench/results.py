"""Turn run records into ``results.csv``: one row per run, every test metric and every cost."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from archbench.record import RunRecord, write_atomic
from archbench.report.columns import RESULT_COLUMNS

STAT_COLUMNS = ("train_time_s", "test_time_s", "time_per_epoch_s", "epochs", "best_epoch", "gen_gap", "grad_norm_max",
                "grad_norm_median")  # fmt: skip


def record_row(record: RunRecord) -> dict[str, str]:
    """A results row; empty strings where a value does not apply (a baseline has no epochs)."""
    row = {column: "" for column in RESULT_COLUMNS}
    row.update(dataset=record.dataset, arch=record.arch, kind=record.kind, seed=str(record.seed))
    row.update(status=record.status, log_dir=record.log_dir, error=record.error, reused="yes" if record.reused else "")
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
        value = values.get(column)
        row[column] = "" if value is None else f"{value:.10g}" if isinstance(value, float) else str(value)
    return row


def write_results(records: list[RunRecord], path: Path) -> Path:
    """Write ``results.csv`` sorted by dataset, kind, arch and seed, atomically."""
    ordered = sorted(records, key=lambda r: (r.dataset, r.kind, r.arch, r.seed))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(record_row(r) for r in ordered)
    return write_atomic(path, buffer.getvalue())
