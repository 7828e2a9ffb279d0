"""Table rows with categorical codes as inputs a network reads: the codes one-hot encoded.

A table's rows are (B, F_num + F_cat): numbers first, then F_cat integer codes, 0 the unknown code
(data/preprocess.py). ``OneHotCategories`` keeps the numbers and replaces each code by its one-hot vector, so linear
models, MLPs and any architecture without its own encoding of categories read (B, F_num + sum(cardinalities)).
"""

from __future__ import annotations

import torch
from torch import nn


def one_hot_width(input_size: int, cardinalities: list[int]) -> int:
    """Inputs per row once the ``len(cardinalities)`` code columns of ``input_size`` are one-hot encoded."""
    return input_size - len(cardinalities) + sum(cardinalities)


class OneHotCategories(nn.Module):
    """(B, F_num + F_cat) rows, last F_cat columns codes, to (B, F_num + sum(cardinalities)); a code outside
    0..cardinality-1 reads as the unknown code 0."""

    def __init__(self, cardinalities: list[int]) -> None:
        super().__init__()
        self.cardinalities = list(cardinalities)
        offsets = torch.tensor([0, *self.cardinalities[:-1]]).cumsum(0)
        self.register_buffer("offsets", offsets, persistent=False)
        self.register_buffer("limits", torch.tensor(self.cardinalities) - 1, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        count = len(self.cardinalities)
        numbers, codes = x[:, : x.shape[1] - count], x[:, x.shape[1] - count :].long()
        codes = torch.where((codes < 0) | (codes > self.limits), torch.zeros_like(codes), codes)
        encoded = x.new_zeros(len(x), sum(self.cardinalities))
        encoded.scatter_(1, codes + self.offsets, 1.0)
        return torch.cat([numbers, encoded], dim=1)
