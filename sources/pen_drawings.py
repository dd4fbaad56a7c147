"""Pen drawings of the ten digits, made by hand as parametric strokes in the order people write them:
the pen page's examples, and the digits the browser check draws with the mouse (benchmarks/pen.py).

Each digit is written once, in a unit box (x to the right, y down), by its usual strokes: a 0 from its
top, counter-clockwise; a 4 as its bent stroke and then the upright; a 5 from the end of its top bar.
`drawing(digit, style)` places it on the canvas in one of STYLES, sampled every few pixels as a mouse
would be. None of this was fitted to the models: it is written as a person writes, and measured.
"""

from __future__ import annotations

import math

import numpy as np

CANVAS = 280  # px, the canvas's drawing surface (ui.inputs.CANVAS_SIZE)
TOP_MARGIN = 50  # px: the canvas toolbar lies over its top edge, so no drawing starts above this
SAMPLE_PX = 4.0  # a mouse reports about every 4 px at a steady hand's speed

Stroke = list[tuple[float, float]]


def _arc(cx, cy, rx, ry, start, end, n=24) -> Stroke:
    """Points on an ellipse from angle `start` to `end` (radians; y down, so a falling angle turns
    counter-clockwise on screen)."""
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in np.linspace(start, end, n)]


def _eight() -> Stroke:
    # From the top, down the left of the upper loop, across the middle, round the lower loop, and back up.
    return [(0.5 - 0.36 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t)) for t in np.linspace(0, 2 * math.pi, 48)]


def unit_strokes(digit: int) -> list[Stroke]:
    """The digit's strokes in the unit box, in writing order."""
    pi = math.pi
    shapes = {
        0: [_arc(0.5, 0.5, 0.42, 0.5, -pi / 2, -pi / 2 - 2 * pi - 0.25, 40)],
        1: [[(0.35, 0.15), (0.55, 0.0), (0.5, 1.0)]],
        2: [_arc(0.5, 0.3, 0.42, 0.3, 1.1 * pi, 2.15 * pi) + [(0.05, 1.0), (0.95, 1.0)]],
        3: [_arc(0.5, 0.25, 0.38, 0.24, 1.2 * pi, 2.5 * pi) + _arc(0.5, 0.73, 0.42, 0.27, 1.5 * pi, 2.8 * pi)[1:]],
        4: [[(0.55, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
        5: [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.45)] + _arc(0.48, 0.68, 0.4, 0.3, 1.25 * pi, 2.8 * pi)],
        6: [[(0.75, 0.0), (0.45, 0.15), (0.22, 0.4)] + _arc(0.5, 0.72, 0.38, 0.28, pi, -pi + 0.2, 32)],
        7: [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
        8: [_eight()],
        9: [_arc(0.5, 0.27, 0.36, 0.27, -0.1 * pi, -2.1 * pi, 32) + [(0.85, 1.0)]],
    }
    return shapes[digit]


# Where and how each style puts the unit box: (left, top, width, height) in canvas px, rotation in
# degrees (clockwise on screen), and slant (x moves by slant * height above the box's centre).
STYLES = {
    "centred": ((80, 60, 120, 190), 0.0, 0.0),
    "small, off-centre": ((180, 55, 55, 75), 0.0, 0.0),
    "tilted": ((75, 65, 125, 180), 14.0, 0.15),
}


def _place(points: Stroke, box, degrees: float, slant: float) -> np.ndarray:
    left, top, width, height = box
    xy = np.array(points, dtype=np.float64)
    xy = np.column_stack([left + xy[:, 0] * width, top + xy[:, 1] * height])
    centre = np.array([left + width / 2, top + height / 2])
    xy = xy - centre
    xy[:, 0] -= slant * xy[:, 1]
    a = math.radians(degrees)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return xy @ rotation.T + centre


def _sample(stroke: np.ndarray, spacing: float = SAMPLE_PX) -> np.ndarray:
    """Points about `spacing` apart along the polyline, its corners kept, as a mouse reports them."""
    out = [stroke[0]]
    for a, b in zip(stroke[:-1], stroke[1:], strict=True):
        steps = max(1, int(math.ceil(np.hypot(*(b - a)) / spacing)))
        out.extend(a + (b - a) * t for t in np.linspace(0, 1, steps + 1)[1:])
    return np.array(out)


def drawing(digit: int, style: str = "centred") -> list[list[list[float]]]:
    """The digit's strokes in canvas pixels, drawn in `style`, each a list of [x, y] a few px apart."""
    box, degrees, slant = STYLES[style]
    strokes = []
    for stroke in unit_strokes(digit):
        placed = _sample(_place(stroke, box, degrees, slant))
        placed = np.clip(placed, [2, TOP_MARGIN - 5], [CANVAS - 2, CANVAS - 2])
        strokes.append([[round(float(x), 1), round(float(y), 1)] for x, y in placed])
    return strokes


def all_drawings() -> list[tuple[int, str, list]]:
    """Every digit in every style: (digit, style, strokes), 30 drawings."""
    return [(digit, style, drawing(digit, style)) for style in STYLES for digit in range(10)]
