"""Published numbers beside ours: the report's Reproduction section for a study that names a reference file.

A reference file (``configs/reference/<name>.yaml``) holds the paper's source and, per task, one table row: the
results.csv column of its metric, the published number of each architecture, the study datasets compared with it
and, optionally, the trivial baseline its findings are judged against.

With a baseline (Bai et al. 2018), a finding is what a number says about the task: below ``SOLVED_FRACTION`` of
the baseline the model solves it, within ``BASELINE_BAND`` of the baseline it stays there. Ours and the paper's are
judged by the same rule, each against its own baseline, so a shorter run of the same task can be compared with the
published row. Without one (Fawaz et al. 2019's accuracies), the number itself is compared: the published mean is
"within 2σ" when it lies within two standard deviations of ours over seeds.
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
TASK_KEYS = {"name", "metric", "datasets", "results"}  # and an optional "baseline"
SIGMAS = 2.0  # a published mean within this many of our standard deviations over seeds is "within 2σ"
WITHIN_RULE = (
    f"'within {SIGMAS:g}σ': the published mean lies within {SIGMAS:g} standard deviations (over our seeds, n − 1) "
    "of our mean; it needs at least two seeds. A 'no' says our setting gives a different number, not which is right."
)
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
    results: dict[str, float]
    baseline_column: str | None = None  # None: compare the numbers themselves ("within 2σ")
    baseline_name: str = ""
    baseline_value: float = math.nan


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
    baseline = task.get("baseline") or {}
    for column in (task["metric"], *([baseline.get("column")] if baseline else [])):
        if column not in RESULT_COLUMNS:
            raise ArchbenchError(
                f"reference {path}: task {task['name']!r} names column {column!r}; allowed: a results.csv column"
            )
    return ReferenceTask(
        name=str(task["name"]),
        metric=task["metric"],
        datasets=[str(d) for d in task["datasets"]],
        results={str(arch): float(value) for arch, value in task["results"].items()},
        baseline_column=baseline.get("column"),
        baseline_name=str(baseline.get("name", baseline.get("column", ""))),
        baseline_value=float(baseline.get("value", math.nan)),
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


def within_sigmas(mean: float, std: float, paper: float) -> str:
    """Whether the published mean lies within ``SIGMAS`` of our standard deviations of our mean."""
    if any(math.isnan(v) for v in (mean, std, paper)):
        return "—"
    return "yes" if abs(mean - paper) <= SIGMAS * std else "no"


def task_lines(task: ReferenceTask, dataset: str, rows: list[Row]) -> list[list[str]]:
    """One line per architecture (run by us, published, or both) of one study dataset; the last cell says whether
    the paper and we agree (the finding, or the number within 2σ)."""
    ok = [r for r in rows if r["dataset"] == dataset and r["status"] == "ok" and r["kind"] != "baseline"]
    baseline = mean_std(column_values(ok, task.baseline_column))[0] if task.baseline_column else math.nan
    lines = []
    for arch in sorted({r["arch"] for r in ok} | set(task.results)):
        arch_rows = [r for r in ok if r["arch"] == arch]
        values = column_values(arch_rows, task.metric)
        mean, std = mean_std(values)
        params, _ = mean_std(column_values(arch_rows, "params"))
        ours = "not run" if not values else f"{fmt(mean)} ± {fmt(std)} (n={len(values)})"
        paper = task.results.get(arch, math.nan)
        size = "—" if math.isnan(params) else f"{params:.0f}"
        row = [dataset, f"{task.name} ({task.metric})", arch, size, ours, fmt(paper)]
        if task.baseline_column is None:
            gap = "—" if math.isnan(mean - paper) else f"{mean - paper:+.3g}"
            lines.append([*row, gap, within_sigmas(mean, std, paper)])
            continue
        ours_finding, paper_finding = finding(mean, baseline), finding(paper, task.baseline_value)
        baseline_text = f"{fmt(baseline)} / {fmt(task.baseline_value)}"
        lines.append([*row, baseline_text, ours_finding, paper_finding, agreement(ours_finding, paper_finding)])
    return lines


def reproduction_section(rows: list[Row], reference: Reference) -> list[Block]:
    """The Reproduction section: the source, then ours beside the paper per dataset and architecture: findings
    against a trivial baseline where the reference gives one, the numbers themselves (within 2σ) where not."""
    source = reference.source
    cited = ", ".join(source[k] for k in ("authors", "year") if k in source)
    where = "; ".join(f"{k} {source[k]}" for k in ("arxiv", "table") if k in source)
    blocks: list[Block] = [("h2", "Reproduction"), ("p", f"Compared with: {cited}, {source['title']} ({where}).")]
    if "protocol" in source:
        blocks.append(("p", f"Published protocol: {source['protocol']}"))
    header = ["dataset", "paper's row", "arch", "params", "ours: mean ± std", "paper"]
    found = False
    for judged in (True, False):  # findings against a baseline, then numbers compared directly
        tasks = [task for task in reference.tasks if (task.baseline_column is not None) == judged]
        lines = [
            line
            for task in tasks
            for dataset in task.datasets
            if any(r["dataset"] == dataset for r in rows)
            for line in task_lines(task, dataset, rows)
        ]
        if not lines:
            continue
        found = True
        decided = [line for line in lines if line[-1] != "—"]
        held = sum(line[-1] == "yes" for line in decided)
        if judged:
            columns = ["baseline ours / paper", "our finding", "paper's finding", "finding holds"]
            summary = f"{held} of {len(decided)} findings hold. {FINDING_RULE}"
        else:
            columns = ["ours − paper", f"within {SIGMAS:g}σ"]
            summary = f"{held} of {len(decided)} published means lie within {SIGMAS:g}σ of ours. {WITHIN_RULE}"
        blocks += [Table([*header, *columns], lines), ("p", summary)]
    if not found:
        named = ", ".join(d for task in reference.tasks for d in task.datasets)
        blocks.append(("p", f"No dataset of this study is in the reference (it covers {named})."))
    return blocks
