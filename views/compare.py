"""CNN vs RNN on the same input: a digit through a CNN and a row-by-row LSTM, a sentence through
a convolutional tagger and the BiLSTM-CRF."""

import pandas as pd
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from figures import compare as fig
from figures import digits as digit_fig
from figures import measured
from figures import text as text_fig
from models.checkpoint import WeightsError
from models.compare import compare_digit, compare_text
from models.digits import EmptyDrawingError
from ui import charts, layout, resources, url_state
from ui.examples import COMPARE_PRESETS, ROOSEVELT
from ui.inputs import CANVAS_SIZE, DigitSource, cut_text

# Plain labels: the chosen tab is kept in the URL as ?compare_tab=The+same+sentence.
DIGITS_TAB, TEXT_TAB = "The same digit", "The same sentence"
state = st.session_state

st.title("CNN vs RNN, side by side")
st.caption(
    "The heart of the article: a CNN looks at a fixed window all at once; an RNN reads a sequence step by step, "
    "carrying what it has seen. Here the same input goes through one of each, and everything shown is computed "
    "live or measured by a script on held-out data."
)
digits_tab, text_tab = st.tabs([DIGITS_TAB, TEXT_TAB], key="compare_tab", on_change="rerun", bind="query-params")


def model_table(rows: list[dict]) -> None:
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"compare_table_{rows[0]['model']}")


# ================================================================ digits
def digits_view() -> None:
    try:
        cnn, cnn_manifest = resources.digit_model("cnn")
        rnn, rnn_manifest = resources.digit_model("rnn")
    except WeightsError as error:
        st.error(str(error))
        return
    gallery = resources.gallery()
    source = DigitSource("compare")
    source.setup("gallery")

    draw_col, pick_col = layout.sized_columns(
        [layout.Column("compare_draw", CANVAS_SIZE + 10, grow=0), layout.Column("compare_pick", 220)]
    )
    with draw_col:
        source.draw(st_canvas)
        source.clear_button()
    with pick_col:
        source.gallery_picker(gallery, resources.gallery_sheet_png(), "Digits from the MNIST test set", default=0)

    image, picked = source.chosen(gallery)
    note = "your drawing" if picked is None else f"gallery digit #{picked + 1}, labelled {gallery.labels[picked]}"
    try:
        result = compare_digit(cnn, rnn, image) if image is not None else None
    except EmptyDrawingError:
        result = None
    if result is None:
        st.info("✏️ Draw a digit on the canvas, or pick one from the gallery, to send it through both networks.")
        return

    cnn_col, rnn_col = st.columns(2)
    cnn_col.metric("The CNN says", str(result.cnn.prediction), f"{result.cnn.confidence:.0%} sure", delta_arrow="off")
    rnn_col.metric(
        "The row-by-row RNN says", str(result.rnn.prediction), f"{result.rnn.probs.max():.0%} sure", delta_arrow="off"
    )
    height, width = result.steps.final.shape
    st.caption(f"Input: {note}, after the same preprocessing to {height}×{width} for both.")
    model_table(
        fig.models_table(
            [
                (fig.cnn_description(cnn.config), cnn_manifest, result.cnn_ms),
                (fig.rnn_description(rnn.config, len(result.rnn.step_probs)), rnn_manifest, result.rnn_ms),
            ],
            fig.DIGIT_METRIC,
            "digit",
        )
    )
    st.caption(fig.digit_models_caption({"cnn": cnn_manifest, "rnn": rnn_manifest}, result.timing_runs))

    st.subheader("How the RNN decides, row by row")
    settled = result.rnn.settled_row()
    total_rows = len(result.rnn.step_probs)

    @st.fragment
    def reading_section() -> None:
        rows = st.slider(
            "Rows read",
            1,
            total_rows,
            total_rows if settled is None else min(total_rows, settled),
            key="compare_rows",
            help="Drag to replay the RNN's reading: it sees the rows above the line, nothing below.",
        )
        image_col, lines_col = st.columns([1, 2])
        charts.show(fig.rows_read_image(result.steps.final, rows), "compare_rows_image", container=image_col)
        charts.show(fig.step_probability_lines(result.rnn.step_probs, rows), "compare_lines", container=lines_col)
        st.caption(fig.rows_read_caption(result.rnn.step_probs, rows, settled))
        charts.show(
            fig.row_hidden_heatmap(result.rnn.hidden, rows), "compare_hidden", fig.row_memory_caption(result.rnn.hidden)
        )

    reading_section()
    st.markdown("**What to notice.** " + fig.reading_note(cnn.config, rnn.config))

    st.subheader("What the CNN sees: feature maps")

    @st.fragment
    def maps_section() -> None:
        maps = result.cnn.feature_maps
        layer = st.segmented_control("Layer", list(maps), default="conv1", key="compare_layer", required=True)
        charts.show(
            digit_fig.feature_map_grid(maps[layer], layer),
            "compare_maps",
            digit_fig.feature_map_caption(maps[layer], layer),
        )

    maps_section()

    st.subheader("What each one relies on: blank a patch, watch the answer")

    @st.fragment
    def occlusion_section() -> None:
        patch = st.segmented_control(
            "Patch size (pixels)", [4, 6, 8], default=6, key="compare_patch", required=True,
            help="Each square of this size is blanked in turn, everywhere on the digit, and both networks read again.",
        )  # fmt: skip
        cnn_map, rnn_map = resources.digit_occlusions(result.steps.final, patch, resources.weights_key())
        maps = {"CNN": cnn_map, "RNN": rnn_map}
        charts.show(
            fig.occlusion_maps(maps, result.steps.final), "compare_digit_occlusion", fig.occlusion_caption(maps)
        )

    occlusion_section()
    st.markdown("**What to notice.** " + fig.occlusion_note())

    st.subheader("Robustness: shift, rotate, hide rows")
    robustness = resources.measured_json("robustness.json")
    if robustness is None:
        st.warning("weights/robustness.json is missing: run `python -m training.robustness`.")
        return
    manifests = {"cnn": cnn_manifest, "rnn": rnn_manifest}

    @st.fragment
    def robustness_section() -> None:
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

    robustness_section()


# ================================================================ text
def use_text_preset() -> None:
    if state.get("compare_preset"):
        state.compare_text = COMPARE_PRESETS[state.compare_preset]


def text_view() -> None:
    try:
        cnn, cnn_manifest = resources.ner_tagger("cnn")
        rnn, rnn_manifest = resources.ner_tagger("bilstm")
    except WeightsError as error:
        st.error(str(error))
        return
    st.pills("Examples", list(COMPARE_PRESETS), key="compare_preset", on_change=use_text_preset)
    text = st.text_area("Your text", value=ROOSEVELT, key="compare_text", height=90, bind="query-params")
    text = cut_text(text)
    if not text.strip():
        st.info("✍️ Type or paste some English text, or pick an example, to compare the two taggers.")
        return

    result = compare_text(cnn, rnn, text)
    radius = result.window_radius
    entities = st.container(key="compare_entities")  # the presentation steps scroll to it
    entities.html(text_fig.legend_html())
    cnn_col, rnn_col = entities.columns(2)
    with cnn_col:
        st.markdown(f"**CNN tagger** · sees {radius} words each side · {result.cnn_ms:.1f} ms")
        st.html(text_fig.entity_html(text, result.cnn.entities))
    with rnn_col:
        st.markdown(f"**BiLSTM-CRF** · reads the whole sentence · {result.rnn_ms:.1f} ms")
        st.html(text_fig.entity_html(text, result.rnn.entities))
    differing = result.differing_tokens
    st.caption(
        f"The two disagree on {len(differing)} of {len(result.rnn.tokens)} tokens."
        if differing
        else "The two agree on every token here."
    )

    tokens_all = result.rnn.tokens
    default = differing[0] if differing else next((i for i, t in enumerate(result.rnn.tags) if t != "O"), 0)
    url_state.token_choice("compare_token", len(tokens_all), default, text)
    chosen = st.selectbox(
        "Token to explain",
        list(range(len(tokens_all))),
        format_func=lambda i: f"{i}: {tokens_all[i]}  (CNN {result.cnn.tags[i]}, BiLSTM {result.rnn.tags[i]})",
        key="compare_token",
        on_change=url_state.remember("compare_token"),
    )
    explained = resources.compared_explanations(text, chosen, resources.weights_key())
    st.html(fig.label_diff_html(explained.tokens, explained.cnn_tags, explained.rnn_tags))
    for key, figure, caption in fig.tagger_reach_views(explained.cnn, explained.rnn, radius):
        charts.show(figure, key, caption)
    st.markdown("**What to notice.** " + fig.tagger_reach_note(radius))

    st.subheader("Size, accuracy and speed")
    model_table(
        fig.models_table(
            [
                (fig.tagger_description(cnn.config), cnn_manifest, result.cnn_ms),
                (fig.tagger_description(rnn.config), rnn_manifest, result.rnn_ms),
            ],
            fig.TAGGER_METRIC,
            "text",
        )
    )
    st.caption(fig.tagger_models_caption({"cnn": cnn_manifest, "bilstm": rnn_manifest}))
    speed = resources.measured_json("ner_speed.json")
    if speed is None:
        st.warning("weights/ner_speed.json is missing: run `python -m benchmarks.ner_speed`.")
        return

    @st.fragment
    def speed_section() -> None:
        threads = st.segmented_control(
            "CPU threads", [1, 2], default=1, key="compare_threads", required=True,
            help="Convolution positions are independent, so more cores can share them; an RNN goes step by step.",
        )  # fmt: skip
        charts.show(
            measured.speed_figure(speed, threads, "encoder"),
            "compare_speed",
            measured.speed_caption(speed, threads, "encoder") + f" Command: `{speed['command']}`.",
        )

    speed_section()
    st.markdown("**What to notice.** " + measured.speed_note(speed))


if digits_tab.open:
    with digits_tab:
        digits_view()
if text_tab.open:
    with text_tab:
        text_view()
