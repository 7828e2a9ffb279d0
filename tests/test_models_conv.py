"""The convolutional classifiers of Fawaz et al. 2019 (FCN, ResNet) and the review's MLP as a config of ``mlp``:
the paper's layers and sizes, shapes for every kind of input, NaN padding, budgets and real fits through the CLI."""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import lightning as L
import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from archbench.data.base import ArchDataModule, Prepared, Splits
from archbench.errors import ArchbenchError
from archbench.models import FCNModel, LSTMModel, MLPModel, ResNetModel
from archbench.models.fcn import MaskedBatchNorm1d, SameConv1d

CONV_MODELS = {"fcn": FCNModel, "resnet": ResNetModel}


def convs(model: nn.Module) -> list[tuple[int, int, int]]:
    """(in channels, out channels, kernel size) of every convolution, in the order the model builds them."""
    return [(m.in_channels, m.out_channels, m.kernel_size[0]) for m in model.modules() if isinstance(m, nn.Conv1d)]


def test_fcn_has_the_papers_layers_and_264962_weights_on_one_channel_and_two_classes():
    model = FCNModel(task="classification", input_size=1, seq_len=150, output_size=2)
    assert convs(model) == [(1, 128, 8), (128, 256, 5), (256, 128, 3)]
    # Counted independently: each convolution's weights and biases, its batch norm's scale and shift, then the head.
    layers = [(1, 128, 8), (128, 256, 5), (256, 128, 3)]
    expected = sum(k * c_in * c_out + c_out + 2 * c_out for c_in, c_out, k in layers) + 128 * 2 + 2
    assert expected == 264_962
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected


def test_resnet_has_three_blocks_of_kernels_8_5_3_with_the_reviews_shortcuts():
    model = ResNetModel(task="classification", input_size=1, seq_len=150, output_size=2)
    blocks = list(model.layers)
    assert len(blocks) == 3
    assert [convs(block.convs) for block in blocks] == [
        [(1, 64, 8), (64, 64, 5), (64, 64, 3)],
        [(64, 128, 8), (128, 128, 5), (128, 128, 3)],
        [(128, 128, 8), (128, 128, 5), (128, 128, 3)],
    ]
    # conv-BN-ReLU, conv-BN-ReLU, conv-BN, then the ReLU after adding the shortcut.
    assert all([conv.relu for conv in block.convs] == [True, True, False] for block in blocks)
    # A 1x1 convolution where the channels change, batch norm alone in the last block (the review's code).
    assert [convs(block.shortcut) for block in blocks] == [[(1, 64, 1)], [(64, 128, 1)], []]
    assert isinstance(blocks[2].shortcut, MaskedBatchNorm1d)


def test_a_residual_block_adds_its_shortcut_before_the_last_relu():
    block = ResNetModel(input_size=3, seq_len=20, filters=[4], kernel_sizes=[3, 3]).layers[0].eval()
    x, mask = torch.randn(2, 3, 20), torch.ones(2, 1, 20)
    main = block.convs[1](block.convs[0](x, mask), mask)
    shortcut = block.shortcut.norm(block.shortcut.conv(x), mask)
    torch.testing.assert_close(block(x, mask), torch.relu(main + shortcut))
    assert (main < 0).any(), "the last convolution's output is not rectified before the addition"


def test_same_convolution_pads_an_even_kernel_as_keras_3_before_and_4_after():
    conv = SameConv1d(2, 3, 8)
    x = torch.randn(4, 2, 17)
    expected = F.conv1d(F.pad(x, (3, 4)), conv.weight, conv.bias)
    torch.testing.assert_close(conv(x), expected)
    odd = SameConv1d(2, 3, 5)
    torch.testing.assert_close(odd(x), F.conv1d(x, odd.weight, odd.bias, padding=2))


def test_masked_batch_norm_without_padding_matches_pytorchs_batch_norm():
    masked, plain = MaskedBatchNorm1d(5).double(), nn.BatchNorm1d(5).double()
    with torch.no_grad():
        for bn in (masked, plain):
            bn.weight.copy_(torch.linspace(0.5, 2.0, 5))
            bn.bias.copy_(torch.linspace(-1.0, 1.0, 5))
    x = torch.randn(6, 5, 11, dtype=torch.float64) * 3 + 2
    torch.testing.assert_close(masked(x, torch.ones(6, 1, 11, dtype=torch.float64)), plain(x))
    torch.testing.assert_close(masked.running_mean, plain.running_mean)
    torch.testing.assert_close(masked.running_var, plain.running_var)
    assert masked.num_batches_tracked == plain.num_batches_tracked == 1


@pytest.mark.parametrize("arch", CONV_MODELS)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_conv_models_take_sequences_and_tabular_rows(arch, task):
    output_size = 3 if task == "classification" else 2
    sequence = CONV_MODELS[arch](task=task, input_size=4, seq_len=30, output_size=output_size, filters=[8, 16, 8])
    assert sequence(torch.randn(5, 30, 4)).shape == (5, output_size)
    assert sequence(torch.randn(5, 47, 4)).shape == (5, output_size), "global pooling takes any length"
    rows = CONV_MODELS[arch](task=task, input_size=13, output_size=output_size, filters=[8, 16, 8])
    assert rows(torch.randn(5, 13)).shape == (5, output_size)
    per_step = CONV_MODELS[arch](task=task, input_size=4, seq_len=30, output_size=output_size, target_steps=6)
    assert per_step(torch.randn(5, 30, 4)).shape == (5, 6, output_size)


def padded_with_nan(x: torch.Tensor, steps: int) -> torch.Tensor:
    return torch.cat([x, torch.full((len(x), steps, x.shape[-1]), float("nan"), dtype=x.dtype)], dim=1)


@pytest.mark.parametrize("arch", CONV_MODELS)
def test_a_nan_padded_series_in_a_batch_gives_its_unpadded_output(arch):
    """Exact up to rounding: every layer re-zeroes the padded steps, so each 'same' convolution sees zeros past the
    series' end whether the zeros are its own padding or NaN padding; batch norm in eval mode is per step; the
    pooling averages the valid steps only."""
    model = CONV_MODELS[arch](task="classification", input_size=2, seq_len=40, output_size=3).double().eval()
    short, full = torch.randn(1, 25, 2, dtype=torch.float64), torch.randn(1, 40, 2, dtype=torch.float64)
    batch = torch.cat([padded_with_nan(short, 15), full])
    with torch.no_grad():
        together, alone, full_alone = model(batch), model(short), model(full)
    torch.testing.assert_close(together[0], alone[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(together[1], full_alone[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("arch", CONV_MODELS)
def test_batch_norm_statistics_in_training_ignore_nan_padding(arch):
    padded_model = CONV_MODELS[arch](input_size=2, seq_len=40, filters=[6, 12, 6]).double().train()
    plain_model = CONV_MODELS[arch](input_size=2, seq_len=40, filters=[6, 12, 6]).double().train()
    plain_model.load_state_dict(padded_model.state_dict())
    series = torch.randn(3, 25, 2, dtype=torch.float64)
    torch.testing.assert_close(padded_model(padded_with_nan(series, 15)), plain_model(series), rtol=1e-12, atol=1e-12)
    norms = [
        (a, b)
        for a, b in zip(padded_model.modules(), plain_model.modules(), strict=True)
        if isinstance(a, nn.BatchNorm1d)
    ]
    for padded_norm, plain_norm in norms:
        torch.testing.assert_close(padded_norm.running_mean, plain_norm.running_mean, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(padded_norm.running_var, plain_norm.running_var, rtol=1e-12, atol=1e-12)


class NaNPaddedSeries(ArchDataModule):
    """Tiny two-class series of 20 steps, every other one NaN-padded after step 12 (as ``unequal_length: pad``)."""

    task = "classification"

    def load_splits(self) -> Splits:
        raise AssertionError("the prepared tensors are given directly")

    @cached_property
    def prepared(self) -> Prepared:
        x = torch.randn(16, 20, 1, generator=torch.Generator().manual_seed(0))
        x[::2, 12:] = float("nan")
        y = (x.nan_to_num().sum(dim=(1, 2)) > 0).long()
        stages = ("train", "val", "test")
        return Prepared({s: x for s in stages}, {s: y for s in stages}, [], [], [0.0], [1.0])


def quiet_trainer() -> L.Trainer:
    return L.Trainer(
        accelerator="cpu", max_epochs=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip


def test_an_arch_that_cannot_read_padding_stops_at_setup_with_one_line():
    model = LSTMModel(task="classification", input_size=1, seq_len=20, output_size=2, hidden_size=4)
    with pytest.raises(ArchbenchError) as error:
        quiet_trainer().fit(model, datamodule=NaNPaddedSeries(batch_size=8))
    assert str(error.value) == (
        "lstm cannot read NaN-padded sequences (unequal_length=pad); use unequal_length=resample or arch fcn/resnet"
    )


@pytest.mark.parametrize("arch", CONV_MODELS)
def test_conv_models_train_on_nan_padded_series_with_a_finite_loss(arch):
    model = CONV_MODELS[arch](task="classification", input_size=1, seq_len=20, output_size=2, filters=[4, 8, 8])
    trainer = quiet_trainer()
    trainer.fit(model, datamodule=NaNPaddedSeries(batch_size=8))
    assert math.isfinite(float(trainer.callback_metrics["train/loss_epoch"]))
    assert math.isfinite(float(trainer.callback_metrics["val/loss"]))


@pytest.mark.parametrize("arch", CONV_MODELS)
@pytest.mark.parametrize("budget", [2_000, 20_000, 70_000])
def test_param_budget_picks_filters_within_5_percent(arch, budget):
    model = CONV_MODELS[arch](input_size=1, seq_len=50, param_budget=budget)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert abs(count - budget) <= 0.05 * budget, (arch, budget, count, model.hparams["filters"])
    assert model.hparams["filters"] != CONV_MODELS[arch]().hparams["filters"]


@pytest.mark.parametrize("data", ["wine", "adding"])
@pytest.mark.parametrize("arch", CONV_MODELS)
def test_conv_models_fit_tabular_and_sequence_data_through_the_cli(train_run, arch, data):
    small = ["--data.init_args.num_samples", "300", "--data.init_args.seq_len", "24"] if data == "adding" else []
    record = train_run(arch, data, *small, "--model.init_args.filters", "[16, 32, 16]")
    assert record["status"] == "ok", record["error"]
    primary = "test/mse" if data == "adding" else "test/accuracy"
    assert math.isfinite(record["metrics"][primary]) and math.isfinite(record["metrics"]["test/loss"])
    hparams = yaml.safe_load((Path(record["log_dir"]) / "hparams.yaml").read_text())
    assert hparams["filters"] == [16, 32, 16] and hparams["kernel_sizes"] == [8, 5, 3]


def test_mlp_fawaz_is_three_relu_layers_of_500_with_the_reviews_dropouts(train_run):
    record = train_run("mlp_fawaz", "wine")
    assert record["status"] == "ok", record["error"]
    assert record["arch"] == "mlp_fawaz" and Path(record["log_dir"]).parts[-2] == "mlp_fawaz"
    model = MLPModel.load_from_checkpoint(Path(record["log_dir"]) / "checkpoints" / "last.ckpt")
    layers = list(model.net)
    assert [m.p for m in layers if isinstance(m, nn.Dropout)] == [0.1, 0.2, 0.2, 0.3]
    assert [type(m).__name__ for m in layers[:4]] == ["Dropout", "Linear", "ReLU", "Dropout"]
    assert [m.out_features for m in layers if isinstance(m, nn.Linear)] == [500, 500, 500, 3]
    assert record["params"] == (13 * 500 + 500) + 2 * (500 * 500 + 500) + (500 * 3 + 3)


def test_mlp_dropout_list_must_match_the_hidden_layers():
    with pytest.raises(ArchbenchError, match="dropout has 2 rates for 3 hidden_sizes"):
        MLPModel(input_size=4, hidden_sizes=[8, 8, 8], dropout=[0.1, 0.2])
    with pytest.raises(ArchbenchError, match=r"input_dropout must be in \[0, 1\), got 1.0"):
        MLPModel(input_size=4, input_dropout=1.0)


@pytest.mark.parametrize("arch", CONV_MODELS)
def test_unpadded_data_skips_the_masking_with_the_same_outputs(arch):
    torch.manual_seed(0)
    model = CONV_MODELS[arch](task="classification", input_size=2, seq_len=12, output_size=3, filters=[4, 8, 8])
    x = torch.randn(6, 12, 2)
    model.train()
    masked = model(x)
    model.masks_padding = False  # what setup decides for data without NaN steps
    assert torch.allclose(model(x), masked, atol=1e-5)
