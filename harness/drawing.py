"""Synthetic canvas drawings for tests and benchmarks: polylines rendered like the canvas renders strokes."""

from __future__ import annotations

import numpy as np

from models.pen import render_strokes
from ui.inputs import CANVAS_SIZE

# A "7" as strokes in a unit box, (x, y) with y down.
SEVEN = [[(0.1, 0.05), (0.9, 0.05), (0.35, 0.95)]]
FOUR = [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.65, 0.3), (0.65, 1.0)]]


def render(strokes, size=(CANVAS_SIZE, CANVAS_SIZE), box=(60, 40, 160, 200), width=18, rgba=True) -> np.ndarray:
    """Draw unit-box strokes into `box` = (left, top, box_width, box_height) on a black canvas.

    Returns (H, W, 4) uint8 RGBA like the canvas component, or (H, W) uint8 grey.
    """
    left, top, box_w, box_h = box
    return render_pixels(
        [[(left + x * box_w, top + y * box_h) for x, y in stroke] for stroke in strokes], size, width, rgba
    )


def render_pixels(strokes, size=(CANVAS_SIZE, CANVAS_SIZE), width=18, rgba=True) -> np.ndarray:
    """What the canvas sends back for strokes given in its pixels: white ink on opaque black, with
    round caps and joins like the freehand brush (models.pen.render_strokes, the picture the pen page's
    CNN reads). (H, W, 4) uint8 RGBA, or (H, W) uint8 grey."""
    gray = render_strokes(strokes, width=size[1], height=size[0], brush=width)
    if not rgba:
        return gray
    out = np.zeros(gray.shape + (4,), dtype=np.uint8)
    out[..., :3] = gray[..., None]
    out[..., 3] = 255
    return out
