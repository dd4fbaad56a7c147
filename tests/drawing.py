"""Synthetic canvas drawings for tests: polylines rendered like the canvas renders strokes."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

# A "7" as strokes in a unit box, (x, y) with y down.
SEVEN = [[(0.1, 0.05), (0.9, 0.05), (0.35, 0.95)]]
FOUR = [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.65, 0.3), (0.65, 1.0)]]


def render(strokes, size=(280, 280), box=(60, 40, 160, 200), width=18, rgba=True) -> np.ndarray:
    """Draw unit-box strokes into `box` = (left, top, box_width, box_height) on a black canvas.

    Returns (H, W, 4) uint8 RGBA like the canvas component, or (H, W) uint8 grey.
    """
    left, top, box_w, box_h = box
    image = Image.new("L", (size[1], size[0]), 0)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(left + x * box_w, top + y * box_h) for x, y in stroke]
        draw.line(points, fill=255, width=width, joint="curve")
        r = width / 2
        for px, py in points:  # round caps, as the canvas brush draws
            draw.ellipse((px - r, py - r, px + r, py + r), fill=255)
    gray = np.asarray(image)
    if not rgba:
        return gray
    out = np.zeros(gray.shape + (4,), dtype=np.uint8)
    out[..., :3] = gray[..., None]
    out[..., 3] = 255
    return out
