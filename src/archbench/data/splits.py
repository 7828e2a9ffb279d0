"""Deterministic splits and windowing shared by every DataModule."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

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


def require_window_fits(parts: tuple[np.ndarray, ...], window: int, horizon: int) -> None:
    """One line when ``window + horizon`` leaves fewer than ``MIN_SPLIT_SAMPLES`` windows in the shortest split
    part (train, val, test), stating the bound that holds for every part."""
    names = ("train", "val", "test")
    shortest = min(range(len(parts)), key=lambda i: len(parts[i]))
    bound = len(parts[shortest]) - MIN_SPLIT_SAMPLES + 1
    if window + horizon > bound:
        larger = f", or a larger {names[shortest]}_fraction" if shortest else ""
        raise ArchbenchError(
            f"window={window} + horizon={horizon} is too long for the {names[shortest]} part of the series"
            f" ({len(parts[shortest])} rows, its shortest part); allowed: window + horizon <= {bound}{larger}"
        )


def make_windows(
    part: np.ndarray, window: int, horizon: int, targets: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Slide over one split part (T, C): inputs (N, window, C), targets (N, horizon * K) of the following steps of
    the first ``targets`` columns K (all by default). ``require_window_fits`` checks the lengths first."""
    count = len(part) - window - horizon + 1
    starts = np.arange(count)
    x = part[starts[:, None] + np.arange(window)]
    y = part[starts[:, None] + window + np.arange(horizon), :targets].reshape(count, -1)
    return x, y


def stratified_split(
    y: np.ndarray, val_fraction: float, test_fraction: float, seed: int, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index arrays for a train/val/test split that keeps each class's share in every split (scikit-learn's
    stratified shuffle). Falls back to a plain shuffled split when a class has too few members to appear in every
    split."""
    n_train, n_val, n_test = split_sizes(len(y), val_fraction, test_fraction, what)
    everything = np.arange(len(y))
    try:
        rest, test = train_test_split(everything, test_size=n_test, stratify=y, random_state=seed)
        train, val = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=seed)
    except ValueError:  # a class with fewer members than splits
        return random_split(len(y), val_fraction, test_fraction, seed, what)
    return train, val, test


def holdout_size(n: int, fraction: float, what: str) -> int:
    """Samples in a validation part of ``fraction`` carved out of ``n`` official training samples."""
    n_val = max(int(round(n * fraction)), MIN_SPLIT_SAMPLES)
    if n - n_val < MIN_SPLIT_SAMPLES:
        raise ArchbenchError(f"{what} has {n} training samples, too few to carve a validation split")
    return n_val


def random_holdout(n: int, fraction: float, seed: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Carve a validation part of ``fraction`` out of an official training split at random (regression targets).
    Returns (train, val) index arrays."""
    train, val = train_test_split(np.arange(n), test_size=holdout_size(n, fraction, what), random_state=seed)
    return np.sort(train), np.sort(val)


def stratified_holdout(y: np.ndarray, fraction: float, seed: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Carve a validation part of ``fraction`` out of an official training split, stratified by class where every
    class has at least two members, else at random. Returns (train, val) index arrays."""
    n_val = holdout_size(len(y), fraction, what)
    everything = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 and n_val >= len(counts) and len(y) - n_val >= len(counts) else None
    train, val = train_test_split(everything, test_size=n_val, stratify=stratify, random_state=seed)
    return np.sort(train), np.sort(val)
