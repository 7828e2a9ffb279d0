"""FT-Transformer (Gorishniy et al. 2021, "Revisiting Deep Learning Models for Tabular Data", NeurIPS): a token per
feature, a [CLS] token, pre-norm Transformer layers, a head on the [CLS] token."""

from __future__ import annotations

import math

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear
from archbench.models.category_embeddings import CategoryEmbeddings, numeric_count, split_columns


class FeatureTokenizer(nn.Module):
    """Numeric column j: b_j + x_j · W_j; categorical column j: b_j + E_j[code]; the [CLS] token goes first.

    Weights, biases and [CLS] start uniform in ±1/√d_token, as in the paper's code; the embedding tables keep
    ``nn.Embedding``'s own start.
    """

    def __init__(self, numeric: int, cardinalities: list[int], d_token: int) -> None:
        super().__init__()
        self.numeric = numeric
        self.weight = nn.Parameter(torch.empty(numeric, d_token))
        self.bias = nn.Parameter(torch.empty(numeric + len(cardinalities), d_token))
        self.cls = nn.Parameter(torch.empty(d_token))
        self.categories = CategoryEmbeddings(cardinalities, d_token) if cardinalities else None
        bound = 1 / math.sqrt(d_token)
        for parameter in (self.weight, self.bias, self.cls):
            nn.init.uniform_(parameter, -bound, bound)

    def forward(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        tokens = numeric[..., None] * self.weight
        if self.categories is not None:
            tokens = torch.cat([tokens, self.categories(codes)], dim=1)
        tokens = tokens + self.bias
        return torch.cat(
            [self.cls.expand(tokens.shape[0], 1, -1), tokens], dim=1
        )  # shape, not len: a traced batch axis stays dynamic


class ReGLU(nn.Module):
    """a · ReLU(b) for the two halves (a, b) of the last dimension."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=-1)
        return a * torch.relu(b)


class PreNormLayer(nn.Module):
    """x + Dropout(MHSA(LayerNorm(x))), then x + Dropout(FFN(LayerNorm(x))), the FFN a ReGLU one.

    ``nn.TransformerEncoderLayer`` cannot hold a ReGLU (its activation must keep the width), so the layer is built
    from ``nn.MultiheadAttention``. The paper drops the first layer's attention LayerNorm (``normalize_input``).
    """

    def __init__(self, d_token: int, n_heads: int, d_ffn: int, dropouts: tuple[float, float, float], first: bool):
        super().__init__()
        attention_dropout, ffn_dropout, residual_dropout = dropouts
        self.attention_norm = nn.Identity() if first else nn.LayerNorm(d_token)
        self.attention = nn.MultiheadAttention(d_token, n_heads, dropout=attention_dropout, batch_first=True)
        self.ffn_norm = nn.LayerNorm(d_token)
        self.ffn = nn.Sequential(
            nn.Linear(d_token, 2 * d_ffn), ReGLU(), nn.Dropout(ffn_dropout), nn.Linear(d_ffn, d_token)
        )
        self.residual_dropout = nn.Dropout(residual_dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.attention_norm(x)
        x = x + self.residual_dropout(self.attention(h, h, h, need_weights=False)[0])
        return x + self.residual_dropout(self.ffn(self.ffn_norm(x)))


class FTTransformerModel(ArchModule):
    """Feature Tokenizer → [CLS] + one token per column → ``n_blocks`` pre-norm layers → LayerNorm → ReLU → Linear
    on the [CLS] token.

    The defaults are the paper's default configuration (d_token 192, 3 blocks, 8 heads, attention dropout 0.2, ReGLU
    FFN of 4/3 · d_token with dropout 0.1, residual dropout 0, AdamW at lr 1e-4 with weight decay 1e-5). The last
    ``len(categorical_cardinalities)`` columns of a row are category codes (0 = unknown), one embedding table each;
    a sequence is read as its T·F values. ``param_budget``: see ``sized_widths``.
    """

    arch_name = "ft_transformer"
    encodes_categories = True

    def __init__(
        self,
        d_token: int = 192,
        n_blocks: int = 3,
        n_heads: int = 8,
        attention_dropout: float = 0.2,
        ffn_factor: float = 4 / 3,
        ffn_dropout: float = 0.1,
        residual_dropout: float = 0.0,
        lr: float = 1e-4,
        weight_decay: float = 1e-5,
        **kwargs,
    ) -> None:
        super().__init__(lr=lr, weight_decay=weight_decay, **kwargs)
        require_positive(d_token=d_token, n_blocks=n_blocks, n_heads=n_heads, ffn_factor=ffn_factor)
        if d_token % n_heads:
            raise ArchbenchError(f"d_token must be a multiple of n_heads={n_heads}, got {d_token}")
        dropouts = (attention_dropout, ffn_dropout, residual_dropout)
        for name, rate in zip(("attention_dropout", "ffn_dropout", "residual_dropout"), dropouts, strict=True):
            if not 0 <= rate < 1:
                raise ArchbenchError(f"{name} must be in [0, 1), got {rate}")
        self.cardinalities = self.categorical_cardinalities  # set by the base, read here as tokens
        self.numeric = numeric_count(self.flat_input_size, self.cardinalities)
        self.n_blocks, self.n_heads, self.ffn_factor, self.dropouts = n_blocks, n_heads, ffn_factor, dropouts
        d_token, d_ffn = self.sized_widths(d_token)
        self.update_hparams(d_token=d_token)
        self.record_derived(d_ffn=d_ffn)
        self.tokenizer, self.layers, self.head = self.build(d_token, d_ffn)

    def ffn_width(self, d_token: int) -> int:
        return max(1, round(self.ffn_factor * d_token))

    def sized_widths(self, d_token: int) -> tuple[int, int]:
        """d_token and the FFN width: as configured, or meeting ``param_budget`` with d_token searched in multiples
        of n_heads, then (when no multiple lands within 5%) the FFN width at that d_token, as TransformerModel does."""
        if self.param_budget is None:
            return d_token, self.ffn_width(d_token)

        def in_heads(per_head: int) -> tuple[nn.Module, ...]:
            return self.build(per_head * self.n_heads, self.ffn_width(per_head * self.n_heads))

        d_token = self.n_heads * self.budget_width(in_heads, d_token // self.n_heads, fixed=None)

        def at_d_token(d_ffn: int) -> tuple[nn.Module, ...]:
            return self.build(d_token, d_ffn)

        if self.meets_budget(self.meta_count(at_d_token, self.ffn_width(d_token))):
            return d_token, self.ffn_width(d_token)
        return d_token, self.budget_width(at_d_token, self.ffn_width(d_token), "n_blocks or n_heads")

    def build(self, d_token: int, d_ffn: int) -> tuple[nn.Module, ...]:
        layers = [PreNormLayer(d_token, self.n_heads, d_ffn, self.dropouts, first=i == 0) for i in range(self.n_blocks)]
        return (
            FeatureTokenizer(self.numeric, self.cardinalities, d_token),
            nn.Sequential(*layers),
            nn.Sequential(nn.LayerNorm(d_token), nn.ReLU(), Float32Linear(d_token, self.flat_output_size)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.layers(self.tokenizer(*split_columns(x, len(self.cardinalities))))
        return self.unflatten_output(self.head(tokens[:, 0]))
