"""Figures of measured behaviour, drawn from the JSON files the scripts write. No streamlit here.

- robustness: digit accuracy as an image is shifted, rotated or covered
  (weights/robustness.json, from `python -m training.robustness`);
- speed: tagging time against sentence length (weights/ner_speed.json, from
  `python -m benchmarks.ner_speed`).

Every figure has a caption function that states its key numbers in words, as a text alternative.
CNNs are blue and recurrent models vermillion (Okabe-Ito) everywhere in the app; the two lines
also differ by dash and marker, so they stay apart in greyscale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go

from figures.common import MARGIN, figure
from figures.palette import MODEL_COLOURS

# The BiLSTM tagger is the recurrent model of the text page: it takes the RNN colour.
_COLOUR_OF = {"cnn": MODEL_COLOURS["cnn"], "rnn": MODEL_COLOURS["rnn"], "bilstm": MODEL_COLOURS["rnn"]}
_DASH_OF = {"cnn": "solid", "rnn": "dash", "bilstm": "dash"}
_SYMBOL_OF = {"cnn": "circle", "rnn": "square", "bilstm": "square"}

DIGIT_MODEL_NAMES = {"cnn": "CNN", "rnn": "RNN (LSTM, row by row)"}
TAGGER_NAMES = {"bilstm": "BiLSTM-CRF", "cnn": "CNN tagger"}

# Curve -> (axis title, how a value reads in a sentence).
CURVES = {
    "shift_x": ("horizontal shift (pixels; + right, − left)", "at {:+d} px"),
    "shift_y": ("vertical shift (pixels; + down, − up)", "at {:+d} px"),
    "rotate": ("rotation (degrees; + anticlockwise, − clockwise)", "at {:+d}°"),
    "occlude_top": ("rows blanked out from the top", "with {:d} rows hidden"),
    "occlude_bottom": ("rows blanked out from the bottom", "with {:d} rows hidden"),
}
CURVE_TITLES = {
    "shift_x": "Accuracy as the digit moves sideways",
    "shift_y": "Accuracy as the digit moves up or down",
    "rotate": "Accuracy as the digit turns",
    "occlude_top": "Accuracy as rows are hidden from the top",
    "occlude_bottom": "Accuracy as rows are hidden from the bottom",
}
CURVE_LABELS = {
    "shift_x": "Horizontal shift",
    "shift_y": "Vertical shift",
    "rotate": "Rotation",
    "occlude_top": "Rows hidden from the top",
    "occlude_bottom": "Rows hidden from the bottom",
}
PARTS = {
    "encoder": "the encoder alone",
    "tagging": "the whole tagging (embeddings, encoder, decoding)",
}


def _line(name: str, label: str, x: list, y: list, hover: str) -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": label,
        "x": x,
        "y": y,
        "line": {"color": _COLOUR_OF[name], "dash": _DASH_OF[name], "width": 2.5},
        "marker": {"symbol": _SYMBOL_OF[name], "size": 8, "color": _COLOUR_OF[name]},
        "hovertemplate": f"{label}<br>{hover}<extra></extra>",
    }


# Room for the axis titles and tick labels, and for the legend above the plot.
_MARGIN = {**MARGIN, "l": 64, "b": 56, "t": 70}


def _log_ticks(values: list[float]) -> list[float]:
    """1-2-5 ticks spanning the values, so a log axis reads in plain milliseconds."""
    positive = [v for v in values if v > 0]
    if not positive:
        return []
    low, high = min(positive), max(positive)
    ticks, decade = [], 10.0 ** math.floor(math.log10(low))
    while decade <= high * 10:
        ticks += [m * decade for m in (1, 2, 5)]
        decade *= 10
    below = max([t for t in ticks if t <= low], default=ticks[0])
    above = min([t for t in ticks if t >= high], default=ticks[-1])
    return [round(t, 10) for t in ticks if below <= t <= above]


def _legend() -> dict:
    return {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0}


def _curve(results: dict, curve: str) -> dict[str, tuple[list, list]]:
    """model -> (values, accuracy in %) for the models present, CNN first."""
    if curve not in CURVES:
        raise ValueError(f"unknown curve {curve!r}; choose from {sorted(CURVES)}")
    out = {}
    for name in ("cnn", "rnn"):
        if name in results.get("models", {}):
            points = results["models"][name]["curves"][curve]
            out[name] = (list(points["values"]), [100.0 * a for a in points["accuracy"]])
    return out


def robustness_figure(results: dict, curve: str) -> go.Figure:
    """Accuracy (%) of the digit CNN and RNN against one perturbation, from weights/robustness.json."""
    curves = _curve(results, curve)  # checks the curve's name
    axis_title, _ = CURVES[curve]
    traces = [
        _line(name, DIGIT_MODEL_NAMES[name], values, accuracy, "%{x}: %{y:.1f}% correct")
        for name, (values, accuracy) in curves.items()
    ]
    all_values = [v for values, _ in curves.values() for v in values]
    layout = {
        "title": {"text": f"{CURVE_TITLES[curve]} ({results['n']:,} MNIST test digits)"},
        "height": 340,
        "margin": _MARGIN,
        "legend": _legend(),
        "xaxis": {"title": {"text": axis_title}, "tickvals": sorted(set(all_values)), "zeroline": False},
        "yaxis": {"title": {"text": "accuracy"}, "range": [0, 101], "ticksuffix": "%", "dtick": 20},
        "shapes": [
            # 10%: what guessing at random would score.
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 10,
                "y1": 10,
                "line": {"color": "#999999", "dash": "dot", "width": 1},
            }
        ],
        "annotations": [
            {
                "xref": "paper",
                "x": 1,
                "y": 10,
                "text": "chance (10%)",
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"size": 11},  # the theme's text colour: no fixed grey reads at AA on both themes
            }
        ],
    }
    return figure(traces, layout)


def robustness_caption(results: dict, curve: str) -> str:
    """The figure's numbers in words: each model's accuracy unperturbed and at both ends of the sweep."""
    curves = _curve(results, curve)  # checks the curve's name
    _, value_format = CURVES[curve]
    sentences = []
    for name, (values, accuracy) in curves.items():
        # Unperturbed first, then both ends of the sweep.
        shown = ([0] if 0 in values else []) + [v for v in (values[0], values[-1]) if v != 0]
        parts = []
        for value in shown:
            where = "unperturbed" if value == 0 else value_format.format(value)
            parts.append(f"{accuracy[values.index(value)]:.1f}% {where}")
        worst = min(range(len(values)), key=accuracy.__getitem__)
        sentence = f"{DIGIT_MODEL_NAMES[name]}: " + ", ".join(parts)
        if worst not in (0, len(values) - 1):
            sentence += f"; lowest {accuracy[worst]:.1f}% {value_format.format(values[worst])}"
        sentences.append(sentence + ".")
    n = results.get("n")
    source = f" Measured on the first {n:,} MNIST test images." if n else ""
    return f"{CURVE_TITLES[curve]}. " + " ".join(sentences) + source


@dataclass(frozen=True)
class RobustnessClaim:
    """An explanation of one curve, shown only when the measurements bear it out: at each of `points`,
    the RNN's accuracy minus the CNN's must lie within [low, high] (fractions: 0.1 is 10 points)."""

    points: tuple[int, ...]
    low: float
    high: float
    why: str  # may name {rotation}, the largest tilt each model saw in training


# Each explanation sits beside the check that must hold for it to be shown; the numbers come from the results.
ROBUSTNESS_CLAIMS = {
    "shift_x": RobustnessClaim(
        (-8, 8),
        -1.0,
        -0.10,
        "A CNN applies the same filters at every position, and pooling absorbs small moves, so a digit shifted "
        "sideways looks much the same to it. The row RNN reads each row as a list of 28 pixels whose weights belong "
        "to fixed columns: shift the digit sideways and every row it reads is new to it, and it falls far more "
        "steeply at the edges.",
    ),
    "shift_y": RobustnessClaim(
        (-8, 8),
        0.0,
        1.0,
        "Moving the digit up or down changes *when* the RNN meets each stroke, not *what* each row looks like, and "
        "it simply reads on: it holds up at least as well as the CNN here. Sequence models are at home with things "
        "that arrive earlier or later.",
    ),
    "rotate": RobustnessClaim(
        (-60, -45, 45, 60),
        -0.08,
        0.08,
        "Neither network was built to undo a rotation: both learned from upright digits (tilted by at most "
        "{rotation} in training), and both fall off alike as the angle grows.",
    ),
    "occlude_top": RobustnessClaim(
        (8, 12, 16),
        -0.06,
        0.06,
        "With the top rows blanked out, both networks lose the part that tells a 7 from a 1 or a 9 from a 4, and "
        "fall alike.",
    ),
    "occlude_bottom": RobustnessClaim(
        (12, 16),
        0.005,
        1.0,
        "With the bottom rows hidden, the RNN does better than the CNN: it was also trained to guess after every "
        "row, so a digit missing its bottom looks to it like one it has not finished reading.",
    ),
}


def accuracy_gap(results: dict, curve: str, value: int) -> float:
    """The RNN's accuracy minus the CNN's at one perturbation value (a fraction)."""
    accuracy = {}
    for name in ("cnn", "rnn"):
        points = results["models"][name]["curves"][curve]
        accuracy[name] = points["accuracy"][points["values"].index(value)]
    return accuracy["rnn"] - accuracy["cnn"]


def _gap_words(gap: float) -> str:
    points = abs(gap) * 100
    if points < 0.05:
        return "level"
    return f"{points:.1f} points {'higher' if gap > 0 else 'lower'}"


def robustness_note(results: dict, curve: str, manifests: dict[str, dict]) -> str:
    """What to notice on one curve: the claim's explanation when every check holds, and the measured gaps
    either way. manifests: model -> its manifest, which records the largest rotation its training used."""
    rotations_deg = {name: m["training"]["augment"]["max_rotation_deg"] for name, m in manifests.items()}
    claim = ROBUSTNESS_CLAIMS[curve]
    _, value_format = CURVES[curve]
    gaps = [(value, accuracy_gap(results, curve, value)) for value in claim.points]
    measured = "Measured, the RNN against the CNN: " + ", ".join(
        f"{_gap_words(gap)} {value_format.format(value)}" for value, gap in gaps
    )
    if not all(claim.low <= gap <= claim.high for _, gap in gaps):
        return f"{measured}. These curves do not show the pattern this perturbation usually shows."
    tilts = sorted(set(rotations_deg.values()))
    if len(tilts) == 1:
        rotation = f"{tilts[0]:g}°"
    else:
        rotation = " and ".join(f"{rotations_deg[m]:g}° ({m.upper()})" for m in sorted(rotations_deg))
    return f"{claim.why.format(rotation=rotation)} {measured}."


def curve_label(curve: str) -> str:
    """A curve's short name for a control."""
    return CURVE_LABELS.get(curve, curve)


def _timings(results: dict, threads: int, part: str) -> dict[str, list[float]]:
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; choose from {sorted(PARTS)}")
    out = {}
    for name in ("cnn", "bilstm"):
        model = results.get("models", {}).get(name)
        if model is not None:
            out[name] = list(model["timings_ms"][str(threads)][part])
    return out


def speed_figure(results: dict, threads: int, part: str) -> go.Figure:
    """Time to tag one sentence against its length, both taggers, log-log: the lengths double at
    each step, and a line whose slope is 1 means time grows in proportion to length."""
    lengths = list(results["lengths"])
    timings = _timings(results, threads, part)
    traces = [
        _line(name, TAGGER_NAMES[name], lengths, times, "%{x} tokens: %{y:.2f} ms") for name, times in timings.items()
    ]
    thread_text = "1 thread" if threads == 1 else f"{threads} threads"
    layout = {
        "title": {"text": f"Time for {PARTS[part]}, one sentence, {thread_text}"},
        "height": 340,
        "margin": _MARGIN,
        "legend": _legend(),
        "xaxis": {"title": {"text": "sentence length (tokens, log scale)"}, "type": "log", "tickvals": lengths},
        "yaxis": {
            "title": {"text": "milliseconds (median, log scale)"},
            "type": "log",
            "tickvals": _log_ticks([t for times in timings.values() for t in times]),
        },
    }
    return figure(traces, layout)


def speed_caption(results: dict, threads: int, part: str) -> str:
    """The figure's numbers in words: each tagger's time at the shortest and longest sentence."""
    lengths = list(results["lengths"])
    timings = _timings(results, threads, part)
    thread_text = "1 thread" if threads == 1 else f"{threads} threads"
    sentences = []
    for name, times in timings.items():
        growth = times[-1] / times[0] if times[0] else float("nan")
        sentences.append(
            f"{TAGGER_NAMES[name]}: {times[0]:.2f} ms at {lengths[0]} tokens, {times[-1]:.2f} ms at "
            f"{lengths[-1]} tokens ({growth:.1f}× for {lengths[-1] / lengths[0]:.0f}× the length)."
        )
    return (
        f"Median time for {PARTS[part]} on one sentence, {thread_text}. "
        + " ".join(sentences)
        + " Measured on CoNLL-2003 test text; times depend on the machine."
    )


def time_change(before: float, after: float) -> str:
    """How a time changed, as a verb phrase that reads true for either sign: "falls by 30%",
    "rises by 15%", "stays the same" (within half a percent)."""
    change = after / before - 1 if before else 0.0
    if abs(change) < 0.005:
        return "stays the same"
    return f"falls by {-change:.0%}" if change < 0 else f"rises by {change:.0%}"


def speed_note(results: dict) -> str:
    """What to notice in the speed measurements, in plain words, with the numbers measured. Each
    comparison is worded from the numbers, so the note stays true if the measurements change."""
    lengths = list(results["lengths"])
    longest, shortest = lengths[-1], lengths[0]
    one = _timings(results, 1, "encoder")
    two = _timings(results, 2, "encoder") if "2" in results["models"]["cnn"]["timings_ms"] else None
    tagging = _timings(results, 1, "tagging")
    cnn_long, rnn_long = one["cnn"][-1], one["bilstm"][-1]
    faster_long = "the CNN" if cnn_long < rnn_long else "the BiLSTM"
    parts = [
        "The BiLSTM must finish word t before it can start word t+1; the convolution's positions do not wait for "
        "each other, so it computes them all with a few large matrix products. On this machine's processor both "
        f"still grow with the length: for {longest} words the encoders take {rnn_long:.1f} ms (BiLSTM) and "
        f"{cnn_long:.1f} ms (CNN) on one thread, so {faster_long} is faster there."
    ]
    cnn_short, rnn_short = one["cnn"][0], one["bilstm"][0]
    if cnn_short > rnn_short:
        parts.append(
            f"For {shortest} words the CNN is the slower ({cnn_short:.1f} against {rnn_short:.1f} ms): its "
            "layers cost a fixed amount of work however few the words."
        )
    if two is not None:
        cnn_two, rnn_two = two["cnn"][-1], two["bilstm"][-1]
        cnn_gain, rnn_gain = 1 - cnn_two / cnn_long, 1 - rnn_two / rnn_long
        if cnn_gain > rnn_gain:
            lesson = "the convolution gains more from parallel hardware, and a GPU has thousands of cores."
        elif cnn_gain < rnn_gain:
            lesson = "here the BiLSTM gains more, although its steps cannot run in parallel."
        else:
            lesson = "both gain alike."
        parts.append(
            f"With a second thread the CNN's time at {longest} words {time_change(cnn_long, cnn_two)} and the "
            f"BiLSTM's {time_change(rnn_long, rnn_two)}: {lesson}"
        )
    parts.append(
        f"The CRF's Viterbi decoding is a step-by-step loop as well: tagging {longest} words takes the whole "
        f"BiLSTM-CRF {tagging['bilstm'][-1]:.1f} ms, the CNN tagger {tagging['cnn'][-1]:.1f} ms."
    )
    return " ".join(parts)
