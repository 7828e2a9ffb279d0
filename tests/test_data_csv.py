"""The user's own CSV files as they come: dates, gaps, labels of any kind, delimiters, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from archbench.build import data_fingerprint, resolved_data_config
from archbench.cli import main
from archbench.data import CSVDataModule, CSVSeriesDataModule
from archbench.data.csv_file import note
from archbench.errors import ArchbenchError
from archbench.report.settings import class_mapping
from archbench.spec import RunSpec


@pytest.fixture(autouse=True)
def fresh_notes():
    note.cache_clear()  # a note prints once per process; each test reads its own


def write(path: Path, frame: pd.DataFrame, **kwargs) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


def table(rows: int = 90, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2))
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1]})


def stderr_notes(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("archbench: ")]


def error_of(data, attribute: str = "prepared") -> str:
    with pytest.raises(ArchbenchError) as caught:
        getattr(data, attribute)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- tables: labels and task --------------------------------------------------------------------------------------


def test_string_labels_become_two_named_classes_and_the_inferred_task_is_said_once(tmp_path, capsys):
    frame = table()
    frame["animal"] = np.where(frame.x1 > 0, "dog", "cat")
    data = CSVDataModule(path=str(write(tmp_path / "pets.csv", frame)), target="animal", scale_features=False)
    splits = data.load_splits()
    assert (data.task, data.output_size, data.class_names) == ("classification", 2, ["cat", "dog"])
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    y = np.concatenate([splits.y_train, splits.y_val, splits.y_test])
    np.testing.assert_array_equal(y, (x[:, 0] > 0).astype(int))  # dog (x1 > 0) is class 1 on every row
    notes = stderr_notes(capsys)
    assert len(notes) == 1 and "task classification" in notes[0] and "--data.task regression" in notes[0]


def test_labels_one_two_three_make_three_classes_not_four(tmp_path):
    frame = table(120)
    frame["label"] = np.arange(120) % 3 + 1
    data = CSVDataModule(path=str(write(tmp_path / "t.csv", frame)), target="label")
    splits = data.load_splits()
    assert (data.task, data.output_size, data.class_names) == ("classification", 3, ["1", "2", "3"])
    assert sorted(np.unique(splits.y_train).tolist()) == [0, 1, 2]


def test_stratified_split_keeps_every_class_share(tmp_path):
    frame = table(200)
    frame["label"] = np.where(np.arange(200) < 40, "rare", "common")  # 20% rare
    data = CSVDataModule(path=str(write(tmp_path / "t.csv", frame)), target="label", val_fraction=0.2)
    splits = data.load_splits()
    for part in (splits.y_train, splits.y_val, splits.y_test):
        assert abs(np.mean(part == data.class_names.index("rare")) - 0.2) <= 1 / len(part)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (lambda n: np.linspace(0, 1, n), "regression"),  # fractions
        (lambda n: np.arange(n), "regression"),  # whole numbers, one per row: counts, not classes
        (lambda n: np.arange(n) % 2, "classification"),  # two values are always classes
        (lambda n: np.arange(n) % 4 + 10, "classification"),  # 4 values in 120 rows (<= 5%)
        (lambda n: np.arange(n) % 10, "regression"),  # 10 values in 120 rows (> 5%)
    ],
)
def test_task_is_inferred_from_the_target_when_not_given(tmp_path, capsys, target, expected):
    frame = table(120)
    frame["y"] = target(120)
    data = CSVDataModule(path=str(write(tmp_path / "t.csv", frame)), target="y")
    assert data.task == expected
    other = "regression" if expected == "classification" else "classification"
    notes = stderr_notes(capsys)
    assert len(notes) == 1 and f"task {expected} inferred" in notes[0] and f"--data.task {other}" in notes[0]
    data = CSVDataModule(path=str(write(tmp_path / "u.csv", frame)), target="y", task=other)
    assert data.task == other and stderr_notes(capsys) == []


def test_a_text_target_for_regression_names_the_cell_and_the_fix(tmp_path):
    frame = table()
    frame["animal"] = "cat"
    data = CSVDataModule(path=str(write(tmp_path / "t.csv", frame)), target="animal", task="regression")
    message = error_of(data)
    assert "'animal'" in message and "'cat' at line 2" in message and "--data.task classification" in message


# --- tables: columns, time, gaps --------------------------------------------------------------------------------------


def test_feature_and_drop_columns_choose_the_inputs(tmp_path):
    frame = table()
    frame["note"], frame["target"] = "free text", frame.x1 * 2
    path = str(write(tmp_path / "t.csv", frame))
    dropped = CSVDataModule(path=path, drop_columns=["note"], task="regression")
    chosen = CSVDataModule(path=path, feature_columns=["x2"], task="regression")
    assert dropped.input_size == 2 and chosen.input_size == 1
    x, y = chosen.load_arrays()
    np.testing.assert_array_equal(x[:, 0], frame.x2.to_numpy())
    np.testing.assert_array_equal(y, frame.target.to_numpy())


def test_time_column_sorts_rows_splits_oldest_first_and_is_no_feature(tmp_path):
    frame = table(100)
    days = pd.date_range("2021-01-01", periods=100, freq="D")
    frame["day_number"], frame["target"] = np.arange(100.0), np.arange(100.0)
    frame.insert(0, "date", days.strftime("%Y-%m-%d"))
    shuffled = frame.sample(frac=1, random_state=0)
    data = CSVDataModule(
        path=str(write(tmp_path / "t.csv", shuffled)), time_column="date", task="regression", scale_features=False
    )
    splits = data.load_splits()
    assert data.input_size == 3  # x1, x2, day_number: the date is not an input
    day = 2
    assert splits.x_train[:, day].max() < splits.x_val[:, day].min() <= splits.x_val[:, day].max()
    assert splits.x_val[:, day].max() < splits.x_test[:, day].min()
    np.testing.assert_array_equal(splits.x_train[:, day], np.arange(len(splits.x_train)))


def gappy_table(tmp_path: Path) -> Path:
    lines = ["a,b,target", "1,10,0", "2,,1", "3,30,2", "4,40,", "5,50,4"] + [f"{i},{i}0,{i}" for i in range(6, 40)]
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_gaps_are_an_error_naming_column_line_and_the_option(tmp_path):
    message = error_of(CSVDataModule(path=str(gappy_table(tmp_path)), task="regression"))
    assert "'target'" in message and "line 5" in message and "--data.missing drop" in message
    without_target_gap = gappy_table(tmp_path).read_text().replace("4,40,\n", "4,40,3\n")
    (tmp_path / "gaps.csv").write_text(without_target_gap)
    message = error_of(CSVDataModule(path=str(tmp_path / "gaps.csv"), task="regression"))
    assert "'b'" in message and "gap ('') at line 3" in message
    assert "drop, ffill or interpolate" in message


@pytest.mark.parametrize(("missing", "b_at_row_2"), [("ffill", 10.0), ("interpolate", 20.0)])
def test_ffill_and_interpolate_fill_features_and_drop_rows_without_a_target(tmp_path, missing, b_at_row_2):
    data = CSVDataModule(path=str(gappy_table(tmp_path)), task="regression", missing=missing)
    x, y = data.load_arrays()
    assert len(x) == 38 and 3.0 not in y  # the row without a target is gone
    np.testing.assert_array_equal(x[:3], [[1, 10], [2, b_at_row_2], [3, 30]])


def test_drop_drops_every_row_with_a_gap(tmp_path):
    x, _ = CSVDataModule(path=str(gappy_table(tmp_path)), task="regression", missing="drop").load_arrays()
    assert len(x) == 37 and 2 not in x[:, 0] and 4 not in x[:, 0]


def test_a_leading_gap_that_cannot_be_filled_drops_its_rows_with_a_note(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("a,target\n,0\n,1\n" + "".join(f"{i},{i}\n" for i in range(2, 40)))
    x, _ = CSVDataModule(path=str(path), task="regression", missing="ffill").load_arrays()
    assert x[0, 0] == 2 and len(x) == 38
    assert any("dropped the first 2 rows" in line for line in stderr_notes(capsys))


def test_rows_without_a_time_are_an_error_or_dropped(tmp_path):
    frame = table(60).assign(target=1.0)
    frame.insert(0, "when", pd.date_range("2020-01-01", periods=60).strftime("%Y-%m-%d"))
    frame.loc[4, "when"] = ""
    path = str(write(tmp_path / "t.csv", frame))
    message = error_of(CSVDataModule(path=path, time_column="when", task="regression"))
    assert "time column 'when'" in message and "line 6" in message and "--data.missing drop" in message
    x, _ = CSVDataModule(path=path, time_column="when", task="regression", missing="drop").load_arrays()
    assert len(x) == 59


@pytest.mark.parametrize(("option", "value"), [("missing", "mean"), ("task", "ranking")])
def test_an_unknown_choice_lists_the_allowed_ones(tmp_path, option, value):
    with pytest.raises(ArchbenchError, match=f"{option} '{value}' is not known; allowed: "):
        CSVDataModule(path=str(tmp_path / "t.csv"), **{option: value})


# --- reading errors -------------------------------------------------------------------------------------------------


def test_a_semicolon_file_asks_for_its_delimiter_and_then_reads(tmp_path):
    frame = table()
    frame["target"] = frame.x1 + frame.x2
    path = write(tmp_path / "semi.csv", frame, sep=";")
    message = error_of(CSVDataModule(path=str(path)))
    assert "--data.delimiter ';'" in message and "'x1;x2;target'" in message
    data = CSVDataModule(path=str(path), delimiter=";")
    assert (data.task, data.input_size) == ("regression", 2)
    tab = write(tmp_path / "tab.csv", frame, sep="\t")
    assert "--data.delimiter '\\t'" in error_of(CSVDataModule(path=str(tab)))
    assert CSVDataModule(path=str(tab), delimiter="\\t").input_size == 2


def test_an_unknown_column_lists_the_columns_split_by_the_delimiter(tmp_path):
    path = write(tmp_path / "semi.csv", table().assign(target=1.0), sep=";")
    message = error_of(CSVDataModule(path=str(path), delimiter=";", target="price"))
    assert "'price' (--data.target)" in message and "allowed: x1, x2, target" in message
    message = error_of(CSVDataModule(path=str(path), delimiter=";", drop_columns=["x3"]))
    assert "'x3' (--data.drop_columns)" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        ("a,target\n", "header but no data rows"),
        ("a,target\n\n\n", "header but no data rows"),
        ("target\n1\n2\n", "no feature column beside target 'target'"),
    ],
)
def test_files_without_data_say_what_is_missing(tmp_path, text, expected):
    path = tmp_path / "t.csv"
    path.write_text(text)
    assert expected in error_of(CSVDataModule(path=str(path)))


def test_a_text_feature_is_a_category_and_a_date_feature_is_named_with_time_column(tmp_path):
    frame = table()
    frame["colour"], frame["target"] = np.where(frame.x1 > 0, "red", "blue"), 1.0
    data = CSVDataModule(path=str(write(tmp_path / "t.csv", frame)), min_category_count=1)
    assert data.input_size == 3 and data.categorical_cardinalities == [3]  # unknown, blue, red
    codes = np.concatenate([data.load_splits().x_train[:, 2], data.load_splits().x_test[:, 2]])
    assert set(codes) == {1.0, 2.0}
    frame = table().assign(when=pd.date_range("2020-01-01", periods=90).strftime("%Y-%m-%d"), target=1.0)
    message = error_of(CSVDataModule(path=str(write(tmp_path / "d.csv", frame))))
    assert "--data.time_column when" in message


# --- series --------------------------------------------------------------------------------------------------------


def yearly(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"year": np.arange(1800, 1800 + rows), "sunspots": 50 + rng.normal(0, 5, rows).cumsum()})


def test_a_year_column_left_in_a_series_is_warned_about(tmp_path, capsys):
    path = str(write(tmp_path / "sun.csv", yearly()))
    data = CSVSeriesDataModule(path=path, window=8)
    assert data.target_names == ["year", "sunspots"]
    notes = stderr_notes(capsys)
    assert len(notes) == 1 and "'year'" in notes[0] and "--data.time_column year" in notes[0]
    data = CSVSeriesDataModule(path=path, window=8, time_column="year")
    assert (data.target_names, data.input_size) == (["sunspots"], 1) and stderr_notes(capsys) == []


def test_a_counter_column_is_warned_about_whatever_its_name(tmp_path, capsys):
    frame = yearly().rename(columns={"year": "k"})
    CSVSeriesDataModule(path=str(write(tmp_path / "s.csv", frame)), window=8).series_columns()
    assert any("'k'" in line for line in stderr_notes(capsys))


def weekly(tmp_path: Path, shuffle: bool = False) -> Path:
    """Weekly dates with two empty cells."""
    dates = pd.date_range("2020-01-05", periods=120, freq="W")
    sales = (np.sin(np.arange(120) / 4) * 10).round(3).astype(object)
    sales[6] = sales[50] = ""
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "sales": sales})
    return write(tmp_path / "weekly.csv", frame.sample(frac=1, random_state=1) if shuffle else frame)


def test_an_unnamed_date_column_in_a_series_asks_for_time_column(tmp_path):
    message = error_of(CSVSeriesDataModule(path=str(weekly(tmp_path)), window=8))
    assert "'date'" in message and "--data.time_column date" in message


def test_a_gap_in_a_series_is_named_not_called_non_numeric(tmp_path):
    message = error_of(CSVSeriesDataModule(path=str(weekly(tmp_path)), window=8, time_column="date"))
    assert "'sales'" in message and "gap" in message and "line 8" in message and "--data.missing" in message


def test_interpolate_is_time_weighted_along_dates(tmp_path):
    path = tmp_path / "s.csv"
    dates = ["2024-01-01", "2024-01-02", "2024-01-05"] + [f"2024-02-{d:02d}" for d in range(1, 29)]
    values = ["0", "", "4"] + [str(d) for d in range(1, 29)]
    path.write_text("day,v\n" + "".join(f"{d},{v}\n" for d, v in zip(dates, values, strict=True)))
    data = CSVSeriesDataModule(path=str(path), window=2, time_column="day", missing="interpolate")
    assert data.load_series()[:3, 0].tolist() == [0.0, 1.0, 4.0]  # 1 day of 4 after Jan 1, not halfway (2.0)


def test_unsorted_dates_are_sorted_and_ffill_fills_series_gaps(tmp_path):
    data = CSVSeriesDataModule(path=str(weekly(tmp_path, shuffle=True)), window=8, time_column="date", missing="ffill")
    series = data.load_series()[:, 0]
    expected = np.sin(np.arange(120) / 4) * 10
    expected[6], expected[50] = expected[5], expected[49]
    np.testing.assert_allclose(series, expected, atol=1e-3)


def test_repeated_times_in_a_series_are_an_error(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("t,v\n" + "".join(f"{min(i, 5)},{i}\n" for i in range(40)))
    message = error_of(CSVSeriesDataModule(path=str(path), window=2, time_column="t"))
    assert "repeats '5' at line 8" in message


def test_covariates_are_inputs_only_and_baselines_forecast_the_targets(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"load": rng.normal(size=150).cumsum(), "temp": rng.normal(size=150)})
    data = CSVSeriesDataModule(
        path=str(write(tmp_path / "s.csv", frame)), feature_columns=["temp"], window=6, horizon=2
    )
    splits = data.load_splits()
    assert (data.input_size, data.output_size, data.target_names) == (2, 2, ["load"])
    np.testing.assert_array_equal(splits.x_train[0], frame.to_numpy()[:6])
    np.testing.assert_array_equal(splits.y_train[0], frame.load.to_numpy()[6:8])
    persistence = data.persistence_forecast("test")
    np.testing.assert_allclose(persistence[:, 0], splits.x_test[:, -1, 0], rtol=1e-5)
    assert persistence.shape == (len(splits.x_test), 2) and data.naive_baseline()["test/mse_persistence"] > 0


def test_the_window_bound_stated_is_the_one_that_holds_for_the_shortest_part(tmp_path):
    path = str(write(tmp_path / "sun.csv", yearly(300)))
    message = error_of(CSVSeriesDataModule(path=path, time_column="year", window=250))
    bound = int(message.rsplit("window + horizon <= ", 1)[1].split(",")[0])
    assert "val part" in message and bound == 45 - 2 + 1
    assert CSVSeriesDataModule(path=path, time_column="year", window=bound - 1).input_size == 1
    error_of(CSVSeriesDataModule(path=path, time_column="year", window=bound))


# --- identity, report, CLI -----------------------------------------------------------------------------------------


def test_every_csv_option_changes_the_data_fingerprint(tmp_path):
    path = str(gappy_table(tmp_path))

    def fingerprint(*options: str) -> str:
        spec = RunSpec(arch="mlp", data="csv", overrides=("--data.path", path, *options))
        return data_fingerprint(resolved_data_config(spec))

    found = {
        fingerprint(),
        fingerprint("--data.missing", "drop"),
        fingerprint("--data.task", "regression"),
        fingerprint("--data.time_column", "a"),
        fingerprint("--data.drop_columns", "[b]"),
        fingerprint("--data.delimiter", ";"),
    }
    assert len(found) == 6


def cli_error(capsys, tmp_path: Path, *args: str) -> str:
    code = main(["train", "--arch", "mlp", *args, "--log_root", str(tmp_path / "logs"), "--max_epochs", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("archbench: error: "), err
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").rglob("*.ckpt"))
    return err[0]


def test_cli_errors_for_a_gap_and_a_semicolon_file_are_one_line(tmp_path, capsys):
    series = weekly(tmp_path)
    message = cli_error(capsys, tmp_path, "--data", "csv_series", "--data.path", str(series), "--data.time_column",
                        "date", "--data.window", "8")  # fmt: skip
    assert "'sales'" in message and "gap" in message
    semi = write(tmp_path / "semi.csv", table().assign(target=1.0), sep=";")
    message = cli_error(capsys, tmp_path, "--data", "csv", "--data.path", str(semi))
    assert "--data.delimiter ';'" in message


def test_training_on_string_labels_records_class_names_and_two_outputs(tmp_path, train_run):
    frame = table(120)
    frame["animal"] = np.where(frame.x1 > 0, "dog", "cat")
    path = write(tmp_path / "pets.csv", frame)
    record = train_run("mlp", "csv", "--data.path", str(path), "--data.target", "animal")
    assert record["status"] == "ok" and 0 <= record["metrics"]["test/accuracy"] <= 1
    run_dir = Path(record["log_dir"])
    hparams = yaml.safe_load((run_dir / "hparams.yaml").read_text())
    assert (hparams["class_names"], hparams["output_size"], hparams["task"]) == (["cat", "dog"], 2, "classification")
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]
    last_bias = [v for k, v in state.items() if k.endswith("bias")][-1]
    assert last_bias.shape == (2,)
    assert class_mapping(run_dir) == "classes 0=cat, 1=dog"


def test_training_on_a_dated_series_with_gaps_interpolated(tmp_path, train_run):
    path = weekly(tmp_path)
    record = train_run("mlp", "csv_series", "--data.path", str(path), "--data.time_column", "date",
                       "--data.missing", "interpolate", "--data.window", "8")  # fmt: skip
    assert record["status"] == "ok" and np.isfinite(record["metrics"]["test/mse"])
    hparams = yaml.safe_load((Path(record["log_dir"]) / "hparams.yaml").read_text())
    assert (hparams["input_size"], hparams["seq_len"], hparams["output_size"]) == (1, 8, 1)


def test_a_study_report_shows_the_label_of_each_class_index(tmp_path):
    frame = table(120)
    frame["animal"] = np.where(frame.x1 > 0, "dog", "cat")
    path = write(tmp_path / "pets.csv", frame)
    args = ["compare", "--archs", "linear", "--data", "csv", "--seeds", "1", "--baselines", "none", "--name", "p",
            "--max_epochs", "1", "--log_root", str(tmp_path / "logs"), "--reports_root", str(tmp_path / "reports"),
            "--data.path", str(path), "--data.target", "animal"]  # fmt: skip
    assert main(args) == 0
    report = (tmp_path / "reports" / "p" / "report.md").read_text()
    section = report[report.index("## What was run") :]
    assert "| pets | linear |" in section and "target=animal" in section and "; classes 0=cat, 1=dog |" in section
