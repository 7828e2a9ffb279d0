"""Linear regression / logistic regression: one affine map of the (flattened) input."""

from __future__ import annotations

import torch
from torch import nn

from archbench.models.base import ArchModule


class LinearModel(ArchModule):
    """A single ``nn.Linear``; sequences are flattened to T·F inputs."""

    arch_name = "linear"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.net = nn.Linear(self.flat_input_size, self.output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
