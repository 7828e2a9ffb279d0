"""Linear regression / logistic regression: one affine map of the (flattened) input."""

from __future__ import annotations

import torch

from archbench.models.base import ArchModule, Float32Linear, count_trainable


class LinearModel(ArchModule):
    """A single affine map, in float32 even under mixed precision; sequences are flattened to T·F inputs,
    per-step targets give T·C outputs.

    Its size is fixed by the data, so ``param_budget`` is only checked: a budget it misses by over 5% is an error.
    """

    arch_name = "linear"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.net = Float32Linear(self.flat_input_size, self.flat_output_size)
        if not self.meets_budget(count_trainable(self.net)):
            raise self.budget_error(count_trainable(self.net), "leave it unset for linear, whose size the data fixes")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unflatten_output(self.net(x.flatten(1)))
