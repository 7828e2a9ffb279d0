"""Temporal convolutional network (Bai, Kolter & Koltun 2018): residual blocks of dilated causal convolutions."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear


def receptive_field(kernel_size: int, num_levels: int) -> int:
    """Steps one output sees: each level adds two convolutions of dilation 2^i, each widening by (k - 1)·2^i."""
    return 1 + 2 * (kernel_size - 1) * (2**num_levels - 1)


class Chomp(nn.Module):
    """Drop the last ``size`` steps: what is left of a symmetrically padded convolution is causal."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., : -self.size]


def causal_conv(in_channels: int, out_channels: int, kernel_size: int, dilation: int) -> nn.Conv1d:
    """A weight-normalised dilated convolution padded (k - 1)·d on both sides, to be chomped on the right."""
    conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation, padding=(kernel_size - 1) * dilation)
    # PyTorch's default init, as the TCN of Bai et al. effectively has: their N(0, 0.01) draw on a weight-normalised
    # conv is recomputed away from its g and v before the first forward (locuslab/TCN issue #1). Drawing it before
    # weight norm would make it real, and a TCN that small stays at the adding problem's baseline (measured).
    return weight_norm(conv)


class TemporalBlock(nn.Module):
    """Two rounds of causal conv → ReLU → dropout, added to the input (1×1 conv if channels change), then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        chomp = (kernel_size - 1) * dilation
        self.branch = nn.Sequential(
            causal_conv(in_channels, out_channels, kernel_size, dilation),
            Chomp(chomp),
            nn.ReLU(),
            nn.Dropout(dropout),
            causal_conv(out_channels, out_channels, kernel_size, dilation),
            Chomp(chomp),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.residual = nn.Identity()
        if in_channels != out_channels:
            self.residual = nn.Conv1d(in_channels, out_channels, 1)
            nn.init.normal_(self.residual.weight, 0.0, 0.01)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.branch(x) + self.residual(x))


class TCNModel(ArchModule):
    """Level i is a ``TemporalBlock`` of dilation 2^i; a linear head reads the last step or every predicted step.

    The receptive field, 1 + 2(k - 1)(2^L - 1), is recorded in the hparams and must cover the sequence.
    With ``param_budget``, ``channels`` (all levels) is searched; if no width lands within 5%, the last
    level's width (``last_channels``) is searched next at that width.
    """

    default_data = "adding"

    arch_name = "tcn"

    def __init__(
        self,
        channels: int = 32,
        num_levels: int = 4,
        kernel_size: int = 3,
        dropout: float = 0.0,
        last_channels: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(channels=channels, num_levels=num_levels, last_channels=last_channels or channels)
        if kernel_size < 2:
            raise ArchbenchError(f"kernel_size must be >= 2, got {kernel_size}")
        if not 0 <= dropout < 1:
            raise ArchbenchError(f"dropout must be in [0, 1), got {dropout}")
        self.num_levels, self.kernel_size, self.dropout = num_levels, kernel_size, dropout
        field = receptive_field(kernel_size, num_levels)
        if field < self.steps:
            read = f"seq_len={self.seq_len}" if self.seq_len else f"{self.input_size} features read as steps"
            raise ArchbenchError(
                f"tcn receptive field {field} is shorter than the {self.steps} steps it must read ({read});"
                " raise num_levels or kernel_size"
            )
        self.record_derived(receptive_field=field)
        channels, last_channels = self.sized_channels(channels, last_channels)
        self.update_hparams(channels=channels, last_channels=last_channels)
        self.blocks, self.head = self.build(channels, last_channels or channels)

    def sized_channels(self, channels: int, last_channels: int | None) -> tuple[int, int | None]:
        """The configured widths, or those meeting ``param_budget``: all levels first, then the last one."""
        if self.param_budget is None:
            return channels, last_channels
        channels = self.budget_width(lambda width: self.build(width, width), channels, fixed=None)
        if self.meets_budget(self.meta_count(lambda width: self.build(width, width), channels)):
            return channels, None
        last = self.budget_width(lambda width: self.build(channels, width), channels, "num_levels or kernel_size")
        return channels, (None if last == channels else last)

    def build(self, channels: int, last_channels: int) -> tuple[nn.Module, nn.Module]:
        widths = [self.step_features] + [channels] * (self.num_levels - 1) + [last_channels]
        blocks = [
            TemporalBlock(widths[i], widths[i + 1], self.kernel_size, 2**i, self.dropout)
            for i in range(self.num_levels)
        ]
        return nn.Sequential(*blocks), Float32Linear(last_channels, self.output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.blocks(self.as_sequence(x).transpose(1, 2)).transpose(1, 2)  # (B, T, C)
        return self.head(self.read_out(features))
