"""Pen paths: MNIST images traced into strokes, their augmentation, and drawings turned into pen moves.

MNIST has no pen paths, so we derive them: thin each digit to a one-pixel skeleton
(scikit-image's `skeletonize`), then walk the skeleton's pixel graph into strokes in an
order people plausibly write in: each stroke starts at the top-most (then left-most) free
end, goes straight on through junctions, and the strokes follow one another from top to
bottom, then left to right. A closed loop with no free end (a 0) starts at its top and
turns left, counter-clockwise, as most people draw it.

`drawing_to_moves` is the one conversion that training and the app share: a canvas drawing
`{"width", "height", "strokes": [[[x, y], ...], ...]}` (pixels, y down) becomes a sequence of
pen moves (dx, dy, pen_up), normalised by the drawing's bounding box, resampled to even
spacing along the path and capped in length. Only the tracing needs scikit-image (a
training dependency); it is imported where it is used, so the app never loads it.
"""

from __future__ import annotations

import math

import numpy as np

# Pixels brighter than this (of 255) are ink when an MNIST digit is skeletonised.
INK_LEVEL = 80
# Skeleton strokes shorter than this many pixels are spurs of the thinning, not pen strokes.
MIN_STROKE_PIXELS = 3
# Pen moves are resampled to this spacing, as a fraction of the drawing's larger side.
SPACING = 0.06
# No drawing becomes longer than this many points; a longer one is resampled more coarsely.
MAX_POINTS = 160
# A drawing has at most this many input points before conversion: a clear refusal, not a slow page.
MAX_INPUT_POINTS = 20_000

Stroke = np.ndarray  # (n, 2) float: x to the right, y down
NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]  # (dy, dx)


class PenInputError(ValueError):
    """A drawing that cannot be read as pen strokes; the message says why."""


# ---------------------------------------------------------------- tracing a skeleton


def skeleton(image: np.ndarray, ink_level: int = INK_LEVEL) -> np.ndarray:
    """(H, W) uint8 white-on-black digit -> (H, W) bool one-pixel-wide skeleton."""
    from skimage.morphology import skeletonize  # training-only dependency

    return skeletonize(np.asarray(image) > ink_level)


def _free_neighbours(pixels: set, visited: set, y: int, x: int) -> list[tuple[int, int]]:
    return [(y + dy, x + dx) for dy, dx in NEIGHBOURS if (y + dy, x + dx) in pixels and (y + dy, x + dx) not in visited]


def _straightest(candidates, here, heading) -> tuple[int, int]:
    """The neighbour that turns least from `heading` (dy, dx); a 4-neighbour wins a tie with a
    diagonal, so a corner is walked through its elbow pixel rather than cut."""

    def turn(pixel):
        dy, dx = pixel[0] - here[0], pixel[1] - here[1]
        cosine = (dy * heading[0] + dx * heading[1]) / (math.hypot(dy, dx) * (math.hypot(*heading) or 1.0))
        return (-round(cosine, 6), abs(dy) + abs(dx), pixel)

    return min(candidates, key=turn)


def _start(pixels: set, visited: set) -> tuple[int, int]:
    """The top-most, then left-most free end of what is left; a loop with no end starts at its top."""
    remaining = sorted(p for p in pixels if p not in visited)
    ends = [p for p in remaining if len(_free_neighbours(pixels, visited, *p)) <= 1]
    return (ends or remaining)[0]


def trace_skeleton(mask: np.ndarray, min_pixels: int = MIN_STROKE_PIXELS) -> list[Stroke]:
    """(H, W) bool skeleton -> strokes, each (n, 2) float pixel centres (x, y), in writing order."""
    pixels = {(int(y), int(x)) for y, x in zip(*np.nonzero(mask), strict=True)}
    visited: set = set()
    strokes = []
    while len(visited) < len(pixels):
        here = _start(pixels, visited)
        path = [here]
        visited.add(here)
        heading = (1.0, -1.0)  # down and to the left: a loop is drawn counter-clockwise from its top
        # A stroke that begins beside ink already drawn (a branch off a junction) starts at that ink.
        touching = [(here[0] + dy, here[1] + dx) for dy, dx in NEIGHBOURS if (here[0] + dy, here[1] + dx) in visited]
        if touching and len(pixels) > 1:
            path.insert(0, min(touching))
        while True:
            free = _free_neighbours(pixels, visited, *here)
            if free:
                here_next = _straightest(free, here, heading)
            else:
                # Close a loop or meet a junction: step onto drawn ink that is not the path just walked.
                recent = set(path[-6:])
                rejoin = [
                    (here[0] + dy, here[1] + dx)
                    for dy, dx in NEIGHBOURS
                    if (here[0] + dy, here[1] + dx) in visited and (here[0] + dy, here[1] + dx) not in recent
                ]
                if rejoin and len(path) >= 6:
                    path.append(_straightest(rejoin, here, heading))
                break
            # The heading is the average direction over the last few pixels, so pixel-grid zigzags do not steer.
            back = path[max(0, len(path) - 3)]
            heading = (here_next[0] - back[0], here_next[1] - back[1])
            path.append(here_next)
            visited.add(here_next)
            here = here_next
        if len(path) >= min_pixels:
            strokes.append(np.array([(x, y) for y, x in path], dtype=np.float64))
    if not strokes and pixels:  # a dot: keep it rather than return nothing
        y, x = min(pixels)
        strokes.append(np.array([[x, y]], dtype=np.float64))
    return order_strokes(strokes)


def order_strokes(strokes: list[Stroke]) -> list[Stroke]:
    """Top to bottom, then left to right, by where each stroke's ink is highest."""

    def key(stroke):
        top = stroke[np.argmin(stroke[:, 1])]
        return (round(float(top[1]) / 4), float(top[0]))  # rows within 4 px count as level

    return sorted(strokes, key=key)


def trace_image(image: np.ndarray) -> list[Stroke]:
    """(28, 28) uint8 MNIST digit -> its pen strokes in pixel coordinates."""
    return trace_skeleton(skeleton(image))


def pack(strokes: list[Stroke]) -> np.ndarray:
    """Strokes -> one (n, 3) float32 array of (x, y, stroke index), for caching many digits in one .npz."""
    if not strokes:
        return np.zeros((0, 3), dtype=np.float32)
    return np.concatenate(
        [np.column_stack([s, np.full(len(s), i)]) for i, s in enumerate(strokes)], dtype=np.float32
    ).astype(np.float32)


def unpack(packed: np.ndarray) -> list[Stroke]:
    if len(packed) == 0:
        return []
    cuts = np.flatnonzero(np.diff(packed[:, 2])) + 1
    return [part[:, :2].astype(np.float64) for part in np.split(packed, cuts)]


# ---------------------------------------------------------------- augmentation


def resample(stroke: Stroke, spacing: float) -> Stroke:
    """Points evenly `spacing` apart along the stroke's path, its two ends kept."""
    if len(stroke) < 2:
        return stroke.copy()
    steps = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if arc[-1] <= 0:
        return stroke[:1].copy()
    count = max(1, int(math.ceil(arc[-1] / spacing)))
    at = np.linspace(0.0, arc[-1], count + 1)
    return np.column_stack([np.interp(at, arc, stroke[:, 0]), np.interp(at, arc, stroke[:, 1])])


def augment(strokes: list[Stroke], rng: np.random.Generator, strength: float = 1.0) -> list[Stroke]:
    """A plausible other writer of the same digit: slant, scale, rotation, jitter, a different
    point density, and now and then a stroke drawn backwards or the strokes in another order."""
    if not strokes:
        return []
    points = np.concatenate(strokes)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    slant = rng.normal(0, 0.25 * strength)
    angle = rng.normal(0, 0.15 * strength)
    scale = np.exp(rng.normal(0, 0.12 * strength, size=2))
    cos, sin = math.cos(angle), math.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, slant], [0.0, 1.0]]) @ np.diag(scale)
    out = []
    for stroke in strokes:
        moved = (stroke - centre) @ matrix.T
        moved = resample(moved, spacing=rng.uniform(0.4, 1.5))  # pixels apart, at MNIST's scale
        moved = moved + rng.normal(0, 0.25 * strength, size=moved.shape)
        if rng.random() < 0.15 * strength:
            moved = moved[::-1]
        out.append(moved)
    if len(out) > 1 and rng.random() < 0.15 * strength:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def shuffle_points(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """The same ink visited in a random order: every segment between two neighbouring points becomes
    its own two-point stroke, and the segments come in a random order. The picture is unchanged (the
    same lines between the same points, each drawn in its own direction, as a rasteriser's edge pixels
    depend on it); only the time order is lost."""
    segments = []
    for stroke in strokes:
        stroke = np.asarray(stroke, dtype=np.float64)
        if len(stroke) == 1:
            segments.append(stroke.copy())
        segments.extend(stroke[i : i + 2].copy() for i in range(len(stroke) - 1))
    order = rng.permutation(len(segments))
    return [segments[i] for i in order]


def reverse_strokes(strokes: list[Stroke]) -> list[Stroke]:
    """The strokes in the opposite order, each drawn from its other end: the same ink, time run backwards
    (a rasteriser may set a few edge pixels differently for a line drawn the other way)."""
    return [np.asarray(stroke)[::-1].copy() for stroke in strokes[::-1]]


# ---------------------------------------------------------------- drawings -> pen moves


def parse_drawing(drawing: dict) -> list[Stroke]:
    """Check a canvas drawing and return its strokes as float arrays; PenInputError says what is wrong."""
    if not isinstance(drawing, dict) or "strokes" not in drawing:
        raise PenInputError('A drawing is {"width": W, "height": H, "strokes": [[[x, y], ...], ...]}.')
    raw = drawing["strokes"]
    if not isinstance(raw, list) or not raw:
        raise PenInputError("The drawing has no strokes: draw a digit first.")
    strokes, total = [], 0
    for number, stroke in enumerate(raw, start=1):
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise PenInputError(f"Stroke {number} is not a list of [x, y] points.") from exc
        if points.size == 0:
            continue
        if points.ndim != 2 or points.shape[1] != 2:
            raise PenInputError(f"Stroke {number} is not a list of [x, y] points.")
        if not np.isfinite(points).all():
            raise PenInputError(f"Stroke {number} has a coordinate that is not a finite number.")
        if (points < 0).any():
            raise PenInputError(f"Stroke {number} has a negative coordinate: canvas pixels start at 0.")
        total += len(points)
        if total > MAX_INPUT_POINTS:
            raise PenInputError(f"The drawing has more than {MAX_INPUT_POINTS:,} points; draw it with fewer.")
        strokes.append(points)
    if not strokes:
        raise PenInputError("The drawing has no points: draw a digit first.")
    return strokes


def strokes_to_moves(strokes: list[Stroke], spacing: float = SPACING, max_points: int = MAX_POINTS) -> np.ndarray:
    """Strokes in any units (y down) -> (T, 3) float32 pen moves (dx, dy, pen_up).

    Coordinates are divided by the bounding box's larger side, so size does not matter, and each
    move is relative to the last point, so position does not either; the first point is placed
    relative to the box's centre. pen_up is 1 on the first point of every stroke. Each stroke is
    resampled to `spacing`; a drawing that would exceed `max_points` is resampled more coarsely."""
    points = np.concatenate([np.asarray(s, dtype=np.float64) for s in strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    size = float((high - low).max())
    if size <= 0:  # every point in one place: a dot
        unit = [np.zeros((1, 2)) for _ in strokes]
    else:
        centre = (low + high) / 2
        unit = [(np.asarray(s, dtype=np.float64) - centre) / size for s in strokes]
    step = spacing
    for _ in range(20):
        resampled = [resample(s, step) for s in unit]
        if sum(len(s) for s in resampled) <= max_points:
            break
        step *= 1.5
    else:
        resampled = [s[:: max(1, len(s) // 2)] for s in resampled]  # many tiny strokes: keep their ends
    pen_up = np.concatenate([np.eye(1, len(s), 0).ravel() for s in resampled])
    path = np.concatenate(resampled)
    if len(path) > max_points:  # more strokes than points allowed: keep an even subset, pen lifts carried
        keep = np.linspace(0, len(path) - 1, max_points).round().astype(int)
        # A lift among the dropped points falls on the next point kept.
        lifted = np.maximum.reduceat(pen_up, np.concatenate([[0], keep[:-1] + 1]))
        path, pen_up = path[keep], lifted
        pen_up[0] = 1.0
    moves = np.diff(path, axis=0, prepend=np.zeros((1, 2)))
    return np.column_stack([moves, pen_up]).astype(np.float32)


def drawing_to_moves(drawing: dict, spacing: float = SPACING, max_points: int = MAX_POINTS) -> np.ndarray:
    """A canvas drawing (pixels, y down) -> (T, 3) float32 pen moves; PenInputError on bad input."""
    return strokes_to_moves(parse_drawing(drawing), spacing, max_points)


def moves_to_points(moves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pen moves -> ((T, 2) positions in the unit box around the centre, (T,) stroke index)."""
    return np.cumsum(moves[:, :2], axis=0), np.cumsum(moves[:, 2]).astype(int) - 1


# ---------------------------------------------------------------- the canvas's own format


def strokes_from_canvas(json_data: dict | None) -> list[list[list[float]]]:
    """The canvas's Fabric.js JSON -> strokes in canvas pixels, in the order they were drawn.

    The freehand brush stores each stroke as one Path object whose commands are absolute canvas
    coordinates: a move to the first point, quadratic curves through the pen's samples (each ends
    half way to the next sample), and a line to the last point. The commands' end points are the
    pen's path; objects of any other kind are not pen strokes and are skipped."""
    strokes = []
    for item in (json_data or {}).get("objects", []):
        if str(item.get("type", "")).lower() != "path":
            continue
        points = [[float(c[-2]), float(c[-1])] for c in item.get("path", []) if len(c) >= 3]
        if points:
            strokes.append(points)
    return strokes


def canvas_from_strokes(strokes, width: float, colour: str = "#FFFFFF") -> dict:
    """Strokes in canvas pixels -> Fabric.js JSON the canvas can show as `initial_drawing` (one Path
    per stroke, positioned by its centre as the brush stores it), the inverse of strokes_from_canvas."""
    objects = []
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        low, high = points.min(axis=0), points.max(axis=0)
        commands = [["M", *map(float, points[0])]] + [["L", *map(float, p)] for p in points[1:]]
        if len(points) == 1:
            commands.append(["L", *map(float, points[0])])
        objects.append(
            {
                "type": "Path",
                "originX": "center",
                "originY": "center",
                "left": float((low[0] + high[0]) / 2),
                "top": float((low[1] + high[1]) / 2),
                "width": float(high[0] - low[0]),
                "height": float(high[1] - low[1]),
                "fill": None,
                "stroke": colour,
                "strokeWidth": width,
                "strokeLineCap": "round",
                "strokeLineJoin": "round",
                "path": commands,
            }
        )
    return {"version": "7.4.0", "objects": objects}


def cut_stroke(stroke, share: float) -> np.ndarray:
    """The first `share` (0 to 1) of a stroke's length: its points up to there, and the point where it is cut."""
    stroke = np.asarray(stroke, dtype=np.float64)
    if len(stroke) < 2 or share >= 1.0:
        return stroke.copy()
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])
    at = max(0.0, share) * arc[-1]
    kept = stroke[arc < at]
    end = [np.interp(at, arc, stroke[:, 0]), np.interp(at, arc, stroke[:, 1])]
    return np.vstack([kept, [end]]) if len(kept) else np.array([end])


def clip_to_canvas(strokes, width: float, height: float) -> list[list[list[float]]]:
    """Strokes with every point moved inside the canvas (a pen that left its edge is held at the edge)."""
    return [[[min(max(float(x), 0.0), width), min(max(float(y), 0.0), height)] for x, y in s] for s in strokes]
