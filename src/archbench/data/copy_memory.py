"""The copy-memory task (Bai, Kolter & Koltun 2018): recall ten digits after a long blank stretch."""

from __future__ import annotations

import math

import numpy as np

from archbench.data.base import ArchDataModule, Splits, require_positive
from archbench.data.splits import random_split

DIGITS = 10
BLANK, MARKER = 0, 9
NUM_CLASSES = 10


class CopyMemoryDataModule(ArchDataModule):
    """Ten digits from 1–8, T−1 blanks (0), then the marker 9 eleven times: T + 20 steps of one channel.

    The target is blank at every step except the last ten, which repeat the digits; the loss is
    cross-entropy over all T + 20 positions. A model without memory can do no better than blanks
    everywhere and a uniform guess over 1–8 on the last ten steps: a loss of 10·ln 8 / (T + 20).
    """

    name = "copy_memory"
    task = "classification"

    def __init__(self, num_samples: int = 4000, memory_length: int = 20, **kwargs) -> None:
        kwargs.setdefault("scale_features", False)
        super().__init__(**kwargs)
        require_positive(num_samples=num_samples, memory_length=memory_length)
        self.num_samples = num_samples
        self.memory_length = memory_length

    def load_splits(self) -> Splits:
        rng = np.random.default_rng(self.seed)
        n, blanks = self.num_samples, self.memory_length - 1
        digits = rng.integers(1, 9, size=(n, DIGITS))
        x = np.concatenate([digits, np.full((n, blanks), BLANK), np.full((n, DIGITS + 1), MARKER)], axis=1)
        y = np.concatenate([np.full((n, DIGITS + blanks + 1), BLANK), digits], axis=1)
        x = x[..., None].astype(np.float32)
        train, val, test = random_split(n, self.val_fraction, self.test_fraction, self.seed, self.name)
        return Splits(x[train], y[train], x[val], y[val], x[test], y[test])

    @property
    def class_names(self) -> list[str]:
        """Ten classes as in the paper (blank 0, digits 1–8, marker 9), though the marker is never a target."""
        return [str(i) for i in range(NUM_CLASSES)]

    @property
    def memoryless_loss(self) -> float:
        return DIGITS * math.log(8) / (self.memory_length + 2 * DIGITS)

    def naive_baseline(self) -> dict[str, float]:
        return {**super().naive_baseline(), "test/loss_memoryless": self.memoryless_loss}
