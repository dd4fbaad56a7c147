"""Figures for the live-training page: arrays in, plotly figures and captions out. No streamlit here.

Every caption is built from the numbers it describes and reads true for any of them: which model is
ahead, a loss that rose, a run with no evaluation yet, a model that diverged.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from figures.common import IMAGE_AXIS, MARGIN, SIGNED_SCALE, figure, plot_text
from figures.digits import PIXEL_SCALE, stitch
from figures.palette import MODEL_COLOURS, PRETRAINED_COLOUR
from live.run import CURVE_COLUMNS

MAX_POINTS = 250  # per curve: longer runs are averaged into this many bins, which also smooths batch noise
SHORT_NAMES = {"cnn": "CNN", "rnn": "RNN"}
_DASH = {"cnn": "solid", "rnn": "dash"}
_SYMBOL = {"cnn": "circle", "rnn": "square"}
# Curve table columns, in the order live/run.py writes them.
EXAMPLES, SECONDS, LOSS, ACCURACY = (CURVE_COLUMNS.index(name) for name in ("examples", "seconds", "loss", "accuracy"))
X_AXES = {EXAMPLES: "examples seen", SECONDS: "seconds of CPU spent on the model"}


def binned(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Means of consecutive runs of points, at most `max_points` of them; non-finite y values are dropped."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    size = max(1, math.ceil(len(x) / max_points))
    if size == 1:
        return x, y
    edges = np.arange(0, len(x), size)
    counts = np.diff(np.append(edges, len(x)))
    return np.add.reduceat(x, edges) / counts, np.add.reduceat(y, edges) / counts


def _percent(value: float) -> str:
    return f"{value:.1%}"


# ---------------------------------------------------------------- curves


def _axis_name(kind: str, row: int, col: int) -> tuple[str, str]:
    index = row * 2 + col + 1
    suffix = "" if index == 1 else str(index)
    return f"x{suffix}", f"y{suffix}"


def learning_curves(learners: dict) -> go.Figure:
    """Accuracy (top) and loss (bottom, log scale) against examples seen (left) and CPU seconds (right):
    thin lines for the training batches, lines with markers for the held-out digits."""
    traces = []
    for kind, view in learners.items():
        colour, name = MODEL_COLOURS[kind], SHORT_NAMES[kind]
        for row, column in enumerate((ACCURACY, LOSS)):
            for col, x_column in enumerate((EXAMPLES, SECONDS)):
                xaxis, yaxis = _axis_name(kind, row, col)
                first = row == 0 and col == 0
                x, y = binned(view.train[:, x_column], view.train[:, column])
                traces.append({
                    "type": "scatter", "mode": "lines", "x": x, "y": y, "xaxis": xaxis, "yaxis": yaxis,
                    "name": f"{name}, training batches", "legendgroup": f"{kind}-train", "showlegend": first,
                    "line": {"color": colour, "width": 1, "dash": _DASH[kind]}, "opacity": 0.45,
                    "hovertemplate": f"{name} training<br>%{{x:,.4g}}: %{{y:.3g}}<extra></extra>",
                })  # fmt: skip
                held = view.heldout
                keep = np.isfinite(held[:, column])
                traces.append({
                    "type": "scatter", "mode": "lines+markers", "x": held[keep, x_column], "y": held[keep, column],
                    "xaxis": xaxis, "yaxis": yaxis, "name": f"{name}, held-out digits",
                    "legendgroup": f"{kind}-heldout", "showlegend": first,
                    "line": {"color": colour, "width": 2.5, "dash": _DASH[kind]},
                    "marker": {"color": colour, "symbol": _SYMBOL[kind], "size": 6},
                    "hovertemplate": f"{name} held-out<br>%{{x:,.4g}}: %{{y:.3g}}<extra></extra>",
                })  # fmt: skip
    layout = {
        "height": 520,
        "margin": {**MARGIN, "l": 60, "b": 50, "t": 40},
        "legend": {"orientation": "h", "y": 1.08, "x": 0},
        "hovermode": "closest",
    }
    for row, (title, extra) in enumerate((("accuracy", {"tickformat": ".0%", "range": [0, 1.02]}),
                                          ("loss (log scale)", {"type": "log"}))):  # fmt: skip
        for col, x_column in enumerate((EXAMPLES, SECONDS)):
            xaxis, yaxis = _axis_name("", row, col)
            x_domain = [0.0, 0.47] if col == 0 else [0.53, 1.0]
            y_domain = [0.56, 1.0] if row == 0 else [0.0, 0.44]
            layout[xaxis.replace("x", "xaxis")] = {
                "domain": x_domain, "anchor": yaxis, "matches": "x" if col == 0 and row == 1 else None,
                "title": {"text": X_AXES[x_column]} if row == 1 else None, "rangemode": "tozero",
            }  # fmt: skip
            layout[yaxis.replace("y", "yaxis")] = {
                "domain": y_domain, "anchor": xaxis, "title": {"text": title} if col == 0 else None, **extra,
            }  # fmt: skip
    layout["xaxis3"]["matches"] = "x"
    layout["xaxis4"]["matches"] = "x2"
    return figure(traces, layout)


def _divergence_words(view, learning_rate: float) -> str:
    d = view.divergence
    loss = (
        "was not a number"
        if math.isnan(d.loss)
        else "became infinite"
        if math.isinf(d.loss)
        else f"reached {d.loss:.3g}"
    )
    return (
        f"The {SHORT_NAMES[view.kind]} diverged at step {d.step}: its loss {loss}, so its training stopped. A learning "
        f"rate of {learning_rate:g} throws the weights too far at every step; try a smaller one."
    )


def curves_caption(learners: dict, heldout_count: int, learning_rate: float) -> str:
    """The curves in words: each model's latest held-out score and what it cost, who leads, any divergence."""
    parts, scores = [], {}
    for kind, view in learners.items():
        name = SHORT_NAMES[kind]
        if view.divergence is not None:
            parts.append(_divergence_words(view, learning_rate))
        evaluation = view.evaluation
        if evaluation is None:
            parts.append(f"The {name} has not been scored yet.")
            continue
        scores[kind] = evaluation.accuracy
        loss = f"held-out loss {evaluation.loss:.3f}" if math.isfinite(evaluation.loss) else "held-out loss not finite"
        parts.append(
            f"The {name} gets {_percent(evaluation.accuracy)} of the {heldout_count:,} held-out digits right after "
            f"{evaluation.examples:,} training examples and {evaluation.seconds:.1f} s of CPU ({loss})."
        )
    if len(scores) == 2:
        gap = scores["cnn"] - scores["rnn"]
        if abs(gap) < 0.0005:
            parts.append("The two are level.")
        else:
            leader = "CNN" if gap > 0 else "RNN"
            parts.append(f"The {leader} is ahead by {abs(gap) * 100:.1f} percentage points.")
    return " ".join(parts) if parts else "Press Start or One step to train."


# ---------------------------------------------------------------- the CNN's first layer


def filters_then_and_now(initial: np.ndarray, now: np.ndarray, step: int, columns: int | None = None) -> go.Figure:
    """The first-layer filters (C, k, k) at random initialisation and now, side by side on one colour scale."""
    columns = columns or (4 if len(initial) <= 16 else 8)  # two blocks of about square tiles, side by side
    before_grid, channel_of = stitch(np.asarray(initial, dtype=np.float32), columns=min(columns, len(initial)))
    after_grid, _ = stitch(np.asarray(now, dtype=np.float32), columns=min(columns, len(now)))
    gap = np.full((before_grid.shape[0], 2), np.nan, dtype=np.float32)
    grid = np.concatenate([before_grid, gap, after_grid], axis=1)
    channels = np.concatenate([channel_of, np.full(gap.shape, 255, np.uint8), channel_of], axis=1)
    vmax = float(np.nanmax(np.abs(grid))) or 1.0
    trace = {
        "type": "heatmap", "z": grid, "customdata": channels, "colorscale": SIGNED_SCALE, "zmin": -vmax, "zmax": vmax,
        "hovertemplate": "filter %{customdata}<br>weight %{z:.3f}<extra></extra>", "colorbar": {"thickness": 10},
    }  # fmt: skip
    middle = before_grid.shape[1] / 2, before_grid.shape[1] + gap.shape[1] + after_grid.shape[1] / 2
    labels = [
        {"x": middle[0], "y": -1.2, "text": "at random initialisation", "showarrow": False},
        {"x": middle[1], "y": -1.2, "text": f"now, after {step:,} steps", "showarrow": False},
    ]
    k = initial.shape[-1]
    layout = {
        "title": {"text": f"conv1's {len(initial)} filters of {k}×{k} weights (blue negative, red positive)"},
        "height": int(110 + 300 * grid.shape[0] / grid.shape[1]),  # the tiles fill the width
        "margin": MARGIN,
        "xaxis": IMAGE_AXIS,
        "yaxis": {**IMAGE_AXIS, "autorange": False, "range": [grid.shape[0] - 0.5, -2.2], "scaleanchor": "x"},
        "annotations": labels,
    }
    return figure([trace], layout)


def filter_drift_bars(cosine: np.ndarray, change: np.ndarray) -> go.Figure:
    """Each filter's cosine similarity to its random start (1: unturned), with how far it moved on hover."""
    cosine, change = np.asarray(cosine, dtype=np.float64), np.asarray(change, dtype=np.float64)
    trace = {
        "type": "bar", "x": [str(i) for i in range(len(cosine))], "y": cosine, "customdata": change,
        "marker": {"color": MODEL_COLOURS["cnn"]},
        "hovertemplate": "filter %{x}<br>cosine to its start %{y:.2f}<br>moved %{customdata:.2f}× its starting norm"
        "<extra></extra>",
    }  # fmt: skip
    layout = {
        "title": {"text": "Each filter's cosine similarity to where it began (1 = unchanged)"},
        "height": 240,
        "margin": {**MARGIN, "l": 50, "b": 40, "t": 50},
        "xaxis": {"type": "category", "title": {"text": "filter"}},
        "yaxis": {"range": [min(-0.05, float(cosine.min(initial=0.0))), 1.05]},
    }
    return figure([trace], layout)


def filter_drift_caption(cosine: np.ndarray, change: np.ndarray, step: int) -> str:
    """The drift in words; the pretrained CNN's 3x3 filters ended at a median cosine of 0.93, for comparison."""
    cosine, change = np.asarray(cosine), np.asarray(change)
    if step == 0:
        return f"Step 0: all {len(cosine)} filters are where they started, random noise."
    median = float(np.median(cosine))
    most = int(cosine.argmin())
    if median >= 0.95:
        verdict = "so far they have barely turned"
    elif median >= 0.7:
        verdict = "they have started to turn"
    else:
        verdict = "they have turned well away from their random start"
    return (
        f"After {step:,} steps the median filter's cosine similarity to its start is {median:.2f} (1 means unturned): "
        f"{verdict}. Filter {most} moved most (cosine {cosine[most]:.2f}, {change[most]:.2f}× its starting norm). "
        "The median filter moved "
        f"{float(np.median(change)):.2f}× its starting norm."
    )


# ---------------------------------------------------------------- the RNN, row by row


def rows_accuracy(accuracy: np.ndarray) -> go.Figure:
    accuracy = np.asarray(accuracy, dtype=np.float64)
    rows = np.arange(1, len(accuracy) + 1)
    trace = {
        "type": "scatter", "mode": "lines+markers", "x": rows, "y": accuracy,
        "line": {"color": MODEL_COLOURS["rnn"], "dash": "dash", "width": 2.5},
        "marker": {"symbol": "square", "size": 6, "color": MODEL_COLOURS["rnn"]},
        "hovertemplate": "after %{x} rows: %{y:.1%}<extra></extra>",
    }  # fmt: skip
    layout = {
        "title": {"text": "The RNN's held-out accuracy, having read the first rows only"},
        "height": 300,
        "margin": {**MARGIN, "l": 60, "b": 50, "t": 50},
        "xaxis": {"title": {"text": "rows read (of 28, top down)"}, "range": [0.5, len(accuracy) + 0.5]},
        "yaxis": {"title": {"text": "accuracy"}, "tickformat": ".0%", "range": [0, 1.02]},
    }
    return figure([trace], layout)


def rows_accuracy_caption(accuracy: np.ndarray) -> str:
    accuracy = np.asarray(accuracy, dtype=np.float64)
    n = len(accuracy)
    half = accuracy[n // 2 - 1]
    best = int(accuracy.argmax())
    reaching = np.flatnonzero(accuracy >= 0.9 * accuracy[-1]) if accuracy[-1] > 0 else np.array([], dtype=int)
    parts = [
        f"Having read {n // 2} of {n} rows the RNN gets {_percent(half)} right; with all {n}, {_percent(accuracy[-1])}."
    ]
    if len(reaching):
        parts.append(f"It reaches nine tenths of its final accuracy after {int(reaching[0]) + 1} rows.")
    if best + 1 < n and accuracy[best] > accuracy[-1] + 0.0005:
        parts.append(f"It scores best after {best + 1} rows ({_percent(accuracy[best])}), not at the end.")
    return " ".join(parts)


# ---------------------------------------------------------------- confusion and mistakes


def confusion_matrix(counts: np.ndarray, rows: list[str], columns: list[str], title: str, colour: str) -> go.Figure:
    """Counts (true x predicted) as a heatmap. The colour scale tops out at the largest mistake, so the
    mistakes show; the diagonal, far larger, saturates."""
    counts = np.asarray(counts, dtype=np.int64)
    off = counts.copy()
    for i in range(min(off.shape)):
        off[i, i] = 0
    top = max(int(off.max(initial=0)), 1)
    trace = {
        "type": "heatmap", "z": counts, "x": [plot_text(c) for c in columns], "y": [plot_text(r) for r in rows],
        "text": counts, "texttemplate": "%{text}", "zmin": 0, "zmax": top, "showscale": False,
        "colorscale": [[0.0, "#ffffff"], [1.0, colour]],
        "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>",
    }  # fmt: skip
    layout = {
        "title": {"text": title},
        "height": 120 + 28 * len(rows),
        "margin": {**MARGIN, "l": 70, "b": 50, "t": 50},
        "xaxis": {"title": {"text": "predicted"}, "type": "category", "side": "bottom"},
        "yaxis": {"title": {"text": "true"}, "type": "category", "autorange": "reversed"},
    }
    return figure([trace], layout)


def confusion_caption(counts: np.ndarray, rows: list[str], columns: list[str], name: str) -> str:
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return f"No held-out examples scored for the {name} yet."
    right = int(sum(counts[i, i] for i in range(min(counts.shape))))
    off = counts.copy()
    for i in range(min(off.shape)):
        off[i, i] = 0
    parts = [f"The {name} gets {right:,} of {total:,} right."]
    if off.max(initial=0) > 0:
        true_index, predicted_index = np.unravel_index(int(off.argmax()), off.shape)
        times = int(off[true_index, predicted_index])
        parts.append(
            f"Its most common mistake: {rows[true_index]} taken for {columns[predicted_index]}, "
            f"{times} time{'s' if times != 1 else ''}."
        )
    else:
        parts.append("It makes no mistakes.")
    return " ".join(parts)


def mistakes(images: np.ndarray, truth: np.ndarray, predicted: np.ndarray, name: str, columns: int = 8) -> go.Figure:
    """Held-out digits (k, 28, 28) the model gets wrong, each labelled "true → said"."""
    images = np.asarray(images, dtype=np.float32)
    grid, _ = stitch(images, columns=min(columns, max(len(images), 1)), gap=4)
    labels = []
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        row, col = divmod(i, columns)
        labels.append({
            "x": col * 32 + 13.5, "y": row * 32 - 2.5, "text": f"{t} → {p}", "showarrow": False,
            "font": {"size": 12},
        })  # fmt: skip
    trace = {
        "type": "heatmap", "z": grid, "colorscale": PIXEL_SCALE, "zmin": 0, "zmax": 1, "showscale": False,
        "hoverinfo": "skip",
    }  # fmt: skip
    layout = {
        "title": {"text": f"Held-out digits the {name} still gets wrong (true → said)"},
        "height": int(110 + 52 * (grid.shape[0] + 4) / 32),  # one row of digits is about 52 px in a half-page column
        "margin": {**MARGIN, "t": 60},
        "xaxis": IMAGE_AXIS,
        "yaxis": {**IMAGE_AXIS, "autorange": False, "range": [grid.shape[0] - 0.5, -6], "scaleanchor": "x"},
        "annotations": labels,
    }
    return figure([trace], layout)


def mistakes_caption(truth: np.ndarray, predicted: np.ndarray, wrong_total: int, name: str) -> str:
    if wrong_total == 0:
        return f"The {name} gets every held-out digit right."
    shown = ", ".join(f"{t} as {p}" for t, p in zip(truth, predicted, strict=True))
    return f"The {name} gets {wrong_total:,} held-out digits wrong; the first {len(truth)}: {shown}."


# ---------------------------------------------------------------- predictions on the canvas


def _fraction_series(
    kind: str,
    x_word: str,
    series: list,
    *,
    title: str,
    height: int,
    margin: dict,
    legend_y: float,
    xaxis: dict,
    **layout,
) -> go.Figure:
    """Named series of fractions, one plotly trace of `kind` each: `series` holds (name, x, y, style), hovered
    as "name<br>x_word x: y%", under a legend in a row and above a y axis from 0 to 105%."""
    traces = [
        {"type": kind, "name": name, "x": x, "y": y, **style,
         "hovertemplate": f"{name}<br>{x_word} %{{x}}: %{{y:.1%}}<extra></extra>"}
        for name, x, y, style in series
    ]  # fmt: skip
    return figure(traces, {
        "title": {"text": title}, "height": height, "margin": {**MARGIN, **margin},
        "legend": {"orientation": "h", "y": legend_y, "x": 0},
        "xaxis": xaxis, "yaxis": {"range": [0, 1.05], "tickformat": ".0%"}, **layout,
    })  # fmt: skip


def prediction_bars(probabilities: dict[str, np.ndarray], names: dict[str, str], colours: dict[str, str]) -> go.Figure:
    """Each model's probability for every digit, grouped by digit."""
    series = []
    for key, probs in probabilities.items():
        probs = np.asarray(probs, dtype=np.float64)
        series.append((names[key], [str(d) for d in range(len(probs))], probs, {"marker": {"color": colours[key]}}))
    return _fraction_series(
        "bar", "digit", series, title="Probability of each digit, by model", height=300,
        margin={"l": 50, "b": 40, "t": 60}, legend_y=1.12,
        xaxis={"type": "category", "title": {"text": "digit"}}, barmode="group",
    )  # fmt: skip


def prediction_caption(probabilities: dict[str, np.ndarray], names: dict[str, str]) -> str:
    parts = []
    for key, probs in probabilities.items():
        probs = np.asarray(probs)
        top = int(probs.argmax())
        parts.append(f"{names[key]}: {top} ({probs[top]:.0%})")
    answers = {int(np.asarray(p).argmax()) for p in probabilities.values()}
    agreement = " All agree." if len(answers) == 1 and len(probabilities) > 1 else ""
    return "; ".join(parts) + "." + agreement


# ---------------------------------------------------------------- symbols


def _percent_bars(labels: list[str], values, colours: list[str], texts: list[str], title: str, height: int):
    """Bars of fractions shown as percentages, one per (escaped) label, with room above for the numbers."""
    trace = {
        "type": "bar", "x": labels, "y": list(values), "marker": {"color": colours}, "text": texts,
        "textposition": "outside", "hovertemplate": "%{x}: %{y:.1%}<extra></extra>",
    }  # fmt: skip
    layout = {
        "title": {"text": title},
        "height": height,
        "margin": {**MARGIN, "l": 50, "b": 40, "t": 50},
        "yaxis": {"range": [0, 1.15], "tickformat": ".0%"},
        "xaxis": {"type": "category"},
    }
    return figure([trace], layout)


def symbol_scores(names: tuple[str, ...], per_symbol: np.ndarray, mnist_accuracy: float) -> go.Figure:
    """Accuracy on each symbol's held-back drawings, and on the held-out MNIST digits."""
    labels = [plot_text(n) for n in names] + ["MNIST digits"]
    values = [0.0 if math.isnan(v) else float(v) for v in per_symbol] + [mnist_accuracy]
    colours = [MODEL_COLOURS["cnn"]] * len(names) + [PRETRAINED_COLOUR]
    texts = [f"{v:.0%}" for v in values]
    return _percent_bars(
        labels, values, colours, texts, "Accuracy on drawings held back, and on the held-out digits", 300
    )


def symbol_scores_caption(names, per_symbol, heldback_counts, mnist_accuracy: float, heldout_count: int) -> str:
    parts = []
    for name, accuracy, count in zip(names, per_symbol, heldback_counts, strict=True):
        if count == 0 or math.isnan(accuracy):
            parts.append(f"“{name}”: no drawing held back")
        else:
            parts.append(f"“{name}”: {round(accuracy * count)} of {count} held-back drawing{'s' if count != 1 else ''}")
    return (
        "Recognised: " + "; ".join(parts) + f". The {heldout_count:,} held-out MNIST digits: "
        f"{_percent(mnist_accuracy)} right, with the new outputs competing."
    )


def lesson_curve(curve: np.ndarray) -> go.Figure:
    """Held-back symbol accuracy and MNIST accuracy as the last layer trains (curve: LESSON_COLUMNS rows)."""
    curve = np.asarray(curve, dtype=np.float64).reshape(-1, 5)
    series = []
    for column, name, colour, dash in ((3, "held-back drawings", MODEL_COLOURS["cnn"], "solid"),
                                       (4, "held-out MNIST digits", PRETRAINED_COLOUR, "dot")):  # fmt: skip
        keep = np.isfinite(curve[:, column])
        series.append((name, curve[keep, 0], curve[keep, column],
                       {"mode": "lines+markers", "line": {"color": colour, "dash": dash}}))  # fmt: skip
    return _fraction_series(
        "scatter", "step", series, title="Accuracy as the new last layer learns", height=280,
        margin={"l": 60, "b": 50, "t": 60}, legend_y=1.15, xaxis={"title": {"text": "step"}, "rangemode": "tozero"},
    )  # fmt: skip


def lesson_curve_caption(curve: np.ndarray) -> str:
    curve = np.asarray(curve, dtype=np.float64).reshape(-1, 5)
    if len(curve) == 0:
        return "The lesson has not been scored yet."
    first, last = curve[0], curve[-1]

    def moved(column: int, what: str) -> str:
        a, b = first[column], last[column]
        if not (math.isfinite(a) and math.isfinite(b)):
            return f"{what}: not scored"
        if abs(b - a) < 0.0005:
            return f"{what} stayed at {_percent(b)}"
        return f"{what} {'rose' if b > a else 'fell'} from {_percent(a)} to {_percent(b)}"

    return (
        f"From step {int(first[0])} to step {int(last[0])} ({last[1]:.1f} s of CPU in all): "
        f"{moved(3, 'held-back drawings')}; {moved(4, 'held-out digits')}."
    )


def symbol_prediction_bars(labels: tuple[str, ...], probs: np.ndarray, symbols: int) -> go.Figure:
    probs = np.asarray(probs, dtype=np.float64)
    top = int(probs.argmax())
    colours = ["#bbbbbb"] * (len(labels) - symbols) + ["#999999"] * symbols
    colours[top] = MODEL_COLOURS["cnn"]
    texts = [f"{p:.0%}" if p >= 0.01 else "" for p in probs]
    return _percent_bars(
        [plot_text(label) for label in labels], probs, colours, texts, "Probability of each digit and symbol", 280
    )


def drawings_strip(drawings: list[np.ndarray]) -> np.ndarray:
    """A symbol's drawings (each 28x28 in [0, 1]) side by side, as a uint8 picture for st.image."""
    if not drawings:
        return np.zeros((28, 28), dtype=np.uint8)
    grid, _ = stitch(np.stack(drawings).astype(np.float32), columns=len(drawings), gap=2)
    return (np.nan_to_num(grid, nan=0.35) * 255).astype(np.uint8)


# ---------------------------------------------------------------- status in words

# The words that open the page's status lines, named so that the browser tests look for these very words.
TRAINING = "Training…"
PAUSED = "Paused"
READY = "Ready: press Start to train, or One step to take a single step."
LEARNED = "Learned in"
SERVER_LIMIT = "This server trains at most"

FINISHED = {
    "seconds": "Done: the run used its CPU budget.",
    "steps": "Done: the run reached its step budget.",
    "diverged": "Stopped: every model diverged.",
    "wall": "Stopped: the server was too busy to give this run its CPU seconds in a reasonable time.",
    "stopped": "Stopped.",
    "error": "Stopped by an unexpected error.",
}


def _seconds(value: float) -> str:
    """5, 12.5, 0.2, 1,000,000: one decimal at most, thousands grouped, never an exponent."""
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def shortened_note(asked_seconds: float, max_seconds: float, waiting: int) -> str:
    """Why a run's budget is below what was asked: a fair share while others waited (empty when it is not)."""
    if waiting < 1 or not max_seconds < asked_seconds:
        return ""
    others = "another run was" if waiting == 1 else f"{waiting:,} other runs were"
    return (
        f" Shortened from {_seconds(asked_seconds)} to {_seconds(max_seconds)} CPU seconds because {others} waiting "
        f"for a trainer: while a class trains, each run gets a fair share so that nobody waits long."
    )


def run_status(
    status, steps: int, cpu_seconds: float, max_seconds: float, max_steps: int, asked_seconds: float | None = None,
    shortened_for: int = 0,
) -> tuple[str, str]:  # fmt: skip
    """(level, sentence) for a training worker's state: level is one of info, success, warning, error.
    `asked_seconds`: the budget the run was started with, when its fair share (`max_seconds`) is less."""
    budget = f"step {steps:,} of at most {max_steps:,}; {cpu_seconds:.1f} of {_seconds(max_seconds)} CPU seconds"
    note = shortened_note(asked_seconds or max_seconds, max_seconds, shortened_for)
    if status.error:
        return "error", f"{FINISHED['error']} {status.error}"
    if status.finished:
        level = "success" if status.finished in ("seconds", "steps") else "warning"
        return level, f"{FINISHED.get(status.finished, 'Stopped.')} ({budget}){note}"
    if status.state == "queued":
        place = status.queue_position
        ahead = "next in line" if place == 1 else f"number {place} in line" if place else "in line"
        return "warning", (
            f"Waiting for a free trainer: you are {ahead}. The server trains a few runs at a time so that "
            f"every page stays quick; yours starts as soon as one ends or pauses."
        )
    if status.state == "running":
        return "info", f"{TRAINING} ({budget}){note}"
    if steps == 0:
        return "info", READY
    return "info", f"{PAUSED} ({budget}).{note}"


def pool_line(load) -> str:
    running = f"{load.running} training{'s' if load.running != 1 else ''} running"
    return f"{SERVER_LIMIT} {load.slots} at a time: {running}, {load.waiting} waiting."


def lesson_status(status, view) -> tuple[str, str]:
    if status.error:
        return "error", f"{FINISHED['error']} {status.error}"
    if status.state == "queued":
        place = status.queue_position
        return "warning", f"Waiting for a free trainer: you are {'next' if place == 1 else f'number {place}'} in line."
    if view.finished:
        if view.classifier is None:
            return "warning", "The lesson ran out of time before the last layer could learn: try again."
        return "success", f"{LEARNED} {view.steps} steps and {view.cpu_seconds:.1f} s of CPU. Draw to test it."
    if view.steps == 0:
        return "info", f"Passing your drawings through the frozen layers… {view.prepared:.0%}"
    return "info", f"Fine-tuning the last layer: step {view.steps}…"
