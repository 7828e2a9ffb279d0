"""Deterministic splits and windowing shared by every DataModule."""

from __future__ import annotations

import numpy as np

from archbench.errors import ArchbenchError

MIN_SPLIT_SAMPLES = 2


def split_sizes(n: int, val_fraction: float, test_fraction: float, what: str) -> tuple[int, int, int]:
    """Sizes of train/val/test; every split needs at least ``MIN_SPLIT_SAMPLES`` samples."""
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    n_train = n - n_val - n_test
    if min(n_train, n_val, n_test) < MIN_SPLIT_SAMPLES:
        needed = int(np.ceil(MIN_SPLIT_SAMPLES / min(val_fraction, test_fraction)))
        raise ArchbenchError(
            f"{what} has {n} samples, too few for val_fraction={val_fraction} and test_fraction={test_fraction}"
            f" (each split needs >= {MIN_SPLIT_SAMPLES}); allowed: at least {needed} samples"
        )
    return n_train, n_val, n_test


def random_split(
    n: int, val_fraction: float, test_fraction: float, seed: int, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index arrays for a shuffled train/val/test split fixed by ``seed``."""
    n_train, n_val, _ = split_sizes(n, val_fraction, test_fraction, what)
    order = np.random.default_rng(seed).permutation(n)
    return order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]


def chronological_split(
    series: np.ndarray, val_fraction: float, test_fraction: float, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a series (T, C) into consecutive train/val/test parts, before any windowing."""
    n_train, n_val, _ = split_sizes(len(series), val_fraction, test_fraction, what)
    return series[:n_train], series[n_train : n_train + n_val], series[n_train + n_val :]


def make_windows(part: np.ndarray, window: int, horizon: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Slide over one split part: inputs (N, window, C), targets (N, horizon * C) of the following steps."""
    count = len(part) - window - horizon + 1
    if count < MIN_SPLIT_SAMPLES:
        raise ArchbenchError(
            f"window={window} + horizon={horizon} is too long for the {name} part of the series ({len(part)} rows);"
            f" allowed: window + horizon <= {len(part) - MIN_SPLIT_SAMPLES + 1}"
        )
    starts = np.arange(count)
    x = part[starts[:, None] + np.arange(window)]
    y = part[starts[:, None] + window + np.arange(horizon)].reshape(count, -1)
    return x, y
