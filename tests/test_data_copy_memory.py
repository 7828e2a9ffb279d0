"""Copy memory (Bai et al. 2018): input and target layout, ten classes, and the memoryless baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from archbench.data import CopyMemoryDataModule
from archbench.models.base import ArchModule


def test_copy_memory_inputs_are_digits_blanks_then_eleven_markers():
    data = CopyMemoryDataModule(num_samples=300, memory_length=12, seed=1)
    x = data.load_splits().x_train[..., 0]
    assert x.shape[1] == 12 + 20 and data.prepared.x["train"].shape[1:] == (32, 1)
    assert np.isin(x[:, :10], np.arange(1, 9)).all()
    assert set(np.unique(x[:, :10])) == set(range(1, 9))
    assert (x[:, 10:21] == 0).all()  # T - 1 = 11 blanks
    assert (x[:, 21:] == 9).all()  # the marker, 11 times


def test_copy_memory_targets_are_blank_except_the_digits_repeated_at_the_end():
    data = CopyMemoryDataModule(num_samples=300, memory_length=12, seed=1)
    splits = data.load_splits()
    x, y = splits.x_test[..., 0], splits.y_test
    assert y.shape == (len(x), 32)
    assert (y[:, :22] == 0).all()
    np.testing.assert_array_equal(y[:, 22:], x[:, :10])
    assert (data.task, data.output_size, data.target_steps, data.input_size, data.seq_len) == (
        "classification", 10, 32, 1, 32
    )  # fmt: skip


def test_digit_frequencies_score_the_memoryless_baseline():
    """Blank with certainty, then a uniform guess over 1–8 on the last ten steps: 10·ln 8 / (T + 20)."""
    data = CopyMemoryDataModule(num_samples=600, memory_length=20)
    y = data.prepared.y["test"]
    logits = torch.full((*y.shape, 10), -1e4)
    logits[:, :-10, 0] = 0.0
    logits[:, -10:, 1:9] = 0.0
    model = ArchModule(task="classification", input_size=1, seq_len=40, output_size=10, target_steps=40)
    loss = float(model.loss(logits, y))
    assert loss == pytest.approx(10 * math.log(8) / 40, rel=1e-6)
    assert data.naive_baseline()["test/loss_memoryless"] == pytest.approx(loss, rel=1e-6)
