"""Draw a digit → CNN: preprocessing, prediction, filters, feature maps, one convolution step."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from figures import digits as fig
from models.checkpoint import WeightsError
from models.digits import EmptyDrawingError, predict
from models.preprocess import BOX_SIZE, MNIST_SIZE
from ui import charts, layout, resources
from ui import digits as sections
from ui.inputs import CANVAS_SIZE, DIGITS_PROMPT, PROMPT_ICON, DigitSource

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
        st.info(DIGITS_PROMPT, icon=PROMPT_ICON)
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
    sections.feature_maps_section(analysis.feature_maps, steps.final)

    # ------------------------------------------------------------ one convolution step
    st.header("3 · One convolution step, spelled out")
    sections.conv_step_section(steps.final, analysis.conv1_pre, analysis.conv1_weight, analysis.conv1_bias)

metrics = manifest.get("metrics", {})
st.caption(
    f"Model: {manifest.get('parameters', 0):,} parameters; MNIST test accuracy "
    f"{metrics.get('mnist_test_accuracy', float('nan')):.2%} on {metrics.get('mnist_test_n', 0):,} images "
    f"(`{manifest.get('evaluate_command', '')}`)."
)
