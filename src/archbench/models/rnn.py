"""Recurrent models: LSTM and GRU; the last hidden state of the top layer feeds a linear head."""

from __future__ import annotations

import torch
from torch import nn

from archbench.data.base import require_positive
from archbench.errors import ArchbenchError
from archbench.models.base import ArchModule

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentModel(ArchModule):
    """An ``nn.LSTM`` or ``nn.GRU`` over (B, T, F); tabular rows are read as F steps of one feature."""

    cell = "lstm"
    arch_name = "lstm"
    default_data = "adding"

    def __init__(self, hidden_size: int = 64, num_layers: int = 1, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        require_positive(hidden_size=hidden_size, num_layers=num_layers)
        if not 0 <= dropout < 1:
            raise ArchbenchError(f"dropout must be in [0, 1), got {dropout}")
        steps_features = self.input_size if self.seq_len else 1
        # PyTorch applies RNN dropout only between layers; a single layer gets it before the head instead.
        self.rnn = CELLS[self.cell](
            steps_features,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, self.output_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # After DDP's broadcast or a device move, cuDNN wants one contiguous weight buffer again (no-op on CPU).
        self.rnn.flatten_parameters()
        outputs, _ = self.rnn(self.as_sequence(x))
        return self.head(outputs[:, -1])


class LSTMModel(RecurrentModel):
    """Long short-term memory network."""

    cell = arch_name = "lstm"


class GRUModel(RecurrentModel):
    """Gated recurrent unit network."""

    cell = arch_name = "gru"
