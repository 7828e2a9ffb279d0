"""Transformer encoder over the steps: pre-norm layers, sinusoidal or learned positions, mean or last pooling."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear


class SinusoidalPositions(nn.Module):
    """Adds the fixed sine/cosine position code of Vaswani et al. 2017."""

    def __init__(self, steps: int, d_model: int) -> None:
        super().__init__()
        position = torch.arange(steps, dtype=torch.float32)[:, None]
        frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
        code = torch.zeros(steps, d_model)
        code[:, 0::2] = torch.sin(position * frequency)
        code[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
        self.register_buffer("code", code, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.code[: x.shape[1]]


class LearnedPositions(nn.Module):
    """Adds one trained vector per position."""

    def __init__(self, steps: int, d_model: int) -> None:
        super().__init__()
        self.code = nn.Parameter(torch.randn(steps, d_model) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.code[: x.shape[1]]


POSITIONS = {"sinusoidal": SinusoidalPositions, "learned": LearnedPositions}


class TransformerModel(ArchModule):
    """Each step is projected to ``d_model``, positions are added, pre-norm encoder layers follow, then a head.

    One prediction per sample pools the steps (``mean`` or ``last``); per-step targets get the head at each
    predicted step, and ``causal`` masks attention to later steps. With ``param_budget``, ``d_model`` is
    searched in multiples of ``nhead`` with the feed-forward width kept in proportion; if no width lands
    within 5%, ``dim_feedforward`` is searched next at that ``d_model``.
    """

    default_data = "adding"

    arch_name = "transformer"

    def __init__(
        self,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 64,
        dropout: float = 0.0,
        positions: Literal["sinusoidal", "learned"] = "sinusoidal",
        pooling: Literal["mean", "last"] = "mean",
        causal: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(d_model=d_model, nhead=nhead, num_layers=num_layers, dim_feedforward=dim_feedforward)
        if d_model % nhead:
            raise ArchbenchError(f"d_model must be a multiple of nhead={nhead}, got {d_model}")
        if not 0 <= dropout < 1:
            raise ArchbenchError(f"dropout must be in [0, 1), got {dropout}")
        self.nhead, self.num_layers, self.dropout = nhead, num_layers, dropout
        self.positions_kind, self.pooling, self.causal = positions, pooling, causal
        d_model, dim_feedforward = self.sized_widths(d_model, dim_feedforward)
        self.update_hparams(d_model=d_model, dim_feedforward=dim_feedforward)
        self.embed, self.positions, self.encoder, self.head = self.build(d_model, dim_feedforward)

    def sized_widths(self, d_model: int, dim_feedforward: int) -> tuple[int, int]:
        """The configured widths, or those meeting ``param_budget``: d_model first, then the feed-forward width."""
        if self.param_budget is None:
            return d_model, dim_feedforward
        ratio = dim_feedforward / d_model

        def proportional(heads_width: int) -> tuple[nn.Module, ...]:
            return self.build(heads_width * self.nhead, max(1, round(ratio * heads_width * self.nhead)))

        d_model = self.nhead * self.budget_width(proportional, d_model // self.nhead, fixed=None)

        def at_d_model(feedforward: int) -> tuple[nn.Module, ...]:
            return self.build(d_model, feedforward)

        dim_feedforward = max(1, round(ratio * d_model))
        if self.meets_budget(self.meta_count(at_d_model, dim_feedforward)):
            return d_model, dim_feedforward
        return d_model, self.budget_width(at_d_model, dim_feedforward, "num_layers or nhead")

    def build(self, d_model: int, dim_feedforward: int) -> tuple[nn.Module, ...]:
        layer = nn.TransformerEncoderLayer(
            d_model, self.nhead, dim_feedforward, self.dropout, batch_first=True, norm_first=True
        )
        # Pre-norm layers leave the last layer's output unnormalised; the final LayerNorm does it.
        encoder = nn.TransformerEncoder(layer, self.num_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        return (
            nn.Linear(self.step_features, d_model),
            POSITIONS[self.positions_kind](self.steps, d_model),
            encoder,
            Float32Linear(d_model, self.output_size),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.positions(self.embed(self.as_sequence(x)))
        mask = nn.Transformer.generate_square_subsequent_mask(h.shape[1], device=h.device) if self.causal else None
        h = self.encoder(h, mask=mask, is_causal=self.causal)
        if self.target_steps:
            return self.head(h[:, -self.target_steps :])
        return self.head(h.mean(dim=1) if self.pooling == "mean" else h[:, -1])
