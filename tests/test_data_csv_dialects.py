"""CSV files as Europe and spreadsheets write them (semicolons, decimal commas, thousands separators), the task said
honestly, and every hint printed for a bad file followed to a file that loads."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from archbench.data import CSVDataModule, CSVSeriesDataModule
from archbench.data.csv_file import note
from archbench.errors import ArchbenchError


@pytest.fixture(autouse=True)
def fresh_notes():
    note.cache_clear()


def european(path: Path, rows: int = 120, seed: int = 0) -> tuple[Path, pd.DataFrame]:
    """A semicolon file with decimal commas and thousands points, as a German spreadsheet exports it."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"area": rng.uniform(500, 5000, rows).round(2), "rooms": rng.integers(1, 9, rows)})
    frame["price"] = (frame.area * 1234.5 + rng.normal(0, 1000, rows)).round(2)
    with_marks = frame.map(lambda v: f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."))
    with_marks["rooms"] = frame.rooms.astype(str)
    with_marks.to_csv(path, sep=";", index=False)
    return path, frame


def test_a_semicolon_file_with_decimal_commas_reads_as_pandas_reads_it_told_its_dialect(tmp_path, capsys):
    path, _ = european(tmp_path / "de.csv")
    data = CSVDataModule(path=str(path), target="price")
    expected = pd.read_csv(path, sep=";", decimal=",", thousands=".")  # pandas told the dialect: the oracle
    np.testing.assert_allclose(data.table.x, expected[["area", "rooms"]].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(data.table.y, expected.price.to_numpy(), rtol=0, atol=1e-9)
    assert data.task == "regression" and "1.234" not in str(data.table.y)
    err = capsys.readouterr().err
    assert "delimiter ';' (detected), decimal ',' (detected), thousands '.'" in err


def test_a_semicolon_file_with_decimal_commas_trains_with_no_option(tmp_path, train_run):
    path, _ = european(tmp_path / "de.csv")
    record = train_run("mlp", "csv", "--data.path", str(path), "--data.target", "price")
    assert record["status"] == "ok" and np.isfinite(record["metrics"]["test/mse"])
    hparams = yaml.safe_load((Path(record["log_dir"]) / "hparams.yaml").read_text())
    assert hparams["target_names"] == ["price"]  # the target by its column name


def test_prices_written_with_thousands_commas_are_a_regression_target(tmp_path, capsys):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"size": rng.uniform(0, 1, 400)})
    prices = rng.integers(1000, 900_000, 400)
    frame["price"] = [f"{p:,}" for p in prices]  # "1,234": quoted by pandas, text to a naive reader
    frame.to_csv(tmp_path / "p.csv", index=False)
    data = CSVDataModule(path=str(tmp_path / "p.csv"), target="price")
    assert data.task == "regression"
    np.testing.assert_array_equal(np.sort(data.table.y), np.sort(prices.astype(float)))
    assert "task regression inferred" in capsys.readouterr().err


def test_an_ambiguous_decimal_is_read_as_told(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x;target\n" + "".join(f"{i},250;{i}\n" for i in range(1, 60)))  # 1,250: thousands or decimal?
    assert CSVDataModule(path=str(path)).table.x.iloc[0, 0] == 1250.0
    assert CSVDataModule(path=str(path), decimal=",").table.x.iloc[0, 0] == 1.25


def test_unknown_decimal_mark_lists_the_allowed_ones(tmp_path):
    with pytest.raises(ArchbenchError, match="decimal ';' is not known; allowed: '.', ','"):
        CSVDataModule(path=str(tmp_path / "t.csv"), decimal=";")


def test_a_row_longer_than_the_header_is_one_line_not_a_multiindex(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("a,target\n1,2,3\n4,5,6\n")
    with pytest.raises(ArchbenchError, match="cannot be read with delimiter ','.*as many cells"):
        CSVDataModule(path=str(path)).prepared  # noqa: B018


def test_over_max_classes_text_values_ask_for_the_task(tmp_path):
    frame = pd.DataFrame({"x": np.arange(300.0), "name": [f"item {i}" for i in range(300)]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    expected = r"300 distinct values, too many to guess classes \(max_classes 100\); allowed: --data.task classif"
    with pytest.raises(ArchbenchError, match=expected):
        CSVDataModule(path=str(tmp_path / "t.csv"), target="name").task  # noqa: B018
    assert CSVDataModule(path=str(tmp_path / "t.csv"), target="name", max_classes=300).task == "classification"


# --- every hint followed --------------------------------------------------------------------------------------------


def hinted_options(message: str) -> dict[str, object]:
    """The first ``--data.<name> <value>`` the message suggests, as keyword arguments of the DataModule."""
    found = re.search(r"--data\.(\w+) ('[^']*'|\[[^\]]*\]|[\w.]+)", message)
    assert found, message
    name, value = found.groups()
    if value.startswith("'"):
        return {name: value[1:-1]}
    if value.startswith("["):
        return {name: [v.strip() for v in value[1:-1].split(",")]}
    return {name: value}


def rows(**columns) -> pd.DataFrame:
    n = 80
    rng = np.random.default_rng(2)
    base = {"x": rng.normal(size=n), "target": rng.normal(size=n)}
    return pd.DataFrame({**base, **{k: v(n) if callable(v) else v for k, v in columns.items()}})


def with_gap(n: int) -> np.ndarray:
    values = np.arange(float(n))
    values[5] = np.nan
    return values


CASES = {
    "gap in a feature": (rows(g=with_gap), {}),
    "empty column": (rows(empty=np.nan), {"missing": "drop"}),
    "date feature": (rows(day=lambda n: pd.date_range("2024-01-01", periods=n).astype(str)), {}),
    "wrong delimiter": (rows(), {"delimiter": ";"}),
    "text target for regression": (rows(target=lambda n: np.where(np.arange(n) % 2, "a", "b")), {"task": "regression"}),
    "many text classes": (rows(target=lambda n: [f"c{i}" for i in range(n)]), {"max_classes": 10}),
}


@pytest.mark.parametrize("case", CASES)
def test_every_hint_for_a_bad_table_followed_loads_it(tmp_path, case):
    frame, options = CASES[case]
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ArchbenchError) as caught:
        CSVDataModule(path=str(path), **options).prepared  # noqa: B018
    followed = {**options, **hinted_options(str(caught.value))}
    data = CSVDataModule(path=str(path), **followed)
    assert len(data.prepared.x["train"]) > 0


def test_the_hint_for_a_time_axis_left_in_a_series_followed_loads_it(tmp_path, capsys):
    frame = pd.DataFrame({"year": np.arange(1900, 1990), "sales": np.sin(np.arange(90.0))})
    frame.to_csv(tmp_path / "s.csv", index=False)
    CSVSeriesDataModule(path=str(tmp_path / "s.csv"), window=8).prepared  # noqa: B018
    warning = next(line for line in capsys.readouterr().err.splitlines() if "time axis" in line)
    data = CSVSeriesDataModule(path=str(tmp_path / "s.csv"), window=8, **hinted_options(warning))
    assert data.series_columns() == ["sales"]


@pytest.mark.parametrize("target", [np.arange(80) % 2, np.linspace(0, 1, 80)])
def test_the_override_offered_with_an_inferred_task_followed_loads(tmp_path, capsys, target):
    path = tmp_path / "t.csv"
    rows(target=target).to_csv(path, index=False)
    inferred = CSVDataModule(path=str(path)).task
    said = next(line for line in capsys.readouterr().err.splitlines() if "inferred" in line)
    followed = CSVDataModule(path=str(path), **hinted_options(said))
    assert followed.task != inferred and len(followed.prepared.x["train"]) > 0
