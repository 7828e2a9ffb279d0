"""scikit-learn's handwritten digits read row by row: a small offline stand-in for sequential MNIST."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from archbench.data.base import ArchDataModule, Splits
from archbench.data.labels import encode_labels
from archbench.data.splits import stratified_split


class DigitsSequenceDataModule(ArchDataModule):
    """The 1797 8x8 digit images (UCI optdigits, as scikit-learn ships them), each read one pixel row per step:
    x (N, 8 steps, 8 pixels), 10 classes, a stratified random train/val/test split."""

    name = "digits"
    task = "classification"

    def load_splits(self) -> Splits:
        bunch = load_digits()
        x = bunch.images.astype(np.float64)  # (N, 8 rows, 8 columns): the rows are the steps
        (y,), self.label_names = encode_labels(bunch.target)
        train, val, test = stratified_split(y, self.val_fraction, self.test_fraction, self.seed, self.name)
        return Splits(x[train], y[train], x[val], y[val], x[test], y[test])
