"""The tuning part of a report: the budget, the chosen settings, and expected best validation loss per trial count.

Dodge et al. 2019 ("Show your work"): from the N observed trial scores, the expected best score after n ≤ N trials
drawn at random, with its standard deviation, shows whether a ranking of architectures depends on the budget.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archbench.report.plots import colors, new_axes, save

TABLE_HEAD = "| arch | completed trials | expected best after 1 / 5 / all trials | chosen settings |"


def expected_best(scores: list[float], lower_is_better: bool = True) -> list[float]:
    """E[best of n] for n = 1..N: with v(1) … v(N) sorted from worst to best, Σ_i v(i)·[(i/N)^n − ((i−1)/N)^n]."""
    return [mean for mean, _ in expected_best_band(scores, lower_is_better)]


def expected_best_band(scores: list[float], lower_is_better: bool = True) -> list[tuple[float, float]]:
    """(mean, standard deviation) of the best of n trials drawn with replacement from ``scores``, n = 1..N."""
    ordered = np.sort(np.asarray(scores, dtype=float))
    if lower_is_better:
        ordered = ordered[::-1]  # worst first
    count = len(ordered)
    upper = np.arange(1, count + 1) / count
    band = []
    for n in range(1, count + 1):
        weights = upper**n - (upper - 1 / count) ** n  # P(best of n = v(i))
        mean = float(np.sum(weights * ordered))
        band.append((mean, float(np.sqrt(max(np.sum(weights * ordered**2) - mean**2, 0.0)))))
    return band


def plot_expected_best(dataset: str, scores_by_arch: dict[str, list[float]], path: Path) -> Path:
    figure, axes = new_axes(f"{dataset}: expected best validation loss by number of trials")
    palette = colors(sorted(scores_by_arch))
    for arch, scores in sorted(scores_by_arch.items()):
        if not scores:
            continue
        band = np.array(expected_best_band(scores))
        trials = np.arange(1, len(scores) + 1)
        axes.plot(trials, band[:, 0], label=arch, color=palette[arch])
        axes.fill_between(trials, band[:, 0] - band[:, 1], band[:, 0] + band[:, 1], color=palette[arch], alpha=0.2)
    axes.set_xlabel("trials")
    axes.set_ylabel("expected best val/loss (standardised units)")
    axes.legend()
    return save(figure, path)


def write_tuning_report(
    out_dir: Path, budget: str, scores: dict[str, dict[str, list[float]]], chosen: dict[str, dict[str, str]]
) -> Path:
    """``tuning.md`` and one PNG per dataset; ``scores[dataset][arch]`` are the completed trials' values."""
    lines = ["# Tuning", "", f"Budget: {budget}.", ""]
    for dataset in sorted(scores):
        png = plot_expected_best(dataset, scores[dataset], out_dir / f"tuning_{dataset}.png")
        lines += [f"## {dataset}", "", f"![expected best]({png.name})", "", TABLE_HEAD, "| --- | --- | --- | --- |"]
        for arch, values in sorted(scores[dataset].items()):
            curve = expected_best(values) if values else []
            marks = " / ".join(f"{curve[min(n, len(curve)) - 1]:.4g}" for n in (1, 5, len(curve))) if curve else "—"
            lines.append(f"| {arch} | {len(values)} | {marks} | {chosen[dataset].get(arch, '—')} |")
        lines.append("")
    path = out_dir / "tuning.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
