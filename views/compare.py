"""CNN vs RNN on the same input: a digit through a CNN and a row-by-row LSTM, a sentence through
a convolutional tagger and the BiLSTM-CRF."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from figures import compare as fig
from figures import measured
from figures import text as text_fig
from models.checkpoint import WeightsError
from models.compare import compare_digit, compare_text
from models.digits import EmptyDrawingError
from ui import charts, layout, resources, url_state
from ui import compare as sections
from ui.examples import COMPARE_PRESETS, ROOSEVELT
from ui.inputs import CANVAS_SIZE, COMPARE_PROMPT, PROMPT_ICON, DigitSource, cut_text

# Plain labels: the chosen tab is kept in the URL as ?compare_tab=The+same+sentence.
state = st.session_state

st.title("CNN vs RNN, side by side")
st.caption(
    "The heart of the article: a CNN looks at a fixed window all at once; an RNN reads a sequence step by step, "
    "carrying what it has seen. Here the same input goes through one of each, and everything shown is computed "
    "live or measured by a script on held-out data."
)
digits_tab, text_tab = st.tabs(
    [sections.DIGITS_TAB, sections.TEXT_TAB], key="compare_tab", on_change="rerun", bind="query-params"
)


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
        st.info(COMPARE_PROMPT, icon=PROMPT_ICON)
        return

    cnn_col, rnn_col = st.columns(2)
    cnn_col.metric("The CNN says", str(result.cnn.prediction), f"{result.cnn.confidence:.0%} sure", delta_arrow="off")
    rnn_col.metric(
        "The row-by-row RNN says", str(result.rnn.prediction), f"{result.rnn.probs.max():.0%} sure", delta_arrow="off"
    )
    height, width = result.steps.final.shape
    st.caption(f"Input: {note}, after the same preprocessing to {height}×{width} for both.")
    sections.model_table(
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
    sections.reading_section(result.steps.final, result.rnn)
    st.markdown("**What to notice.** " + fig.reading_note(cnn.config, rnn.config))

    st.subheader("What the CNN sees: feature maps")
    sections.maps_section(result.cnn.feature_maps)

    st.subheader("What each one relies on: blank a patch, watch the answer")
    sections.occlusion_section(result.steps.final)
    st.markdown("**What to notice.** " + fig.occlusion_note())

    st.subheader("Robustness: shift, rotate, hide rows")
    robustness = resources.measured_json("robustness.json")
    if robustness is None:
        st.warning("weights/robustness.json is missing: run `python -m training.robustness`.")
        return
    sections.robustness_section(robustness, {"cnn": cnn_manifest, "rnn": rnn_manifest})


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
    sections.model_table(
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

    sections.speed_section(speed)
    st.markdown("**What to notice.** " + measured.speed_note(speed))


if digits_tab.open:
    with digits_tab:
        digits_view()
if text_tab.open:
    with text_tab:
        text_view()
