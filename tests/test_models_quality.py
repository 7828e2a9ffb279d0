"""Real training quality: OLS agreement on house prices; memory wins on the adding problem."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from archbench.data import HousePricesDataModule


def test_linear_matches_sklearn_ols_on_house_prices(train_run):
    record = train_run("linear", "house_prices", "--model.init_args.lr", "0.05", epochs=20, tiny=False)
    splits = HousePricesDataModule(seed=0).load_splits()
    ols = LinearRegression().fit(splits.x_train, splits.y_train)
    ols_mse = float(np.mean((ols.predict(splits.x_test) - splits.y_test) ** 2))
    assert record["metrics"]["test/mse"] == pytest.approx(ols_mse, rel=0.02)
    assert record["metrics"]["test/mse"] < record["baseline"]["test/mse"] / 100


def test_linear_under_bf16_autocast_stays_within_2_percent_of_sklearn_ols(train_run):
    bf16 = ["--model.init_args.lr", "0.05", "--trainer.precision", "bf16-mixed"]
    record = train_run("linear", "house_prices", *bf16, epochs=20, tiny=False)
    assert "precision: bf16-mixed" in record["config"]
    splits = HousePricesDataModule(seed=0).load_splits()
    ols = LinearRegression().fit(splits.x_train, splits.y_train)
    ols_mse = float(np.mean((ols.predict(splits.x_test) - splits.y_test) ** 2))
    assert record["metrics"]["test/mse"] == pytest.approx(ols_mse, rel=0.02)


@pytest.mark.slow
def test_lstm_and_gru_beat_linear_and_mlp_on_short_adding(train_run):
    short = ["--data.init_args.seq_len", "20", "--data.init_args.num_samples", "2000"]
    mse = {}
    for arch in ("linear", "mlp", "lstm", "gru"):
        record = train_run(arch, "adding", *short, epochs=12, tiny=False)
        mse[arch] = record["metrics"]["test/mse"]
    assert max(mse["lstm"], mse["gru"]) * 10 < min(mse["linear"], mse["mlp"]), mse
    assert max(mse["lstm"], mse["gru"]) < 0.01, mse
