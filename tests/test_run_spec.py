"""One run spec: baselines see the model cells' data, CSV runs are named by file, YAML values reach the instance."""

from __future__ import annotations

import ast
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from archbench.build import build_datamodule, data_fingerprint, resolved_data_config
from archbench.cli import main
from archbench.configs import available, config_path
from archbench.errors import ArchbenchError
from archbench.spec import RunSpec, build_study

REPO = Path(__file__).parents[1]
TINY = ["--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2"]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def grid(tmp_path: Path, *args: str, name: str = "g") -> int:
    return main(["compare", "--seeds", "1", "--max_epochs", "1", "--name", name, "--log_root", str(tmp_path / "logs"),
                 "--reports_root", str(tmp_path / "reports"), *args, *TINY])  # fmt: skip


@pytest.mark.parametrize(
    ("data", "option", "value"),
    [("sine", "--data.horizon", "20"), ("adding", "--data.init_args.seq_len", "10")],
)
def test_baselines_see_the_data_options_of_the_model_cells(tmp_path, data, option, value):
    assert grid(tmp_path, "--archs", "linear", "--data", data, "--baselines", "sk_linear", option, value) == 0
    by_arch = {r["arch"]: r for r in rows(tmp_path / "reports" / "g" / "results.csv")}
    assert by_arch["sk_linear"]["params"] == by_arch["linear"]["params"], "a baseline was built on other data"
    spec = RunSpec(arch="linear", data=data, overrides=(option, value))
    built = build_datamodule(spec)
    assert (
        int(by_arch["linear"]["params"])
        == built.input_size * max(built.seq_len, 1) * built.output_size + built.output_size
    )
    model_run = json.loads((Path(by_arch["linear"]["log_dir"]) / "run.json").read_text())
    assert f"{option.split('.')[-1]}: {value}" in model_run["config"]


def write_table(path: Path, rows_count: int = 80, shift: int = 0) -> Path:
    lines = ["x1,x2,target"] + [f"{i},{(i * 7) % 11},{3 * i + (i * 7) % 11 + shift}" for i in range(rows_count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_user_csv_reaches_the_baselines_and_is_logged_under_its_file_name(tmp_path):
    table = write_table(tmp_path / "prices.csv")
    code = grid(tmp_path, "--archs", "linear", "--data", "csv", "--data.path", str(table), "--baselines", "sk_linear")
    assert code == 0
    results = rows(tmp_path / "reports" / "g" / "results.csv")
    assert {r["status"] for r in results} == {"ok"} and {r["dataset"] for r in results} == {"prices"}
    by_arch = {r["arch"]: r for r in results}
    assert by_arch["sk_linear"]["params"] == by_arch["linear"]["params"] == "3"
    assert Path(by_arch["linear"]["log_dir"]).parts[-3:-1] == ("prices", "linear")


def test_a_missing_user_csv_stops_the_grid_before_anything_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_table(tmp_path / "data.csv")  # the YAML's default path must not be read instead of the given one
    code = grid(tmp_path, "--archs", "linear", "--data", "csv", "--data.path", str(tmp_path / "missing.csv"))
    assert code == 2
    assert "CSV file not found" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_the_data_fingerprint_follows_the_file_content(tmp_path):
    table = write_table(tmp_path / "t.csv")
    spec = RunSpec(arch="linear", data="csv", overrides=("--data.path", str(table)))
    before = data_fingerprint(resolved_data_config(spec))
    write_table(table, shift=1)
    assert data_fingerprint(resolved_data_config(spec)) != before
    assert spec.identity(before) != spec.identity(data_fingerprint(resolved_data_config(spec)))


@pytest.mark.parametrize("name", available("data"))
def test_every_data_yaml_value_reaches_the_instance(name):
    settings = yaml.safe_load(config_path("data", name).read_text())["init_args"]
    data = build_datamodule(RunSpec(arch="linear", data=name))
    for key, value in settings.items():
        attribute = {"seq_len": "length", "dataset": "name"}.get(key, key)
        actual = getattr(data, attribute)
        assert actual == (tuple(value) if isinstance(actual, tuple) else value), key


def test_the_cli_and_the_class_agree_on_scaling_the_adding_inputs(train_run):
    default = build_datamodule(RunSpec(arch="linear", data="adding"))
    assert default.scale_features is True and "scale_features: true" in train_run("linear", "adding")["config"]
    raw = RunSpec(arch="linear", data="adding", overrides=("--data.scale_features", "false"))
    assert "scale_features: false" in train_run("linear", "adding", *raw.overrides)["config"]
    mask = build_datamodule(raw).prepared.x["train"][..., 1]
    assert set(mask.unique().tolist()) == {0.0, 1.0}, "raw inputs keep the 0/1 marker channel"


@pytest.mark.parametrize("name", available("model"))
def test_every_model_yaml_value_reaches_the_instance(train_run, name):
    settings = yaml.safe_load(config_path("model", name).read_text())["init_args"]
    data = "house_prices"
    record = train_run(name, data)
    hparams = yaml.safe_load((Path(record["log_dir"]) / "hparams.yaml").read_text())
    for key, value in settings.items():
        assert hparams[key] == value, key


def test_a_study_file_sets_the_grid_and_flags_override_it(tmp_path):
    study_file = tmp_path / "mine.yaml"
    study_file.write_text("archs: [linear, mlp]\ndatasets: [wine]\nseeds: 2\nbaselines: []\nmax_epochs: 4\n")
    study = build_study(str(study_file), {"archs": ["linear"], "max_epochs": None}, ["--data.batch_size", "8"])
    assert (study.name, study.archs, study.datasets, study.seeds) == ("mine", ["linear"], ["wine"], [0, 1])
    assert study.max_epochs == 4 and study.overrides == ["--data.batch_size", "8"]
    default = build_study(None, {}, [])
    assert default.name == "default" and default.archs and default.seeds == [0, 1, 2]


def archbench_modules() -> list[str]:
    root = REPO / "src"
    return sorted(".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
                  for p in (root / "archbench").rglob("*.py"))  # fmt: skip


def imported_archbench_modules(module: str) -> set[str]:
    """Every archbench module named in an import of ``module``, at any depth of its code (static)."""
    path = REPO / "src" / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("archbench"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("archbench")}
    return found


def test_the_import_graph_has_no_cycle():
    modules = archbench_modules()
    graph = {m: {i for i in imported_archbench_modules(m) if i in modules and i != m} for m in modules}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for module in modules:
        if module not in state:
            visit(module, [])


@pytest.mark.slow
def test_every_module_imports_alone_in_a_fresh_interpreter():
    modules = archbench_modules()
    running = {m: subprocess.Popen([sys.executable, "-c", f"import {m}"], stderr=subprocess.PIPE, text=True)
               for m in modules[:4]}  # fmt: skip
    waiting = modules[4:]
    while running:
        module, process = next(iter(running.items()))
        error = process.communicate(timeout=300)[1]
        assert process.returncode == 0, f"{module}: {error[-1500:]}"
        del running[module]
        if waiting:
            nxt = waiting.pop(0)
            running[nxt] = subprocess.Popen([sys.executable, "-c", f"import {nxt}"], stderr=subprocess.PIPE, text=True)


def test_a_model_option_reaches_the_model_cells_and_leaves_the_baselines_alone(tmp_path):
    code = grid(
        tmp_path, "--archs", "linear", "--data", "wine", "--baselines", "sk_linear", "--model.init_args.lr", "0.02"
    )
    assert code == 0
    by_arch = {r["arch"]: r for r in rows(tmp_path / "reports" / "g" / "results.csv")}
    assert by_arch["sk_linear"]["status"] == by_arch["linear"]["status"] == "ok"
    hparams = yaml.safe_load((Path(by_arch["linear"]["log_dir"]) / "hparams.yaml").read_text())
    assert hparams["lr"] == 0.02


def test_cell_overrides_reach_only_their_cells_and_data_options_stay_per_dataset(tmp_path):
    study_file = tmp_path / "s.yaml"
    study_file.write_text(
        "archs: [mlp, gru]\ndatasets: [adding, sine]\nseeds: 1\nbaselines: [sk_linear]\n"
        "overrides: [--trainer.gradient_clip_val, '1.0']\n"
        "cell_overrides:\n  '*/gru': [--model.hidden_size, 8]\n  adding/*: [--data.seq_len, '10']\n"
        "  adding/gru: [--model.hidden_size, '16']\n"
    )
    study = build_study(str(study_file), {}, ["--trainer.max_time", "00:00:10:00"])
    tokens = {(c.dataset, c.arch): study.run_spec(c).overrides for c in study.cells()}
    global_tail = ("--trainer.gradient_clip_val", "1.0", "--trainer.max_time", "00:00:10:00")
    per_pair = ("--model.hidden_size", "8", "--data.seq_len", "10", "--model.hidden_size", "16")
    assert tokens[("adding", "gru")] == (*per_pair, *global_tail)
    assert tokens[("sine", "gru")] == ("--model.hidden_size", "8", *global_tail)
    assert tokens[("adding", "sk_linear")] == ("--data.seq_len", "10", *global_tail)
    assert tokens[("sine", "mlp")] == global_tail
    study_file.write_text(
        "archs: [gru]\ndatasets: [adding]\nseeds: 1\ncell_overrides:\n  adding/gru: [--data.seq_len, '9']\n"
    )
    with pytest.raises(ArchbenchError, match="sets --data.seq_len"):
        build_study(str(study_file), {}, [])
    study_file.write_text("archs: [gru]\ndatasets: [adding]\nseeds: 1\ncell_overrides:\n  wine/*: []\n")
    with pytest.raises(ArchbenchError, match="names no cell of this study"):
        build_study(str(study_file), {}, [])


def test_a_protocol_comes_before_every_other_override_and_gives_baselines_only_its_data_options(tmp_path):
    study_file = tmp_path / "s.yaml"
    study_file.write_text(
        "archs: [mlp]\ndatasets: [wine]\nseeds: 1\nbaselines: [sk_linear]\nprotocol: paper\n"
        "cell_overrides:\n  wine/*: [--data.init_args.val_fraction, '0.2']\n"
    )
    study = build_study(str(study_file), {}, [])
    tokens = {c.arch: study.run_spec(c).overrides for c in study.cells()}
    paper = ("--data.init_args.val_fraction", "0", "--checkpoint.monitor", "train/loss_epoch",
             "--model.init_args.lr_schedule", "plateau_train")  # fmt: skip
    assert tokens["mlp"] == (*paper, "--data.init_args.val_fraction", "0.2")  # the study's own setting wins
    assert tokens["sk_linear"] == ("--data.init_args.val_fraction", "0", "--data.init_args.val_fraction", "0.2")
    study_file.write_text("archs: [mlp]\ndatasets: [wine]\nseeds: 1\nprotocol: papr\n")
    with pytest.raises(ArchbenchError, match="protocol 'papr' is not known; allowed: fair, paper, default"):
        build_study(str(study_file), {}, [])


def test_the_paper_protocol_tests_the_lowest_training_loss_checkpoint_with_the_review_plateau(tmp_path):
    study_file = tmp_path / "s.yaml"
    study_file.write_text(
        "archs: [mlp]\ndatasets: [wine]\nseeds: 1\nprotocol: paper\nmax_epochs: 3\n"
        "cell_overrides:\n  wine/*: [--data.init_args.val_fraction, '0.2']\n"
    )
    code = main(["compare", "--study", str(study_file), "--name", "p", "--log_root", str(tmp_path / "logs"),
                 "--reports_root", str(tmp_path / "reports")])  # fmt: skip
    assert code == 0
    (row,) = [r for r in rows(tmp_path / "reports" / "p" / "results.csv") if r["arch"] == "mlp"]
    log_dir = Path(row["log_dir"])
    config = yaml.safe_load((log_dir / "config.yaml").read_text())
    assert config["checkpoint"]["monitor"] == "train/loss_epoch"
    assert yaml.safe_load((log_dir / "hparams.yaml").read_text())["lr_schedule"] == "plateau_train"
    run = json.loads((log_dir / "run.json").read_text())
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0}).Reload()
    train_losses = [event.value for event in events.Scalars("train/loss_epoch")]
    assert len(train_losses) == 3
    tested_epoch = int(Path(run["checkpoint"]).stem.split("epoch=")[1])
    assert tested_epoch == train_losses.index(min(train_losses))
