"""Table preprocessing (data/preprocess.py): fitted on training rows only, saved as JSON, applied to any rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from archbench.baselines import run_baseline
from archbench.data import CSVDataModule
from archbench.data.csv_file import note
from archbench.data.preprocess import FORMAT, VERSION, Preprocessing, fit_preprocessing
from archbench.errors import ArchbenchError
from archbench.models.mlp import MLPModel


@pytest.fixture(autouse=True)
def fresh_notes():
    note.cache_clear()


def mixed_table(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "size": rng.normal(10, 3, rows),
            "colour": rng.choice(["red", "green", "blue"], rows),
            "member": rng.random(rows) > 0.5,
            "grade": pd.Categorical(rng.choice(["a", "b", "c", "rare"], rows, p=[0.4, 0.35, 0.24, 0.01])),
        }
    )


def test_transform_matches_an_independent_computation_with_unknown_and_infrequent_codes():
    train, rows = mixed_table(200, seed=0), mixed_table(50, seed=1)
    rows.loc[0, "colour"], rows.loc[1, "colour"] = "mauve", None  # unseen in training, and a gap
    fitted = fit_preprocessing(train, min_frequency=5)
    x = fitted.transform(rows)
    assert fitted.output_names == ["size", "colour", "member", "grade"]
    expected_size = (rows["size"] - train["size"].mean()) / train["size"].std(ddof=0)
    np.testing.assert_allclose(x[:, 0], expected_size, rtol=1e-10)
    for column, values in (("colour", rows.colour), ("member", rows.member.astype(str)), ("grade", rows.grade)):
        counts = train[column].astype(str).value_counts()
        frequent = sorted(counts[counts >= 5].index)  # codes 1..K in sorted order, 0 for anything else
        expected = [frequent.index(v) + 1 if v in frequent else 0 for v in values.astype(object).map(str)]
        expected = [0 if pd.isna(raw) else code for raw, code in zip(values, expected, strict=True)]
        np.testing.assert_array_equal(x[:, fitted.output_names.index(column)], expected)
    assert x[0, 1] == 0 and x[1, 1] == 0  # mauve and the gap: the unknown code
    assert fitted.categorical_cardinalities == [4, 3, 4]  # blue/green/red, False/True, a/b/c; each + unknown
    assert [c.infrequent for c in fitted.categorical] == [[], [], ["rare"]]


def test_imputation_fills_with_the_training_mean_and_marks_the_gaps():
    train = mixed_table(100)
    train.loc[[3, 7], "size"] = np.nan
    fitted = fit_preprocessing(train, missing="impute")
    rows = train.iloc[:10]
    x = fitted.transform(rows)
    assert fitted.output_names[:2] == ["size", "missing(size)"]
    assert x[3, 0] == pytest.approx(0.0, abs=1e-12) and x[7, 0] == pytest.approx(0.0, abs=1e-12)  # mean, scaled
    np.testing.assert_array_equal(x[:, 1], rows["size"].isna().to_numpy(dtype=float))
    assert fitted.numeric[0].fill == pytest.approx(train["size"].mean())


def test_the_json_state_round_trips_and_refuses_another_format_or_a_newer_version(tmp_path):
    train = mixed_table(120)
    train.loc[5, "size"] = np.nan
    fitted = fit_preprocessing(train, missing="impute").with_target(name="y", task="classification", classes=["a"])
    fitted.save(tmp_path / "preprocessing.json")
    state = json.loads((tmp_path / "preprocessing.json").read_text())
    assert (state["format"], state["version"]) == (FORMAT, VERSION)
    assert state["columns"][1] == {"name": "colour", "kind": "categorical", "categories": ["blue", "green", "red"],
                                   "infrequent": []}  # fmt: skip
    again = Preprocessing.load(tmp_path / "preprocessing.json")
    rows = mixed_table(30, seed=4)
    np.testing.assert_array_equal(again.transform(rows), fitted.transform(rows))
    assert again.target == {"name": "y", "task": "classification", "classes": ["a"]}
    for bad in ({**state, "format": "other"}, {**state, "version": VERSION + 1}):
        with pytest.raises(ArchbenchError, match="cannot be read; allowed: format 'archbench-preprocessing'"):
            Preprocessing.from_json(bad)


def test_an_empty_column_and_an_identifier_are_left_out_with_one_line_each(capsys):
    train = mixed_table(60).assign(empty=np.nan, customer=[f"c{i}" for i in range(60)])
    fitted = fit_preprocessing(train)
    assert "empty" not in fitted.input_names and "customer" not in fitted.input_names
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert "'empty' left out: no value in the training rows" in lines[0]
    assert "'customer' left out: an identifier" in lines[1] and "--data.drop_columns [customer]" in lines[1]


def test_a_numeric_gap_without_imputation_is_one_line_naming_the_option():
    train = mixed_table(60)
    train.loc[4, "size"] = np.nan
    with pytest.raises(ArchbenchError, match="column 'size' has a gap .* --data.missing impute"):
        fit_preprocessing(train)
    fitted = fit_preprocessing(mixed_table(60))
    with pytest.raises(ArchbenchError, match="column 'size' has a gap at row 4; allowed: numbers, or --data.missing"):
        fitted.transform(train)


def chronological_csv(tmp_path) -> str:
    """A table whose newest rows (the test split, split by time) hold a colour and a gap never seen in training."""
    frame = mixed_table(200).assign(day=np.arange(200))
    frame["target"] = 2 * frame["size"] + (frame["colour"] == "red") * 5
    frame.loc[190, "colour"], frame.loc[195, "size"] = "mauve", np.nan
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_encoders_are_fitted_on_training_rows_only_so_new_categories_and_gaps_in_test_still_predict(tmp_path):
    data = CSVDataModule(
        path=chronological_csv(tmp_path), task="regression", time_column="day", missing="impute", batch_size=32
    )
    state = data.preprocessing
    assert "mauve" not in state.categorical[0].categories
    assert not state.numeric[0].indicator  # no gap in the training rows: no indicator column
    test_rows = data.prepared.x["test"]
    assert len(test_rows) == 30 and torch.isfinite(test_rows).all()
    colour = state.output_names.index("colour")
    assert test_rows[190 - 170, colour] == 0 and test_rows[195 - 170, 0] == 0  # unknown code; the training mean
    model = MLPModel(input_size=data.input_size, categorical_cardinalities=data.categorical_cardinalities)
    assert torch.isfinite(model(test_rows)).all()
    record = run_baseline("sk_hgb", data, "t", seed=0)
    assert np.isfinite(record.metrics["test/mse"])
