"""DataModules: deterministic splits, chronological windows, training-only scaling, tensor batching, CSVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from archbench.data import (
    AddingDataModule,
    CSVDataModule,
    CSVSeriesDataModule,
    HousePricesDataModule,
    SineDataModule,
    SklearnDataModule,
)
from archbench.data.loader import ShardedOrder, TensorBatchLoader


def test_splits_are_deterministic_from_the_seed():
    first, again, other = (HousePricesDataModule(seed=s).load_splits() for s in (3, 3, 4))
    np.testing.assert_array_equal(first.x_test, again.x_test)
    assert not np.array_equal(first.x_test, other.x_test)
    assert (len(first.x_train), len(first.x_val), len(first.x_test)) == (700, 150, 150)


def test_scaling_statistics_come_from_the_training_split_only():
    data = SklearnDataModule("diabetes", seed=1)
    x = data.prepared.x
    torch.testing.assert_close(x["train"].mean(0), torch.zeros(10), atol=1e-5, rtol=0)
    assert x["test"].mean(0).abs().max() > 1e-3  # test data is scaled with train stats, not its own
    y_train = data.load_splits().y_train
    assert data.target_mean == pytest.approx([float(y_train.mean())])


def test_series_windows_never_straddle_two_splits():
    data = SineDataModule(length=400, window=10, horizon=3, noise_std=0.0, scale_features=False)
    series = data.load_series()[:, 0]
    splits = data.load_splits()
    n_train, n_val = 280, 60
    # Every val window starts at or after the first val row and ends before the test rows.
    first_val = splits.x_val[0, :, 0]
    np.testing.assert_allclose(first_val, series[n_train : n_train + 10])
    last_val_target = splits.y_val[-1]
    np.testing.assert_allclose(last_val_target, series[n_train + n_val - 3 : n_train + n_val])
    assert len(splits.x_train) == n_train - 10 - 3 + 1
    assert splits.y_train.shape == (n_train - 12, 3)


def test_adding_problem_has_two_marks_and_their_sum_as_target():
    data = AddingDataModule(num_samples=500, seq_len=30, seed=2)
    splits = data.load_splits()
    x, y = splits.x_train, splits.y_train[:, 0]
    assert x.shape[1:] == (30, 2)
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1))
    assert 0.14 < AddingDataModule(num_samples=20000).naive_baseline()["test/mse_predict_1"] < 0.19


def test_tensor_batches_cover_each_split_once_and_shards_are_disjoint():
    x, y = torch.arange(103.0)[:, None], torch.arange(103.0)
    seen = []
    for rank in range(2):
        order = ShardedOrder(103, shuffle=True, seed=5, rank=rank, world_size=2)
        order.set_epoch(4)
        seen.append(torch.cat([xb[:, 0] for xb, _ in TensorBatchLoader(x, y, 16, order)]))
    assert len(seen[0]) == len(seen[1]) == 51  # equal training shards: DDP ranks step together
    assert not set(seen[0].tolist()) & set(seen[1].tolist())
    evaluation = [ShardedOrder(103, shuffle=False, seed=5, rank=r, world_size=2).indices() for r in range(2)]
    assert sorted(torch.cat(evaluation).tolist()) == list(range(103))  # evaluation sees every sample


def test_shuffle_order_depends_only_on_seed_and_epoch():
    a, b = ShardedOrder(50, True, seed=1), ShardedOrder(50, True, seed=1)
    a.set_epoch(3)
    b.set_epoch(2)
    assert not torch.equal(a.indices(), b.indices())
    b.set_epoch(3)
    assert torch.equal(a.indices(), b.indices())


def test_csv_table_round_trips_a_generated_file(tmp_path: Path):
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.normal(size=(80, 3)), rng.integers(0, 3, size=80)])
    path = tmp_path / "table.csv"
    np.savetxt(path, table, delimiter=",", header="f1,f2,f3,label", comments="", fmt="%.17g")
    data = CSVDataModule(path=str(path), target="label", task="classification", val_fraction=0.2, test_fraction=0.2)
    splits = data.load_splits()  # inputs as the fitted preprocessing gives them (scaled on the training rows)
    assert sum(len(x) for x in (splits.x_train, splits.x_val, splits.x_test)) == 80
    features, _ = data.load_table()  # the raw values, read back exactly
    rebuilt = features.to_numpy(dtype=float)
    order = np.lexsort(rebuilt.T)
    np.testing.assert_array_equal(rebuilt[order], table[:, :3][np.lexsort(table[:, :3].T)])
    labels = np.concatenate([splits.y_train, splits.y_val, splits.y_test])
    assert sorted(labels.tolist()) == sorted(table[:, 3].astype(int).tolist())
    assert (data.input_size, data.output_size, data.task) == (3, 3, "classification")


def test_csv_series_round_trips_a_generated_file(tmp_path: Path):
    series = np.column_stack([np.sin(np.arange(200) / 5), np.cos(np.arange(200) / 7)])
    path = tmp_path / "series.csv"
    np.savetxt(path, series, delimiter=",", header="a,b", comments="", fmt="%.17g")
    data = CSVSeriesDataModule(path=str(path), window=8, horizon=2, scale_features=False)
    np.testing.assert_array_equal(data.load_series(), series)
    splits = data.load_splits()
    np.testing.assert_array_equal(splits.x_train[0], series[:8])
    np.testing.assert_array_equal(splits.y_train[0], series[8:10].reshape(-1))
    assert (data.input_size, data.seq_len, data.output_size) == (2, 8, 4)
