"""The GPU path, checked where it can be on a CPU: batches from device-placed splits, GPUs shared by grid workers."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from archbench.data import SklearnDataModule
from archbench.data.loader import ShardedOrder, TensorBatchLoader, place
from archbench.grid import visible_gpus, worker_gpu
from archbench.spec import StudySpec

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")),
]


def host_batches(data: SklearnDataModule, stage: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    x, y = data.prepared.x[stage], data.prepared.y[stage]
    order = ShardedOrder(len(x), shuffle=stage == "train", seed=data.seed)
    return list(TensorBatchLoader(x, y, data.batch_size, order))


@pytest.mark.parametrize("device", DEVICES)
def test_a_datamodule_on_a_trainers_device_yields_the_host_loaders_batches(device):
    data = SklearnDataModule(dataset="diabetes", batch_size=32, seed=3)
    trainer = L.Trainer(accelerator=device, devices=1, logger=False, enable_progress_bar=False)
    data.trainer = trainer
    root = trainer.strategy.root_device
    for stage, loader in (("train", data.train_dataloader()), ("val", data.val_dataloader())):
        placed = list(loader)
        expected = host_batches(data, stage)
        assert len(placed) == len(expected) == len(loader) > 1
        for (x, y), (x_host, y_host) in zip(placed, expected, strict=True):
            assert x.device == y.device == root
            assert torch.equal(x.cpu(), x_host) and torch.equal(y.cpu(), y_host)
    assert data.train_dataloader().x is data.train_dataloader().x  # placed once, not once per loader


def test_on_the_cpu_placing_copies_nothing():
    x, y = torch.randn(10, 3), torch.randn(10, 1)
    placed = place((x, y), torch.device("cpu"))
    assert placed[0] is x and placed[1] is y


@pytest.mark.parametrize(
    ("gpus", "expected"),
    [
        (["0"], ["0", "0", "0", "0", "0", "0"]),
        (["0", "1"], ["0", "1", "0", "1", "0", "1"]),
        (["2", "5", "7"], ["2", "5", "7", "2", "5", "7"]),
        ([], [None] * 6),
    ],
)
def test_grid_workers_take_the_visible_gpus_in_turn(gpus, expected):
    assert [worker_gpu(worker, gpus) for worker in range(6)] == expected


def test_grid_workers_share_gpus_only_when_the_study_trains_on_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a machine with two GPUs, as far as torch says
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def study(trainer: str, *overrides: str) -> StudySpec:
        return StudySpec(name="s", archs=["linear"], datasets=["diabetes"], seeds=[0], trainer=trainer,
                         overrides=list(overrides))  # fmt: skip

    assert visible_gpus(study("gpu")) == ["0", "1"]
    assert visible_gpus(study("cpu")) == []
    assert visible_gpus(study("gpu", "--trainer.accelerator", "cpu")) == []
    assert visible_gpus(study("cpu", "--trainer.accelerator", "gpu")) == ["0", "1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert visible_gpus(study("gpu")) == ["3", "5"]
