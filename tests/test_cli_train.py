"""Every architecture on every built-in dataset: built through the parser, one batch trained, validated and tested;
one real ``archbench train`` per kind of task, with finite test metrics, event files and checkpoints."""

from __future__ import annotations

import math
import re
from pathlib import Path

import lightning as L
import pytest
import torch

from archbench.applicability import applies, arch_facts
from archbench.assemble import build_model, datamodule
from archbench.catalog import data_config
from archbench.configs import available
from archbench.resolve import resolve
from archbench.spec import RunSpec

ARCHS = available("model")


def from_ucr_archive(data: str) -> bool:
    return data_config(data)["class_path"].endswith(".UCRDataModule")


def from_packaged_tables(data: str) -> bool:
    return data_config(data)["class_path"].endswith(".PackagedTableDataModule")


# Paper-length copies of a built-in dataset (adding_t600, copy_memory_t1000: a reproduction study's data) are left
# out: their sequences outgrow the default TCN's receptive field and a tiny fit on them proves nothing new. So are
# the UCR/UEA archive's problems, for the same reason (24 to 1460 steps): test_data_ucr.py trains every architecture
# on one multichannel classification and one regression problem of the archive, the TCN widened to read them.
# The catalogue's packaged tables too: test_catalog.py loads each, test_data_tables.py runs every architecture on one
# with text categories (planes).
BUILTIN_DATA = [
    d
    for d in available("data")
    if not d.startswith("csv")
    and not re.search(r"_t\d+$", d)
    and not from_ucr_archive(d)
    and not from_packaged_tables(d)
]
# One real run per kind of task, each with another architecture: a table's regression and classification, a
# sequence's classification at every step, a sequence regression and a forecast of a series.
# (mlp, wine) and (lstm, sine) are the runs test_tensorboard_logs.py reads too: trained once per session.
REAL_FITS = [("linear", "house_prices"), ("mlp", "wine"), ("gru", "copy_memory"), ("transformer", "adding"),
             ("lstm", "sine")]  # fmt: skip


def primary_metric(metrics: dict[str, float]) -> str:
    return "test/mse" if "test/mse" in metrics else "test/accuracy"


def test_configs_offer_every_architecture_and_dataset():
    assert {"linear", "mlp", "rnn", "lstm", "gru", "tcn", "transformer"} <= set(ARCHS)
    builtin = {"house_prices", "diabetes", "breast_cancer", "wine", "sine", "adding", "copy_memory"}
    assert builtin <= set(available("data"))
    assert {data for _, data in REAL_FITS} <= set(BUILTIN_DATA)


# Where the architecture applies (archbench/applicability.py); a placebo is its original's class under another name.
# The default TCN reads 61 steps; co2's window (104) and taylor's (336) need a wider one (--model.num_levels).
TOO_LONG_FOR_DEFAULT_TCN = {("tcn", "co2"), ("tcn", "taylor")}
APPLICABLE = [
    (a, d)
    for d in BUILTIN_DATA
    for a in ARCHS
    if applies(a, d) and not arch_facts(a).placebo_of and (a, d) not in TOO_LONG_FOR_DEFAULT_TCN
]


@pytest.mark.parametrize(("arch", "data"), APPLICABLE)
def test_every_arch_builds_and_steps_on_every_dataset(tmp_path, arch, data):
    """The run's own parser builds the pair (shapes and task linked from the data into the model); one batch each
    of training, validation and test runs through Lightning, and the weights move."""
    run = resolve(RunSpec(arch=arch, data=data, trainer="cpu", log_root=str(tmp_path)))
    data_module = datamodule(run.data_config())
    model = build_model(run.config["model"], data_module)
    assert model.task == data_module.task
    before = [p.detach().clone() for p in model.parameters()]
    trainer = L.Trainer(fast_dev_run=1, accelerator="cpu", logger=False, enable_progress_bar=False,
                        enable_model_summary=False)  # fmt: skip
    trainer.fit(model, datamodule=data_module)
    assert math.isfinite(float(trainer.callback_metrics["val/loss"]))
    moved = [not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True)]
    assert any(moved), "one training step changed no weight"
    metrics = trainer.test(model, datamodule=data_module, verbose=False)[0]
    assert math.isfinite(metrics[primary_metric(metrics)])


@pytest.mark.parametrize(("arch", "data"), REAL_FITS)
def test_a_real_train_run_of_each_kind_of_task(shared_run, arch, data):
    record = shared_run(arch, data)
    assert record["status"] == "ok", record["error"]
    assert (record["arch"], record["dataset"]) == (arch, data)
    assert math.isfinite(record["metrics"][primary_metric(record["metrics"])])
    assert record["params"] > 0
    run_dir = Path(record["log_dir"])
    assert run_dir.parts[-3:-1] == (data, arch)
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert (run_dir / "config.yaml").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
