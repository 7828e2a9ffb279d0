"""A trained run reloaded: its own test split fed back through `archbench predict` or `archbench.load` gives the run's
test metric again; bad input gets one line and exit 2 and leaves no file behind; a study name picks its best seed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.metrics import accuracy_score, mean_squared_error

import archbench
from archbench.build import build_datamodule
from archbench.cli import main
from archbench.data.ucr import equal_length, read_split
from archbench.record import RunRecord
from archbench.spec import RunSpec
from archbench.use.runs import best_study_run

QUIET = ["--trainer", "cpu", "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
         "--trainer.limit_train_batches", "3"]  # fmt: skip
WINE_CLASSES = {0: "barolo", 1: "grignolino", 2: "barbera"}
TEST_FRACTION = 0.15


def train(log_root: Path, arch: str, data: str, *extra: str) -> Path:
    """Train a tiny run through the CLI; return its folder."""
    assert main(["train", "--arch", arch, "--data", data, "--max_epochs", "2", "--log_root", str(log_root),
                 *QUIET, *extra]) == 0  # fmt: skip
    (record,) = log_root.rglob("run.json")
    return record.parent


def record_of(run: Path) -> dict:
    return json.loads((run / "run.json").read_text())


def wine_table() -> pd.DataFrame:
    """Wine with text labels and a `day` column; rows shuffled, so the newest rows (the test split) hold every class."""
    wine = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    wine["target"] = wine["target"].map(WINE_CLASSES)
    region = np.random.default_rng(0).choice(["north", "south", "east"], size=len(wine))  # a text category column
    return wine.rename(columns={"od280/od315_of_diluted_wines": "od280"}).assign(region=region, day=range(len(wine)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("use")
    table = root / "wine.csv"
    wine_table().to_csv(table, index=False)
    return {
        "wine_csv": train(root / "a", "mlp", "csv", "--data.path", str(table), "--data.time_column", "day"),
        "diabetes": train(root / "b", "linear", "diabetes"),
        "nile": train(root / "c", "lstm", "nile"),
        "italy": train(root / "d", "fcn", "italy_power_demand", "--model.filters", "[8, 8, 8]"),
    }


def newest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The chronological test split of a CSV run: its newest rows."""
    return table.iloc[len(table) - int(len(table) * TEST_FRACTION) :]


def test_predict_on_the_test_rows_of_a_csv_gives_the_runs_accuracy_and_labels(runs, tmp_path, capsys):
    test_rows = newest_rows(wine_table())
    new = tmp_path / "new.csv"
    test_rows.drop(columns=["target"]).assign(comment="new batch").to_csv(new, index=False)
    out = tmp_path / "preds.csv"
    assert main(["predict", str(runs["wine_csv"]), "--data.path", str(new), "--output", str(out)]) == 0
    assert "ignored 1 column(s)" in capsys.readouterr().err and "comment" not in out.read_text().splitlines()[0]
    preds = pd.read_csv(out)
    assert list(preds.columns) == ["prediction", *(f"proba_{c}" for c in sorted(WINE_CLASSES.values()))]
    accuracy = accuracy_score(test_rows["target"], preds["prediction"])
    assert accuracy == pytest.approx(record_of(runs["wine_csv"])["metrics"]["test/accuracy"], rel=1e-6)
    assert np.allclose(preds.filter(like="proba_").sum(axis=1), 1.0, atol=1e-6)


def test_an_unseen_category_and_a_category_gap_read_as_the_unknown_code(runs):
    model = archbench.load(runs["wine_csv"])
    row = newest_rows(wine_table()).drop(columns=["target"]).head(1)
    rows = pd.concat([row.assign(region=value) for value in ("atlantis", None, "north", "south")])
    proba = model.predict_proba(rows)
    assert np.array_equal(proba[0], proba[1])  # both the unknown code
    assert not np.array_equal(proba[0], proba[2]) and not np.array_equal(proba[2], proba[3])


def test_load_is_an_estimator_whose_predictions_give_the_runs_mse_on_a_regression_table(runs):
    model = archbench.load(runs["diabetes"])
    data = build_datamodule(RunSpec(arch="linear", data="diabetes", config_file=str(runs["diabetes"] / "config.yaml")))
    table, y = data.load_table()  # the raw rows, and the run's own test rows among them
    test_rows, y_test = table.iloc[data.split_rows(y)[2]], y[data.split_rows(y)[2]]
    assert list(model.feature_names_in_) == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    frame = test_rows[::-1]  # any row order, any column order
    predicted = model.predict(frame[sorted(frame.columns)])
    mse = mean_squared_error(y_test[::-1], predicted)
    assert mse == pytest.approx(record_of(runs["diabetes"])["metrics"]["test/mse"], rel=1e-6)
    array = test_rows.to_numpy()  # an array: the columns in training order
    assert np.allclose(model.predict(array), predicted[::-1], rtol=1e-6)


def nile_test_part(run: Path) -> pd.DataFrame:
    data = build_datamodule(RunSpec(arch="lstm", data="nile", config_file=str(run / "config.yaml")))
    series = data.load_series()[:, 0]
    n_test = int(len(series) * data.test_fraction)
    return pd.DataFrame({"volume": series[len(series) - n_test :]})


def test_predict_windows_over_a_series_test_part_gives_the_runs_mse_and_the_default_is_the_next_forecast(
    runs, tmp_path
):
    part, window = nile_test_part(runs["nile"]), 10
    path, out = tmp_path / "nile_test.csv", tmp_path / "forecasts.csv"
    part.to_csv(path, index=False)
    assert main(["predict", str(runs["nile"]), "--data.path", str(path), "--windows", "--output", str(out)]) == 0
    forecasts = pd.read_csv(out)
    assert list(forecasts.columns) == ["last_row", "volume_t+1"] and len(forecasts) == len(part) - window + 1
    with_targets = forecasts.iloc[:-1]  # the last window's next step is after the file
    mse = mean_squared_error(part["volume"].iloc[window:], with_targets["volume_t+1"])
    assert mse == pytest.approx(record_of(runs["nile"])["metrics"]["test/mse"], rel=1e-6)
    forecast = archbench.load(runs["nile"]).predict(part)  # default: the next horizon steps after the end
    assert forecast.shape == (1,) and forecast[0] == pytest.approx(forecasts["volume_t+1"].iloc[-1], rel=1e-12)


def test_predict_on_the_raw_ucr_test_series_gives_the_runs_accuracy(runs, tmp_path):
    nested, labels = read_split("ItalyPowerDemand", "test")
    path, out = tmp_path / "italy.npy", tmp_path / "italy.csv"
    np.save(path, equal_length(nested, 24, "resample"))  # raw series: predict z-normalises them as training did
    assert main(["predict", str(runs["italy"]), "--data.path", str(path), "--output", str(out)]) == 0
    accuracy = accuracy_score(labels, pd.read_csv(out, dtype={"prediction": str})["prediction"])
    assert accuracy == pytest.approx(record_of(runs["italy"])["metrics"]["test/accuracy"], rel=1e-6)


def test_sequence_rows_with_a_series_id_give_one_prediction_per_series_in_input_order(runs):
    model = archbench.load(runs["italy"])
    nested, _ = read_split("ItalyPowerDemand", "test")
    series = equal_length(nested, 24, "resample")[:3]
    rows = pd.DataFrame({"series_id": np.repeat(["c", "a", "b"], 24), "dim_0": series.reshape(-1)})
    frame = model.predict_frame(rows)
    assert list(frame["series_id"]) == ["c", "a", "b"]
    assert np.array_equal(frame["prediction"], model.predict(series))
    proba = model.predict_proba(series)
    assert proba.shape == (3, 2) and np.array_equal(model.classes_[proba.argmax(axis=1)], model.predict(series))


def test_exported_networks_match_pytorch_on_a_trained_runs_test_split(runs, tmp_path):
    model = archbench.load(runs["wine_csv"])
    x = model.batch(newest_rows(wine_table())).x
    expected = model.network_output(x)
    onnx_file, torchscript_file = tmp_path / "wine.onnx", tmp_path / "wine.pt"
    assert main(["export", str(runs["wine_csv"]), "--format", "onnx", "--output", str(onnx_file)]) == 0
    assert main(["export", str(runs["wine_csv"]), "--format", "torchscript", "--output", str(torchscript_file)]) == 0
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    assert np.abs(session.run(None, {"x": x})[0] - expected).max() <= 1e-5
    with torch.inference_mode():
        assert np.abs(torch.jit.load(str(torchscript_file))(torch.as_tensor(x)).numpy() - expected).max() <= 1e-5
    sidecar = json.loads((tmp_path / "wine.json").read_text())
    assert sidecar["classes"] == sorted(WINE_CLASSES.values()) and sidecar["input"]["shape"] == [
        "batch",
        14,
    ]  # 13 numbers, 1 category code
    assert sidecar["preprocessing"] == json.loads((runs["wine_csv"] / "preprocessing.json").read_text())


def test_a_study_name_predicts_with_the_seed_of_best_validation_loss(runs, tmp_path):
    cells = tmp_path / "reports" / "demo" / "cells"
    cells.mkdir(parents=True)
    for seed, loss, folder in [(0, 0.9, tmp_path / "elsewhere"), (1, 0.4, runs["diabetes"]), (2, None, tmp_path)]:
        stats = {"best_val_loss": loss}
        RunRecord("diabetes", "linear", seed, "ok", str(folder), "", stats=stats).write(cells / f"s{seed}.json")
    assert best_study_run("demo", "diabetes", "linear", tmp_path / "reports") == runs["diabetes"]
    rows = tmp_path / "rows.csv"
    pd.DataFrame(np.zeros((2, 10)), columns=archbench.load(runs["diabetes"]).feature_names_in_).to_csv(rows)
    args = ["predict", "demo", "--data", "diabetes", "--arch", "linear", "--reports_root", str(tmp_path / "reports")]
    assert main([*args, "--data.path", str(rows)]) == 0


def rejected(capsys, tmp_path: Path, *args: str) -> str:
    """Run `archbench predict/export`; expect exit 2, one error line, no traceback, and no output file."""
    out = tmp_path / "never.csv"
    assert main([*args, "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("archbench: error: "), err
    assert not out.exists() and not any(tmp_path.glob(".*partial")), "a file was written for rejected input"
    return err[0]


def test_a_missing_column_is_named_with_the_columns_expected(runs, tmp_path, capsys):
    path = tmp_path / "rows.csv"
    newest_rows(wine_table()).drop(columns=["alcohol"]).to_csv(path, index=False)
    message = rejected(capsys, tmp_path, "predict", str(runs["wine_csv"]), "--data.path", str(path))
    assert "column 'alcohol' is missing" in message and "expected columns: alcohol, malic_acid" in message


def test_text_where_numbers_were_trained_is_one_line_with_its_line_number(runs, tmp_path, capsys):
    path = tmp_path / "rows.csv"
    rows = newest_rows(wine_table()).astype({"hue": object})
    rows.iloc[2, rows.columns.get_loc("hue")] = "pale"
    rows.to_csv(path, index=False)
    message = rejected(capsys, tmp_path, "predict", str(runs["wine_csv"]), "--data.path", str(path))
    assert "column 'hue'" in message and "'pale' at line 4" in message and "numbers" in message


def test_a_series_shorter_than_the_window_says_how_many_rows_are_needed(runs, tmp_path, capsys):
    path = tmp_path / "short.csv"
    nile_test_part(runs["nile"]).head(4).to_csv(path, index=False)
    message = rejected(capsys, tmp_path, "predict", str(runs["nile"]), "--data.path", str(path))
    assert "has 4 rows" in message and "at least 10 rows" in message


def test_series_of_another_length_are_refused(runs, tmp_path, capsys):
    path = tmp_path / "long.npy"
    np.save(path, np.zeros((3, 30, 1)))
    message = rejected(capsys, tmp_path, "predict", str(runs["italy"]), "--data.path", str(path))
    assert "(30, 1)" in message and "(N, 24, 1)" in message


def test_a_folder_that_is_not_a_finished_run_is_refused(runs, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("age\n1\n")
    message = rejected(capsys, tmp_path, "predict", str(tmp_path), "--data.path", str(rows))
    assert "is not a finished run" in message and "run.json" in message
    message = rejected(capsys, tmp_path, "export", str(tmp_path / "nope"), "--format", "onnx")
    assert "does not exist" in message


def test_a_run_saved_by_an_incompatible_version_is_refused(runs, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(runs["diabetes"], copy)
    saved = json.loads((copy / "preprocessing.json").read_text())
    (copy / "preprocessing.json").write_text(json.dumps({**saved, "version": 99, "archbench": "9.0"}))
    rows = tmp_path / "rows.csv"
    rows.write_text("age\n1\n")
    message = rejected(capsys, tmp_path, "predict", str(copy), "--data.path", str(rows))
    assert "format version 99" in message and "archbench 9.0" in message and "reads version 1" in message


def test_windows_on_a_table_run_is_refused(runs, tmp_path, capsys):
    path = tmp_path / "rows.csv"
    newest_rows(wine_table()).to_csv(path, index=False)
    message = rejected(capsys, tmp_path, "predict", str(runs["wine_csv"]), "--data.path", str(path), "--windows")
    assert "windows is for a series" in message


def test_a_moved_run_folder_loads_its_own_checkpoint(runs, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(runs["diabetes"], moved)
    record = json.loads((moved / "run.json").read_text())
    tested = Path(record["checkpoint"]).name
    (moved / "run.json").write_text(json.dumps({**record, "checkpoint": f"/gone/checkpoints/{tested}"}))
    x = np.linspace(-0.1, 0.1, 20).reshape(2, 10)
    assert np.array_equal(archbench.load(moved).predict(x), archbench.load(runs["diabetes"]).predict(x))


def test_predict_undoes_a_differenced_log_target_and_gives_the_runs_mse_on_its_test_windows(tmp_path):
    run = train(tmp_path, "lstm", "nile", "--data.difference", "1", "--data.log", "true")
    saved = json.loads((run / "preprocessing.json").read_text())
    assert saved["target"]["transform"] == {"difference": 1, "seasonal_lag": 0, "log": True}
    part, window = nile_test_part(run), 10
    forecasts = archbench.load(run).predict_frame(part, windows=True)
    lag = 1  # the test part's first row is only the level its first change is taken from
    assert len(forecasts) == len(part) - lag - window + 1 and forecasts["last_row"].iloc[0] == window
    mse = mean_squared_error(part["volume"].iloc[window + lag :], forecasts["volume_t+1"].iloc[:-1])
    assert mse == pytest.approx(record_of(run)["metrics"]["test/mse"], rel=1e-6)
    assert (forecasts["volume_t+1"] > 0).all()  # out of the log: flows, not log-flows
