"""Fully convolutional network (Wang, Yan & Oates 2017), as Fawaz et al. 2019 review it for time series classification.

Three 'same' convolutions (128 filters of 8 steps, 256 of 5, 128 of 3), each with batch norm and ReLU, global average
pooling over time and a linear head. The pieces ResNet shares live here too: Keras-style 'same' convolutions and the
masking that lets a batch hold series of different lengths, padded at the end with NaN (``unequal_length: pad``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear, proportional_widths


def padded_steps(x: torch.Tensor, masked: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, T, C) series to channels-first inputs (B, C, T) with padding zeroed, and the mask of valid steps (B, 1, T);
    with ``masked=False`` (data that is never padded) no mask, and every layer skips the masking work.

    A step is padding when every channel is NaN; a NaN inside a real step is kept, so missing values stay visible.
    """
    if not masked:
        return x.transpose(1, 2), None
    valid = ~torch.isnan(x).all(dim=-1)
    inputs = torch.where(valid.unsqueeze(-1), x, 0.0)
    return inputs.transpose(1, 2), valid.unsqueeze(1).to(x.dtype)


class SameConv1d(nn.Conv1d):
    """A stride-1 convolution keeping the input's length, padded as Keras' 'same': (k - 1) // 2 steps before, k // 2
    after. PyTorch's ``padding="same"`` pads an even kernel the same way, but by copying the input (and warning);
    padding k // 2 on both sides and dropping the one extra leading output step costs no copy."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = super().forward(x)
        return output[..., output.shape[-1] - x.shape[-1] :]


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """Batch norm whose training statistics (and so its running ones) count only the valid steps of ``mask``.

    In eval mode it is PyTorch's own: the running statistics make it an affine map of each step on its own, so padding
    cannot reach a valid step. Padded steps of the output hold values that the caller zeroes again.
    """

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if not self.training or mask is None:
            return super().forward(x)
        x = x.to(self.weight.dtype)  # under autocast the convolution hands over bf16; statistics need more digits
        count = mask.sum()
        mean = (x * mask).sum(dim=(0, 2)) / count
        centred = x - mean[:, None]
        var = (centred * mask).pow(2).sum(dim=(0, 2)) / count
        with torch.no_grad():  # as nn.BatchNorm1d: the running variance is the unbiased estimate
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var * count / (count - 1).clamp(min=1), self.momentum)
            self.num_batches_tracked.add_(1)
        scale = self.weight * torch.rsqrt(var + self.eps)
        return centred * scale[:, None] + self.bias[:, None]


class ConvNorm(nn.Module):
    """A 'same' convolution, batch norm over the valid steps and, with ``relu``, a ReLU with padded steps re-zeroed
    (so the next convolution sees zeros there, exactly as it sees past the end of an unpadded series)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, relu: bool = True) -> None:
        super().__init__()
        self.conv = SameConv1d(in_channels, out_channels, kernel_size)
        self.norm = MaskedBatchNorm1d(out_channels)
        self.relu = relu

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = self.norm(self.conv(x), mask)
        if not self.relu:
            return h
        return F.relu(h) if mask is None else F.relu(h) * mask


class ConvNetModel(ArchModule):
    """Convolutional layers over (B, T, C) (tabular rows read as F steps of one channel), global average pooling over
    the valid steps, a linear head; per-step targets get the head at each predicted step instead of the pooling.

    Subclasses build their layers in ``build_layers``; each takes (features, mask). With ``param_budget``, the first
    entry of ``filters`` is searched with the others in proportion; if no width lands within 5%, the last entry next.
    """

    reads_padding = True
    default_data = "adding"

    def __init__(self, filters: list[int], kernel_sizes: list[int], **kwargs) -> None:
        super().__init__(**kwargs)
        require_positive(**{f"filters[{i}]": size for i, size in enumerate(filters)})
        require_positive(**{f"kernel_sizes[{i}]": size for i, size in enumerate(kernel_sizes)})
        self.kernel_sizes = kernel_sizes
        self.check_sizes(filters, kernel_sizes)
        filters = self.sized_filters(filters)
        self.update_hparams(filters=filters)
        self.layers, self.head = self.build(filters)
        self.masks_padding = True  # until setup learns whether the data pads (masking costs about 8% of a step)

    def sized_filters(self, filters: list[int]) -> list[int]:
        """The configured filters, or those meeting ``param_budget``: all in proportion first, then the last alone
        (a step of the first width moves a small network's count by more than 5%)."""
        if self.param_budget is None:
            return filters

        def scaled(width: int) -> list[int]:
            return proportional_widths(filters, width)

        filters = scaled(self.budget_width(lambda width: self.build(scaled(width)), filters[0], fixed=None))
        if self.meets_budget(self.meta_count(self.build, filters)):
            return filters

        def with_last(width: int) -> list[int]:
            return [*filters[:-1], width]

        return with_last(self.budget_width(lambda width: self.build(with_last(width)), filters[-1], "kernel_sizes"))

    def check_sizes(self, filters: list[int], kernel_sizes: list[int]) -> None:
        """Raise a one-line error when ``filters`` and ``kernel_sizes`` do not describe one network."""

    def build_layers(self, filters: list[int]) -> nn.ModuleList:
        raise NotImplementedError

    def build(self, filters: list[int]) -> tuple[nn.ModuleList, nn.Module]:
        return self.build_layers(filters), Float32Linear(filters[-1], self.output_size)

    def setup(self, stage: str) -> None:
        super().setup(stage)
        self.masks_padding = self.data_is_padded() is not False  # data that cannot be inspected is masked

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, mask = padded_steps(self.as_sequence(x), self.masks_padding)
        for layer in self.layers:
            h = layer(h, mask)
        if self.target_steps:
            return self.head(self.read_out(h.transpose(1, 2)))
        if mask is None:
            return self.head(h.mean(dim=-1))
        return self.head(h.sum(dim=-1) / mask.sum(dim=-1))  # padded steps are zero: the mean of the valid ones


class FCNModel(ConvNetModel):
    """One 'same' convolution with batch norm and ReLU per entry of ``filters`` and ``kernel_sizes``."""

    arch_name = "fcn"

    def __init__(
        self,
        filters: list[int] = [128, 256, 128],  # noqa: B006 - jsonargparse needs a literal default
        kernel_sizes: list[int] = [8, 5, 3],  # noqa: B006
        **kwargs,
    ) -> None:
        super().__init__(filters, kernel_sizes, **kwargs)

    def check_sizes(self, filters: list[int], kernel_sizes: list[int]) -> None:
        if len(filters) != len(kernel_sizes):
            raise ArchbenchError(
                f"fcn has one convolution per filters entry: {len(filters)} filters but {len(kernel_sizes)}"
                " kernel_sizes; allowed: lists of the same length"
            )

    def build_layers(self, filters: list[int]) -> nn.ModuleList:
        widths = [self.step_features, *filters]
        return nn.ModuleList(
            ConvNorm(widths[i], widths[i + 1], kernel_size) for i, kernel_size in enumerate(self.kernel_sizes)
        )
