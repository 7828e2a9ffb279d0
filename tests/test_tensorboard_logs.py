"""TensorBoard event files read back: identical tags across architectures, hparams with final metrics."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from archbench.cli import main

REGRESSION_TAGS = {"train/loss_step", "train/loss_epoch", "val/loss", "val/mse", "val/mae", "val/r2", "test/mse",
                   "test/mae", "test/r2", "train/grad_norm", "model/params"}  # fmt: skip


def load(run_dir: str) -> EventAccumulator:
    return EventAccumulator(run_dir, size_guidance={"scalars": 0, "tensors": 0}).Reload()


@pytest.mark.parametrize("arch", ["linear", "lstm"])
def test_regression_runs_log_the_same_tags(train_run, arch):
    record = train_run(arch, "sine", "--trainer.log_every_n_steps", "1", epochs=2)
    tags = set(load(record["log_dir"]).Tags()["scalars"])
    assert tags >= REGRESSION_TAGS, REGRESSION_TAGS - tags


def test_classification_runs_log_accuracy_f1_auroc(train_run):
    record = train_run("mlp", "wine", "--trainer.log_every_n_steps", "1")
    tags = set(load(record["log_dir"]).Tags()["scalars"])
    assert {"val/accuracy", "val/f1", "val/auroc", "test/accuracy", "test/f1", "test/auroc"} <= tags


def test_hparams_are_written_with_the_final_test_metrics(train_run):
    record = train_run("gru", "adding", "--model.init_args.hidden_size", "16")
    events = load(record["log_dir"])
    plugin = events.PluginTagToContent("hparams")
    session = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_start_info"])
    hparams = session.session_start_info.hparams
    assert hparams["arch"].string_value == "gru"
    assert hparams["hidden_size"].number_value == 16
    assert hparams["seed"].number_value == 0
    assert not any(name.startswith("_") for name in hparams), "LightningCLI's own keys are not hyperparameters"
    assert {"test/mse", "test/mae", "test/r2", "model/params"} <= set(events.Tags()["scalars"])
    assert "hp_metric" not in events.Tags()["scalars"]
    logged = events.Scalars("test/mse")[-1].value
    assert logged == pytest.approx(record["metrics"]["test/mse"], rel=1e-6)


def test_no_run_fixes_the_hparams_columns_for_the_others(shared_run):
    """TensorBoard takes the HPARAMS columns from the first experiment summary it finds; with none, from all runs."""
    regression = shared_run("lstm", "sine")
    classification = shared_run("mlp", "wine")
    for record in (regression, classification):
        tags = load(record["log_dir"]).PluginTagToContent("hparams")
        assert "_hparams_/session_start_info" in tags and "_hparams_/experiment" not in tags


def test_run_directory_records_config_seed_versions_and_rerun_command(train_run):
    record = train_run("mlp", "diabetes", "--seed", "7")
    run_dir = Path(record["log_dir"])
    assert record["seed"] == 7
    executable = shlex.quote(str(Path(sys.executable).with_name("archbench")))
    assert record["command"].startswith(
        f"cd {shlex.quote(os.getcwd())} && {executable} train --arch mlp --data diabetes"
    )
    assert "--seed 7" in record["command"]
    assert len(record["data_fingerprint"]) == 64 and record["git"]["commit"]
    assert (run_dir / "data_fingerprint.txt").read_text() == record["data_fingerprint"]
    assert not (run_dir / "run.lock").exists(), "a finished run must release its folder"
    assert {"torch", "lightning", "torchmetrics", "python"} <= set(record["versions"])
    config = (run_dir / "config.yaml").read_text()
    assert "seed_everything: 7" in config and "archbench.models.MLPModel" in config
    assert "input_size" not in config  # derived from the data, so the rerunnable config never types it
    assert "input_size: 10" in (run_dir / "hparams.yaml").read_text()


def test_rerunning_a_saved_config_starts_a_new_run_folder(train_run, tmp_path):
    first = train_run("linear", "house_prices")
    config = Path(first["log_dir"]) / "config.yaml"
    assert "version_0" not in config.read_text()
    assert main(["fit", "--config", str(config)]) == 0
    runs = sorted(p.parent.name for p in (tmp_path / "logs" / "house_prices" / "linear").glob("*/run.json"))
    assert runs == ["version_0", "version_1"]


def test_cosine_schedule_and_early_stopping_are_applied(train_run):
    record = train_run(
        "mlp", "wine", "--model.init_args.lr_schedule", "cosine", "--trainer.gradient_clip_val", "0.5",
        "--early_stopping_patience", "1", "--model.init_args.lr", "0.5", "--trainer.log_every_n_steps", "1",
        epochs=40,
    )  # fmt: skip
    lrs = [event.value for event in load(record["log_dir"]).Scalars("lr-AdamW")]
    assert lrs[0] == pytest.approx(0.5) and all(b < a for a, b in zip(lrs, lrs[1:], strict=False))
    assert record["stats"]["epochs"] < 40, "early stopping never stopped the run"
    assert record["stats"]["grad_norm_max"] is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_tensorboard_hparams_tab_shows_every_runs_columns_with_mixed_tasks(shared_run):
    """Asked as the HPARAMS tab asks: a real TensorBoard server over a log root of a regression and a classification
    run of two architectures (and any other shared run) lists both architectures' hyperparameters and both tasks'
    metrics."""
    shared_run("lstm", "sine")
    shared_run("mlp", "wine")
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("tensorboard")), "--logdir", str(shared_run.log_root), "--port", str(port),
         "--load_fast=false"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    f"http://localhost:{port}/data/plugin/hparams/experiment",
                    data=json.dumps({"experimentName": ""}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                experiment = json.loads(urllib.request.urlopen(request, timeout=10).read())
                if experiment.get("hparamInfos"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "TensorBoard did not answer"
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    hparams = {h["name"] for h in experiment["hparamInfos"]}
    metrics = {m["name"]["tag"] for m in experiment["metricInfos"]}
    assert {"hidden_size", "hidden_sizes", "arch", "dataset", "lr"} <= hparams
    assert {"test/mse", "test/accuracy", "model/params"} <= metrics
    assert not any(name.startswith("_") for name in hparams)
