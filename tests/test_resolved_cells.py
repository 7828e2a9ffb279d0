"""A study's cells are resolved once into plain data; running them parses nothing, and a worker reuses loaded data."""

from __future__ import annotations

import json
from pathlib import Path

import jsonargparse
import pytest
import yaml
from lightning.pytorch.cli import LightningCLI

from archbench import assemble
from archbench.cli import main
from archbench.data.tabular import SklearnDataModule
from archbench.grid import resolve_study, run_grid
from archbench.resolve import resolve
from archbench.runner import train
from archbench.spec import RunSpec, StudySpec

QUIET = ("--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false")
TINY = ("--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2")


def small_study(tmp_path: Path, **settings: object) -> StudySpec:
    values = {"name": "s", "archs": ["linear", "mlp"], "datasets": ["diabetes"], "seeds": [0, 1],
              "baselines": ["sk_linear"], "max_epochs": 2, "overrides": [*TINY],
              "log_root": str(tmp_path / "logs"), "reports_root": str(tmp_path / "reports")}  # fmt: skip
    return StudySpec(**{**values, **settings})


def test_a_resolved_cell_and_fit_of_its_saved_config_give_the_same_metrics(tmp_path, capsys):
    spec = RunSpec(arch="mlp", data="diabetes", trainer="cpu", seed=7, max_epochs=2, overrides=QUIET,
                   log_root=str(tmp_path / "first"))  # fmt: skip
    first = train(resolve(spec))
    assert first.status == "ok"
    saved = Path(first.log_dir) / "config.yaml"
    assert yaml.safe_load(saved.read_text())["arch"] == "mlp"
    assert main(["fit", "--config", str(saved), "--log_root", str(tmp_path / "again")]) == 0
    again = json.loads(next((tmp_path / "again").rglob("run.json")).read_text())
    assert again["arch"] == "mlp" and again["seed"] == 7
    assert again["metrics"].keys() == first.metrics.keys()
    for name, value in first.metrics.items():
        assert again["metrics"][name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_fit_reads_the_architecture_from_the_config_not_from_the_run_name(tmp_path, capsys):
    spec = RunSpec(arch="linear", data="diabetes", trainer="cpu", max_epochs=1, overrides=QUIET,
                   log_root=str(tmp_path / "first"))  # fmt: skip
    saved = Path(train(spec).log_dir) / "config.yaml"
    config = yaml.safe_load(saved.read_text())
    config["run_name"] = "diabetes/renamed"
    saved.write_text(yaml.safe_dump(config))
    assert main(["fit", "--config", str(saved), "--log_root", str(tmp_path / "again")]) == 0
    record = json.loads(next((tmp_path / "again").rglob("run.json")).read_text())
    assert record["arch"] == "linear"
    assert Path(record["log_dir"]).is_relative_to(tmp_path / "again" / "diabetes" / "linear")


def refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a cell was parsed from command-line text while the study ran")


def test_a_resolved_study_runs_with_the_command_line_parser_patched_to_fail(tmp_path, monkeypatch):
    resolved = resolve_study(small_study(tmp_path))
    for name in ("parse_args", "parse_object", "parse_string", "instantiate_classes"):
        monkeypatch.setattr(jsonargparse.ArgumentParser, name, refuse)
    monkeypatch.setattr(LightningCLI, "__init__", refuse)
    records = run_grid(resolved, jobs=1)
    assert len(records) == 6  # (2 archs + 1 baseline) x 2 seeds
    assert {r.status for r in records.values()} == {"ok"}, [r.error for r in records.values()]
    model_cells = [r for r in records.values() if r.kind == "model"]
    assert all("test/mse" in r.metrics for r in model_cells)


def test_a_process_loads_a_dataset_once_per_seed_and_reuses_it_for_the_next_cells(tmp_path, monkeypatch):
    resolved = resolve_study(small_study(tmp_path))
    assemble.DATASETS.clear()
    loads: list[int] = []
    load_splits = SklearnDataModule.load_splits

    def counted(self: SklearnDataModule):  # noqa: ANN202 - the wrapped method's return
        loads.append(self.seed)
        return load_splits(self)

    monkeypatch.setattr(SklearnDataModule, "load_splits", counted)
    records = run_grid(resolved, jobs=1)
    assert {r.status for r in records.values()} == {"ok"}
    assert sorted(loads) == [0, 1], "each seed's splits are loaded once, for all three of its cells"


def test_the_kept_data_is_keyed_by_config_and_seed(tmp_path):
    runs = [resolve(RunSpec(arch="mlp", data="diabetes", seed=seed)) for seed in (0, 0, 1)]
    first, same, other = (assemble.datamodule(run.data_config()) for run in runs)
    assert first is same and other is not first
    assert not (first.prepared.y["test"] == other.prepared.y["test"]).all(), "another seed splits otherwise"
    bigger = resolve(RunSpec(arch="mlp", data="diabetes", overrides=("--data.batch_size", "7")))
    assert assemble.datamodule(bigger.data_config()) is not first
