"""The reference for `make bench`: the same training as an archbench run, written by hand in plain PyTorch."""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from archbench.assemble import Assembled
from archbench.data.base import ArchDataModule


class LastStepLSTM(nn.Module):
    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x)[0][:, -1])


def hand_network(arch: str, data: ArchDataModule) -> nn.Module:
    if arch == "mlp":
        return nn.Sequential(nn.Linear(data.input_size, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    return LastStepLSTM(data.input_size, 64)


def hand_us_per_step(cli: Assembled, arch: str, epochs: int, workdir: Path, logger: bool, compile_model: bool) -> float:
    """The same epochs by hand: shuffle, train, validate in inference mode, save the last and best checkpoints."""
    data, hparams = cli.data, cli.model.hparams
    x, y = data.prepared.x["train"], data.prepared.y["train"]
    x_val, y_val = data.prepared.x["val"], data.prepared.y["val"]
    net = hand_network(arch, data)
    if compile_model:
        net.compile()
    optimizer = torch.optim.AdamW(net.parameters(), lr=hparams.lr, weight_decay=hparams.weight_decay)
    writer = SummaryWriter(workdir / "hand") if logger else None
    every, step, best, seconds = cli.trainer.log_every_n_steps, 0, math.inf, []
    for epoch in range(epochs):
        start = time.perf_counter()
        net.train()
        total = torch.zeros(())
        for index in torch.randperm(len(x)).split(data.batch_size):
            loss = F.mse_loss(net(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
            step += 1
            if writer and step % every == 0:
                writer.add_scalar("train/loss_step", loss, step)
        net.eval()
        with torch.inference_mode():
            batches = zip(x_val.split(data.batch_size), y_val.split(data.batch_size), strict=True)
            val_loss = float(sum(F.mse_loss(net(xb), yb, reduction="sum") for xb, yb in batches)) / len(x_val)
        if writer:
            writer.add_scalar("train/loss_epoch", total / len(x), step)
            writer.add_scalar("val/loss", val_loss, step)
        state = {"epoch": epoch, "model": net.state_dict(), "optimizer": optimizer.state_dict()}
        torch.save(state, workdir / "last.pt")
        if val_loss < best:
            best = val_loss
            torch.save(state, workdir / "best.pt")
        seconds.append(time.perf_counter() - start)
    if writer:
        writer.close()
    return statistics.median(seconds[1:]) / -(-len(x) // data.batch_size) * 1e6
