"""``archbench rank FILE.csv``: rank methods over datasets from a long table, published results or one's own."""

from __future__ import annotations

from pathlib import Path

from archbench.report.aeon_style import DEFAULT_ALPHA
from archbench.report.long_table import read_long_csv
from archbench.report.ranking import Ranking, rank_table
from archbench.report.ranking_text import draw_ranking, pair_table, ranking_verdict
from archbench.report.render import Block, Table, render_markdown


def mean_ranks(ranking: Ranking) -> Table:
    rows = [[m, f"{r:.4f}"] for m, r in zip(ranking.archs, ranking.average_ranks, strict=True)]
    return Table(["method", f"mean rank over {len(ranking.datasets)} datasets (1 = best)"], rows)


def run_rank(path: str | Path, alpha: float | None = None, plot: str | Path | None = None, aeon: bool = False) -> int:
    """Print the ranking of ``path`` and write its critical-difference diagram to ``plot`` when given; ``aeon``:
    pairs in aeon's convention, at its default α = 0.1 unless ``alpha`` is given."""
    if alpha is None:
        alpha = DEFAULT_ALPHA if aeon else 0.05
    ranking = rank_table(read_long_csv(path), alpha, aeon=aeon)
    blocks: list[Block] = []
    if ranking.left_out:
        dropped = ", ".join(f"{d} ({why})" for d, why in sorted(ranking.left_out.items()))
        blocks.append(("p", f"{len(ranking.left_out)} dataset(s) dropped, some method has no score there: {dropped}"))
    if len(ranking.datasets) >= 2:
        friedman = "needs 3 or more methods" if len(ranking.archs) < 3 else f"p = {ranking.friedman_p:.4g}"
        tests = f"Friedman test: {friedman}; pairs: {ranking.pair_test}; α = {alpha:g}"
        blocks += [mean_ranks(ranking), ("p", tests), pair_table(ranking)]
    blocks.append(("p", f"Verdict: {ranking_verdict(ranking)}"))
    print(render_markdown(blocks), end="")
    if plot is not None and len(ranking.datasets) >= 2:
        draw_ranking(ranking, plot)
        print(f"critical-difference diagram: {plot}")
    return 0
