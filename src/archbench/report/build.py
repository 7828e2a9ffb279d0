"""Turn ``results.csv`` (and the runs' TensorBoard logs) into report.md, report.html and figures."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from archbench.errors import ArchbenchError
from archbench.report.columns import COST_COLUMNS, LOWER_IS_BETTER, METRIC_RANGE, PRIMARY_METRIC, RESULT_COLUMNS
from archbench.report.curves import Curve, read_scalar
from archbench.report.plots import plot_bars, plot_loss_curves, plot_quality_vs_cost
from archbench.report.ranking import DatasetScores, ranking_section
from archbench.report.reference import load_reference, reproduction_section
from archbench.report.render import Block, Table, render_html, render_markdown
from archbench.report.settings import settings_blocks
from archbench.report.verdicts import ABSOLUTE_MARGIN, RELATIVE_MARGIN, Analysis, Comparison, analyze
from archbench.report.wording import baseline_line, format_ratio, verdict

Row = dict[str, str]

# Learning curves: the validation loss, or the training loss for runs without validation (protocol: paper).
CURVE_TAGS = ("val/loss", "train/loss_epoch")
COST_AXIS = "train_time_s"
TITLE = "archbench report: do the architectures perform similarly?"
METHOD = (
    "The verdict compares the neural architectures only; baselines are tested against the best network and "
    "reported on their own line. Every pair of networks is tested: a paired t-test over the seeds both ran (when "
    "there are at least 2), otherwise Welch's t-test. Architectures differ when some pair differs after Holm's "
    "correction over all pairs at α={alpha:g}, so choosing the best by mean afterwards cannot inflate it. They "
    "perform similarly when every pair is shown equivalent within the margin by two one-sided tests (TOST) at "
    "α={alpha:g}; a real difference smaller than the margin still counts as similar. Otherwise the verdict is "
    "inconclusive, with the seeds per architecture that would decide it at 80% power if the observed gaps were "
    "true. Margin: {margin}. In the tables, p and p_holm test each arch against the best network (p_holm "
    "adjusted over all network pairs; over the baselines for baselines), * marks p_holm < α; gap is how much "
    "worse than the best, in the metric's units, with its {gap_level:.0%} confidence interval (inside ±margin "
    "exactly when TOST shows equivalence) and the TOST p-value. Effect is d_z (paired) or Hedges' g (Welch), "
    "positive when worse than the best; ratio is how many times worse than the best. A constant non-zero "
    "difference over seeds (no variance) is the strongest evidence: p = 0. The 95% CI of a mean is a t-interval "
    "clipped to the metric's range ([0, 1] for accuracy-type metrics, ≥ 0 for errors, ≤ 1 for R²); one run has "
    "none. Cost columns are means over the successful runs. Runs whose status is not ok are left out of every "
    "statistic."
)


def margin_rule(margin: float | None) -> str:
    """The margin as the report states it, for both kinds of metric."""
    bounded = ABSOLUTE_MARGIN if margin is None else margin
    relative = RELATIVE_MARGIN if margin is None else margin
    source = "default" if margin is None else "given"
    return (
        f"±{bounded:g} absolute for accuracy-type metrics (accuracy, F1, AUROC, R²) and ±{relative:g} of the best "
        f"network's mean for error metrics (MSE, MAE), {source}"
    )


def read_results(path: Path) -> list[Row]:
    """The rows of a results.csv; every column of RESULT_COLUMNS must be present."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in RESULT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ArchbenchError(f"{path}: missing columns {', '.join(missing)}; allowed: a results.csv")
        return list(reader)


def number(text: str) -> float:
    return float(text) if text.strip() else math.nan


def fmt(value: float, spec: str = ".4g") -> str:
    return "—" if math.isnan(value) else format(value, spec)


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


def seeds_cell(seeds: float) -> str:
    if math.isnan(seeds):
        return "—"
    return "> 1000" if math.isinf(seeds) else f"{seeds:.0f}"


def arch_line(c: Comparison, arch_rows: list[Row]) -> list[str]:
    """One table line: quality, the test against the best network, then mean costs."""
    label = f"{c.arch} (baseline)" if c.baseline else c.arch
    costs = cost_means(arch_rows)
    quality = [label, f"{fmt(c.mean)} ± {fmt(c.std)}", f"[{fmt(c.ci_low)}, {fmt(c.ci_high)}]"]
    star = " *" if c.significant else ""
    rank = "—" if c.baseline else str(c.rank)
    test = [str(c.n), rank, c.test, fmt(c.p_value, ".2g"), fmt(c.p_holm, ".2g") + star]
    gap = "—" if math.isnan(c.gap) else f"{fmt(c.gap, '.3g')} [{fmt(c.gap_low, '.3g')}, {fmt(c.gap_high, '.3g')}]"
    equivalence = [gap, fmt(c.p_equivalence, ".2g"), seeds_cell(c.seeds_needed)]
    size = [fmt(c.effect_size, ".3g"), "—" if math.isnan(c.ratio) else format_ratio(c.ratio)]
    cost = [fmt(costs[col], ".0f" if col == "params" else ".4g") for col in COST_COLUMNS]
    return quality + test + equivalence + size + cost


def arch_table(analysis: Analysis, rows: list[Row], metric: str) -> Table:
    """Quality, test against the best network, equivalence and cost: networks in rank order, then baselines."""
    level = 1 - 2 * analysis.alpha
    header = [f"{metric} mean ± std", "95% CI", "n", "rank", "test vs best", "p", "p_holm"]
    header += [f"gap [{level:.0%} CI] vs ±{analysis.margin:.3g}", "p_TOST", "seeds to decide", "effect", "ratio"]
    lines = [arch_line(c, [r for r in rows if r["arch"] == c.arch]) for c in analysis.comparisons]
    return Table(["arch", *header, *COST_COLUMNS], lines)


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


def dataset_section(
    dataset: str, rows: list[Row], out_dir: Path, base: Path, alpha: float, margin: float | None
) -> tuple[list[Block], list[str], DatasetScores]:
    """The blocks of one dataset's section, its row of the verdict table and its networks' mean scores; writes the
    section's figures."""
    ok = [r for r in rows if r["status"] == "ok"]
    metric = primary_metric(rows)
    if metric is None or not ok:
        line = f"{dataset}: no successful runs — nothing to compare"
        return [("h2", dataset), ("p", line)], [dataset, "—", "—", line, "—"], DatasetScores(dataset, None, {})
    networks = seed_groups([r for r in ok if r["kind"] != "baseline"], metric)
    baselines = seed_groups([r for r in ok if r["kind"] == "baseline"], metric)
    analysis = analyze(networks, not LOWER_IS_BETTER[metric], baselines, margin, alpha, METRIC_RANGE[metric])
    line, baseline_text = verdict(dataset, analysis, metric), baseline_line(analysis)
    stem = file_stem(dataset)
    comparisons = analysis.comparisons
    plot_loss_curves(dataset, *learning_curves(ok, base), out_dir / f"{stem}_curves.png")
    plot_bars(dataset, comparisons, metric, out_dir / f"{stem}_bars.png")
    costs = cost_rows(comparisons, ok, metric)
    plot_quality_vs_cost(dataset, costs, metric, COST_AXIS, out_dir / f"{stem}_cost.png")
    direction = "lower" if LOWER_IS_BETTER[metric] else "higher"
    blocks: list[Block] = [
        ("h2", dataset),
        ("p", f"Primary metric: {metric} ({direction} is better); {len(ok)} successful runs of {len(rows)}."),
        ("p", f"Equivalence margin: {analysis.margin_text}."),
        arch_table(analysis, ok, metric),
        ("p", f"Verdict: {line}"),
        *([("p", f"Baselines: {baseline_text}")] if baseline_text else []),
        ("img", f"{stem}_bars.png"),
        ("img", f"{stem}_curves.png"),
        ("img", f"{stem}_cost.png"),
    ]
    best = analysis.networks[0].arch if analysis.networks else "—"
    scores = DatasetScores(dataset, metric, {c.arch: c.mean for c in analysis.networks})
    return blocks, [dataset, metric, best, line, baseline_text or "—"], scores


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

    ``margin`` is the equivalence margin: absolute for accuracy-type metrics, a fraction of the best network's
    mean for error metrics; None keeps the defaults (0.01 and 0.05), see ``archbench.report.verdicts``.
    ``reference`` is a reference file (``configs/reference/``): a Reproduction section puts ours beside it.
    """
    results_csv, out_dir = Path(results_csv), Path(out_dir)
    rows = read_results(results_csv)
    reproduction = reproduction_section(rows, load_reference(reference)) if reference else []
    out_dir.mkdir(parents=True, exist_ok=True)
    sections: list[Block] = []
    verdicts, scores = [], []
    for dataset in sorted({r["dataset"] for r in rows}):
        dataset_rows = [r for r in rows if r["dataset"] == dataset]
        blocks, verdict_row, dataset_scores = dataset_section(
            dataset, dataset_rows, out_dir, results_csv.parent, alpha, margin
        )
        sections.extend(blocks)
        verdicts.append(verdict_row)
        scores.append(dataset_scores)
    networks = sorted({r["arch"] for r in rows if r["kind"] != "baseline"})
    # Ranking needs something to rank over: one dataset, or one architecture, has no ranking section.
    ranking = ranking_section(scores, networks, out_dir, alpha) if len(scores) >= 2 and len(networks) >= 2 else []
    blocks: list[Block] = [
        ("h1", TITLE),
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
