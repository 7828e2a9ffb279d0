"""The ranking across datasets in words, tables and a critical-difference diagram: what the report's "Ranking across
datasets" section and ``archbench rank`` print (the numbers come from ``archbench.report.ranking``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from archbench.report.plots import plot_critical_difference
from archbench.report.ranking import DatasetScores, Ranking, datasets_needed, rank_architectures
from archbench.report.render import Block, Table

CD_DIAGRAM = "cd_diagram.png"


def significance_matrix(ranking: Ranking) -> pd.DataFrame:
    """Holm-adjusted p of every pair, as a symmetric method × method table; 1 where a pair is not significant
    because the Friedman test did not reject (what the diagram's bars join)."""
    matrix = pd.DataFrame(1.0, index=ranking.archs, columns=ranking.archs)
    for pair in ranking.pairs:
        p = pair.p_holm if pair.significant or not pair.p_holm < ranking.alpha else 1.0
        matrix.loc[pair.better, pair.worse] = matrix.loc[pair.worse, pair.better] = p
    return matrix


def draw_ranking(ranking: Ranking, path: str | Path) -> list[list[float]]:
    """The critical-difference diagram (scikit-posthocs) of ``ranking``; returns its bars' average ranks."""
    average = dict(zip(ranking.archs, ranking.average_ranks.tolist(), strict=True))
    title = f"Average rank over {len(ranking.datasets)} datasets (1 = best); bars: no significant difference"
    return plot_critical_difference(average, significance_matrix(ranking), ranking.alpha, title, path)


def first_text(ranking: Ranking) -> str:
    best, n = ranking.archs[0], len(ranking.datasets)
    return f"{best} ranks first on average (rank {ranking.average_ranks[0]:.2f} over {n} datasets)"


def test_text(ranking: Ranking) -> str:
    if len(ranking.archs) == 2:
        return "Wilcoxon only: the Friedman test needs 3 or more architectures"
    return f"Friedman p={ranking.friedman_p:.2g}"


def undecided_line(ranking: Ranking) -> str:
    """The verdict when no pair is significant: why, and never "similar"."""
    n, archs, alpha = len(ranking.datasets), ranking.archs, ranking.alpha
    lowest = f"lowest average rank: {archs[0]} ({ranking.average_ranks[0]:.2f})"
    if not ranking.aeon and ranking.smallest_p_holm >= alpha:
        family = len(ranking.pairs)
        return (
            f"inconclusive — with {n} datasets the Holm-corrected Wilcoxon test over {family} "
            f"pair{'s' if family > 1 else ''} cannot reach p < {alpha:g} (smallest attainable p_holm = "
            f"{ranking.smallest_p_holm:.2g}; at least {datasets_needed(family, alpha)} datasets are needed); "
            f"{lowest}; {test_text(ranking)}; no winner can be named"
        )
    not_evidence = "this is not evidence that they perform alike"
    if len(archs) == 2:
        pair = ranking.pairs[0]
        return (
            f"inconclusive — {archs[0]} and {archs[1]} do not differ significantly across the {n} datasets "
            f"(Wilcoxon p={pair.p_value:.2g}; the Friedman test needs 3 or more architectures); {not_evidence}; "
            f"{lowest}"
        )
    if not ranking.friedman_p < alpha:
        return (
            f"inconclusive — no architecture differs significantly across the {n} datasets "
            f"(Friedman p={ranking.friedman_p:.2g}); {not_evidence}; {lowest}"
        )
    return (
        f"inconclusive — the Friedman test finds a difference (p={ranking.friedman_p:.2g}), but no pair differs "
        f"after {ranking.pair_test} tests at α={alpha:g}; {lowest}"
    )


def ranking_verdict(ranking: Ranking) -> str:
    """One line across the datasets, with the per-dataset verdicts' honesty: a winner only when tests say so."""
    if len(ranking.archs) < 2 or len(ranking.datasets) < 2:
        return "nothing to rank — fewer than 2 datasets where every architecture has a successful run"
    significant = [p for p in ranking.pairs if p.significant]
    if not significant:
        return undecided_line(ranking)
    best = ranking.archs[0]
    beaten = [f"{p.worse} (p_holm={p.p_holm:.2g})" for p in significant if p.better == best]
    open_ = [p for p in ranking.pairs if best in (p.better, p.worse) and not p.significant]
    others = [f"{p.better} beats {p.worse} (p_holm={p.p_holm:.2g})" for p in significant if p.better != best]
    parts = [f"significantly better than {', '.join(beaten)}" if beaten else "not significantly better than any other"]
    if beaten and open_:
        rest = ", ".join(f"{p.worse if p.better == best else p.better} (p_holm={p.p_holm:.2g})" for p in open_)
        parts.append(f"not shown better than {rest}")
    parts += [f"other significant pairs: {', '.join(others)}"] if others else []
    return f"{first_text(ranking)}; {'; '.join(parts)} ({ranking.pair_test}; {test_text(ranking)})"


def ranks_table(ranking: Ranking) -> Table:
    """Datasets × architectures: each cell the rank and the score, then the average rank."""
    rows = [
        [dataset, metric, *(f"{r:g} ({s:.4g})" for r, s in zip(ranks, scores, strict=True))]
        for dataset, metric, ranks, scores in zip(
            ranking.datasets, ranking.metrics, ranking.ranks, ranking.scores, strict=True
        )
    ]
    rows.append(["average rank", "", *(f"{r:.2f}" for r in ranking.average_ranks)])
    return Table(["dataset", "metric", *ranking.archs], rows)


def pair_table(ranking: Ranking) -> Table:
    """One line per pair, the one with the larger signed-rank sum first; its wins, ties and losses per dataset."""
    lines = [
        [f"{p.better} vs {p.worse}", f"{p.wins}/{p.ties}/{p.losses}", f"{p.statistic:g}", f"{p.p_value:.2g}",
         f"{p.p_holm:.2g}", "yes" if p.significant else "no"]
        for p in ranking.pairs
    ]  # fmt: skip
    adjusted = "p·(k−1)" if ranking.aeon else "p_holm"
    return Table(["pair", "wins/ties/losses", "W", "p", adjusted, "significant"], lines)


METHOD = (
    "Only the networks are ranked, as in the per-dataset verdicts; baselines are not. On each dataset an "
    "architecture's score is the mean over its successful seeds of the dataset's primary metric, ranked 1 (best) "
    "in the metric's direction, ties sharing the average rank; a dataset where some architecture has no "
    "successful run is left out. The Friedman test asks whether any architecture's ranks differ (3 or more "
    "architectures); each pair is tested by the two-sided Wilcoxon signed-rank test on the per-dataset scores "
    "(Pratt's treatment of zero differences), Holm-corrected over all pairs at α={alpha:g}, and counts as "
    "significant only when the Friedman test rejects too (Demšar 2006; Benavoli, Corani & Mangili 2016). A pair "
    "lists first the architecture with the larger signed-rank sum, and counts the datasets where it scores "
    "better, the same, or worse; W is the smaller signed-rank sum. Error "
    "metrics enter the Wilcoxon test as -log(error), so a difference is a ratio whatever the target's units. "
    "With n datasets and m pairs, Holm-corrected p cannot go below m·2^(1-n); then the ranking is inconclusive "
    "whatever the data. The diagram's bars join architectures with no significant pair among them; a bar, or a "
    "non-significant test, is not evidence that they perform alike."
)


def ranking_section(
    datasets: Sequence[DatasetScores], archs: Sequence[str], out_dir: Path, alpha: float
) -> list[Block]:
    """The "Ranking across datasets" blocks; writes the critical-difference diagram when there is a ranking."""
    ranking = rank_architectures(datasets, archs, alpha)
    blocks: list[Block] = [("h2", "Ranking across datasets"), ("p", f"Verdict: {ranking_verdict(ranking)}")]
    if ranking.left_out:
        why = "; ".join(f"{dataset} ({reason})" for dataset, reason in sorted(ranking.left_out.items()))
        blocks.append(("p", f"Left out of the ranking: {why}."))
    if len(ranking.datasets) >= 2:
        draw_ranking(ranking, out_dir / CD_DIAGRAM)
        blocks += [ranks_table(ranking), ("img", CD_DIAGRAM), pair_table(ranking)]
    blocks.append(("p", METHOD.format(alpha=alpha)))
    return blocks
