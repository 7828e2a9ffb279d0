"""Ranking across datasets: ranks and tests against scikit-posthocs, statsmodels and scipy; verdict honesty; the
critical-difference diagram; the report section."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from matplotlib.image import imread
from scipy import stats
from statsmodels.stats.multitest import multipletests

from archbench.report import build_report
from archbench.report.columns import RESULT_COLUMNS
from archbench.report.plots import DPI, SIZE
from archbench.report.ranking import DatasetScores, datasets_needed, rank_architectures, smallest_p_holm
from archbench.report.ranking_text import CD_DIAGRAM, draw_ranking, ranking_section, ranking_verdict

ARCHS = ["cnn", "lstm", "mlp", "transformer"]
# 9 datasets x 4 archs of accuracies: ties inside datasets (shared ranks) and zero differences between pairs.
ACCURACY = np.array(
    [
        [0.91, 0.89, 0.85, 0.90],
        [0.80, 0.80, 0.75, 0.78],
        [0.95, 0.96, 0.90, 0.94],
        [0.70, 0.66, 0.66, 0.69],
        [0.88, 0.85, 0.80, 0.88],
        [0.77, 0.79, 0.71, 0.74],
        [0.93, 0.90, 0.91, 0.92],
        [0.82, 0.83, 0.79, 0.80],
        [0.99, 0.97, 0.92, 0.97],
    ]
)


def table(values: np.ndarray, metric: str = "test_accuracy", archs: list[str] = ARCHS) -> list[DatasetScores]:
    return [DatasetScores(f"d{i}", metric, dict(zip(archs, row, strict=True))) for i, row in enumerate(values)]


def by_name(ranking, values: np.ndarray) -> np.ndarray:
    """A per-arch vector of the ranking put back in the ARCHS column order of ``values``."""
    return values[[ranking.archs.index(a) for a in ARCHS]]


@pytest.fixture(scope="module")
def ranking():
    return rank_architectures(table(ACCURACY), ARCHS)


def test_ranks_friedman_and_holm_wilcoxon_match_scikit_posthocs_and_statsmodels(ranking):
    frame = pd.DataFrame(ACCURACY, columns=ARCHS)
    expected_ranks = frame.rank(axis=1, ascending=False, method="average").mean()
    assert by_name(ranking, ranking.average_ranks) == pytest.approx(expected_ranks[ARCHS].to_numpy())
    assert list(ranking.average_ranks) == sorted(ranking.average_ranks)
    # Durbin's test on a complete block design is Friedman's, ties corrected; scipy's own for good measure.
    durbin_p, durbin_statistic, _ = sp.test_durbin(ACCURACY)
    assert ranking.friedman_statistic == pytest.approx(durbin_statistic)
    assert ranking.friedman_p == pytest.approx(durbin_p)
    assert ranking.friedman_p == pytest.approx(stats.friedmanchisquare(*ACCURACY.T).pvalue)
    long = frame.melt(var_name="arch", value_name="accuracy")  # datasets in the same order within every arch
    raw = sp.posthoc_wilcoxon(long, val_col="accuracy", group_col="arch", zero_method="pratt")
    assert len(ranking.pairs) == 6
    assert [p.p_value for p in ranking.pairs] == pytest.approx([raw.loc[p.better, p.worse] for p in ranking.pairs])
    # scikit-posthocs' p_adjust="holm" is statsmodels' multipletests over its raw p-values: the same oracle.
    holm = multipletests([raw.loc[p.better, p.worse] for p in ranking.pairs], method="holm")[1]
    assert [p.p_holm for p in ranking.pairs] == pytest.approx(holm)
    assert min(holm) < 0.05 < max(holm), "the table exercises both sides of α"


def test_pairs_count_wins_ties_and_losses_from_the_better_side(ranking):
    pair = next(p for p in ranking.pairs if {p.better, p.worse} == {"cnn", "lstm"})
    assert (pair.better, pair.worse) == ("cnn", "lstm")
    assert (pair.wins, pair.ties, pair.losses) == (5, 1, 3)


def test_a_lower_is_better_metric_ranks_the_smallest_first():
    mse = np.array([[0.5, 2.0, 1.0], [0.4, 3.0, 1.0], [0.1, 0.3, 0.2]])
    ranking = rank_architectures(table(mse, "test_mse", ARCHS[:3]), ARCHS[:3])
    assert ranking.archs == ["cnn", "mlp", "lstm"]
    assert ranking.ranks.tolist() == [[1, 2, 3]] * 3
    mixed = [
        DatasetScores("accuracy", "test_accuracy", {"a": 0.9, "b": 0.8}),
        *table(mse[:1, :2], "test_mse", ["a", "b"]),
    ]
    assert rank_architectures(mixed, ["a", "b"]).ranks.tolist() == [[1, 2], [1, 2]]


def test_wilcoxon_on_errors_does_not_depend_on_each_datasets_units():
    rng = np.random.default_rng(3)
    mse = rng.uniform(0.5, 2.0, (9, 3))
    rescaled = mse * np.array([1e6, 1, 1e-3, 1, 1, 1, 50, 1, 1])[:, None]  # house prices next to standardised series
    first, second = (rank_architectures(table(m, "test_mse", ARCHS[:3]), ARCHS[:3]) for m in (mse, rescaled))
    assert [p.p_value for p in first.pairs] == pytest.approx([p.p_value for p in second.pairs])


def test_exact_wilcoxon_cannot_go_below_the_stated_smallest_p():
    for n in (5, 6, 9):
        assert stats.wilcoxon(np.arange(1.0, n + 1), zero_method="pratt").pvalue == pytest.approx(2.0 ** (1 - n))
    for pairs in range(1, 11):
        needed = datasets_needed(pairs, 0.05)
        assert smallest_p_holm(needed, pairs) < 0.05 <= smallest_p_holm(needed - 1, pairs)


def dominated(datasets: int) -> np.ndarray:
    """cnn always best by far, lstm always worst, mlp and transformer taking turns a little ahead of each other.

    No two datasets share a difference, so every Wilcoxon test is exact without ties."""
    step = np.arange(1, datasets + 1)[:, None] / datasets
    base, turns = 0.6 + 0.2 * step, 0.01 * (-1.0) ** np.arange(datasets)[:, None] * step
    return base + np.hstack([0.2 + 0.003 * step, np.zeros((datasets, 1)), 0.1 + turns, 0.1 - turns])


def test_cd_diagram_is_a_png_and_its_bars_join_only_the_indistinguishable(tmp_path: Path):
    ranking = rank_architectures(table(dominated(14)), ARCHS)
    assert ranking.archs[0] == "cnn" and ranking.archs[-1] == "lstm"
    ranks = dict(zip(ranking.archs, ranking.average_ranks.tolist(), strict=True))
    assert draw_ranking(ranking, tmp_path / "bars.png") == [sorted([ranks["mlp"], ranks["transformer"]])]
    ranking_section(table(dominated(14)), ARCHS, tmp_path, 0.05)
    image = imread(tmp_path / CD_DIAGRAM)
    assert image.shape[1] == SIZE[0] * DPI and image.shape[2] == 4 and image.shape[0] > 100
    assert image[..., :3].min() < 0.5, "something is drawn"
    undecided = rank_architectures(table(dominated(3)), ARCHS)  # nothing can be significant: one bar over all
    assert draw_ranking(undecided, tmp_path / "undecided.png") == [sorted(undecided.average_ranks.tolist())]


def test_three_datasets_are_inconclusive_even_when_one_arch_always_wins():
    line = ranking_verdict(rank_architectures(table(dominated(3)), ARCHS))
    assert line.startswith("inconclusive — with 3 datasets the Holm-corrected Wilcoxon test over 6 pairs cannot ")
    assert "smallest attainable p_holm = 1" in line and "at least 8 datasets are needed" in line
    assert "significantly better" not in line and "ranks first" not in line


def test_twelve_datasets_where_one_always_wins_name_it():
    ranking = rank_architectures(table(dominated(12)), ARCHS)
    line = ranking_verdict(ranking)
    assert line.startswith("cnn ranks first on average (rank 1.00 over 12 datasets); significantly better than ")
    assert all(f"{arch} (p_holm=" in line for arch in ("lstm", "mlp", "transformer"))
    assert "not shown better than" not in line and "Friedman p=" in line
    smallest = 6 * 2.0**-11  # every pair against cnn won on all 12 datasets: the exact smallest p, times Holm's 6
    assert all(p.p_holm == pytest.approx(smallest) for p in ranking.pairs if p.better == "cnn")


def test_no_significant_difference_is_not_called_similar():
    rng = np.random.default_rng(5)
    line = ranking_verdict(rank_architectures(table(rng.uniform(0.7, 0.9, (10, 4))), ARCHS))
    assert line.startswith("inconclusive — no architecture differs significantly across the 10 datasets (Friedman p=")
    assert "not evidence that they perform alike" in line and "similar" not in line
    two = ranking_verdict(rank_architectures(table(rng.uniform(0.7, 0.9, (10, 2)), archs=ARCHS[:2]), ARCHS[:2]))
    assert "the Friedman test needs 3 or more architectures" in two and two.startswith("inconclusive")


def test_identical_architectures_get_a_significant_winner_at_most_alpha():
    studies, alpha, archs = 400, 0.05, ARCHS[:3]
    rng = np.random.default_rng(7)
    declared = 0
    for _ in range(studies):
        values = rng.uniform(0.6, 0.9, (10, 1)) + rng.normal(0, 0.02, (10, len(archs)))
        ranking = rank_architectures(table(values, archs=archs), archs)
        declared += any(p.significant for p in ranking.pairs)
        assert ranking_verdict(ranking).startswith("inconclusive") == (not any(p.significant for p in ranking.pairs))
    assert declared / studies <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / studies)


def results(path: Path, datasets: dict[str, str]) -> Path:
    """Fake rows: per dataset (name -> metric) 3 networks x 2 seeds and a baseline; mlp diverges on "failing"."""
    rows = []
    for offset, (dataset, metric) in enumerate(datasets.items()):
        for quality, arch in enumerate(("cnn", "mlp", "lstm")):
            for seed in (0, 1):
                value = 0.5 + 0.1 * quality + 0.01 * (seed + offset)
                rows.append({"dataset": dataset, "arch": arch, "kind": "model", "seed": str(seed), "status": "ok",
                             metric: str(value if metric == "test_mse" else 1 - value)})  # fmt: skip
        rows.append({"dataset": dataset, "arch": "sk_linear", "kind": "baseline", "seed": "0", "status": "ok",
                     metric: "0.01" if metric == "test_mse" else "0.99"})  # fmt: skip
    for row in rows:
        if (row["dataset"], row["arch"]) == ("failing", "mlp"):
            row.update(status="diverged", test_accuracy="")
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_report_over_several_datasets_ranks_them_and_draws_the_diagram(tmp_path: Path):
    datasets = {"adding": "test_mse", "wine": "test_accuracy", "failing": "test_accuracy"}
    report = build_report(results(tmp_path / "results.csv", datasets), tmp_path / "report")
    text = report.read_text()
    section = text[text.index("## Ranking across datasets\n") : text.index("\n## ", text.index("## Ranking"))]
    assert "Verdict: inconclusive — with 2 datasets" in section
    assert "Left out of the ranking: failing (no successful run of mlp)." in section
    assert "| dataset | metric | cnn | mlp | lstm |" in section and "sk_linear" not in section
    assert "| adding | test_mse | 1 (0.505) | 2 (0.605) | 3 (0.705) |" in section
    assert "![cd_diagram.png](cd_diagram.png)" in section
    assert '<img src="cd_diagram.png"' in (tmp_path / "report" / "report.html").read_text()
    assert imread(tmp_path / "report" / CD_DIAGRAM).shape[1] == SIZE[0] * DPI


def test_a_report_over_one_dataset_has_no_ranking(tmp_path: Path):
    report = build_report(results(tmp_path / "results.csv", {"wine": "test_accuracy"}), tmp_path / "report")
    assert "Ranking across datasets" not in report.read_text()
    assert not (tmp_path / "report" / CD_DIAGRAM).exists()
