"""Draw in time → RNN: the pen's path read point by point by a GRU, beside the CNN that sees the picture."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from figures import pen as fig
from models.checkpoint import WeightsError
from ui import layout, resources
from ui import pen as sections
from ui.inputs import CANVAS_SIZE, PROMPT_ICON

st.title("Draw in time → RNN")
st.caption(
    "The canvas records where the pen went and in which order. A recurrent network reads that path point by "
    "point, with a guess after every point; the CNN from the digit page sees only the finished picture."
)

try:
    _, manifest = resources.pen_model()
    resources.digit_model("cnn")
except WeightsError as error:
    st.error(str(error))
    st.stop()

draw_col, answer_col = layout.sized_columns(
    [layout.Column("pen_draw", CANVAS_SIZE + 10, grow=0), layout.Column("pen_answer", 300, grow=1.0)]
)
with draw_col:
    st.subheader("Draw")
    drawing = sections.canvas(st_canvas)
with answer_col:
    st.subheader("After each stroke")
    reading = sections.read(drawing)
    if reading is None:
        st.info(sections.PEN_PROMPT, icon=PROMPT_ICON)
    else:
        sections.answers(reading)

if reading is not None:
    st.header("1 · Replay the pen, point by point")
    sections.timeline_section(reading)

    st.header("2 · Change the order, keep the picture")
    st.caption(
        "Shuffle the points, or run the strokes backwards. The ink on the canvas stays the same, so the CNN's "
        "input does not change; only the order in which the pen visited it does."
    )
    sections.order_section(reading)
    st.markdown(fig.why_note())

st.caption(fig.pen_model_caption(manifest, manifest.get("evaluate_command", "")))
