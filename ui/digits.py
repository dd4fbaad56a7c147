"""The digit page's interactive sections, each a fragment: moving its control reruns only it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from figures import digits as fig
from models.digits import analyse, conv_step
from ui import charts, resources


@st.fragment
def feature_maps_section(feature_maps: dict, image28: np.ndarray) -> None:
    layer = st.segmented_control(
        "Layer", options=list(feature_maps), default="conv1", key="digits_layer", required=True
    )
    initial = resources.initial_digit_cnn()
    weights = st.segmented_control(
        "Weights", ["after training", "at random initialisation"], default="after training",
        key="digits_maps_weights", required=True, disabled=initial is None,
        help="The same digit through the network as training found it, and as training left it.",
    )  # fmt: skip
    if weights == "after training" or initial is None:
        charts.show(
            fig.feature_map_grid(feature_maps[layer], layer),
            "digits_feature_maps",
            fig.feature_map_caption(feature_maps[layer], layer),
        )
    else:
        initial_maps = analyse(initial, image28).feature_maps[layer]
        charts.show(
            fig.feature_map_grid(initial_maps, f"{layer} at random initialisation"),
            "digits_feature_maps",
            fig.maps_change_caption(initial_maps, feature_maps[layer], layer),
        )
    st.caption(
        "Deeper layers see larger parts of the digit at lower resolution: "
        + fig.resolutions_note(feature_maps)
        + ". Hover to read a channel's value."
    )


@st.fragment
def conv_step_section(image28: np.ndarray, conv1_pre: np.ndarray, weights: np.ndarray, biases: np.ndarray) -> None:
    c1, c2, c3 = st.columns(3)
    channel = c1.number_input("Filter", 0, len(weights) - 1, 0, key="digits_step_filter")
    height, width = conv1_pre.shape[1:]
    row = c2.slider("Row", 0, height - 1, height // 2, key="digits_step_row")
    col = c3.slider("Column", 0, width - 1, width // 2, key="digits_step_col")
    step = conv_step(image28, weights[channel], biases[channel], row, col)
    st.latex(fig.conv_step_latex(step["patch"], weights[channel], step["product"]))
    st.latex(fig.conv_sum_latex(step["sum"], float(biases[channel])))
    network_value = float(conv1_pre[channel, row, col])
    agreement = (
        "the same number"
        if abs(network_value - step["value"]) < 1e-4
        else f"which differs from the sum above by {network_value - step['value']:.2g}"
    )
    st.markdown(
        f"The network's own feature map {channel} holds **{network_value:.3f}** at row {row}, column {col}: "
        f"{agreement}. After ReLU, which keeps positives and zeroes negatives, it becomes "
        f"**{max(network_value, 0.0):.3f}**."
    )
    window_col, sweep_col = st.columns(2)
    charts.show(
        fig.conv_window(image28, row, col), "digits_window", fig.conv_window_caption(image28, row, col), window_col
    )
    charts.show(
        fig.conv_sweep(conv1_pre[channel], row, col),
        "digits_sweep",
        fig.conv_sweep_caption(conv1_pre[channel], row, col),
        sweep_col,
    )
    st.caption(
        f"The same {len(weights[channel])}×{len(weights[channel])} filter visits every position (zero-padded at "
        "the border): move the row and column to sweep it across the image and watch the feature map fill in, "
        "in reading order."
    )
