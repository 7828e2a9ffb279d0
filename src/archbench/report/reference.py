"""Published numbers beside ours: the report's Reproduction section for a study that names a reference file.

A reference file (``configs/reference/<name>.yaml``) holds the paper's source and, per task, one table row: the
results.csv column of its metric, the trivial baseline its findings are judged against, the published number of
each architecture and the study datasets compared with it. A finding is what a number says about the task:
below ``SOLVED_FRACTION`` of the baseline the model solves it, within ``BASELINE_BAND`` of the baseline it stays
there. Ours and the paper's are judged by the same rule, each against its own baseline, so a shorter run of the
same task can be compared with the published row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from archbench.errors import ArchbenchError
from archbench.report.columns import RESULT_COLUMNS
from archbench.report.render import Block, Table

Row = dict[str, str]

SOLVED_FRACTION = 0.1  # a mean below 10% of the trivial baseline solves the task
BASELINE_BAND = 0.1  # a mean within ±10% of the trivial baseline stays at it
SOURCE_KEYS = ("title", "authors", "year", "arxiv", "table", "protocol")
TASK_KEYS = {"name", "metric", "datasets", "baseline", "results"}
FINDING_RULE = (
    f"Findings: a model solves the task when its mean is below {SOLVED_FRACTION:.0%} of the trivial baseline and "
    f"stays at the baseline when its mean is within ±{BASELINE_BAND:.0%} of it; ours are judged against the "
    "baseline measured on our test data, the paper's against the baseline of the paper's setting. A finding holds "
    "when both say the same."
)


@dataclass(frozen=True)
class ReferenceTask:
    """One published table row and the study datasets compared with it."""

    name: str
    metric: str
    datasets: list[str]
    baseline_column: str
    baseline_name: str
    baseline_value: float
    results: dict[str, float]


@dataclass(frozen=True)
class Reference:
    source: dict[str, str]
    tasks: list[ReferenceTask]


def load_reference(path: Path) -> Reference:
    """Read and check a reference file; a malformed one is a one-line error naming the file and the key."""
    settings = yaml.safe_load(Path(path).read_text()) or {}
    source = settings.get("source") or {}
    if not isinstance(source, dict) or "title" not in source:
        raise ArchbenchError(f"reference {path}: 'source' needs a title; allowed keys: {', '.join(SOURCE_KEYS)}")
    tasks = settings.get("tasks") or []
    if not tasks:
        raise ArchbenchError(f"reference {path}: no tasks; allowed: a list of {', '.join(sorted(TASK_KEYS))}")
    return Reference({k: str(v) for k, v in source.items()}, [reference_task(path, task) for task in tasks])


def reference_task(path: Path, task: dict) -> ReferenceTask:
    missing = sorted(TASK_KEYS - set(task))
    if missing:
        raise ArchbenchError(f"reference {path}: task {task.get('name')!r} lacks {missing[0]!r}")
    baseline = task["baseline"]
    for column in (task["metric"], baseline.get("column")):
        if column not in RESULT_COLUMNS:
            raise ArchbenchError(
                f"reference {path}: task {task['name']!r} names column {column!r}; allowed: a results.csv column"
            )
    return ReferenceTask(
        name=str(task["name"]),
        metric=task["metric"],
        datasets=[str(d) for d in task["datasets"]],
        baseline_column=baseline["column"],
        baseline_name=str(baseline.get("name", baseline["column"])),
        baseline_value=float(baseline["value"]),
        results={str(arch): float(value) for arch, value in task["results"].items()},
    )


def finding(value: float, baseline: float) -> str:
    """What a mean says about the task, judged against the trivial baseline."""
    if math.isnan(value) or math.isnan(baseline) or baseline <= 0:
        return "—"
    if value < SOLVED_FRACTION * baseline:
        return "solves"
    if abs(value - baseline) <= BASELINE_BAND * baseline:
        return "at baseline"
    return "in between"


def agreement(ours: str, paper: str) -> str:
    return "—" if "—" in (ours, paper) else "yes" if ours == paper else "no"


def column_values(rows: list[Row], column: str) -> list[float]:
    return [float(row[column]) for row in rows if row[column].strip()]


def mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3g}"


def task_lines(task: ReferenceTask, dataset: str, rows: list[Row]) -> list[list[str]]:
    """One line per architecture (run by us, published, or both) of one study dataset."""
    ok = [r for r in rows if r["dataset"] == dataset and r["status"] == "ok" and r["kind"] != "baseline"]
    baseline, _ = mean_std(column_values(ok, task.baseline_column))
    baseline_text = f"{fmt(baseline)} / {fmt(task.baseline_value)}"
    lines = []
    for arch in sorted({r["arch"] for r in ok} | set(task.results)):
        arch_rows = [r for r in ok if r["arch"] == arch]
        values = column_values(arch_rows, task.metric)
        mean, std = mean_std(values)
        params, _ = mean_std(column_values(arch_rows, "params"))
        ours = "not run" if not values else f"{fmt(mean)} ± {fmt(std)} (n={len(values)})"
        paper = task.results.get(arch, math.nan)
        ours_finding, paper_finding = finding(mean, baseline), finding(paper, task.baseline_value)
        size = "—" if math.isnan(params) else f"{params:.0f}"
        row = [dataset, f"{task.name} ({task.metric})", arch, size, ours, fmt(paper), baseline_text]
        lines.append([*row, ours_finding, paper_finding, agreement(ours_finding, paper_finding)])
    return lines


def reproduction_section(rows: list[Row], reference: Reference) -> list[Block]:
    """The Reproduction section: the source, then ours beside the paper per dataset and architecture."""
    source = reference.source
    cited = ", ".join(source[k] for k in ("authors", "year") if k in source)
    where = "; ".join(f"{k} {source[k]}" for k in ("arxiv", "table") if k in source)
    lines = [
        line
        for task in reference.tasks
        for dataset in task.datasets
        if any(r["dataset"] == dataset for r in rows)
        for line in task_lines(task, dataset, rows)
    ]
    blocks: list[Block] = [("h2", "Reproduction"), ("p", f"Compared with: {cited}, {source['title']} ({where}).")]
    if "protocol" in source:
        blocks.append(("p", f"Published protocol: {source['protocol']}"))
    if not lines:
        named = ", ".join(d for task in reference.tasks for d in task.datasets)
        return [*blocks, ("p", f"No dataset of this study is in the reference (it covers {named}).")]
    decided = [line for line in lines if line[-1] != "—"]
    held = sum(line[-1] == "yes" for line in decided)
    header = ["dataset", "paper's row", "arch", "params", "ours: mean ± std", "paper", "baseline ours / paper"]
    return [
        *blocks,
        Table([*header, "our finding", "paper's finding", "finding holds"], lines),
        ("p", f"{held} of {len(decided)} findings hold. {FINDING_RULE}"),
    ]
