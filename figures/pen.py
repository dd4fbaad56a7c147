"""Figures and sentences for the pen page: a drawing read as a movement by a GRU, and as a picture by
the CNN. Arrays in, plotly figures and text out; no streamlit here.

Every sentence is built from the numbers it reports, and reads true whichever way they fall: the
models may agree or not, an order experiment may change the answer or leave it.
"""

from __future__ import annotations

import numpy as np

from figures.common import MARGIN, figure
from figures.compare import RNN_COLOUR

TIME_SCALE = "Viridis"  # early points dark, late points bright: time as a colour
UNREAD_COLOUR = "#d0d0d0"
# How each order experiment (models.pen.ORDERS) reads in a sentence.
ORDER_PHRASES = {
    "as drawn": "the path as drawn",
    "points shuffled": "the same points in a random order",
    "strokes reversed": "the strokes backwards, the last one first",
}


def _guess(probs) -> tuple[int, float]:
    probs = np.asarray(probs)
    return int(probs.argmax()), float(probs.max())


def pen_path(points: np.ndarray, stroke_of_point: np.ndarray, upto: int, width: int, height: int, title: str = ""):
    """The path the GRU reads, on the canvas: points 0..`upto` coloured by when the pen passed them, joined
    within each stroke, pen lifts as dotted jumps; the points not read yet in light grey; the pen as a ring."""
    points = np.asarray(points, dtype=np.float64)  # (T, 2)
    strokes = np.asarray(stroke_of_point)
    read = np.arange(len(points)) <= upto
    traces = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": points[~read, 0],
            "y": points[~read, 1],
            "marker": {"color": UNREAD_COLOUR, "size": 5},
            "name": "not read yet",
            "hoverinfo": "skip",
        }
    ]
    for stroke in np.unique(strokes[read]):
        on = read & (strokes == stroke)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": points[on, 0],
                "y": points[on, 1],
                "line": {"color": "#888888", "width": 2},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    lifts = [i for i in range(1, upto + 1) if strokes[i] != strokes[i - 1]]
    if lifts:
        jumps_x = [v for i in lifts for v in (points[i - 1, 0], points[i, 0], None)]
        jumps_y = [v for i in lifts for v in (points[i - 1, 1], points[i, 1], None)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": jumps_x,
                "y": jumps_y,
                "line": {"color": "#888888", "width": 1, "dash": "dot"},
                "name": "pen lifted",
                "hoverinfo": "skip",
            }
        )
    order = np.flatnonzero(read)
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": points[read, 0],
            "y": points[read, 1],
            "customdata": np.column_stack([order + 1, strokes[read] + 1]),
            "marker": {"color": order, "colorscale": TIME_SCALE, "cmin": 0, "cmax": max(len(points) - 1, 1), "size": 8},
            "name": "read, dark to bright in time",
            "hovertemplate": "point %{customdata[0]}, stroke %{customdata[1]}<extra></extra>",
        }
    )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [points[upto, 0]],
            "y": [points[upto, 1]],
            "marker": {"color": "rgba(0,0,0,0)", "size": 18, "line": {"color": RNN_COLOUR, "width": 3}},
            "name": "the pen now",
            "hoverinfo": "skip",
        }
    )
    layout = {
        "title": {"text": title or f"The pen's path: point {upto + 1} of {len(points)}"},
        "height": 320,
        "margin": MARGIN,
        "xaxis": {"range": [0, width], "visible": False},
        "yaxis": {"range": [height, 0], "visible": False, "scaleanchor": "x"},
        "legend": {"orientation": "h", "y": -0.05},
        "plot_bgcolor": "#ffffff",
    }
    return figure(traces, layout)


def stroke_rows(step_probs: np.ndarray, stroke_ends: list[int], cnn_probs: list[np.ndarray | None]) -> list[dict]:
    """One row per stroke: what each model says once the pen has lifted after it (a dash: no ink yet)."""
    rows = []
    for number, (end, cnn) in enumerate(zip(stroke_ends, cnn_probs, strict=True), start=1):
        rnn_digit, rnn_p = _guess(step_probs[end])
        row = {"after stroke": number, "points read": end + 1, "RNN says": f"{rnn_digit} ({rnn_p:.0%})"}
        row["CNN says"] = "—" if cnn is None else "{} ({:.0%})".format(*_guess(cnn))
        rows.append(row)
    return rows


def guesses_caption(rnn_probs: np.ndarray, cnn_probs: np.ndarray) -> str:
    """Whether the two readers agree on the whole drawing, in words."""
    (rnn, rnn_p), (cnn, cnn_p) = _guess(rnn_probs), _guess(cnn_probs)
    if rnn == cnn:
        return f"Both say **{rnn}**: the RNN from the path ({rnn_p:.0%} sure), the CNN from the picture ({cnn_p:.0%})."
    return (
        f"They disagree: the RNN, following the path, says **{rnn}** ({rnn_p:.0%}); the CNN, looking at the "
        f"picture, says **{cnn}** ({cnn_p:.0%})."
    )


def timeline_caption(step_probs: np.ndarray, point: int, cnn_probs: np.ndarray | None, settled: int | None) -> str:
    """The moment on the timeline in words: how far the pen is, and what each model says there."""
    total = len(step_probs)
    rnn, rnn_p = _guess(step_probs[point])
    share = (point + 1) / total
    cnn = (
        "the CNN sees no ink yet"
        if cnn_probs is None
        else "the CNN, shown the ink drawn so far, says **{}** ({:.0%})".format(*_guess(cnn_probs))
    )
    final = int(np.asarray(step_probs[-1]).argmax())
    if settled is None:
        when = f"The RNN only settles on {final} at the very last point."
    elif settled == 1:
        when = f"The RNN's final answer, {final}, is on top from the first point on."
    else:
        when = (
            f"The RNN's final answer, {final}, is on top for good from point {settled} "
            f"({settled / total:.0%} of the path)."
        )
    now = f"After {point + 1} of {total} points ({share:.0%} of the path) the RNN says **{rnn}** ({rnn_p:.0%})"
    return f"{now}; {cnn}. {when}"


def order_caption(order: str, base: tuple, variant: tuple, same_picture: bool) -> str:
    """What changing the time order did. `base` and `variant` are (RNN probabilities, CNN probabilities)
    for the drawing as drawn and reordered; `same_picture` says whether the rendered pictures are identical."""
    (rnn_before, rnn_before_p), (cnn_before, cnn_before_p) = _guess(base[0]), _guess(base[1])
    (rnn_after, rnn_after_p), (cnn_after, cnn_after_p) = _guess(variant[0]), _guess(variant[1])
    picture = "The picture is pixel for pixel the same" if same_picture else "The picture differs in some pixels"
    if np.array_equal(np.asarray(base[1]), np.asarray(variant[1])):
        link = "so" if same_picture else "yet"
        cnn = f"{link} the CNN's answer is identical, to the last digit: **{cnn_after}** ({cnn_after_p:.1%})."
    elif cnn_after == cnn_before:
        cnn = f"and the CNN still says **{cnn_after}** ({cnn_before_p:.1%} before, {cnn_after_p:.1%} now)."
    else:
        cnn = f"and the CNN's answer moves from {cnn_before} to **{cnn_after}** ({cnn_after_p:.1%})."
    path = ORDER_PHRASES.get(order, order)
    if rnn_after != rnn_before:
        rnn = f"The RNN, reading {path}, changes its answer from {rnn_before} to **{rnn_after}** ({rnn_after_p:.0%})."
    elif abs(rnn_after_p - rnn_before_p) < 0.005:
        rnn = f"The RNN, reading {path}, still says **{rnn_after}**, as sure as before ({rnn_after_p:.0%})."
    else:
        direction = "less" if rnn_after_p < rnn_before_p else "more"
        rnn = (
            f"The RNN, reading {path}, still says **{rnn_after}**, but {direction} sure: "
            f"{rnn_after_p:.0%}, against {rnn_before_p:.0%} as drawn."
        )
    return f"{picture}, {cnn} {rnn}"


def why_note() -> str:
    return (
        "**Why.** The CNN is given only the finished picture: it has no notion of before and after, so any order "
        "that leaves the same ink gives it the same input and the same answer. The RNN is given the moves one at "
        "a time, and its hidden state after each point is all it keeps of the path so far; the same points in "
        "another order are, to it, another drawing."
    )


def pen_model_caption(manifest: dict, evaluate_command: str) -> str:
    """The pen GRU's size and its held-out figures, read from its manifest."""
    metrics = manifest.get("metrics", {})
    accuracy = metrics.get("mnist_test_paths_accuracy")
    shuffled = metrics.get("mnist_test_paths_accuracy_points_shuffled")
    n = metrics.get("mnist_test_paths_n", 0)
    if accuracy is None or shuffled is None:
        return f"Pen RNN: {manifest.get('parameters', 0):,} parameters; no held-out figures in its manifest."
    return (
        f"Pen RNN: a GRU of {manifest.get('parameters', 0):,} parameters, trained on pen paths traced from MNIST "
        f"training digits. On {n:,} held-out paths traced from the MNIST test split it is right {accuracy:.2%} of "
        f"the time, and {shuffled:.2%} with their points shuffled (`{evaluate_command}`)."
    )
