"""Read learning curves back from TensorBoard event files and average them across seeds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

Curve = list[tuple[int, float]]


def read_scalar(log_dir: str | Path, tag: str) -> Curve:
    """(step, value) pairs of ``tag`` in a run directory, sorted by step; empty if run or tag is absent."""
    if not Path(log_dir).is_dir():
        return []
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})  # 0 keeps every point
    events.Reload()
    if tag not in events.Tags()["scalars"]:
        return []
    # A resumed run logs some steps again: keep the last value of each step.
    by_step = {event.step: event.value for event in events.Scalars(tag)}
    return sorted(by_step.items())


def mean_band(curves: list[Curve]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, mean, std) over curves aligned on the union of their steps.

    Early stopping makes curves end at different steps, so each step averages only the curves that reach it;
    the std (ddof=1) is 0 where a single curve remains.
    """
    steps = np.array(sorted({step for curve in curves for step, _ in curve}), dtype=int)
    values = np.full((len(curves), len(steps)), np.nan)
    column = {step: i for i, step in enumerate(steps)}
    for row, curve in enumerate(curves):
        for step, value in curve:
            values[row, column[step]] = value
    present = ~np.isnan(values)
    count = present.sum(axis=0)
    filled = np.where(present, values, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    squares = np.where(present, (values - mean) ** 2, 0.0).sum(axis=0)
    std = np.sqrt(squares / np.maximum(count - 1, 1))
    return steps, mean, std


def log_band(curves: list[Curve]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, lower, geometric mean, upper) for a log axis: mean ± std of log values, back in the data's units.

    On a log axis an arithmetic mean − std below zero drops the band to the floor whenever std > mean; in log
    space the band stays positive and symmetric on the axis. Every value must be positive.
    """
    steps, mean, std = mean_band([[(step, math.log(value)) for step, value in curve] for curve in curves])
    return steps, np.exp(mean - std), np.exp(mean), np.exp(mean + std)
