"""Recurrent models: Elman RNN, LSTM and GRU; the top layer's hidden states feed a linear head."""

from __future__ import annotations

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule, Float32Linear

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentModel(ArchModule):
    """An ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` over (B, T, F); tabular rows are read as F steps of one feature.

    The head reads the last step's hidden state, or every predicted step's when the data asks for
    per-step targets. With ``param_budget``, ``hidden_size`` is searched.
    """

    cell = "lstm"
    arch_name = "lstm"
    default_data = "adding"

    def __init__(self, hidden_size: int = 64, num_layers: int = 1, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        require_positive(hidden_size=hidden_size, num_layers=num_layers)
        if not 0 <= dropout < 1:
            raise ArchbenchError(f"dropout must be in [0, 1), got {dropout}")
        self.num_layers = num_layers
        self.dropout = dropout
        hidden_size = self.budget_width(self.build, hidden_size, "num_layers")
        self.update_hparams(hidden_size=hidden_size)
        self.rnn, self.head = self.build(hidden_size)

    def build(self, hidden_size: int) -> tuple[nn.Module, nn.Module]:
        # PyTorch applies RNN dropout only between layers; a single layer gets it before the head instead.
        rnn = CELLS[self.cell](
            self.step_features,
            hidden_size,
            self.num_layers,
            batch_first=True,
            dropout=self.dropout if self.num_layers > 1 else 0.0,
        )
        return rnn, nn.Sequential(nn.Dropout(self.dropout), Float32Linear(hidden_size, self.output_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # After DDP's broadcast or a device move, cuDNN wants one contiguous weight buffer again (no-op on CPU).
        self.rnn.flatten_parameters()
        outputs, _ = self.rnn(self.as_sequence(x))
        return self.head(self.read_out(outputs))


class RNNModel(RecurrentModel):
    """Elman recurrent network with tanh units."""

    cell = arch_name = "rnn"


class LSTMModel(RecurrentModel):
    """Long short-term memory network."""

    cell = arch_name = "lstm"


class GRUModel(RecurrentModel):
    """Gated recurrent unit network."""

    cell = arch_name = "gru"
