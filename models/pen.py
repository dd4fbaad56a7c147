"""A GRU that reads a drawing as the pen moved: one pen move (dx, dy, pen_up) per time step.

Where the CNN sees the finished picture at once, this model sees the path point by point
and must carry what it has seen so far in its hidden state; it has a guess after every
point, as Quick, Draw! guesses while you draw. The moves come from
`sources.pen.drawing_to_moves`, the conversion training and the app share.

Nothing is stored on the module during a forward pass, so one cached model can serve
many sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from models import checkpoint
from models.rnn import StepOutput

WEIGHTS_NAME = "pen"


@dataclass(frozen=True)
class PenRNNConfig:
    move_size: int = 3  # (dx, dy, pen_up) per point
    move_scale: float = 16.0  # dx, dy are fractions of the drawing's size (about 1/16 apart): scaled to about 1
    embed: int = 64  # the move is lifted to this width before the GRU
    hidden: int = 128  # GRU units per layer
    layers: int = 2
    dropout: float = 0.1  # between the GRU layers and before the classifier
    num_classes: int = 10


@dataclass
class PenRNNOutput(StepOutput):
    """step_logits (B, T, 10) and hidden_states (B, T, H) after every pen point."""

    def logits_at(self, lengths: torch.Tensor) -> torch.Tensor:
        """(B, 10): each drawing's logits after its own last point (padded batches)."""
        return self.step_logits[torch.arange(len(lengths)), lengths - 1]


class PenRNN(nn.Module):
    """moves (B, T, 3) -> linear + tanh (B, T, E) -> GRU (B, T, H) -> linear classifier after every point."""

    def __init__(self, config: PenRNNConfig | None = None):
        super().__init__()
        self.config = config or PenRNNConfig()
        c = self.config
        self.embed = nn.Sequential(nn.Linear(c.move_size, c.embed), nn.Tanh())
        self.gru = nn.GRU(
            c.embed, c.hidden, num_layers=c.layers, batch_first=True, dropout=c.dropout if c.layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.hidden, c.num_classes)

    def _embed(self, moves: torch.Tensor) -> torch.Tensor:
        scale = moves.new_tensor([self.config.move_scale, self.config.move_scale, 1.0])
        return self.embed(moves * scale)  # (B, T, 3) -> (B, T, E)

    def forward(self, moves: torch.Tensor) -> PenRNNOutput:
        """The fused path. The GRU only looks back, so zero padding after a drawing's end leaves
        its own outputs unchanged; read them at `logits_at(lengths)`."""
        hidden, _ = self.gru(self._embed(moves))  # (B, T, H)
        return PenRNNOutput(step_logits=self.classifier(self.dropout(hidden)), hidden_states=hidden)

    def read_points(self, moves: torch.Tensor) -> PenRNNOutput:
        """Feed the moves one at a time, carrying the hidden state by hand: the same numbers as
        `forward` (a test checks it), written as the loop the page describes."""
        embedded = self._embed(moves)  # (B, T, E)
        state = None  # (layers, B, H)
        hiddens = []
        for t in range(moves.shape[1]):
            out, state = self.gru(embedded[:, t : t + 1], state)  # out: (B, 1, H)
            hiddens.append(out[:, 0])
        hidden = torch.stack(hiddens, dim=1)  # (B, T, H)
        return PenRNNOutput(step_logits=self.classifier(self.dropout(hidden)), hidden_states=hidden)


def load_pen_model(weights_dir: Path | None = None) -> tuple[PenRNN, dict]:
    """(model in eval mode, manifest); WeightsError names the training command when they are missing."""
    return checkpoint.load(WEIGHTS_NAME, PenRNN, PenRNNConfig, weights_dir)


@torch.no_grad()
def read_moves(model: PenRNN, moves) -> torch.Tensor:
    """(T, 3) moves -> (T, 10) class probabilities after every point."""
    tensor = torch.as_tensor(moves, dtype=torch.float32).unsqueeze(0)  # (1, T, 3)
    return model(tensor).step_probs[0]


# The canvas's freehand brush on the digit page, in pixels.
BRUSH_WIDTH = 18


def render_strokes(strokes, width: int, height: int, brush: int = BRUSH_WIDTH) -> np.ndarray:
    """Strokes in canvas pixels -> (height, width) uint8 white ink on black, drawn as the canvas
    brush draws (round caps and joins), so the CNN can read the same drawing as a picture."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (int(width), int(height)), 0)
    draw = ImageDraw.Draw(image)
    r = brush / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=brush, joint="curve")
        for px, py in points:
            draw.ellipse((px - r, py - r, px + r, py + r), fill=255)
    return np.asarray(image)


def read_drawing(drawing: dict, pen_model: PenRNN, cnn_model: nn.Module) -> dict:
    """The contract of `python -m models pen`: the pen GRU reads the moves, the CNN the rendered
    picture through the digit page's preprocessing. Raises sources.pen.PenInputError on bad input
    and models.preprocess.EmptyDrawingError when the picture has no ink."""
    from models.digits import predict
    from sources.pen import drawing_to_moves, parse_drawing

    strokes = parse_drawing(drawing)
    moves = drawing_to_moves(drawing)
    step_probs = read_moves(pen_model, moves).numpy()  # (T, 10)
    width = int(drawing.get("width") or max(s[:, 0].max() for s in strokes) + BRUSH_WIDTH)
    height = int(drawing.get("height") or max(s[:, 1].max() for s in strokes) + BRUSH_WIDTH)
    cnn_probs = predict(cnn_model, render_strokes(strokes, width, height)).analysis.probs
    return {
        "rnn": {
            "prediction": int(step_probs[-1].argmax()),
            "probabilities": [round(float(p), 6) for p in step_probs[-1]],
            "after_each_point": [int(d) for d in step_probs.argmax(axis=1)],
        },
        "cnn": {"prediction": int(cnn_probs.argmax()), "probabilities": [round(float(p), 6) for p in cnn_probs]},
        "n_points": len(moves),
    }
