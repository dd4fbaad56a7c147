"""Figures for the comparison page: a CNN and an RNN on the same input. No streamlit here.

Colours follow figures/measured.py: the CNN blue, the RNN (row LSTM or BiLSTM) vermillion,
both from the Okabe–Ito palette.
"""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np

from figures.common import IMAGE_AXIS, MARGIN, figure
from figures.digits import PIXEL_SCALE, SIGNED_SCALE
from figures.measured import MODEL_COLOURS
from figures.text import LABEL_COLOURS

CNN_COLOUR, RNN_COLOUR = MODEL_COLOURS["cnn"], MODEL_COLOURS["rnn"]
# Ten distinguishable colours for the ten digit classes (Okabe–Ito plus four greys and browns).
CLASS_COLOURS = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442",
    "#0072B2", "#D55E00", "#CC79A7", "#999999", "#8C510A",
)  # fmt: skip


def rows_read_image(image28: np.ndarray, rows_read: int) -> object:
    """The 28×28 input with the rows the RNN has not read yet dimmed, and a line under the last one read."""
    image = np.asarray(image28, dtype=np.float32)
    shown = image.copy()
    shown[rows_read:] *= 0.25
    trace = {
        "type": "heatmap",
        "z": shown,
        "colorscale": PIXEL_SCALE,
        "zmin": 0,
        "zmax": 1,
        "showscale": False,
        "hovertemplate": "row %{y}, column %{x}<extra></extra>",
    }
    unread = {
        "type": "rect",
        "x0": -0.5,
        "x1": 27.5,
        "y0": rows_read - 0.5,
        "y1": 27.5,
        "fillcolor": "rgba(213,94,0,0.25)",
        "line": {"width": 0},
    }
    cursor = {
        "type": "line",
        "x0": -0.5,
        "x1": 27.5,
        "y0": rows_read - 0.5,
        "y1": rows_read - 0.5,
        "line": {"color": RNN_COLOUR, "width": 3},
    }
    layout = {
        "title": {"text": f"Rows read so far: {rows_read} of 28"},
        "height": 300,
        "margin": MARGIN,
        "xaxis": IMAGE_AXIS,
        "yaxis": {**IMAGE_AXIS, "autorange": "reversed", "scaleanchor": "x"},
        "shapes": [unread, cursor] if rows_read < 28 else [],
    }
    return figure([trace], layout)


def step_probability_lines(step_probs: np.ndarray, rows_read: int, top: int = 3) -> object:
    """The RNN's class probabilities after each row: one line per digit. The classes that ever
    reach the top `top` are coloured and named; the rest are thin grey."""
    probs = np.asarray(step_probs, dtype=np.float64)  # (28, 10)
    steps = np.arange(1, len(probs) + 1)
    leaders = set(np.argsort(-probs.max(axis=0))[:top].tolist())
    traces = []
    for digit in range(probs.shape[1]):
        lead = digit in leaders
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": steps,
                "y": probs[:, digit],
                "name": f"“{digit}”",
                "showlegend": lead,
                "line": {"color": CLASS_COLOURS[digit] if lead else "#cccccc", "width": 3 if lead else 1},
                "hovertemplate": f"after row %{{x}}: p({digit}) = %{{y:.1%}}<extra></extra>",
            }
        )
    cursor = {
        "type": "line",
        "x0": rows_read,
        "x1": rows_read,
        "y0": 0,
        "y1": 1,
        "line": {"color": RNN_COLOUR, "dash": "dot", "width": 2},
    }
    layout = {
        "title": {"text": "The RNN's guess after each row it reads"},
        "height": 300,
        "margin": MARGIN,
        "xaxis": {"title": {"text": "rows read"}, "range": [0.5, len(probs) + 0.5], "dtick": 4},
        "yaxis": {"title": {"text": "probability"}, "range": [0, 1.02], "tickformat": ".0%"},
        "shapes": [cursor],
        "legend": {"orientation": "h", "y": -0.25},
    }
    return figure(traces[::-1], layout)  # leaders drawn last, on top


def row_hidden_heatmap(hidden: np.ndarray, rows_read: int) -> object:
    """The LSTM's hidden state (units × rows): what it carries from one row to the next."""
    hidden = np.asarray(hidden, dtype=np.float32)  # (28, H)
    vmax = float(np.abs(hidden).max()) or 1.0
    trace = {
        "type": "heatmap",
        "z": hidden.T,  # (H, 28)
        "x": np.arange(1, len(hidden) + 1),
        "colorscale": SIGNED_SCALE,
        "zmin": -vmax,
        "zmax": vmax,
        "hovertemplate": "after row %{x}<br>unit %{y}: %{z:.3f}<extra></extra>",
        "colorbar": {"thickness": 10},
    }
    cursor = {
        "type": "rect",
        "x0": rows_read + 0.5,
        "x1": len(hidden) + 0.5,
        "y0": -0.5,
        "y1": hidden.shape[1] - 0.5,
        "fillcolor": "rgba(255,255,255,0.6)",
        "line": {"width": 0},
    }
    layout = {
        "title": {"text": f"Its memory: the {hidden.shape[1]} hidden units after each row"},
        "height": 300,
        "margin": MARGIN,
        "xaxis": {"title": {"text": "rows read"}, "dtick": 4},
        "yaxis": {"title": {"text": "hidden unit"}},
        "shapes": [cursor] if rows_read < len(hidden) else [],
    }
    return figure([trace], layout)


def _recorded(manifest: dict, key: str, fmt: str) -> str:
    """A manifest's number, formatted; a dash where the manifest does not hold it."""
    value = manifest.get(key)
    return "—" if value is None else format(value, fmt)


def cnn_description(config) -> str:
    """"CNN (5 conv layers of 3×3)", from a DigitCNNConfig."""
    layers = sum(1 for field in dataclasses.fields(config) if re.fullmatch(r"conv\d+_channels", field.name))
    k = config.kernel_size
    return f"CNN ({layers} conv layers of {k}×{k})"


def rnn_description(config, rows: int) -> str:
    """"RNN (2-layer LSTM of 128 units over 28 rows)", from a RowRNNConfig and the rows it reads."""
    return f"RNN ({config.layers}-layer LSTM of {config.hidden} units over {rows} rows)"


def reading_note(cnn_config, rnn_config) -> str:
    """How the two digit models read, with the sizes taken from their configs."""
    k = cnn_config.kernel_size
    return (
        f"The RNN never sees the digit whole: it reads one row of {rnn_config.row_size} pixels at a time, top to "
        "bottom, and carries a summary forward. Many digits begin with the same strokes, so its guess changes as "
        f"new rows arrive: watch the lines cross. The CNN instead looks at every {k}×{k} patch of the image at "
        "once, with the same filters everywhere, and builds larger shapes layer by layer."
    )


def digit_models_table(models: list[tuple[str, dict, float]]) -> list[dict]:
    """One row per digit model: (description, manifest, ms for this digit) in, table rows out."""
    return [
        {
            "model": description,
            "parameters": _recorded(manifest, "parameters", ","),
            "MNIST test accuracy": _recorded(manifest.get("metrics", {}), "mnist_test_accuracy", ".2%"),
            "time for this digit (ms)": round(ms, 2),
        }
        for description, manifest, ms in models
    ]


def digit_models_caption(manifests: dict[str, dict], timing_runs: int) -> str:
    """Where the table's numbers come from, from the manifests (model -> manifest)."""
    sizes = {m.get("metrics", {}).get("mnist_test_n") for m in manifests.values()}
    size = f"the {sizes.pop():,} MNIST test images" if len(sizes) == 1 and None not in sizes else "the MNIST test set"
    commands = " / ".join(f"`{m['evaluate_command']}`" for m in manifests.values() if m.get("evaluate_command"))
    return (
        f"Accuracy on {size}, from each model's manifest ({commands}). Time: one forward pass on this server, "
        f"the median of {timing_runs} runs, measured just now."
    )


def _tag_cell(tag: str, differs: bool) -> str:
    label = tag.split("-")[-1] if tag != "O" else ""
    colour = LABEL_COLOURS.get(label)
    style = f"background:{colour}40;border-bottom:3px solid {colour};" if colour else "color:#888;"
    if differs:
        style += "outline:2px dashed #D55E00;outline-offset:-2px;font-weight:700;"
    return f'<td style="padding:0.15em 0.4em;text-align:center;{style}">{html.escape(tag)}</td>'


def label_diff_html(tokens: list[str], cnn_tags: list[str], rnn_tags: list[str]) -> str:
    """Tokens in columns, each model's tag beneath; where they disagree the cells are dashed and bold.
    Scrolls sideways for long sentences. All text is escaped."""
    header = "".join(
        f'<th style="padding:0.15em 0.4em;font-weight:600;white-space:nowrap">{html.escape(t)}</th>' for t in tokens
    )
    rows = [f'<tr><th style="text-align:left;padding-right:0.6em">token</th>{header}</tr>']
    for name, tags, other in (("CNN", cnn_tags, rnn_tags), ("BiLSTM", rnn_tags, cnn_tags)):
        cells = "".join(_tag_cell(tag, tag != o) for tag, o in zip(tags, other, strict=True))
        rows.append(f'<tr><th style="text-align:left;padding-right:0.6em">{name}</th>{cells}</tr>')
    table = f'<table dir="ltr" style="border-collapse:collapse;font-size:0.95rem">{"".join(rows)}</table>'
    return f'<div style="overflow-x:auto;padding-bottom:0.4em">{table}</div>'


def receptive_field_bars(
    tokens: list[str], cnn_scores: np.ndarray, rnn_scores: np.ndarray, position: int, radius: int
) -> object:
    """Each word's influence on one token's label, for both taggers, each scaled to its own
    largest magnitude, with the CNN's window shaded. Outside it the CNN's bars are exactly 0."""
    labels = [f"{i}: {html.escape(t)}" for i, t in enumerate(tokens)]

    def scaled(scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        peak = np.abs(scores).max()
        return scores / peak if peak > 0 else scores

    traces = [
        {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": scaled(scores),
            "customdata": np.asarray(scores, dtype=np.float64),
            "marker": {"color": colour},
            "hovertemplate": f"{name}<br>%{{x}}<br>influence %{{customdata:.4g}}<extra></extra>",
        }
        for name, scores, colour in (("CNN", cnn_scores, CNN_COLOUR), ("BiLSTM", rnn_scores, RNN_COLOUR))
    ]
    lo, hi = max(0, position - radius), min(len(tokens) - 1, position + radius)
    window = {
        "type": "rect",
        "xref": "x",
        "yref": "paper",
        "x0": lo - 0.5,
        "x1": hi + 0.5,
        "y0": 0,
        "y1": 1,
        "fillcolor": "rgba(0,114,178,0.10)",
        "line": {"color": CNN_COLOUR, "width": 1, "dash": "dot"},
        "layer": "below",
    }
    layout = {
        "title": {"text": f"What shaped the label of “{html.escape(tokens[position])}”? Shaded: the CNN's window"},
        "height": 360,
        "barmode": "group",
        "margin": {**MARGIN, "b": 90},
        "xaxis": {"tickangle": -45, "tickmode": "array", "tickvals": labels, "ticktext": labels, "type": "category"},
        "yaxis": {"title": {"text": "influence (each model scaled to its largest)"}, "range": [-1.05, 1.05]},
        "shapes": [window],
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    }
    return figure(traces, layout)


def reach_summary(cnn_scores: np.ndarray, rnn_scores: np.ndarray, position: int, radius: int) -> dict:
    """Numbers for the caption: how far each model's influence reaches, and how much of the
    BiLSTM's total influence comes from words outside the CNN's window."""
    cnn_scores, rnn_scores = np.abs(np.asarray(cnn_scores)), np.abs(np.asarray(rnn_scores))
    index = np.arange(len(rnn_scores))
    outside = np.abs(index - position) > radius

    def farthest(scores: np.ndarray) -> int:
        nonzero = np.flatnonzero(scores > 0)
        return int(np.abs(nonzero - position).max()) if len(nonzero) else 0

    total = rnn_scores.sum()
    return {
        "cnn_farthest": farthest(cnn_scores),
        "rnn_farthest": farthest(rnn_scores),
        "cnn_outside_total": float(cnn_scores[outside].sum()),
        "rnn_outside_share": float(rnn_scores[outside].sum() / total) if total > 0 else 0.0,
        "words_outside": int(outside.sum()),
    }
