"""Category codes read by networks that encode them themselves (``encodes_categories``): an embedding per column.

The data contract (data/preprocess.py): a table's x is float (N, F_num + F_cat), the last F_cat columns holding
integer category codes (0 = unknown) and ``categorical_cardinalities`` giving the codes of each (unknown included).
Other networks get the codes one-hot encoded by the base (models/tabular_inputs.py). A sequence (B, T, F) is read as
T·F numeric columns and has no categories.
"""

from __future__ import annotations

import torch
from torch import nn

from archbench.errors import ArchbenchError


def numeric_count(flat_inputs: int, cardinalities: list[int]) -> int:
    """Numeric columns of a row of ``flat_inputs`` values whose last ``len(cardinalities)`` are category codes."""
    if len(cardinalities) > flat_inputs:
        raise ArchbenchError(
            f"categorical_cardinalities names {len(cardinalities)} columns but a row has {flat_inputs}; allowed: at"
            " most one per input column"
        )
    bad = [c for c in cardinalities if c < 2]
    if bad:
        raise ArchbenchError(f"categorical_cardinalities {cardinalities}: {bad[0]} codes; allowed: >= 2 (0 = unknown)")
    return flat_inputs - len(cardinalities)


def split_columns(x: torch.Tensor, categorical: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch (B, F) or (B, T, F) as its numeric columns (B, F_num) and its category codes (B, F_cat), long."""
    flat = x.flatten(1)
    if not categorical:
        return flat, flat.new_zeros((flat.shape[0], 0), dtype=torch.long)
    return flat[:, :-categorical], flat[:, -categorical:].long()


def known_codes(codes: torch.Tensor, cardinalities: torch.Tensor) -> torch.Tensor:
    """Codes (B, F_cat) with any outside 0..cardinality-1 read as the unknown code 0, as the one-hot encoding does."""
    return torch.where((codes < 0) | (codes >= cardinalities), torch.zeros_like(codes), codes)


class CategoryEmbeddings(nn.Module):
    """One embedding table per categorical column, ``cardinality`` rows each: codes (B, F_cat) to (B, F_cat, d)."""

    def __init__(self, cardinalities: list[int], dim: int) -> None:
        super().__init__()
        if not cardinalities:
            raise ArchbenchError("CategoryEmbeddings needs at least one categorical column")
        self.tables = nn.ModuleList(nn.Embedding(cardinality, dim) for cardinality in cardinalities)
        self.register_buffer("cardinalities", torch.tensor(cardinalities), persistent=False)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        codes = known_codes(codes, self.cardinalities)
        return torch.stack([table(codes[:, i]) for i, table in enumerate(self.tables)], dim=1)
