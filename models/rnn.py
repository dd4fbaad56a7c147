"""A row-by-row LSTM for MNIST: it reads the 28 pixel rows of a digit as 28 time steps.

Where the CNN looks at every 3x3 window at once, this model sees one row at a time and
must carry everything it has seen so far in its hidden state. `read_rows` loops over the
rows explicitly and returns the hidden state and the class probabilities after every row,
so the page can show the prediction forming while the model reads.

Nothing is stored on the module during a forward pass, so one cached model can serve
many sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass(frozen=True)
class RowRNNConfig:
    row_size: int = 28  # pixels per row: the input at each time step
    hidden: int = 128  # LSTM units per layer
    layers: int = 2
    dropout: float = 0.2  # between the LSTM layers and before the classifier
    num_classes: int = 10


@dataclass
class StepOutput:
    """What a reader that goes step by step returns: its guess and its state after every step
    (rows for RowRNN, pen points for models/pen.py's PenRNN)."""

    step_logits: torch.Tensor  # (B, T, 10): the classifier read off the hidden state after each step
    hidden_states: torch.Tensor  # (B, T, H): the top layer's hidden state after each step

    @property
    def logits(self) -> torch.Tensor:
        return self.step_logits[:, -1]  # (B, 10): the prediction once every step has been read

    @property
    def probs(self) -> torch.Tensor:
        return self.logits.softmax(dim=-1)  # (B, 10)

    @property
    def step_probs(self) -> torch.Tensor:
        return self.step_logits.softmax(dim=-1)  # (B, T, 10)


@dataclass
class RowRNNOutput(StepOutput):
    cell_states: torch.Tensor  # (B, T, H): the top layer's cell (memory) after each row


class RowRNN(nn.Module):
    """rows (B, 28, 28) -> 2-layer LSTM over the 28 rows -> linear classifier at every step."""

    def __init__(self, config: RowRNNConfig | None = None):
        super().__init__()
        self.config = config or RowRNNConfig()
        c = self.config
        self.lstm = nn.LSTM(
            c.row_size, c.hidden, num_layers=c.layers, batch_first=True, dropout=c.dropout if c.layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.hidden, c.num_classes)

    @staticmethod
    def _rows(images: torch.Tensor) -> torch.Tensor:
        return images.squeeze(1) if images.dim() == 4 else images  # (B, 1, 28, 28) -> (B, 28, 28)

    def forward(self, images: torch.Tensor) -> RowRNNOutput:
        """The fused, fast path for training and batch evaluation. The cell states are not
        returned by the fused LSTM, so this path leaves them empty; `read_rows` has them."""
        rows = self._rows(images)  # (B, T, 28)
        hidden, _ = self.lstm(rows)  # (B, T, H)
        step_logits = self.classifier(self.dropout(hidden))  # (B, T, 10)
        return RowRNNOutput(step_logits=step_logits, hidden_states=hidden, cell_states=hidden.new_zeros(0))

    def read_rows(self, images: torch.Tensor, rows_to_read: int | None = None) -> RowRNNOutput:
        """Feed the rows one at a time, carrying (h, c) by hand, and keep every state.

        Gives the same numbers as `forward` (a test checks it); this is the loop the
        page describes: after row t the model knows rows 0..t and nothing else."""
        rows = self._rows(images)  # (B, T, 28)
        steps = rows.shape[1] if rows_to_read is None else rows_to_read
        state = None
        hiddens, cells = [], []
        for t in range(steps):
            out, state = self.lstm(rows[:, t : t + 1], state)  # out: (B, 1, H); state: 2 x (layers, B, H)
            hiddens.append(out[:, 0])
            cells.append(state[1][-1])
        hidden = torch.stack(hiddens, dim=1)  # (B, steps, H)
        cell = torch.stack(cells, dim=1)  # (B, steps, H)
        return RowRNNOutput(step_logits=self.classifier(self.dropout(hidden)), hidden_states=hidden, cell_states=cell)
