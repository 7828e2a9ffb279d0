"""Honest cost numbers: each run's own peak memory, and latency timed after a warm-up at the timed shape."""

from __future__ import annotations

import math
import resource

import numpy as np
import torch

from archbench.callbacks import RunStatsCallback
from archbench.data import HousePricesDataModule
from archbench.models.linear import LinearModel
from archbench.runner import inference_latency_us


def test_a_tiny_run_after_a_large_allocation_reports_its_own_peak_memory(train_run):
    first = train_run("linear", "house_prices")["peak_mem_mb"]
    large = np.ones(600 * 2**20 // 8)  # 600 MiB touched, then freed: a large earlier cell in the same process
    del large
    lifetime_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    second = train_run("linear", "house_prices")["peak_mem_mb"]
    assert second < lifetime_peak_mb - 400
    assert second < first + 100  # does not grow with the order of the runs


def test_latency_warms_up_at_the_timed_shape():
    data = HousePricesDataModule()
    model = LinearModel(input_size=data.input_size, output_size=1)
    shapes = []
    model.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    assert inference_latency_us(model, data) > 0
    assert shapes == [tuple(data.prepared.x["test"].shape)] * 2
    assert not model.training and torch.is_grad_enabled()


def test_the_best_epoch_of_a_run_without_validation_is_its_lowest_training_loss():
    stats = RunStatsCallback()
    stats.epochs, stats.train_losses = [0, 1, 2, 3], [0.9, 0.4, 0.5, 0.45]
    stats.val_losses = [math.nan] * 4  # protocol paper: no validation split
    assert stats.summary()["best_epoch"] == 1
    assert stats.summary()["gen_gap"] is None
    stats.val_losses = [0.8, 0.7, 0.6, 0.65]  # with validation, the validation loss decides
    assert stats.summary()["best_epoch"] == 2
