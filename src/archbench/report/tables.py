"""One dataset's verdict tables: each architecture against the best network, and every pair of networks."""

from __future__ import annotations

import math
from collections.abc import Callable

from archbench.report.render import Table
from archbench.report.verdicts import Analysis, Comparison
from archbench.report.wording import format_ratio

Row = dict[str, str]


def fmt(value: float, spec: str = ".4g") -> str:
    return "—" if math.isnan(value) else format(value, spec)


def seeds_cell(seeds: float) -> str:
    if math.isnan(seeds):
        return "—"
    return "> 1000" if math.isinf(seeds) else f"{seeds:.0f}"


def arch_line(c: Comparison, analysis: Analysis, costs: dict[str, float]) -> list[str]:
    """One table line: quality, the test against the best network, then mean costs."""
    label = f"{c.arch} (baseline)" if c.baseline else c.arch
    quality = [label, f"{fmt(c.mean)} ± {fmt(c.std)}", f"[{fmt(c.ci_low)}, {fmt(c.ci_high)}]"]
    star = " *" if c.differs else ""
    rank = "—" if c.baseline else str(c.rank)
    test = [str(c.n), rank, c.test, fmt(c.p_value, ".2g"), fmt(c.p_holm, ".2g") + star]
    gap_text = analysis.scale.gap_text
    gap = "—" if math.isnan(c.gap) else f"{gap_text(c.gap)} [{gap_text(c.gap_low)}, {gap_text(c.gap_high)}]"
    equivalence = [gap, fmt(c.p_equivalence, ".2g"), seeds_cell(c.seeds_needed)]
    size = [fmt(c.effect_size, ".3g"), "—" if math.isnan(c.ratio) else format_ratio(c.ratio), c.flag or "—"]
    cost = [fmt(costs[col], ".0f" if col == "params" else ".4g") for col in costs]
    return quality + test + equivalence + size + cost


def arch_table(
    analysis: Analysis, metric: str, costs_of: Callable[[str], dict[str, float]], cost_columns: list[str]
) -> Table:
    """Quality, test against the best network, equivalence and cost: networks in rank order, then baselines."""
    level = 1 - 2 * analysis.alpha
    scale = analysis.scale
    bound = f"×{math.exp(scale.margin):.3g}" if scale.log else f"±{scale.margin:.3g}"
    header = [f"{metric} mean ± std", "95% CI", "n", "rank", "test vs best", "p", "p_holm(>δ)"]
    header += [f"gap [{level:.0%} CI] vs {bound}", "p_TOST", "seeds to decide", "effect", "ratio", "note"]
    lines = [arch_line(c, analysis, costs_of(c.arch)) for c in analysis.comparisons]
    return Table(["arch", *header, *cost_columns], lines)


def pair_matrix(analysis: Analysis) -> Table:
    """Every pair of networks, the better-ranked one in the row: similar (≈), differ (>) or undecided (?), with the
    gap; "sig. < δ" marks a significant difference smaller than the margin."""
    archs = [c.arch for c in analysis.networks]
    cells = {a: {b: "" for b in archs} for a in archs}
    symbols = {"similar": "≈", "differ": ">", "inconclusive": "?"}
    for pair in analysis.pairs:
        text = f"{symbols[pair.verdict(analysis.alpha)]} {analysis.scale.gap_text(pair.gap)}"
        cells[pair.better][pair.worse] = text + (" (sig. < δ)" if pair.below_margin(analysis.alpha) else "")
    return Table(["vs", *archs[1:]], [[a, *(cells[a][b] for b in archs[1:])] for a in archs[:-1]])


def resolution_text(analysis: Analysis) -> str:
    """What this study can resolve: the networks equivalent to the best, and the smallest margin its seeds show."""
    scale, resolvable = analysis.scale, analysis.resolvable
    if math.isinf(resolvable) or math.isnan(resolvable):
        smallest = "none (fewer than 2 seeds per pair)"
    else:
        smallest = f"×{math.exp(resolvable):.3g}" if scale.log else f"±{resolvable:.3g}"
    best = ", ".join(analysis.equivalent_to_best) or "—"
    return (
        f"Equivalent to the best (TOST, α={analysis.alpha:g}): {best}. Smallest margin these seeds could show "
        f"equivalent with 80% power: {smallest} (the margin used: {scale.text})."
    )
