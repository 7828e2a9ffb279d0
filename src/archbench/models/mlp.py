"""Multi-layer perceptron over the (flattened) input."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class MLPModel(ArchModule):
    """Hidden layers of ``activation`` with dropout, then a linear head; sequences are flattened."""

    arch_name = "mlp"

    def __init__(
        self,
        hidden_sizes: list[int] = [64, 64],  # noqa: B006 - jsonargparse needs a literal default
        activation: Literal["relu", "tanh", "gelu"] = "relu",
        dropout: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(**{f"hidden_sizes[{i}]": size for i, size in enumerate(hidden_sizes)})
        if not 0 <= dropout < 1:
            raise ArchbenchError(f"dropout must be in [0, 1), got {dropout}")
        layers: list[nn.Module] = []
        width = self.flat_input_size
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation](), nn.Dropout(dropout)]
            width = size
        self.net = nn.Sequential(*layers, nn.Linear(width, self.output_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
