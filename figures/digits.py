"""Figures for the digit page: arrays in, plotly figures (or images) out. No streamlit here.

Many feature maps go into one stitched heatmap: one trace draws in a few ms, where
32 subplots cost about 100 ms per rerun.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures.common import IMAGE_AXIS, MARGIN, figure, signed_heatmap

# Explicit scales, because unvalidated figures reach plotly.js as they are and it knows
# neither Python's "gray" nor "RdBu_r". Colour-blind-safe: greys for pixels, ColorBrewer's
# blue-white-red for signed weights (negative blue), viridis for activations.
PIXEL_SCALE = [[0.0, "#000000"], [1.0, "#ffffff"]]
ACTIVATION_SCALE = "Viridis"


def _image_layout(title: str, height: int, **extra) -> dict:
    return {
        "title": {"text": title},
        "height": height,
        "margin": MARGIN,
        "xaxis": IMAGE_AXIS,
        "yaxis": {**IMAGE_AXIS, "autorange": "reversed", "scaleanchor": "x"},
        **extra,
    }


def stitch(maps: np.ndarray, columns: int | None = None, gap: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Tile (C, H, W) maps into one (rows*(H+gap)-gap, cols*(W+gap)-gap) grid.

    Gaps are NaN (drawn transparent). Returns the grid and, for every cell, the channel
    it came from (255 in gaps), as uint8 to keep the chart's payload small.
    """
    count, height, width = maps.shape
    columns = columns or int(np.ceil(np.sqrt(count * height / width)))
    rows = int(np.ceil(count / columns))
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan, dtype=np.float32)
    channel_of = np.full(grid.shape, 255, dtype=np.uint8)  # (GH, GW)
    for channel in range(count):
        top = (channel // columns) * (height + gap)
        left = (channel % columns) * (width + gap)
        grid[top : top + height, left : left + width] = maps[channel]
        channel_of[top : top + height, left : left + width] = channel
    return grid, channel_of


def pixel_grid(image28: np.ndarray, title: str = "The 28×28 input the network sees") -> go.Figure:
    trace = {
        "type": "heatmap",
        "z": np.asarray(image28, dtype=np.float32),
        "colorscale": PIXEL_SCALE,
        "zmin": 0,
        "zmax": 1,
        "hovertemplate": "row %{y}, column %{x}<br>value %{z:.3f}<extra></extra>",
        "colorbar": {"thickness": 10},
        "xgap": 1,
        "ygap": 1,
    }
    return figure([trace], _image_layout(title, 340))


def probability_bars(probs: np.ndarray, unsure: bool = False) -> go.Figure:
    probs = np.asarray(probs, dtype=np.float64)
    top = int(probs.argmax())
    colours = ["#bbbbbb"] * len(probs)
    colours[top] = "#e69f00" if unsure else "#0072b2"
    trace = {
        "type": "bar",
        "x": [str(d) for d in range(len(probs))],
        "y": probs.tolist(),
        "marker": {"color": colours},
        "text": [f"{p:.0%}" if p >= 0.01 else "" for p in probs],
        "textposition": "outside",
        "hovertemplate": "digit %{x}: %{y:.2%}<extra></extra>",
    }
    layout = {
        "title": {"text": "Probability of each digit"},
        "height": 300,
        "margin": MARGIN,
        "yaxis": {"range": [0, 1.12], "tickformat": ".0%"},
        "xaxis": {"type": "category", "title": {"text": "digit"}},
    }
    return figure([trace], layout)


def filters_before_after(before: np.ndarray, after: np.ndarray, epochs: int, columns: int = 8) -> go.Figure:
    """The first-layer filters (C, k, k) at initialisation and after training, side by side in
    one heatmap on one colour scale, so their sizes compare directly."""
    before_grid, channel_of = stitch(np.asarray(before, dtype=np.float32), columns=columns)
    after_grid, _ = stitch(np.asarray(after, dtype=np.float32), columns=columns)
    gap = np.full((before_grid.shape[0], 3), np.nan, dtype=np.float32)
    grid = np.concatenate([before_grid, gap, after_grid], axis=1)
    channels = np.concatenate([channel_of, np.full(gap.shape, 255, np.uint8), channel_of], axis=1)
    vmax = float(np.nanmax(np.abs(grid))) or 1.0
    trace = signed_heatmap(grid, vmax, "filter %{customdata}<br>weight %{z:.3f}<extra></extra>", customdata=channels)
    middle = before_grid.shape[1] / 2, before_grid.shape[1] + gap.shape[1] + after_grid.shape[1] / 2
    labels = [
        {"x": middle[0], "y": -1.2, "text": "at random initialisation", "showarrow": False},
        {"x": middle[1], "y": -1.2, "text": f"after {epochs} epochs of training", "showarrow": False},
    ]
    count, k = len(before), before.shape[-1]
    layout = _image_layout(
        f"conv1's {count} filters of {k}×{k} weights (blue negative, red positive)", 260, annotations=labels
    )
    layout["yaxis"] = {**layout["yaxis"], "range": [grid.shape[0] - 0.5, -2.2], "autorange": False}
    return figure([trace], layout)


def feature_map_grid(maps: np.ndarray, layer: str) -> go.Figure:
    """All channels of one layer (C, H, W), stitched; hover names the channel and the value."""
    maps = np.asarray(maps, dtype=np.float32)
    count, height, width = maps.shape
    grid, channel_of = stitch(maps, columns=8 if count <= 64 else 16)
    trace = {
        "type": "heatmap",
        "z": grid,
        "customdata": channel_of,
        "colorscale": ACTIVATION_SCALE,
        "zmin": 0,
        "hovertemplate": "channel %{customdata}<br>value %{z:.3f}<extra></extra>",
        "colorbar": {"thickness": 10},
    }
    title = f"{layer}: {count} feature maps of {height}×{width}"
    return figure([trace], _image_layout(title, int(min(640, 60 + 660 * grid.shape[0] / grid.shape[1]))))


WINDOW_LINE = {"color": "#e69f00", "width": 3}


def conv_window(image28: np.ndarray, row: int, col: int, kernel: int = 3) -> go.Figure:
    """The image with the filter's k x k window centred on (row, col)."""
    image28 = np.asarray(image28, dtype=np.float32)
    half = kernel // 2
    trace = {
        "type": "heatmap",
        "z": image28,
        "colorscale": PIXEL_SCALE,
        "zmin": 0,
        "zmax": 1,
        "showscale": False,
        "hovertemplate": "input row %{y}, column %{x}<br>pixel %{z:.3f}<extra></extra>",
    }
    window = {"type": "rect", "line": WINDOW_LINE, "x0": col - half - 0.5, "x1": col + half + 0.5}
    window |= {"y0": row - half - 0.5, "y1": row + half + 0.5}
    return figure([trace], _image_layout("The filter's window on the image", 320, shapes=[window]))


def conv_sweep(feature_map: np.ndarray, row: int, col: int) -> go.Figure:
    """The feature map filled in raster order up to (row, col): how the sweep builds it."""
    revealed = np.array(feature_map, dtype=np.float32)
    size = revealed.shape[1]
    order = np.arange(revealed.size).reshape(revealed.shape)
    revealed[order > row * size + col] = np.nan
    vmax = float(np.abs(feature_map).max()) or 1.0
    trace = signed_heatmap(revealed, vmax, "output row %{y}, column %{x}<br>value %{z:.3f}<extra></extra>")
    cell = {"type": "rect", "line": WINDOW_LINE, "x0": col - 0.5, "x1": col + 0.5, "y0": row - 0.5, "y1": row + 0.5}
    # Grey shows the positions the filter has not reached yet.
    layout = _image_layout("The feature map it fills in, position by position", 320, shapes=[cell])
    layout["plot_bgcolor"] = "#d9d9d9"
    layout["xaxis"] = {**IMAGE_AXIS, "range": [-0.5, size - 0.5]}
    layout["yaxis"] = {**IMAGE_AXIS, "range": [revealed.shape[0] - 0.5, -0.5], "scaleanchor": "x"}
    return figure([trace], layout)


STEP_DISPLAY = 124  # px: every preprocessing step is shown at the same size, five to a row


def _display(image: np.ndarray, size: int = STEP_DISPLAY) -> np.ndarray:
    """Letterbox an image into size x size for display. Small images grow by nearest
    neighbour, so each of MNIST's pixels stays a crisp square; large ones shrink."""
    image = np.asarray(image)
    h, w = image.shape[:2]
    if max(h, w) <= size // 4:
        factor = size // max(h, w)
        image = image.repeat(factor, axis=0).repeat(factor, axis=1)
    else:
        rows = (np.arange(round(h * size / max(h, w))) * max(h, w) / size).astype(int)
        cols = (np.arange(round(w * size / max(h, w))) * max(h, w) / size).astype(int)
        image = image[rows][:, cols]
    h, w = image.shape[:2]
    out = np.full((size, size) + image.shape[2:], 40, dtype=np.uint8)  # dark grey: outside the image
    top, left = (size - h) // 2, (size - w) // 2
    out[top : top + h, left : left + w] = image
    return out


def step_images(steps) -> list[tuple[str, np.ndarray]]:
    """The preprocessing stages as (caption, uint8 image) pairs, all STEP_DISPLAY square.

    The input shows its ink bounding box in orange.
    """
    gray = steps.gray
    top, left, bottom, right = steps.bbox
    rgb = np.repeat(_to_uint8(gray)[..., None], 3, axis=2)
    line = max(1, round(max(gray.shape) / 100))
    orange = np.array([230, 159, 0], dtype=np.uint8)
    rgb[top : top + line, left:right] = orange
    rgb[max(top, bottom - line) : bottom, left:right] = orange
    rgb[top:bottom, left : left + line] = orange
    rgb[top:bottom, max(left, right - line) : right] = orange
    h, w = steps.cropped.shape
    radius = steps.stroke_radius
    stroke_caption = (
        f"2. stroke {'thickened' if radius > 0 else 'thinned'} by {abs(radius)} px"
        if radius
        else "2. stroke already MNIST-like"
    )
    sh, sw = steps.scaled.shape
    grey = [_to_uint8(steps.cropped), _to_uint8(steps.stroke_adjusted), _to_uint8(steps.scaled), _to_uint8(steps.final)]
    return [
        ("your ink and its bounding box", _display(rgb)),
        (f"1. cropped: {w}×{h} px", _display(grey[0])),
        (stroke_caption, _display(grey[1])),
        (f"3. fitted into 20×20: {sw}×{sh}", _display(grey[2])),
        ("4. centred by mass in 28×28", _display(grey[3])),
    ]


def gallery_sheet(images: np.ndarray, per_row: int = 10, scale: int = 2) -> np.ndarray:
    """Gallery digits (N, 28, 28) tiled into one uint8 image, each numbered #1.. below it,
    so the page sends one picture instead of N."""
    from PIL import Image, ImageDraw

    count = len(images)
    rows = int(np.ceil(count / per_row))
    cell, label_h, gap = 28 * scale, 14, 6
    sheet = Image.new("L", (per_row * (cell + gap), rows * (cell + label_h + gap)), 255)
    draw = ImageDraw.Draw(sheet)
    for i, image in enumerate(images):
        x, y = (i % per_row) * (cell + gap), (i // per_row) * (cell + label_h + gap)
        sheet.paste(Image.fromarray(np.asarray(image).repeat(scale, 0).repeat(scale, 1)), (x, y))
        draw.text((x + cell // 2, y + cell + 1), f"#{i + 1}", fill=80, anchor="mt")
    return np.asarray(sheet)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def _bmatrix(matrix: np.ndarray, digits: int = 2) -> str:
    rows = [" & ".join(f"{v:.{digits}f}" for v in row) for row in np.asarray(matrix)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def conv_step_latex(patch: np.ndarray, weight: np.ndarray, product: np.ndarray) -> str:
    """patch ⊙ filter = element-wise product, as KaTeX."""
    return (
        r"\underbrace{" + _bmatrix(patch) + r"}_{\text{image patch}} \odot "
        r"\underbrace{" + _bmatrix(weight) + r"}_{\text{filter}} = "
        r"\underbrace{" + _bmatrix(product) + r"}_{\text{element-wise product}}"
    )


def conv_sum_latex(total: float, bias: float) -> str:
    """sum of the product, plus the bias, as KaTeX."""
    sign = "+" if bias >= 0 else "-"
    return (
        r"\textstyle\sum \text{product} + \text{bias} = "
        + f"{total:.3f} {sign} {abs(bias):.3f} = "
        + r"\mathbf{"
        + f"{total + bias:.3f}"
        + "}"
    )


def _shape_words(cosine: float) -> str:
    """What a median cosine similarity to the starting weights says about a filter's pattern."""
    if cosine >= 0.9:
        return "kept most of the pattern it started with"
    if cosine >= 0.6:
        return "partly reshaped the pattern it started with"
    if cosine >= 0.3:
        return "reshaped most of the pattern it started with"
    return "ended with a pattern that bears little resemblance to its start"


def _size_words(ratio: float) -> str:
    if abs(ratio - 1) < 0.05:
        return "kept their size"
    return f"{'grew' if ratio > 1 else 'shrank'} to {ratio:.2f}× their starting size"


def filter_training_summary(filters: np.ndarray, train_loss: np.ndarray) -> str:
    """How training moved the first-layer filters, in words that follow the snapshots' numbers.

    filters: (epochs + 1, C, k, k), index 0 at random initialisation.
    """
    start, end = filters[0], filters[-1]
    ratio = float(np.linalg.norm(end) / (np.linalg.norm(start) + 1e-12))  # overall size: the weights' norm
    # Cosine similarity between each filter before and after: near 1 means its pattern barely turned.
    flat_start, flat_end = start.reshape(len(start), -1), end.reshape(len(end), -1)
    cosine = (flat_start * flat_end).sum(1) / (
        np.linalg.norm(flat_start, axis=1) * np.linalg.norm(flat_end, axis=1) + 1e-12
    )
    median = float(np.median(cosine))
    epochs = len(filters) - 1
    return (
        f"Over {epochs} epochs the training loss fell from {train_loss[0]:.3f} (after the first epoch) to "
        f"{train_loss[-1]:.3f}. Each step of gradient descent nudged every weight against the gradient of that "
        f"loss. The median first-layer filter {_shape_words(median)}: its cosine similarity to where it began is "
        f"{median:.2f} (1 would mean unturned), and the filters {_size_words(ratio)}."
    )


def layer_drift_bars(drifts: list) -> go.Figure:
    """How far training turned each layer's weights from their random start: the median cosine
    similarity of each unit's weights before and after (1: unturned, 0: unrelated)."""
    names = [d.layer for d in drifts]
    trace = {
        "type": "bar",
        "x": names,
        "y": [d.median_cosine for d in drifts],
        "customdata": [d.relative_change for d in drifts],
        "marker": {"color": "#0072B2"},
        "hovertemplate": "%{x}<br>median cosine to the start %{y:.2f}<br>"
        "weights moved by %{customdata:.2f}× their starting norm<extra></extra>",
    }
    layout = {
        "title": {"text": "How much of each layer's start survives training (median cosine)"},
        "height": 300,
        "margin": {**MARGIN, "l": 50, "b": 40, "t": 50},
        "yaxis": {"range": [min(0.0, min(trace["y"], default=0.0)), 1.0], "title": {"text": "cosine to the start"}},
    }
    return figure([trace], layout)


def layer_drift_caption(drifts: list) -> str:
    """The drift chart in words: each layer's figure, and where training changed the weights most and least."""
    if not drifts:
        return "No layer weights to compare."
    least = max(drifts, key=lambda d: d.median_cosine)
    most = min(drifts, key=lambda d: d.median_cosine)
    listed = ", ".join(f"{d.layer} {d.median_cosine:.2f}" for d in drifts)
    return (
        f"Median cosine similarity of each unit's weights to its random start: {listed}. Training turned "
        f"{most.layer}'s weights the most ({most.median_cosine:.2f}; they moved by {most.relative_change:.1f}× their "
        f"starting norm) and {least.layer}'s the least ({least.median_cosine:.2f})."
    )


# ---------------------------------------------------------------- text alternatives
# One caption per chart, carrying its key numbers, for anyone who cannot see the chart.


def probability_caption(probs: np.ndarray) -> str:
    probs = np.asarray(probs, dtype=np.float64)
    top = np.argsort(-probs)[:3]
    return "Probabilities, highest first: " + ", ".join(f"{d}: {probs[d]:.1%}" for d in top) + "."


def pixel_grid_caption(image28: np.ndarray) -> str:
    image = np.asarray(image28, dtype=np.float64)
    inked = image > 0.1
    if not inked.any():
        return "28×28 input: no ink."
    rows, cols = np.nonzero(inked)
    total = image.sum()
    centre_row = float((image.sum(1) * np.arange(28)).sum() / total)
    centre_col = float((image.sum(0) * np.arange(28)).sum() / total)
    return (
        f"28×28 input: {int(inked.sum())} of 784 pixels inked, in rows {rows.min()}–{rows.max()} and columns "
        f"{cols.min()}–{cols.max()}; centre of mass at row {centre_row:.1f}, column {centre_col:.1f}."
    )


def feature_map_caption(maps: np.ndarray, layer: str) -> str:
    maps = np.asarray(maps, dtype=np.float32)
    strength = maps.reshape(len(maps), -1).max(1)
    strongest = int(strength.argmax())
    silent = int((strength <= 0).sum())
    return (
        f"{layer}: {len(maps)} maps of {maps.shape[1]}×{maps.shape[2]}. The strongest is channel {strongest} "
        f"(peak {strength[strongest]:.2f}); {silent} channels stay at zero for this input; "
        f"{float((maps > 0).mean()):.0%} of all values are above zero after ReLU."
    )


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def resolutions_note(feature_maps: dict) -> str:
    """ "conv1 and conv2 work at 28×28, conv3 and conv4 at 14×14, conv5 at 7×7", from the maps' shapes."""
    by_size: dict[tuple[int, int], list[str]] = {}
    for name, maps in feature_maps.items():
        by_size.setdefault(tuple(np.shape(maps)[-2:]), []).append(name)
    parts = [f"{_and_list(names)} at {h}×{w}" for (h, w), names in by_size.items()]
    verb = "works" if len(next(iter(by_size.values()))) == 1 else "work"
    return parts[0].replace(" at ", f" {verb} at ", 1) + "".join(f", {part}" for part in parts[1:])


def maps_change_caption(initial_maps: np.ndarray, trained_maps: np.ndarray, layer: str) -> str:
    """How one layer's maps for this digit differ between the random start and the trained network:
    the median, over channels, of the correlation between a channel's map before and after."""
    before = np.asarray(initial_maps, dtype=np.float64).reshape(len(initial_maps), -1)
    after = np.asarray(trained_maps, dtype=np.float64).reshape(len(trained_maps), -1)
    before, after = before - before.mean(1, keepdims=True), after - after.mean(1, keepdims=True)
    norms = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    lit = norms > 0  # a channel that is flat in either network has no pattern to correlate
    if not lit.any():
        return f"{layer}: every channel is flat in one of the two networks for this digit."
    correlation = float(np.median((before * after).sum(1)[lit] / norms[lit]))
    return (
        f"{layer} at random initialisation against after training, on this digit: the median correlation between "
        f"a channel's map before and after is {correlation:.2f} (1: the same picture, 0: unrelated), over "
        f"{int(lit.sum())} of {len(lit)} channels that are not flat in either."
    )


def conv_window_caption(image28: np.ndarray, row: int, col: int) -> str:
    padded = np.pad(np.asarray(image28, dtype=np.float32), 1)
    patch = padded[row : row + 3, col : col + 3]
    return (
        f"The 3×3 window centred on row {row}, column {col}: pixel values from {patch.min():.2f} to "
        f"{patch.max():.2f}, {int((patch > 0.1).sum())} of 9 inked."
    )


def conv_sweep_caption(feature_map: np.ndarray, row: int, col: int) -> str:
    values = np.asarray(feature_map, dtype=np.float32).ravel()[: row * feature_map.shape[1] + col + 1]
    return (
        f"Filled {len(values)} of {feature_map.size} positions so far, up to row {row}, column {col}: values from "
        f"{values.min():.2f} to {values.max():.2f}; {int((values > 0).sum())} positive, which ReLU keeps."
    )
