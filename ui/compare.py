"""The comparison page's interactive sections, each a fragment: moving its control reruns only it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from figures import compare as fig
from figures import digits as digit_fig
from figures import measured
from ui import charts, resources

# The page's two tabs; a link or a client picks one by its label (`?compare_tab=The+same+sentence`).
DIGITS_TAB, TEXT_TAB = "The same digit", "The same sentence"


def model_table(rows: list[dict]) -> None:
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"compare_table_{rows[0]['model']}")


@st.fragment
def reading_section(image28: np.ndarray, rnn) -> None:
    """The RNN's guess after every row, replayed by a slider, with the unread rows shaded; `rnn` is the
    row-by-row RNN's reading of `image28` (models.compare)."""
    settled = rnn.settled_row()
    total_rows = len(rnn.step_probs)
    rows = st.slider(
        "Rows read",
        1,
        total_rows,
        total_rows if settled is None else min(total_rows, settled),
        key="compare_rows",
        help="Drag to replay the RNN's reading: it sees the rows above the line, nothing below.",
    )
    image_col, lines_col = st.columns([1, 2])
    charts.show(fig.rows_read_image(image28, rows), "compare_rows_image", container=image_col)
    charts.show(fig.step_probability_lines(rnn.step_probs, rows), "compare_lines", container=lines_col)
    st.caption(fig.rows_read_caption(rnn.step_probs, rows, settled))
    charts.show(fig.row_hidden_heatmap(rnn.hidden, rows), "compare_hidden", fig.row_memory_caption(rnn.hidden))


@st.fragment
def maps_section(maps: dict) -> None:
    layer = st.segmented_control("Layer", list(maps), default="conv1", key="compare_layer", required=True)
    charts.show(
        digit_fig.feature_map_grid(maps[layer], layer),
        "compare_maps",
        digit_fig.feature_map_caption(maps[layer], layer),
    )


@st.fragment
def occlusion_section(image28: np.ndarray) -> None:
    patch = st.segmented_control(
        "Patch size (pixels)", [4, 6, 8], default=6, key="compare_patch", required=True,
        help="Each square of this size is blanked in turn, everywhere on the digit, and both networks read again.",
    )  # fmt: skip
    cnn_map, rnn_map = resources.digit_occlusions(image28, patch, resources.weights_key())
    maps = {"CNN": cnn_map, "RNN": rnn_map}
    charts.show(fig.occlusion_maps(maps, image28), "compare_digit_occlusion", fig.occlusion_caption(maps))


@st.fragment
def robustness_section(robustness: dict, manifests: dict) -> None:
    curves = list(robustness["models"]["cnn"]["curves"])
    curve = st.segmented_control(
        "Perturbation", curves, default=curves[0], format_func=measured.curve_label, key="compare_curve",
        required=True,
    )  # fmt: skip
    charts.show(
        measured.robustness_figure(robustness, curve),
        "compare_robustness",
        measured.robustness_caption(robustness, curve) + f" Command: `{robustness['command']}`.",
    )
    st.markdown("**What to notice.** " + measured.robustness_note(robustness, curve, manifests))


@st.fragment
def speed_section(speed: dict) -> None:
    threads = st.segmented_control(
        "CPU threads", [1, 2], default=1, key="compare_threads", required=True,
        help="Convolution positions are independent, so more cores can share them; an RNN goes step by step.",
    )  # fmt: skip
    charts.show(
        measured.speed_figure(speed, threads, "encoder"),
        "compare_speed",
        measured.speed_caption(speed, threads, "encoder") + f" Command: `{speed['command']}`.",
    )
