"""``archbench rank FILE.csv``: rank methods over datasets from a long table, published results or one's own."""

from __future__ import annotations

from pathlib import Path

from archbench.report.long_table import read_long_csv
from archbench.report.ranking import Ranking, draw_ranking, pair_table, rank_table, ranking_verdict
from archbench.report.render import Block, Table, render_markdown


def mean_ranks(ranking: Ranking) -> Table:
    rows = [[m, f"{r:.4f}"] for m, r in zip(ranking.archs, ranking.average_ranks, strict=True)]
    return Table(["method", f"mean rank over {len(ranking.datasets)} datasets (1 = best)"], rows)


def run_rank(path: str | Path, alpha: float = 0.05, plot: str | Path | None = None) -> int:
    """Print the ranking of ``path`` and write its critical-difference diagram to ``plot`` when given."""
    ranking = rank_table(read_long_csv(path), alpha)
    blocks: list[Block] = []
    if ranking.left_out:
        dropped = ", ".join(f"{d} ({why})" for d, why in sorted(ranking.left_out.items()))
        blocks.append(("p", f"{len(ranking.left_out)} dataset(s) dropped, some method has no score there: {dropped}"))
    if len(ranking.datasets) >= 2:
        friedman = "needs 3 or more methods" if len(ranking.archs) < 3 else f"p = {ranking.friedman_p:.4g}"
        blocks += [mean_ranks(ranking), ("p", f"Friedman test: {friedman}; α = {alpha:g}"), pair_table(ranking)]
    blocks.append(("p", f"Verdict: {ranking_verdict(ranking)}"))
    print(render_markdown(blocks), end="")
    if plot is not None and len(ranking.datasets) >= 2:
        draw_ranking(ranking, plot)
        print(f"critical-difference diagram: {plot}")
    return 0
