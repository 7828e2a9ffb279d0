"""Multi-layer perceptron over the (flattened) input."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear, proportional_widths

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class MLPModel(ArchModule):
    """Hidden layers of ``activation`` with dropout, then a linear head; sequences are flattened.

    ``input_dropout`` drops inputs before the first layer; ``dropout`` follows every hidden layer, one rate for all
    or a list with one per hidden layer. With ``param_budget``, the first hidden width is searched and the others keep
    their ratio to it.
    """

    arch_name = "mlp"

    def __init__(
        self,
        hidden_sizes: list[int] = [64, 64],  # noqa: B006 - jsonargparse needs a literal default
        activation: Literal["relu", "tanh", "gelu"] = "relu",
        dropout: float | list[float] = 0.0,
        input_dropout: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(**{f"hidden_sizes[{i}]": size for i, size in enumerate(hidden_sizes)})
        rates = dropout if isinstance(dropout, list) else [dropout] * len(hidden_sizes)
        if len(rates) != len(hidden_sizes):
            raise ArchbenchError(
                f"dropout has {len(rates)} rates for {len(hidden_sizes)} hidden_sizes; allowed: one rate,"
                " or a list with one per hidden layer"
            )
        for name, rate in [("input_dropout", input_dropout), *(("dropout", r) for r in rates)]:
            if not 0 <= rate < 1:
                raise ArchbenchError(f"{name} must be in [0, 1), got {rate}")
        self.activation = ACTIVATIONS[activation]
        self.dropout, self.input_dropout = rates, input_dropout

        def scaled(width: int) -> list[int]:
            return proportional_widths(hidden_sizes, width)

        sizes = scaled(self.budget_width(lambda width: self.build(scaled(width)), hidden_sizes[0], "hidden_sizes"))
        self.update_hparams(hidden_sizes=sizes)
        self.net = self.build(sizes)

    def build(self, hidden_sizes: list[int]) -> nn.Sequential:
        layers: list[nn.Module] = [nn.Dropout(self.input_dropout)] if self.input_dropout else []
        width = self.flat_input_size
        for size, rate in zip(hidden_sizes, self.dropout, strict=True):
            layers += [nn.Linear(width, size), self.activation(), nn.Dropout(rate)]
            width = size
        return nn.Sequential(*layers, Float32Linear(width, self.flat_output_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unflatten_output(self.net(x.flatten(1)))
