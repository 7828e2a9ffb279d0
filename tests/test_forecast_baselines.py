"""Forecast baselines: persistence and seasonal-naive in original units, in the train summary and in compare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from archbench.baselines import run_baseline
from archbench.data import CSVSeriesDataModule, HousePricesDataModule, SineDataModule
from archbench.errors import ArchbenchError
from archbench.grid import check_study
from archbench.spec import StudySpec, build_study


def random_walk_csv(path: Path, rows: int = 600) -> Path:
    """Two columns in very different units: a random walk around 1,000 and a small noisy level."""
    rng = np.random.default_rng(0)
    walk = 1000 + np.cumsum(rng.normal(0, 5, rows))
    small = 0.01 * np.cumsum(rng.normal(0, 1, rows))
    lines = ["price,rate", *(f"{a:.6f},{b:.6f}" for a, b in zip(walk, small, strict=True))]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_persistence_and_seasonal_naive_repeat_the_raw_last_values_whatever_the_scaling():
    data = SineDataModule(length=400, window=12, horizon=5, season_length=4, noise_std=0.05)
    splits = data.load_splits()
    raw_last = torch.as_tensor(splits.x_test[:, -1], dtype=torch.float32)  # (N, 1)
    torch.testing.assert_close(data.persistence_forecast(), raw_last.repeat(1, 5), atol=1e-4, rtol=1e-5)
    season = torch.as_tensor(splits.x_test[:, -4:, 0], dtype=torch.float32)
    expected = season[:, [0, 1, 2, 3, 0]]
    torch.testing.assert_close(data.seasonal_naive_forecast(), expected, atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(data.targets("test"), torch.as_tensor(splits.y_test, dtype=torch.float32))


def test_season_length_longer_than_the_window_is_one_clear_error():
    with pytest.raises(ArchbenchError, match="season_length must be between 1 and window=8, got 9"):
        SineDataModule(window=8, season_length=9)


def test_persistence_baseline_scores_every_column_in_its_own_units(tmp_path: Path):
    data = CSVSeriesDataModule(path=str(random_walk_csv(tmp_path / "walk.csv")), window=8, horizon=2)
    record = run_baseline("persistence", data, "csv_series", 0)
    target = data.targets("test").reshape(-1, 2)
    error = data.persistence_forecast().reshape(-1, 2) - target
    assert record.metrics["test/mae/price"] == pytest.approx(float(error[:, 0].abs().mean()), rel=1e-5)
    assert record.metrics["test/mae/rate"] == pytest.approx(float(error[:, 1].abs().mean()), rel=1e-5)
    assert record.metrics["test/mae"] == pytest.approx(float(error.abs().mean(dim=0).mean()), rel=1e-5)
    assert record.metrics["test/mae"] == pytest.approx(data.naive_baseline()["test/mae_persistence"], rel=1e-5)
    assert record.params == 0


def test_forecast_baselines_refuse_data_that_is_not_a_series():
    with pytest.raises(ArchbenchError, match="baseline 'persistence' needs a series"):
        run_baseline("persistence", HousePricesDataModule(), "house_prices", 0)
    with pytest.raises(ArchbenchError, match="needs a season length"):
        run_baseline("seasonal_naive", SineDataModule(length=300), "sine", 0)


def test_compare_leaves_forecast_baselines_out_where_they_do_not_apply(capsys):
    study = StudySpec(
        name="f", archs=["linear"], datasets=["sine", "house_prices"], seeds=[0],
        baselines=["sk_linear", "persistence", "seasonal_naive"],
    )  # fmt: skip
    cells = {(c.dataset, c.arch) for c in check_study(study)}
    assert cells == {
        ("sine", "linear"), ("sine", "sk_linear"), ("sine", "persistence"),
        ("house_prices", "linear"), ("house_prices", "sk_linear"),
    }  # fmt: skip
    notes = capsys.readouterr().err
    assert "baseline persistence left out on house_prices" in notes
    assert "baseline seasonal_naive left out on sine: it needs a series with --data.season_length" in notes


def test_summary_says_when_a_forecaster_is_worse_than_persistence(train_run, tmp_path: Path, capsys):
    path = random_walk_csv(tmp_path / "walk.csv")
    bad = ["--data.path", str(path), "--data.window", "8", "--model.init_args.lr", "1e-6"]
    record = train_run("mlp", "csv_series", *bad)
    ratio = record["metrics"]["test/mae"] / record["baseline"]["test/mae_persistence"]
    assert ratio > 2
    assert f"mlp is {ratio:.3g}× worse than the persistence forecast on test/mae" in capsys.readouterr().out


def test_the_default_study_adds_seasonal_naive_wherever_a_season_length_is_set(capsys):
    study = build_study(None, {"archs": ["linear"], "datasets": ["sine"], "seeds": [0]}, ["--data.season_length", "25"])
    assert ("sine", "seasonal_naive") in {(c.dataset, c.arch) for c in check_study(study)}
    plain = build_study(None, {"archs": ["linear"], "datasets": ["sine"], "seeds": [0]}, [])
    assert ("sine", "seasonal_naive") not in {(c.dataset, c.arch) for c in check_study(plain)}
