"""Multi-layer perceptron over the (flattened) input."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class MLPModel(ArchModule):
    """Hidden layers of ``activation`` with dropout, then a linear head; sequences are flattened.

    With ``param_budget``, the first hidden width is searched and the others keep their ratio to it.
    """

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
        self.activation = ACTIVATIONS[activation]
        self.dropout = dropout

        def scaled(width: int) -> list[int]:
            return [max(1, round(width * size / hidden_sizes[0])) for size in hidden_sizes]

        sizes = scaled(self.budget_width(lambda width: self.build(scaled(width)), hidden_sizes[0], "hidden_sizes"))
        self.update_hparams(hidden_sizes=sizes)
        self.net = self.build(sizes)

    def build(self, hidden_sizes: list[int]) -> nn.Sequential:
        layers: list[nn.Module] = []
        width = self.flat_input_size
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), self.activation(), nn.Dropout(self.dropout)]
            width = size
        return nn.Sequential(*layers, Float32Linear(width, self.flat_output_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unflatten_output(self.net(x.flatten(1)))
