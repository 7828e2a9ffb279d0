"""Turn ``results.csv`` (and the runs' TensorBoard logs) into report.md, report.html and figures."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from archbench.errors import ArchbenchError
from archbench.report.columns import (
    COST_COLUMNS,
    LOWER_IS_BETTER,
    METRIC_RANGE,
    PRIMARY_METRIC,
    RESOLUTION_METRICS,
    RESULT_COLUMNS,
)
from archbench.report.curves import Curve, read_scalar
from archbench.report.margins import ABSOLUTE_MARGIN, RATIO_MARGIN, Scale, make_scale
from archbench.report.plots import plot_bars, plot_loss_curves, plot_quality_vs_cost
from archbench.report.ranking import DatasetScores
from archbench.report.ranking_text import ranking_section
from archbench.report.reference import load_reference, reproduction_section
from archbench.report.render import Block, Table, render_html, render_markdown
from archbench.report.settings import settings_blocks
from archbench.report.tables import arch_table, pair_matrix, resolution_text
from archbench.report.verdicts import Comparison, analyze
from archbench.report.wording import baseline_line, verdict

Row = dict[str, str]
OPTIONAL_COLUMNS = ("n_test",)  # results.csv files written before it was recorded: no resolution floor

# Learning curves: the validation loss, or the training loss for runs without validation (protocol: paper).
CURVE_TAGS = ("val/loss", "train/loss_epoch")
COST_AXIS = "train_time_s"
TITLE = "archbench report: do the architectures perform similarly?"
METHOD = (
    "The verdict compares the neural architectures only; baselines (the trivial predictor, and any others the "
    "study ran) are tested against the best network and reported on their own line. Every pair of networks is "
    "tested: paired over the seeds both ran (at least 2, df = n − 1), otherwise Welch's test. Architectures "
    "perform similarly when every pair is shown inside the margin by two one-sided tests (TOST) at α={alpha:g}. "
    "They differ when some pair is shown to differ by more than the margin: the minimum-effect test "
    "p = P(T > (|D| − δ)/SE), Holm-corrected over all pairs at α={alpha:g}. A difference that is significant but "
    "smaller than the margin is noted on the pair and never counts as a difference. Otherwise the verdict is "
    "inconclusive, with the seeds per architecture that would decide it at 80% power if the observed gaps were "
    "true. Margin, fixed before the data are seen: {margin}. A test set of n samples moves accuracy-type "
    "classification scores in steps of h = 1/n: the margin used is at least 1.5·h, and the standard deviation of a "
    "pair at least h/√12, so seeds that land on the same sample are not certainty. Errors (MSE, MAE) are compared "
    "on the log scale: a gap is a ratio. In the tables, p tests a zero difference to the best network, p_holm(>δ) "
    "the minimum-effect test (adjusted over all network pairs; over the baselines for baselines), * marks "
    "p_holm(>δ) < α; gap is how much worse than the best, with its {gap_level:.0%} confidence interval (inside "
    "the margin exactly when TOST shows equivalence) and the TOST p-value. Effect is the gap over the pair's "
    "(floored) standard deviation; ratio is how many times worse than the best. A network whose mean is not more "
    "than the margin better than the majority class, the training mean or the persistence forecast is flagged. "
    "The smallest resolvable margin is the margin these seeds would show equivalent with 80% power if there were "
    "no difference (statsmodels' t-test power). The 95% CI of a mean is a t-interval clipped to the metric's "
    "range; one run has none. Cost columns are means over the successful runs. Runs whose status is not ok are "
    "left out of every statistic."
)


def margin_rule(margin: float | None) -> str:
    """The margin as the report states it, for both kinds of metric."""
    bounded = ABSOLUTE_MARGIN if margin is None else margin
    ratio = 1 + (RATIO_MARGIN if margin is None else margin)
    source = "default" if margin is None else "given"
    return (
        f"±{bounded:g} absolute for accuracy-type metrics (accuracy, F1, AUROC, R²), at least 1.5 test samples; "
        f"errors (MSE, MAE) within a factor {ratio:g} of each other, {source}"
    )


def read_results(path: Path) -> list[Row]:
    """The rows of a results.csv; every column of RESULT_COLUMNS must be present."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in RESULT_COLUMNS if c not in (reader.fieldnames or []) and c not in OPTIONAL_COLUMNS]
        if missing:
            raise ArchbenchError(f"{path}: missing columns {', '.join(missing)}; allowed: a results.csv")
        return [{"n_test": "", **row} for row in reader]


def number(text: str) -> float:
    return float(text) if text.strip() else math.nan


def file_stem(dataset: str) -> str:
    """A file-name-safe version of a dataset name (CSV datasets may carry paths)."""
    return re.sub(r"[^\w.-]+", "_", dataset)


def primary_metric(rows: list[Row]) -> str | None:
    """Classification when any row has an accuracy, regression when any has an MSE, else None."""
    for task in ("classification", "regression"):
        if any(row[PRIMARY_METRIC[task]].strip() for row in rows):
            return PRIMARY_METRIC[task]
    return None


def cost_means(rows: list[Row]) -> dict[str, float]:
    """Mean of each cost column over rows, NaN where no row has a value."""
    means = {}
    for column in COST_COLUMNS:
        values = [number(row[column]) for row in rows if row[column].strip()]
        means[column] = float(np.mean(values)) if values else math.nan
    return means


def resolve_log_dir(log_dir: str, base: Path) -> Path:
    """A log dir as written (absolute, or relative to where the grid ran), else relative to results.csv."""
    path = Path(log_dir)
    return path if path.is_absolute() or path.exists() else base / path


def learning_curves(rows: list[Row], base: Path) -> tuple[dict[str, list[Curve]], str]:
    """The runs' validation-loss curves, or their training-loss curves when none has validation; and that tag."""
    for tag in CURVE_TAGS:
        if curves := read_curves(rows, base, tag):
            return curves, tag
    return {}, CURVE_TAGS[0]


def read_curves(rows: list[Row], base: Path, tag: str) -> dict[str, list[Curve]]:
    """Curves of ``tag`` per model arch, in seed order; runs without a log dir or the tag are skipped."""
    curves: dict[str, list[Curve]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["arch"], int(r["seed"]))):
        if row["kind"] == "baseline" or not row["log_dir"].strip():
            continue
        curve = read_scalar(resolve_log_dir(row["log_dir"], base), tag)
        if curve:
            curves[row["arch"]].append(curve)
    return dict(curves)


def cost_rows(comparisons: list[Comparison], rows: list[Row], metric: str) -> list[dict[str, object]]:
    """Per-arch mean quality and mean cost, for the quality-vs-cost figure."""
    return [
        {
            "arch": c.arch,
            metric: c.mean,
            COST_AXIS: cost_means([r for r in rows if r["arch"] == c.arch])[COST_AXIS],
        }
        for c in comparisons
    ]


def seed_groups(rows: list[Row], metric: str) -> dict[str, dict[int, float]]:
    groups: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        groups[row["arch"]][int(row["seed"])] = number(row[metric])
    return dict(groups)


def dataset_scale(metric: str, ok: list[Row], margin: float | None, alpha: float) -> Scale:
    """The dataset's comparison scale; its resolution from the smallest test set its runs recorded."""
    sizes = [number(r["n_test"]) for r in ok if str(r.get("n_test", "")).strip()]
    n_test = min(sizes) if sizes else math.nan
    lower = LOWER_IS_BETTER[metric]
    return make_scale(lower, metric in RESOLUTION_METRICS, n_test, margin, alpha, METRIC_RANGE[metric])


def coarse_warning(dataset: str, scale: Scale) -> str:
    """The warning the report puts at its top when one test sample moves the score by more than the stated margin."""
    if not scale.too_coarse:
        return ""
    n = round(1 / scale.resolution)
    return (
        f"{dataset}: the test set has {n} samples, so one sample moves the score by {scale.resolution:.3g}, more than "
        f"the stated margin ±{scale.stated:g}; differences smaller than ±{scale.margin:.3g} cannot be told apart here"
    )


def dataset_section(
    dataset: str, rows: list[Row], out_dir: Path, base: Path, alpha: float, margin: float | None
) -> tuple[list[Block], list[str], DatasetScores, str]:
    """The blocks of one dataset's section, its row of the verdict table, its networks' mean scores and its warning
    (empty when none); writes the section's figures."""
    ok = [r for r in rows if r["status"] == "ok"]
    metric = primary_metric(rows)
    if metric is None or not ok:
        line = f"{dataset}: no successful runs — nothing to compare"
        return [("h2", dataset), ("p", line)], [dataset, "—", "—", line, "—"], DatasetScores(dataset, None, {}), ""
    scale = dataset_scale(metric, ok, margin, alpha)
    networks = seed_groups([r for r in ok if r["kind"] != "baseline"], metric)
    baselines = seed_groups([r for r in ok if r["kind"] == "baseline"], metric)
    analysis = analyze(networks, scale, baselines)
    line, baseline_text = verdict(dataset, analysis, metric), baseline_line(analysis)
    stem = file_stem(dataset)
    comparisons = analysis.comparisons
    plot_loss_curves(dataset, *learning_curves(ok, base), out_dir / f"{stem}_curves.png")
    plot_bars(dataset, comparisons, metric, out_dir / f"{stem}_bars.png")
    costs = cost_rows(comparisons, ok, metric)
    plot_quality_vs_cost(dataset, costs, metric, COST_AXIS, out_dir / f"{stem}_cost.png")
    direction = "lower" if LOWER_IS_BETTER[metric] else "higher"
    costs_of = lambda arch: cost_means([r for r in ok if r["arch"] == arch])  # noqa: E731
    blocks: list[Block] = [
        ("h2", dataset),
        ("p", f"Primary metric: {metric} ({direction} is better); {len(ok)} successful runs of {len(rows)}."),
        ("p", f"Equivalence margin: {scale.text}; α={alpha:g}."),
        arch_table(analysis, metric, costs_of, COST_COLUMNS),
        ("p", f"Verdict: {line}"),
        *([("p", f"Baselines: {baseline_text}")] if baseline_text else []),
        ("p", resolution_text(analysis)),
        *([pair_matrix(analysis)] if analysis.pairs else []),
        ("img", f"{stem}_bars.png"),
        ("img", f"{stem}_curves.png"),
        ("img", f"{stem}_cost.png"),
    ]
    best = analysis.networks[0].arch if analysis.networks else "—"
    scores = DatasetScores(dataset, metric, {c.arch: c.mean for c in analysis.networks})
    return blocks, [dataset, metric, best, line, baseline_text or "—"], scores, coarse_warning(dataset, scale)


def failed_table(rows: list[Row]) -> Block:
    failed = [r for r in rows if r["status"] != "ok"]
    failed.sort(key=lambda r: (r["dataset"], r["arch"], int(r["seed"])))
    if not failed:
        return ("p", "None: every run finished ok.")
    return Table(
        ["dataset", "arch", "seed", "status", "error"],
        [[r["dataset"], r["arch"], r["seed"], r["status"], r["error"]] for r in failed],
    )


def reused_block(rows: list[Row]) -> Block:
    """Which cells came from earlier runs with identical settings, YAML text, data content and archbench version."""
    reused = sorted((r["dataset"], r["arch"], int(r["seed"])) for r in rows if r.get("reused") == "yes")
    if not reused:
        return ("p", "None: every cell was run by this invocation.")
    listed = ", ".join(f"{arch}/{dataset}/seed {seed}" for dataset, arch, seed in reused)
    return ("p", f"{len(reused)} of {len(rows)} cells were reused from earlier runs of the identical cell: {listed}.")


def build_report(
    results_csv: Path, out_dir: Path, alpha: float = 0.05, margin: float | None = None, reference: Path | None = None
) -> Path:
    """Write report.md, report.html and per-dataset PNGs into ``out_dir``; return the report.md path.

    ``margin`` is the stated equivalence margin: absolute for accuracy-type metrics, the fraction by which a ratio of
    errors may exceed 1 for error metrics; None keeps the defaults (0.01 and 0.05), see ``archbench.report.margins``.
    ``alpha`` is the tests' level (0 < alpha < 1).
    ``reference`` is a reference file (``configs/reference/``): a Reproduction section puts ours beside it.
    """
    if not 0 < alpha < 1:
        raise ArchbenchError(f"alpha must be inside (0, 1), got {alpha}")
    results_csv, out_dir = Path(results_csv), Path(out_dir)
    rows = read_results(results_csv)
    reproduction = reproduction_section(rows, load_reference(reference)) if reference else []
    out_dir.mkdir(parents=True, exist_ok=True)
    sections: list[Block] = []
    verdicts, scores, warnings = [], [], []
    for dataset in sorted({r["dataset"] for r in rows}):
        dataset_rows = [r for r in rows if r["dataset"] == dataset]
        blocks, verdict_row, dataset_scores, warning = dataset_section(
            dataset, dataset_rows, out_dir, results_csv.parent, alpha, margin
        )
        sections.extend(blocks)
        verdicts.append(verdict_row)
        scores.append(dataset_scores)
        warnings += [warning] if warning else []
    networks = sorted({r["arch"] for r in rows if r["kind"] != "baseline"})
    # Ranking needs something to rank over: one dataset, or one architecture, has no ranking section.
    ranking = ranking_section(scores, networks, out_dir, alpha) if len(scores) >= 2 and len(networks) >= 2 else []
    blocks: list[Block] = [
        ("h1", TITLE),
        *[("p", f"Warning — test set too small for the margin: {w}.") for w in warnings],
        ("h2", "Verdict"),
        Table(["dataset", "metric", "best network", "verdict", "baselines"], verdicts),
        *ranking,
        *reproduction,
        *sections,
        *settings_blocks(out_dir, rows),
        ("h2", "Failed or diverged runs"),
        failed_table(rows),
        ("h2", "Reused cells"),
        reused_block(rows),
        ("h2", "Method"),
        ("p", METHOD.format(alpha=alpha, margin=margin_rule(margin), gap_level=1 - 2 * alpha)),
    ]
    (out_dir / "report.html").write_text(render_html(blocks, TITLE), encoding="utf-8")
    report = out_dir / "report.md"
    report.write_text(render_markdown(blocks), encoding="utf-8")
    return report
