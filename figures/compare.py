"""Figures for the comparison page: a CNN and an RNN on the same input. No streamlit here.

Colours follow figures/measured.py: the CNN blue, the RNN (row LSTM or BiLSTM) vermillion,
both from the Okabe–Ito palette.
"""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np

from figures.common import IMAGE_AXIS, MARGIN, SIGNED_SCALE, figure, signed_heatmap
from figures.digits import PIXEL_SCALE
from figures.explain import residual_words
from figures.palette import MODEL_COLOURS
from figures.speller import hidden_caption
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


def step_probability_lines(
    step_probs: np.ndarray, rows_read: int, top: int = 3, step: str = "row", marks: tuple[int, ...] = ()
) -> object:
    """The RNN's class probabilities after each step (a `step`: a row, or a pen point): one line per
    digit. The classes that ever reach the top `top` are coloured and named; the rest are thin grey.
    `marks` are steps to show as faint vertical lines (the pen page's stroke ends)."""
    probs = np.asarray(step_probs, dtype=np.float64)  # (T, 10)
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
                "hovertemplate": f"after {step} %{{x}}: p({digit}) = %{{y:.1%}}<extra></extra>",
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
    ends = [
        {"type": "line", "x0": m, "x1": m, "y0": 0, "y1": 1, "line": {"color": "#bbbbbb", "width": 1}} for m in marks
    ]
    layout = {
        "title": {"text": f"The RNN's guess after each {step} it reads"},
        "height": 300,
        "margin": MARGIN,
        "xaxis": {
            "title": {"text": f"{step}s read"},
            "range": [0.5, len(probs) + 0.5],
            **({"dtick": 4} if len(probs) <= 40 else {}),
        },
        "yaxis": {"title": {"text": "probability"}, "range": [0, 1.02], "tickformat": ".0%"},
        "shapes": [*ends, cursor],
        "legend": {"orientation": "h", "y": -0.25},
    }
    return figure(traces[::-1], layout)  # leaders drawn last, on top


def row_hidden_heatmap(hidden: np.ndarray, rows_read: int) -> object:
    """The LSTM's hidden state (units × rows): what it carries from one row to the next."""
    hidden = np.asarray(hidden, dtype=np.float32)  # (28, H)
    vmax = float(np.abs(hidden).max()) or 1.0
    trace = signed_heatmap(
        hidden.T,  # (H, 28)
        vmax,
        "after row %{x}<br>unit %{y}: %{z:.3f}<extra></extra>",
        x=np.arange(1, len(hidden) + 1),
    )
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


def occlusion_maps(maps: dict[str, object], image28: np.ndarray) -> object:
    """Each model's occlusion map side by side on one signed scale: red where blanking the patches over a
    pixel lowers the model's probability for its answer, blue where it raises it; × marks the centres of the
    patches that change the answer. maps: model name -> models.occlusion.OcclusionMap, CNN first."""
    image = np.asarray(image28, dtype=np.float32)
    vmax = max(float(np.abs(m.drop).max()) for m in maps.values()) or 1.0
    traces, layout = (
        [],
        {
            "title": {"text": f"Blanking a {next(iter(maps.values())).patch}-pixel square: how each answer suffers"},
            "height": 330,
            "margin": {**MARGIN, "t": 60},
            "annotations": [],
        },
    )
    count = len(maps)
    for n, (name, occluded) in enumerate(maps.items()):
        axis = "" if n == 0 else str(n + 1)
        traces.append(
            {
                "type": "heatmap",
                "z": occluded.drop,
                "colorscale": SIGNED_SCALE,
                "zmin": -vmax,
                "zmax": vmax,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "showscale": n == count - 1,
                "colorbar": {"thickness": 10, "title": {"text": "drop"}},
                "hovertemplate": f"{name}<br>row %{{y}}, column %{{x}}<br>p({occluded.target}) falls by "
                "%{z:.2f} on average<extra></extra>",
            }
        )
        traces.append(
            {
                "type": "contour",
                "z": image,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "contours": {"start": 0.5, "end": 0.5, "coloring": "lines"},
                "line": {"color": "#333333", "width": 1},
                "showscale": False,
                "hoverinfo": "skip",
            }
        )
        centre = (occluded.patch - 1) / 2
        flipped = np.argwhere(occluded.answers != occluded.target)  # (F, 2) grid cells
        corners = np.asarray(occluded.corners)
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": (corners[flipped[:, 1]] + centre).tolist() if len(flipped) else [],
                "y": (corners[flipped[:, 0]] + centre).tolist() if len(flipped) else [],
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "marker": {"symbol": "x", "size": 7, "color": "#000000"},
                "showlegend": False,
                "hovertemplate": f"{name}: blanking here changes its answer<extra></extra>",
            }
        )
        gap = 0.08
        width = (1 - gap * (count - 1)) / count
        layout[f"xaxis{axis}"] = {**IMAGE_AXIS, "domain": [n * (width + gap), n * (width + gap) + width]}
        layout[f"yaxis{axis}"] = {**IMAGE_AXIS, "autorange": "reversed", "scaleanchor": f"x{axis}"}
        layout["annotations"].append(
            {
                "text": f"{name}: answer {occluded.target}",
                "xref": f"x{axis} domain",
                "yref": f"y{axis} domain",
                "x": 0.5,
                "y": 1.02,
                "showarrow": False,
                "yanchor": "bottom",
            }
        )
    return figure(traces, layout)


def occlusion_note() -> str:
    return (
        "Occlusion needs no calculus: erase part of the digit and ask again. Red marks what a network needs for "
        "its answer, blue what argues against it, and × a patch whose loss changes the answer. The CNN applies the "
        "same filters at every position; the RNN's weights belong to fixed rows and columns, so what it relies on "
        "is tied to where the strokes fall. Move the digit (robustness, below) to see what that costs each one."
    )


def occlusion_caption(maps: dict[str, object]) -> str:
    """The occlusion maps in words: for each model, how many patch positions change its answer, and the patch
    whose blanking hurts its answer most."""
    sentences = []
    for name, occluded in maps.items():
        total = occluded.probs.size
        i, j = np.unravel_index(int(occluded.probs.argmin()), occluded.probs.shape)
        top, left = occluded.corners[i], occluded.corners[j]
        worst = float(occluded.probs[i, j])
        flips = occluded.flips
        changed = (
            "no patch position changes its answer"
            if flips == 0
            else f"{flips} of {total} patch positions change its answer"
        )
        if occluded.base_prob - worst < 0.005:
            furthest = "no patch lowers its probability"
        else:
            furthest = (
                f"its probability falls furthest, to {worst:.0%}, with rows {top}–{top + occluded.patch - 1} and "
                f"columns {left}–{left + occluded.patch - 1} blanked"
            )
        sentences.append(f"{name} (answer {occluded.target}, {occluded.base_prob:.0%} sure): {changed}; {furthest}.")
    return " ".join(sentences)


def rows_read_caption(step_probs: np.ndarray, rows: int, settled: int | None) -> str:
    """The RNN's guess after `rows` rows, and from which row its final answer stays on top."""
    probs, total = step_probs[rows - 1], len(step_probs)
    final = int(step_probs[-1].argmax())
    when = (
        f"Its final answer, {final}, is on top from row {settled} on."
        if settled
        else "It only settles on its answer at the very last row."
    )
    return f"After {rows} of {total} rows the RNN's best guess is **{int(probs.argmax())}** ({probs.max():.0%}). {when}"


def row_memory_caption(hidden: np.ndarray) -> str:
    return (
        f"Each column is the RNN's memory after one more row: {hidden.shape[1]} numbers that must summarise "
        "everything above the line. Rows it has not read yet are faded. " + hidden_caption(hidden, step="row")
    )


def _recorded(manifest: dict, key: str, fmt: str) -> str:
    """A manifest's number, formatted; a dash where the manifest does not hold it."""
    value = manifest.get(key)
    return "—" if value is None else format(value, fmt)


def cnn_description(config) -> str:
    """ "CNN (5 conv layers of 3×3)", from a DigitCNNConfig."""
    layers = sum(1 for field in dataclasses.fields(config) if re.fullmatch(r"conv\d+_channels", field.name))
    k = config.kernel_size
    return f"CNN ({layers} conv layers of {k}×{k})"


def rnn_description(config, rows: int) -> str:
    """ "RNN (2-layer LSTM of 128 units over 28 rows)", from a RowRNNConfig and the rows it reads."""
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


def models_table(models: list[tuple[str, dict, float]], metric: tuple[str, str, str], timed: str) -> list[dict]:
    """One row per model: (description, manifest, ms for this input) in, table rows out. metric: (column,
    the manifest's metrics key, format); timed: what the time was for ("digit", "text")."""
    column, key, fmt = metric
    digits = 2 if timed == "digit" else 1  # a digit takes a millisecond or two; a text, tens
    return [
        {
            "model": description,
            "parameters": _recorded(manifest, "parameters", ","),
            column: _recorded(manifest.get("metrics", {}), key, fmt),
            f"time for this {timed} (ms)": round(ms, digits),
        }
        for description, manifest, ms in models
    ]


DIGIT_METRIC = ("MNIST test accuracy", "mnist_test_accuracy", ".2%")
TAGGER_METRIC = ("CoNLL-2003 test F1", "test_f1", ".2f")


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
    # An "O" keeps the theme's own text colour: a grey light enough to recede fails AA on one theme or the other.
    style = f"background:{colour}40;border-bottom:3px solid {colour};" if colour else ""
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


# Per view of "what shaped this label": (chart title's first words, y-axis title). Integrated gradients are
# in log-probability, whose scale differs between the two taggers, so each model is scaled to its largest;
# occlusion is a change in probability, the same unit for both, so it is drawn as it is.
REACH_VIEWS = {
    "integrated_gradients": ("Integrated gradients", "attribution (each model scaled to its largest)"),
    "occlusion": ("Occlusion", "change in p(label) with the word replaced"),
}


def receptive_field_bars(
    tokens: list[str],
    cnn_values: np.ndarray,
    rnn_values: np.ndarray,
    position: int,
    radius: int,
    view: str = "integrated_gradients",
) -> object:
    """Each word's influence on one token's label, for both taggers, with the CNN's window shaded; outside it
    the CNN's bars are exactly 0. `view` "integrated_gradients": each token's attribution, each model scaled to
    its own largest magnitude; "occlusion": p(label without the word) − p(label), in probability."""
    if view not in REACH_VIEWS:
        raise ValueError(f"unknown view {view!r}; choose from {sorted(REACH_VIEWS)}")
    name_of_view, axis_title = REACH_VIEWS[view]
    labels = [f"{i}: {html.escape(t)}" for i, t in enumerate(tokens)]

    def shown(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        peak = np.abs(values).max()
        return values / peak if view == "integrated_gradients" and peak > 0 else values

    raw_format = ".4g" if view == "integrated_gradients" else "+.1%"
    traces = [
        {
            "type": "bar",
            "name": name,
            "x": labels,
            "y": shown(values),
            "customdata": np.asarray(values, dtype=np.float64),
            "marker": {"color": colour},
            "hovertemplate": f"{name}<br>%{{x}}<br>{name_of_view.lower()} %{{customdata:{raw_format}}}<extra></extra>",
        }
        for name, values, colour in (("CNN", cnn_values, CNN_COLOUR), ("BiLSTM", rnn_values, RNN_COLOUR))
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
    yaxis = {"title": {"text": axis_title}, "range": [-1.05, 1.05]}
    if view == "occlusion":
        yaxis["tickformat"] = "+.0%"
    layout = {
        "title": {
            "text": f"{name_of_view}: what shaped the label of “{html.escape(tokens[position])}”? "
            "Shaded: the CNN's window"
        },
        "height": 360,
        "barmode": "group",
        "margin": {**MARGIN, "b": 90},
        "xaxis": {"tickangle": -45, "tickmode": "array", "tickvals": labels, "ticktext": labels, "type": "category"},
        "yaxis": yaxis,
        "shapes": [window],
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    }
    return figure(traces, layout)


def reach_summary(cnn_scores: np.ndarray, rnn_scores: np.ndarray, position: int, radius: int) -> dict:
    """Numbers for the caption, from either view's per-token values (attributions, or changes in
    probability): how far each model's influence reaches, and how much of the BiLSTM's comes from words
    outside the CNN's window (their share of its total magnitude, and the largest one)."""
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
        "rnn_outside_largest": float(rnn_scores[outside].max()) if outside.any() else 0.0,
        "words_outside": int(outside.sum()),
    }


def reach_caption(token: str, cnn: dict, rnn: dict, ig_reach: dict, occlusion_reach: dict) -> str:
    """Both views for both taggers, in words. `cnn` and `rnn`: each model's label, probability and
    completeness (its residual in words); the reaches: reach_summary of the attributions and of the
    changes in probability."""
    words = [
        f"Why “{token}”? The CNN labels it {cnn['label']} ({cnn['probability']:.1%}), the BiLSTM {rnn['label']} "
        f"({rnn['probability']:.1%}). The CNN's integrated gradients reach {ig_reach['cnn_farthest']} words away "
        f"and its occlusion {occlusion_reach['cnn_farthest']}; the BiLSTM's {ig_reach['rnn_farthest']} and "
        f"{occlusion_reach['rnn_farthest']}. "
    ]
    outside = ig_reach["words_outside"]
    if outside:
        ig_total, occlusion_total = ig_reach["cnn_outside_total"], occlusion_reach["cnn_outside_total"]
        # Exact zeros are the point; anything else is reported as the number it is.
        on_cnn = (
            "their integrated gradients are exactly 0, and replacing any one of them changes its probability by "
            "exactly 0: they have no influence at all"
            if ig_total == 0 and occlusion_total == 0
            else f"their integrated gradients add up to {ig_total:.3g} in magnitude, and replacing them one at a "
            f"time changes its probability by {occlusion_total * 100:.3g} percentage points in all"
        )
        words.append(
            f"{outside} {'word of this sentence lies' if outside == 1 else 'words of this sentence lie'} outside the "
            f"CNN's window. On the CNN, {on_cnn}. On the BiLSTM they carry {ig_reach['rnn_outside_share']:.0%} of "
            "its attribution, and replacing one moves its probability by up to "
            f"{occlusion_reach['rnn_outside_largest'] * 100:.1f} percentage points. "
        )
    else:
        words.append("The whole sentence fits inside the CNN's window here: pick a longer one to see the difference. ")
    words.append(f"Completeness: CNN {cnn['completeness']}; BiLSTM {rnn['completeness']}.")
    return "".join(words)


def tagger_reach_views(cnn_explained, rnn_explained, radius: int) -> list[tuple[str, object, str]]:
    """(chart key, figure, caption) for both views of one token, from the two taggers' models.explain
    Explanations of it: integrated gradients, then occlusion as the change in probability."""
    tokens, position = cnn_explained.tokens, cnn_explained.position
    cnn_ig, rnn_ig = cnn_explained.integrated_gradients, rnn_explained.integrated_gradients  # (T,) each
    cnn_change = cnn_explained.occlusion - cnn_explained.probability  # (T,): p without the word − p
    rnn_change = rnn_explained.occlusion - rnn_explained.probability
    summaries = {
        name: {
            "label": e.label,
            "probability": e.probability,
            "completeness": residual_words(e.attribution_sum, e.log_prob, e.baseline_log_prob),
        }
        for name, e in (("cnn", cnn_explained), ("rnn", rnn_explained))
    }
    caption = reach_caption(
        tokens[position],
        summaries["cnn"],
        summaries["rnn"],
        reach_summary(cnn_ig, rnn_ig, position, radius),
        reach_summary(cnn_change, rnn_change, position, radius),
    )
    return [
        (
            "compare_ig",
            receptive_field_bars(tokens, cnn_ig, rnn_ig, position, radius, view="integrated_gradients"),
            f"Integrated gradients of each model's log-probability for its label, from a baseline of "
            f"{cnn_explained.baseline}; each model scaled to its largest attribution.",
        ),
        (
            "compare_occlusion",
            receptive_field_bars(tokens, cnn_change, rnn_change, position, radius, view="occlusion"),
            caption,
        ),
    ]


def tagger_reach_note(radius: int) -> str:
    return (
        "The convolutional tagger decides each word's label from a fixed window of "
        f"{2 * radius + 1} words around it, and nothing else: words outside have no effect at all, however telling. "
        "The BiLSTM reads the whole sentence in both directions and carries what it read, so a clue at the far end "
        "can still change a label. In the article's example both see “President” and “Street”, right next to each "
        "Roosevelt. In “The clue is far away”, both sentences open with the same ten words, so the CNN must give "
        "both Morgans the same label; only the BiLSTM reads on to “its profit” or “scored”."
    )


def tagger_description(config) -> str:
    """ "CNN tagger (3 dilated convolutions)" or "BiLSTM-CRF", from an NERConfig."""
    if config.encoder == "cnn":
        return f"CNN tagger ({len(config.conv_dilations)} dilated convolutions)"
    layers = getattr(config, "lstm_layers", 1)
    return ("BiLSTM" if layers == 1 else f"{layers}-layer BiLSTM") + ("-CRF" if config.crf else "")


def tagger_models_caption(manifests: dict[str, dict]) -> str:
    commands = " / ".join(f"`{m['evaluate_command']}`" for m in manifests.values() if m.get("evaluate_command"))
    return (
        f"F1: entity-level exact match on the CoNLL-2003 test set, as conlleval counts it ({commands}). Both share "
        "the same word vectors and character features, which hold most of the parameters. Time: tagging your text "
        "on this server, this run."
    )
