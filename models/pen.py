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
    brush draws (round caps and joins), so the CNN can read the same drawing as a picture.

    Each segment is drawn on its own, always from its lower endpoint, with a disc at every point
    (the round joins and caps): the picture then depends only on which segments there are, not on
    the order or direction the pen took, so shuffled or reversed strokes give the same pixels."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (int(width), int(height)), 0)
    draw = ImageDraw.Draw(image)
    r = brush / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        for a, b in zip(points, points[1:], strict=False):
            draw.line(sorted([a, b]), fill=255, width=brush)
        for px, py in points:
            draw.ellipse((px - r, py - r, px + r, py + r), fill=255)
    return np.asarray(image)


def cnn_probabilities(cnn_model: nn.Module, strokes, width: int, height: int) -> np.ndarray:
    """(10,) the CNN's probabilities for the strokes rendered as the canvas draws them, through the
    digit page's own preprocessing. Raises models.preprocess.EmptyDrawingError when there is no ink."""
    from models.digits import classify
    from models.preprocess import preprocess

    return classify(cnn_model, preprocess(render_strokes(strokes, width, height)).final[None])[0]


@dataclass
class PenReading:
    """One drawing read both ways: the pen GRU point by point, the CNN as the finished picture."""

    strokes: list[np.ndarray]  # the drawing as given: (n, 2) canvas pixels per stroke, in drawing order
    width: int
    height: int
    points: np.ndarray  # (T, 2) the points the GRU read (resampled evenly along the path), in canvas pixels
    stroke_of_point: np.ndarray  # (T,) which stroke each point lies on
    step_probs: np.ndarray  # (T, 10) the GRU's probabilities after each point
    hidden: np.ndarray  # (T, H) the GRU's top-layer state after each point
    cnn_probs: np.ndarray  # (10,) the CNN's probabilities for the whole picture

    @property
    def rnn_prediction(self) -> int:
        return int(self.step_probs[-1].argmax())

    @property
    def cnn_prediction(self) -> int:
        return int(self.cnn_probs.argmax())

    @property
    def stroke_ends(self) -> list[int]:
        """The index of each stroke's last point, in drawing order."""
        return [int(np.flatnonzero(self.stroke_of_point == s)[-1]) for s in np.unique(self.stroke_of_point)]

    def settled_point(self) -> int | None:
        """How many points the GRU had read when its final answer came on top for good (1-based), or None."""
        top = self.step_probs.argmax(axis=1)  # (T,)
        changed = np.flatnonzero(top != self.rnn_prediction)
        first = 0 if len(changed) == 0 else int(changed[-1]) + 1
        return first + 1 if first < len(top) else None

    def strokes_until(self, point: int) -> list[np.ndarray]:
        """The ink on the canvas once the pen reached the GRU's point `point` (0-based): the strokes
        before it whole, and its own stroke cut at the same share of its length. At the last point it is
        the drawing as given, so the CNN's answer there is its answer on the whole picture."""
        from sources.pen import cut_stroke

        stroke = int(self.stroke_of_point[point])
        if self.stroke_of_point.max() + 1 != len(self.strokes):  # strokes merged by the length cap
            return [self.points[self.stroke_of_point == s] for s in range(stroke)] + [
                self.points[: point + 1][self.stroke_of_point[: point + 1] == stroke]
            ]
        on_stroke = np.flatnonzero(self.stroke_of_point == stroke)
        share = 1.0 if len(on_stroke) < 2 else (point - on_stroke[0]) / (len(on_stroke) - 1)
        return list(self.strokes[:stroke]) + [cut_stroke(self.strokes[stroke], share)]

    def cnn_until(self, cnn_model: nn.Module, point: int) -> np.ndarray | None:
        """(10,) the CNN's probabilities for the picture drawn by point `point`, or None while it has no ink."""
        from models.preprocess import EmptyDrawingError

        try:
            return cnn_probabilities(cnn_model, self.strokes_until(point), self.width, self.height)
        except EmptyDrawingError:
            return None


def read_pen(drawing: dict, pen_model: PenRNN, cnn_model: nn.Module) -> PenReading:
    """A canvas drawing {"width", "height", "strokes"} -> PenReading. Raises sources.pen.PenInputError on
    bad input and models.preprocess.EmptyDrawingError when the picture has no ink."""
    from sources.pen import drawing_to_moves, moves_to_points, parse_drawing

    strokes = parse_drawing(drawing)
    moves = drawing_to_moves(drawing)  # (T, 3)
    width = int(drawing.get("width") or max(s[:, 0].max() for s in strokes) + BRUSH_WIDTH)
    height = int(drawing.get("height") or max(s[:, 1].max() for s in strokes) + BRUSH_WIDTH)
    cnn_probs = cnn_probabilities(cnn_model, strokes, width, height)
    with torch.inference_mode():
        out = pen_model(torch.from_numpy(moves)[None])  # step_logits (1, T, 10)
    unit_points, stroke_of_point = moves_to_points(moves)
    every = np.concatenate(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    points = unit_points * float((high - low).max()) + (low + high) / 2  # back to canvas pixels
    return PenReading(
        strokes=strokes,
        width=width,
        height=height,
        points=points,
        stroke_of_point=stroke_of_point,
        step_probs=out.step_probs[0].numpy(),
        hidden=out.hidden_states[0].numpy(),
        cnn_probs=cnn_probs,
    )


ORDERS = ("as drawn", "points shuffled", "strokes reversed")


def reorder(strokes: list[np.ndarray], order: str, seed: int = 0) -> list[np.ndarray]:
    """The same ink in another time order: ORDERS[1] visits its segments at random (seeded), ORDERS[2]
    runs the strokes backwards, last stroke first."""
    from sources.pen import reverse_strokes, shuffle_points

    if order == ORDERS[0]:
        return [np.asarray(s, dtype=np.float64) for s in strokes]
    if order == ORDERS[1]:
        return shuffle_points(strokes, np.random.default_rng(seed))
    if order == ORDERS[2]:
        return reverse_strokes(strokes)
    raise ValueError(f"unknown order {order!r}; choose from {ORDERS}")


def read_drawing(drawing: dict, pen_model: PenRNN, cnn_model: nn.Module) -> dict:
    """The contract of `python -m models pen`: the pen GRU reads the moves, the CNN the rendered
    picture through the digit page's preprocessing. Raises sources.pen.PenInputError on bad input
    and models.preprocess.EmptyDrawingError when the picture has no ink."""
    reading = read_pen(drawing, pen_model, cnn_model)
    final = reading.step_probs[-1]
    return {
        "rnn": {
            "prediction": reading.rnn_prediction,
            "probabilities": [round(float(p), 6) for p in final],
            "after_each_point": [int(d) for d in reading.step_probs.argmax(axis=1)],
        },
        "cnn": {
            "prediction": reading.cnn_prediction,
            "probabilities": [round(float(p), 6) for p in reading.cnn_probs],
        },
        "n_points": len(reading.points),
    }
