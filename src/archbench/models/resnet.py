"""Residual network for time series (Wang, Yan & Oates 2017), as Fawaz et al. 2019 review it: three residual blocks
of 64, 128 and 128 filters, each three 'same' convolutions of 8, 5 and 3 steps; global average pooling; a linear head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from archbench.models.fcn import ConvNetModel, ConvNorm, MaskedBatchNorm1d


class ResidualBlock(nn.Module):
    """conv-BN-ReLU for every kernel but the last, then conv-BN, plus the shortcut, then ReLU.

    The shortcut is a 1×1 convolution with batch norm where the channels change, and batch norm alone where they do
    not: the review's code (hfawaz/dl-4-tsc, ``resnet.py``) does so, so the third block has no 1×1 convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_sizes: list[int]) -> None:
        super().__init__()
        widths = [in_channels] + [out_channels] * len(kernel_sizes)
        last = len(kernel_sizes) - 1
        self.convs = nn.ModuleList(
            ConvNorm(widths[i], widths[i + 1], kernel_size, relu=i < last) for i, kernel_size in enumerate(kernel_sizes)
        )
        self.shortcut = (
            MaskedBatchNorm1d(out_channels)
            if in_channels == out_channels
            else ConvNorm(in_channels, out_channels, 1, relu=False)
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = x
        for conv in self.convs:
            h = conv(h, mask)
        h = F.relu(h + self.shortcut(x, mask))
        return h if mask is None else h * mask


class ResNetModel(ConvNetModel):
    """One ``ResidualBlock`` per entry of ``filters``; every block has a convolution per entry of ``kernel_sizes``."""

    arch_name = "resnet"

    def __init__(
        self,
        filters: list[int] = [64, 128, 128],  # noqa: B006 - jsonargparse needs a literal default
        kernel_sizes: list[int] = [8, 5, 3],  # noqa: B006
        **kwargs,
    ) -> None:
        super().__init__(filters, kernel_sizes, **kwargs)

    def build_layers(self, filters: list[int]) -> nn.ModuleList:
        widths = [self.step_features, *filters]
        return nn.ModuleList(ResidualBlock(widths[i], widths[i + 1], self.kernel_sizes) for i in range(len(filters)))
