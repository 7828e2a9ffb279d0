"""``archbench rank`` on a published result table (the bake-off redux accuracies that aeon ships; see
tests/fixtures/README.md) gives the numbers of the libraries that define the procedure, and bad input is one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from scipy import stats
from statsmodels.stats.multitest import multipletests

from archbench.cli import main
from archbench.errors import ArchbenchError
from archbench.report.ranking import rank_table

PUBLISHED = Path(__file__).parent / "fixtures" / "bakeoff_redux_accuracy.csv"


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(PUBLISHED)


@pytest.fixture(scope="module")
def wide(published: pd.DataFrame) -> pd.DataFrame:
    """Datasets × methods where every method has a score, methods in name order."""
    return published.pivot(index="dataset", columns="method", values="score").dropna().sort_index(axis=1)


def test_mean_ranks_friedman_and_holm_wilcoxon_equal_scipy_and_statsmodels(published, wide):
    ranking = rank_table(published)
    assert len(ranking.datasets) == len(wide) == 112
    expected_ranks = stats.rankdata(-wide.to_numpy(), axis=1).mean(axis=0)
    by_name = dict(zip(ranking.archs, ranking.average_ranks, strict=True))
    np.testing.assert_allclose([by_name[m] for m in wide.columns], expected_ranks, rtol=0, atol=1e-9)
    pandas_ranks = wide.rank(axis=1, ascending=False, method="average").mean()  # an independent ranking
    np.testing.assert_allclose([by_name[m] for m in wide.columns], pandas_ranks.to_numpy(), rtol=0, atol=1e-9)
    friedman = stats.friedmanchisquare(*wide.to_numpy().T)
    assert ranking.friedman_statistic == pytest.approx(friedman.statistic, rel=1e-12)
    assert ranking.friedman_p == pytest.approx(friedman.pvalue, rel=1e-9)
    raw = {
        frozenset((a, b)): stats.wilcoxon(wide[a], wide[b], zero_method="pratt").pvalue
        for i, a in enumerate(wide.columns)
        for b in wide.columns[i + 1 :]
    }
    pairs = [frozenset((p.better, p.worse)) for p in ranking.pairs]
    assert sorted(pairs, key=sorted) == sorted(raw, key=sorted)
    holm = multipletests([raw[k] for k in pairs], method="holm")[1]
    np.testing.assert_allclose([p.p_value for p in ranking.pairs], [raw[k] for k in pairs], rtol=1e-12)
    np.testing.assert_allclose([p.p_holm for p in ranking.pairs], holm, rtol=1e-12)
    assert ranking.archs[0] == "HC2" and ranking.friedman_p < 1e-10, "HIVE-COTE 2 leads the bake-off redux"


def test_friedman_equals_aeons(published, wide):
    aeon_stats = pytest.importorskip("aeon.benchmarking.stats", reason="aeon is not installed (it needs numba)")
    ranks = stats.rankdata(-wide.to_numpy(), axis=1)
    assert rank_table(published).friedman_p == pytest.approx(aeon_stats.check_friedman(ranks), rel=1e-9)


def test_rank_command_prints_ranks_notes_the_dropped_datasets_and_draws_the_diagram(tmp_path, capsys):
    plot = tmp_path / "cd.png"
    assert main(["rank", str(PUBLISHED), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "30 dataset(s) dropped, some method has no score there: " in out and "(no score for FreshPRINCE, HC2" in out
    assert "| HC2 | " in out and "mean rank over 112 datasets" in out and "Friedman test: p = " in out
    assert "HC2 ranks first on average" in out
    assert imread(plot).shape[0] > 100


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "table.csv"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("dataset,model,score\nd1,a,0.5\n", "missing column(s) method; allowed: a long CSV with columns dataset"),
        ("dataset,method,score\nd1,a,0.5\nd2,a,0.6\n", "only one method (a); allowed: 2 or more to rank"),
        ("dataset,method,score\nd1,a,0.5\nd1,b,high\n", "score 'high' is not a number; allowed: numeric scores"),
        ("dataset,method,score\nd1,a,0.5\nd1,a,0.6\nd1,b,0.6\n", "a has several scores on d1"),
    ],
)
def test_bad_tables_are_one_line_and_exit_2(tmp_path, capsys, text: str, message: str):
    assert main(["rank", write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_bad_alpha_is_one_line(tmp_path, capsys):
    assert main(["rank", str(PUBLISHED), "--alpha", "1.5"]) == 2
    assert "--alpha must be inside (0, 1), got 1.5" in capsys.readouterr().err


def test_errors_rank_lowest_first_and_enter_the_wilcoxon_as_log_ratios():
    rng = np.random.default_rng(3)
    errors = rng.uniform(0.7, 1.4, (9, 3)) * np.array([1.0, 0.85, 1.2])  # b lowest on average, c highest
    scales = np.array([1e6, 1, 1e-3, 1, 1, 1, 50, 1, 1])[:, None]  # each dataset's errors in its own units

    def long(values: np.ndarray) -> pd.DataFrame:
        rows = [(f"d{i}", m, values[i, j]) for i in range(9) for j, m in enumerate("abc")]
        return pd.DataFrame(rows, columns=["dataset", "method", "score"]).assign(metric="rmse")

    ranking = rank_table(long(errors * scales))
    assert ranking.archs == ["b", "a", "c"]
    assert [p.p_value for p in ranking.pairs] == pytest.approx([p.p_value for p in rank_table(long(errors)).pairs])
    negated = long(-errors * scales).drop(columns="metric")  # the same order, but raw differences
    assert [p.p_value for p in rank_table(negated).pairs] != pytest.approx([p.p_value for p in ranking.pairs])
    with pytest.raises(ArchbenchError, match="higher_is_better 'maybe' is not a truth value"):
        rank_table(long(errors).assign(higher_is_better="maybe"))


def test_the_aeon_flag_reproduces_aeons_pairwise_p_values_and_cliques(published, wide):
    pytest.importorskip("numba", reason="aeon's plotting needs numba")
    aeon_plot = pytest.importorskip("aeon.visualisation").plot_critical_difference
    ranking = rank_table(published, alpha=0.1, aeon=True)
    _, _, p_values = aeon_plot(wide.to_numpy(), list(wide.columns), return_p_values=True)  # alpha 0.1, one-sided
    k = len(ranking.archs)
    for pair in ranking.pairs:  # aeon's matrix is in rank order, better-ranked row above the diagonal
        i, j = ranking.archs.index(pair.better), ranking.archs.index(pair.worse)
        assert pair.p_value == pytest.approx(p_values[i, j], rel=1e-12)
        assert pair.significant == (p_values[i, j] < 0.1 / (k - 1))
    assert any(p.significant for p in ranking.pairs) and not all(p.significant for p in ranking.pairs)
    two_sided = {frozenset((p.better, p.worse)): p.p_value for p in rank_table(published).pairs}
    assert any(p.p_value != pytest.approx(two_sided[frozenset((p.better, p.worse))]) for p in ranking.pairs)


def test_rank_help_says_how_aeons_defaults_differ(capsys):
    with pytest.raises(SystemExit) as done:
        main(["rank", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("usage: archbench rank")
    assert "one-sided tests, zero differences dropped, alpha 0.1" in " ".join(out.split())
