"""The report's figures: validation curves, quality with confidence intervals, quality against cost.

Figures are built with matplotlib's object API (``Figure``), never pyplot: no GUI backend is ever selected, so
plotting works headless and from worker processes, and no global figure state leaks between calls. ``savefig``
renders PNGs with Agg. Fixed sizes, dpi and no "Software" metadata make the PNG bytes stable across rebuilds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import scikit_posthocs as sp
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from archbench.report.columns import TRIVIAL_ROWS
from archbench.report.curves import Curve, log_band, mean_band
from archbench.report.verdicts import Comparison

SIZE = (7.0, 4.5)
DPI = 100
BASELINE_COLOR = "0.65"
BASELINE_HATCH = "//"


def is_baseline(arch: str) -> bool:
    return arch.startswith("sk_") or arch in TRIVIAL_ROWS or arch == "seasonal_naive"


def colors(archs: Sequence[str]) -> dict[str, str]:
    """One colour per model arch by sorted name, so an arch keeps its colour across a dataset's figures."""
    palette = matplotlib.colormaps["tab10"].colors
    models = sorted(a for a in set(archs) if not is_baseline(a))
    mapping = {arch: to_hex(palette[i % len(palette)]) for i, arch in enumerate(models)}
    return {arch: mapping.get(arch, BASELINE_COLOR) for arch in archs}


def wide_positive(values: Sequence[float]) -> bool:
    """True when values are all positive and span more than a factor of 10: a log axis reads better."""
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 10


def new_axes(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    return figure, axes


def save(figure: Figure, path: str | Path) -> Path:
    figure.savefig(path, dpi=DPI, format="png", metadata={"Software": None})
    return Path(path)


def empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)


def plot_loss_curves(dataset: str, curves_by_arch: Mapping[str, list[Curve]], tag: str, path: str | Path) -> Path:
    """Mean loss (``tag``: the validation loss, or the training loss of runs without validation) per arch with a
    ±1 std band over seeds. When every value is positive the y axis is logarithmic and the band is computed in log
    space (geometric mean, ×/÷ the geometric std)."""
    what = "validation loss" if tag.startswith("val") else "training loss"
    all_curves = {arch: [c for c in curves if c] for arch, curves in curves_by_arch.items()}
    if not any(all_curves.values()):
        figure, axes = new_axes(f"{dataset}: {what}")
        empty(axes, f"no {what} curves")
        return save(figure, path)
    log = all(value > 0 for curves in all_curves.values() for curve in curves for _, value in curve)
    spread = "geometric mean ×/÷ geometric std" if log else "mean ± std"
    figure, axes = new_axes(f"{dataset}: {what} ({spread} over seeds)")
    palette = colors(list(curves_by_arch))
    for arch in sorted(all_curves):
        curves = all_curves[arch]
        if not curves:
            continue
        if log:
            steps, low, middle, high = log_band(curves)
        else:
            steps, middle, std = mean_band(curves)
            low, high = middle - std, middle + std
        axes.plot(steps, middle, color=palette[arch], label=f"{arch} (n={len(curves)})")
        axes.fill_between(steps, low, high, color=palette[arch], alpha=0.2, linewidth=0)
    if log:
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(tag)
    axes.legend()
    return save(figure, path)


def plot_bars(dataset: str, comparisons: Sequence[Comparison], metric: str, path: str | Path) -> Path:
    """Mean of ``metric`` per arch in rank order with 95% CI error bars; ``sk_`` baselines grey, hatched."""
    figure, axes = new_axes(f"{dataset}: {metric} (mean, 95% t-interval clipped to the range)")
    if not comparisons:
        empty(axes, "no successful runs")
        return save(figure, path)
    archs = [c.arch for c in comparisons]
    means = np.array([c.mean for c in comparisons])
    lows, highs = np.array([c.ci_low for c in comparisons]), np.array([c.ci_high for c in comparisons])
    errors = np.nan_to_num([means - lows, highs - means])  # no CI (n=1): no error bar
    palette = colors(archs)
    x = np.arange(len(archs))
    bars = axes.bar(x, means, yerr=errors, capsize=4, color=[palette[a] for a in archs], edgecolor="0.2")
    for bar, arch in zip(bars, archs, strict=True):
        bar.set_hatch(BASELINE_HATCH if is_baseline(arch) else "")
    axes.set_xticks(x, archs, rotation=20)
    axes.set_ylabel(metric)
    if wide_positive(means.tolist()):
        axes.set_yscale("log")
    return save(figure, path)


def plot_quality_vs_cost(
    dataset: str, rows: Sequence[Mapping[str, object]], metric: str, cost_col: str, path: str | Path
) -> Path:
    """One point per arch: mean ``metric`` against mean ``cost_col`` (log x).

    ``rows`` holds one mapping per arch with keys ``arch``, ``metric`` and ``cost_col`` (floats, NaN if
    unknown); points without a positive cost or a finite metric are left out.
    """
    figure, axes = new_axes(f"{dataset}: {metric} vs {cost_col} (per-arch means)")
    points = [
        (str(r["arch"]), float(r[cost_col]), float(r[metric]))
        for r in rows
        if float(r[cost_col]) > 0 and math.isfinite(float(r[metric])) and math.isfinite(float(r[cost_col]))
    ]
    if not points:
        empty(axes, f"no runs with both {metric} and {cost_col}")
        return save(figure, path)
    palette = colors([arch for arch, _, _ in points])
    for arch, cost, quality in points:
        marker = "s" if is_baseline(arch) else "o"
        # Named in the legend, not beside the point: labels of nearby points would overlap.
        axes.scatter(cost, quality, color=palette[arch], marker=marker, edgecolors="0.2", zorder=3, label=arch)
    axes.set_xscale("log")
    axes.margins(0.1)
    axes.legend(fontsize=8, loc="best")
    if wide_positive([quality for _, _, quality in points]):
        axes.set_yscale("log")
    axes.set_xlabel(cost_col)
    axes.set_ylabel(metric)
    return save(figure, path)


def plot_critical_difference(
    average_ranks: Mapping[str, float], p_values: pd.DataFrame, alpha: float, title: str, path: str | Path
) -> list[list[float]]:
    """A critical-difference diagram (Demšar 2006) drawn by scikit-posthocs: methods on an average-rank axis, a bar
    joining each group with no pair below ``alpha`` in ``p_values``. Returns the bars, each as its methods' ranks."""
    figure = Figure(figsize=(SIZE[0], 1.2 + 0.3 * (len(average_ranks) + 1)), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=9)
    palette = colors(list(average_ranks))
    drawn = sp.critical_difference_diagram(
        pd.Series(average_ranks), p_values, alpha=alpha, ax=axes, color_palette=palette,
        label_fmt_left="{label} ({rank:.2f})", label_fmt_right="({rank:.2f}) {label}",
    )  # fmt: skip
    save(figure, path)
    return [sorted(float(x) for x in line.get_xdata()) for lines in drawn["crossbars"] for line in lines]
