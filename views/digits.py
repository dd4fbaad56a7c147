"""Draw a digit → CNN: preprocessing, prediction, filters, feature maps, one convolution step."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from figures import digits as fig
from models.checkpoint import WeightsError
from models.digits import EmptyDrawingError, analyse, conv_step, predict
from models.preprocess import BOX_SIZE, MNIST_SIZE
from ui import charts, layout, resources
from ui.inputs import CANVAS_SIZE, DigitSource

st.title("Draw a digit → CNN")
st.caption(
    "Draw a digit with the mouse or a finger, or pick a real one from the MNIST test set. "
    "Everything below is computed live by a small convolutional network."
)

try:
    model, manifest = resources.digit_model("cnn")
except WeightsError as error:
    st.error(str(error))
    st.stop()

gallery = resources.gallery()
state = st.session_state
source = DigitSource("digits")
# A shared link (?digits_gallery=N) opens on that gallery digit.
source.setup("gallery" if "digits_gallery" in st.query_params else "canvas")


# ---------------------------------------------------------------- input and prediction
# The canvas is a fixed CANVAS_SIZE px: its column is just that wide, and the others share the rest.
# On a narrow screen the gallery wraps below, and the prediction stays beside the canvas.
draw_col, gallery_col, prediction_col = layout.sized_columns(
    [
        layout.Column("digits_draw", CANVAS_SIZE + 10, grow=0),
        layout.Column("digits_pick", 200, grow=1.0),
        layout.Column("digits_answer", 200, grow=1.1),
    ],
    last_when_wrapped="digits_pick",
)
with draw_col:
    st.subheader("Draw")
    source.draw(st_canvas, stroke_width=state.get("digits_stroke", 18))
    st.slider("Stroke width", 6, 40, 18, key="digits_stroke", help="Brush width in canvas pixels.")
    source.clear_button()

with gallery_col:
    st.subheader("…or pick a real one")
    source.gallery_picker(
        gallery, resources.gallery_sheet_png(), "Handwritten digits from the MNIST test set, never seen in training"
    )

image, picked = source.chosen(gallery, keep_drawing=True)
source_note = (
    None
    if picked is None
    else f"Gallery digit #{picked + 1}: MNIST test image {gallery.test_indices[picked]}, labelled "
    f"**{gallery.labels[picked]}**. Draw on the canvas to switch back."
)

try:
    result = predict(model, image) if image is not None else None
except EmptyDrawingError:
    result = None

with prediction_col:
    st.subheader("The CNN says")
    if result is None:
        st.info("✏️ Draw a digit on the black canvas, or pick one from the gallery, to see the network at work.")
    else:
        analysis = result.analysis
        st.metric(
            "Prediction",
            str(analysis.prediction),
            delta=f"{'unsure: ' if analysis.unsure else ''}{analysis.confidence:.0%} confident",
            delta_color="normal" if not analysis.unsure else "inverse",
            delta_arrow="off",
        )
        if analysis.unsure:
            st.warning(
                f"**Unsure.** The best guess, {analysis.prediction}, gets only {analysis.confidence:.0%}. "
                "This may not be a digit, or it is drawn unlike the ones the network learned from."
            )
        if source_note:
            st.caption(source_note)
        charts.show(
            fig.probability_bars(analysis.probs, analysis.unsure),
            "digits_probs",
            fig.probability_caption(analysis.probs),
        )

if result is not None:
    steps = result.steps

    # ------------------------------------------------------------ preprocessing
    st.header(f"1 · From your drawing to MNIST's {MNIST_SIZE}×{MNIST_SIZE}")
    st.caption(
        f"MNIST digits were cropped, scaled to fit a {BOX_SIZE}×{BOX_SIZE} box keeping their shape, and centred by "
        f"their centre of mass in {MNIST_SIZE}×{MNIST_SIZE}. Your drawing gets the same treatment, plus one step "
        "MNIST did not need: the stroke is made about as thick, relative to the digit, as MNIST's pens were."
    )
    steps_col, grid_col = st.columns([3, 1.4], vertical_alignment="center")
    captions, step_pictures = zip(*fig.step_images(steps), strict=True)
    steps_col.image(list(step_pictures), caption=list(captions), width=fig.STEP_DISPLAY)
    charts.show(fig.pixel_grid(steps.final), "digits_pixels", fig.pixel_grid_caption(steps.final), grid_col)

# ---------------------------------------------------------------- filters and feature maps
st.header("2 · Filters and feature maps")
k = model.config.kernel_size
st.caption(
    f"The first layer has {model.config.conv1_channels} filters of {k}×{k} weights. Each slides over the image and "
    "produces one feature map: bright where the patch under it matches its pattern. Training started every weight "
    "at random and moved it, step by step, to lower the loss."
)
history = resources.filter_history()
if history is None:
    st.warning("weights/cnn_filters.npz is missing: run `python -m training.train_cnn` to save the snapshots.")
else:
    filter_figure, training_summary = history
    charts.show(filter_figure, "digits_filters")  # the summary below is its text alternative
    st.markdown(training_summary)
drift = resources.layer_drift_chart()
if drift is not None:
    drift_figure, drift_caption = drift
    charts.show(drift_figure, "digits_drift", drift_caption)

if result is not None:

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

    feature_maps_section(analysis.feature_maps, steps.final)

    # ------------------------------------------------------------ one convolution step
    st.header("3 · One convolution step, spelled out")

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

    conv_step_section(steps.final, analysis.conv1_pre, analysis.conv1_weight, analysis.conv1_bias)

metrics = manifest.get("metrics", {})
st.caption(
    f"Model: {manifest.get('parameters', 0):,} parameters; MNIST test accuracy "
    f"{metrics.get('mnist_test_accuracy', float('nan')):.2%} on {metrics.get('mnist_test_n', 0):,} images "
    f"(`{manifest.get('evaluate_command', '')}`)."
)
