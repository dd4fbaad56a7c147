"""Hand-drawn-looking symbols for the live-training tests and benchmark: a tick, a star and a letter A,
each drawn afresh with its own slant, size, place, wobble and pen width, as a hand draws it twice.

Not a test module: pytest collects only test_*.py.
"""

from __future__ import annotations

import math

import numpy as np

from harness.drawing import CANVAS_SIZE, render_pixels

Stroke = list[tuple[float, float]]


def _star() -> list[Stroke]:
    # A pentagram in one stroke: every second of five points on a circle, from the top.
    points = [(0.5 + 0.5 * math.cos(math.radians(-90 + 144 * k)), 0.5 + 0.5 * math.sin(math.radians(-90 + 144 * k)))
              for k in range(6)]  # fmt: skip
    return [points]


# Strokes in a unit box, (x, y) with y down.
SYMBOLS: dict[str, list[Stroke]] = {
    "tick": [[(0.0, 0.55), (0.35, 1.0), (1.0, 0.0)]],
    "star": _star(),
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
}


def canvas_strokes(symbol: str, rng: np.random.Generator) -> list[Stroke]:
    """The symbol's strokes in canvas pixels, drawn once by a slightly different hand. Every point
    stays at y >= 45, clear of the canvas toolbar (see harness/browser.py)."""
    angle = math.radians(rng.uniform(-12, 12))
    size = rng.uniform(120, 170)
    cx, cy = rng.uniform(120, 160), rng.uniform(140, 170)
    out = []
    for stroke in SYMBOLS[symbol]:
        points = []
        for x, y in stroke:
            u, v = (x - 0.5) * size, (y - 0.5) * size
            u, v = u * math.cos(angle) - v * math.sin(angle), u * math.sin(angle) + v * math.cos(angle)
            points.append((cx + u + rng.uniform(-4, 4), max(45.0, cy + v + rng.uniform(-4, 4))))
        out.append(points)
    return out


def symbol_drawing(symbol: str, rng: np.random.Generator) -> np.ndarray:
    """What the canvas would send for one hand-drawn copy: (280, 280, 4) RGBA, white on black."""
    width = int(rng.integers(14, 24))
    return render_pixels(canvas_strokes(symbol, rng), size=(CANVAS_SIZE, CANVAS_SIZE), width=width)
