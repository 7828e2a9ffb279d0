"""ResNet for tables (Gorishniy et al. 2021, "Revisiting Deep Learning Models for Tabular Data", NeurIPS)."""

from __future__ import annotations

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear
from archbench.models.category_embeddings import CategoryEmbeddings, numeric_count, split_columns


class BatchNorm(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` that normalises a training batch of one sample with the running statistics (a lone sample
    has no batch variance), so a table whose training rows leave one over for the last batch still trains."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and len(x) == 1:
            return nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        return super().forward(x)


class ResidualBlock(nn.Module):
    """x + Dropout(Linear(Dropout(ReLU(Linear(BatchNorm(x)))))): the paper's block, its residual kept unnormalised."""

    def __init__(self, d_main: int, d_hidden: int, hidden_dropout: float, residual_dropout: float) -> None:
        super().__init__()
        self.branch = nn.Sequential(
            BatchNorm(d_main),
            nn.Linear(d_main, d_hidden),
            nn.ReLU(),
            nn.Dropout(hidden_dropout),
            nn.Linear(d_hidden, d_main),
            nn.Dropout(residual_dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)


class TabResNetModel(ArchModule):
    """Linear(x) → ``n_blocks`` residual blocks of width ``d_main`` (hidden ``d_hidden_factor`` · d_main) → the
    prediction head BatchNorm → ReLU → Linear.

    Each categorical column (the last ``len(categorical_cardinalities)`` columns of a row, codes with 0 = unknown) is
    embedded in ``d_embedding`` values, concatenated after the numeric columns, as in the paper's code for MLP and
    ResNet. A sequence is read as its T·F values. With ``param_budget``, ``d_main`` is searched and the hidden width
    keeps its factor.
    """

    arch_name = "tab_resnet"
    encodes_categories = True

    def __init__(
        self,
        d_main: int = 64,
        d_hidden_factor: float = 2.0,
        n_blocks: int = 2,
        hidden_dropout: float = 0.1,
        residual_dropout: float = 0.0,
        d_embedding: int = 8,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        require_positive(d_main=d_main, d_hidden_factor=d_hidden_factor, n_blocks=n_blocks, d_embedding=d_embedding)
        for name, rate in (("hidden_dropout", hidden_dropout), ("residual_dropout", residual_dropout)):
            if not 0 <= rate < 1:
                raise ArchbenchError(f"{name} must be in [0, 1), got {rate}")
        self.cardinalities = self.categorical_cardinalities  # set by the base, embedded here
        self.numeric = numeric_count(self.flat_input_size, self.cardinalities)
        self.factor, self.n_blocks, self.d_embedding = d_hidden_factor, n_blocks, d_embedding
        self.hidden_dropout, self.residual_dropout = hidden_dropout, residual_dropout
        d_main = self.budget_width(self.build, d_main, "n_blocks or d_hidden_factor")
        self.update_hparams(d_main=d_main)
        self.embeddings, self.first, self.blocks, self.head = self.build(d_main)

    def build(self, d_main: int) -> tuple[nn.Module, ...]:
        d_hidden = max(1, round(self.factor * d_main))
        embeddings = CategoryEmbeddings(self.cardinalities, self.d_embedding) if self.cardinalities else nn.Identity()
        blocks = [
            ResidualBlock(d_main, d_hidden, self.hidden_dropout, self.residual_dropout) for _ in range(self.n_blocks)
        ]
        return (
            embeddings,
            nn.Linear(self.numeric + len(self.cardinalities) * self.d_embedding, d_main),
            nn.Sequential(*blocks),
            nn.Sequential(BatchNorm(d_main), nn.ReLU(), Float32Linear(d_main, self.flat_output_size)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        numeric, codes = split_columns(x, len(self.cardinalities))
        if self.cardinalities:
            numeric = torch.cat([numeric, self.embeddings(codes).flatten(1)], dim=1)
        return self.unflatten_output(self.head(self.blocks(self.first(numeric))))
