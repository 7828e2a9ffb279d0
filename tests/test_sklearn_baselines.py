"""The scikit-learn baselines that a study runs by default, run: sk_mlp and sk_hgb on a table of each task."""

from __future__ import annotations

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from archbench.baselines import run_baseline
from archbench.baselines.tables import parameter_count
from archbench.data import HousePricesDataModule, SklearnDataModule


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(limits=1):  # gradient boosting's OpenMP threads crawl on a shared, busy CPU
        yield


@pytest.mark.parametrize("name", ["sk_mlp", "sk_hgb"])
def test_sklearn_baselines_fit_a_linear_table_and_a_classification_table(name):
    prices = run_baseline(name, HousePricesDataModule(num_samples=400), "house_prices", 0)
    assert prices.status == "ok" and prices.metrics["test/r2"] > 0.9 and prices.params > 0
    cancer = run_baseline(name, SklearnDataModule(dataset="breast_cancer"), "breast_cancer", 0)
    assert cancer.metrics["test/accuracy"] > 0.9 and 0.9 < cancer.metrics["test/auroc"] <= 1


def test_sk_mlp_counts_its_weights_and_biases():
    data = HousePricesDataModule(num_samples=400)
    features = data.input_size
    expected = (features * 64 + 64) + (64 * 64 + 64) + (64 + 1)  # two hidden layers of 64, one output
    assert run_baseline("sk_mlp", data, "house_prices", 0).params == expected


def test_gradient_boostings_count_is_its_trees_at_most_full_size():
    data = SklearnDataModule(dataset="breast_cancer")
    model = HistGradientBoostingClassifier(max_iter=7, random_state=0).fit(
        data.prepared.x["train"].numpy(), data.prepared.y["train"].numpy()
    )
    assert parameter_count(model) == 7 * (2 * 31 - 1)
