"""The pen page's glue: the canvas that records the pen's path, its examples, and the sections
that replay the path and reorder it, each a fragment, so moving its control reruns only it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from figures import compare as compare_fig
from figures import pen as fig
from models.pen import BRUSH_WIDTH, ORDERS, PenReading, read_pen, render_strokes, reorder
from models.preprocess import EmptyDrawingError
from sources.pen import PenInputError, canvas_from_strokes, clip_to_canvas, strokes_from_canvas
from sources.pen_drawings import drawing as example_drawing
from ui import charts, resources
from ui.examples import PEN_EXAMPLES
from ui.inputs import BLACK_CANVAS, CANVAS_SIZE

PEN_PROMPT = "Draw a digit on the black canvas, stroke by stroke, or pick an example."  # shown beside PROMPT_ICON
# Strokes listed one by one in the table; a drawing with more is summarised (each row costs a CNN reading).
MAX_STROKE_ROWS = 12
state = st.session_state


def _example_strokes(name: str | None):
    return None if name not in PEN_EXAMPLES else example_drawing(*PEN_EXAMPLES[name])


def use_example() -> None:
    """The example pill moved: remount the canvas holding that example (or empty, when clicked off)."""
    state.pen_canvas_version = state.get("pen_canvas_version", 0) + 1
    strokes = _example_strokes(state.get("pen_example"))
    state.pen_initial = None if strokes is None else canvas_from_strokes(strokes, BRUSH_WIDTH)


def clear_canvas() -> None:
    state.pen_canvas_version = state.get("pen_canvas_version", 0) + 1
    state.pen_initial = None
    state.pen_example = None


def canvas(st_canvas) -> dict | None:
    """The examples, the canvas and its Clear button -> the drawing {"width", "height", "strokes"} in
    canvas pixels, strokes in the order drawn, or None while it is empty. st_canvas comes from the page:
    only page files import streamlit-drawable-canvas."""
    state.setdefault("pen_canvas_version", 0)
    if "pen_initial" not in state:  # a fresh session: a shared link's ?pen_example=NAME opens on it
        strokes = _example_strokes(st.query_params.get("pen_example"))
        state.pen_initial = None if strokes is None else canvas_from_strokes(strokes, BRUSH_WIDTH)
    st.pills("Examples", list(PEN_EXAMPLES), key="pen_example", on_change=use_example, bind="query-params")
    result = st_canvas(
        **BLACK_CANVAS,
        stroke_width=BRUSH_WIDTH,
        initial_drawing=state.pen_initial,
        key=f"pen_canvas_{state.pen_canvas_version}",
    )
    st.button("Clear the canvas", key="pen_clear", on_click=clear_canvas, icon=":material/ink_eraser:")
    strokes = strokes_from_canvas(result.json_data)
    if not strokes:
        return None
    # A pen that ran off the canvas's edge is held at the edge.
    return {"width": CANVAS_SIZE, "height": CANVAS_SIZE, "strokes": clip_to_canvas(strokes, CANVAS_SIZE, CANVAS_SIZE)}


def read(drawing: dict | None) -> PenReading | None:
    """Both models' reading of the drawing, or None with a message saying why there is none."""
    if drawing is None:
        return None
    pen_model, _ = resources.pen_model()
    cnn, _ = resources.digit_model("cnn")
    try:
        return read_pen(drawing, pen_model, cnn)
    except PenInputError as error:
        st.warning(str(error))
    except EmptyDrawingError:
        st.warning("The drawing has too little ink to read: draw a larger digit.")
    return None


def answers(reading: PenReading) -> None:
    """The two answers side by side, and what each said once the pen lifted after every stroke."""
    cnn, _ = resources.digit_model("cnn")
    rnn_col, cnn_col = st.columns(2)
    rnn_probs = reading.step_probs[-1]
    rnn_col.metric("The pen RNN says", str(reading.rnn_prediction), f"{rnn_probs.max():.0%} sure", delta_arrow="off")
    cnn_col.metric(
        "The CNN says", str(reading.cnn_prediction), f"{reading.cnn_probs.max():.0%} sure", delta_arrow="off"
    )
    st.markdown(fig.guesses_caption(rnn_probs, reading.cnn_probs))
    ends = reading.stroke_ends[:MAX_STROKE_ROWS]
    rows = fig.stroke_rows(reading.step_probs, ends, [reading.cnn_until(cnn, end) for end in ends])
    st.dataframe(rows, hide_index=True, key="pen_strokes")
    if len(reading.stroke_ends) > MAX_STROKE_ROWS:
        st.caption(f"The first {MAX_STROKE_ROWS} of {len(reading.stroke_ends)} strokes.")


def _points_read(total: int, signature: tuple) -> None:
    """Prepare the timeline slider's state: the whole path for a new drawing, else the user's choice."""
    if state.get("pen_point__drawing") != signature or not 1 <= state.get("pen_point", 0) <= total:
        state.pen_point = total
        state["pen_point__drawing"] = signature


@st.fragment
def timeline_section(reading: PenReading) -> None:
    total = len(reading.points)
    if total == 1:  # a dot: nothing to replay
        point = 1
    else:
        _points_read(total, (total, float(reading.points.sum())))
        point = st.slider(
            "Points read",
            1,
            total,
            key="pen_point",
            help="Drag to replay the drawing: the RNN has read the coloured points, the CNN sees the ink so far.",
        )
    cnn, _ = resources.digit_model("cnn")
    partial = reading.cnn_until(cnn, point - 1)
    settled = reading.settled_point()
    path_col, lines_col, picture_col = st.columns([1.1, 1.6, 0.8])
    charts.show(
        fig.pen_path(reading.points, reading.stroke_of_point, point - 1, reading.width, reading.height),
        "pen_path",
        container=path_col,
    )
    marks = tuple(end + 1 for end in reading.stroke_ends[:-1])
    charts.show(
        compare_fig.step_probability_lines(reading.step_probs, point, step="point", marks=marks),
        "pen_lines",
        container=lines_col,
    )
    with picture_col:
        ink = render_strokes(reading.strokes_until(point - 1), reading.width, reading.height)
        st.image(ink, caption="The ink drawn so far: the CNN's input at this moment", width=160)
        st.metric("The CNN, on this ink", "—" if partial is None else str(int(partial.argmax())))
    st.caption(fig.timeline_caption(reading.step_probs, point - 1, partial, settled))


def _reshuffle() -> None:
    state.pen_seed = state.get("pen_seed", 0) + 1


@st.fragment
def order_section(reading: PenReading) -> None:
    order = st.segmented_control(
        "Time order", ORDERS[1:], default=ORDERS[1], key="pen_order", required=True, bind="query-params",
        help="The same ink, visited in another order: the picture does not change, the movement does.",
    )  # fmt: skip
    if order == ORDERS[1]:
        st.button("Shuffle again", key="pen_reshuffle", on_click=_reshuffle, icon=":material/shuffle:")
    pen_model, _ = resources.pen_model()
    cnn, _ = resources.digit_model("cnn")
    strokes = reorder(reading.strokes, order, state.get("pen_seed", 0))
    drawing = {"width": reading.width, "height": reading.height, "strokes": strokes}
    try:
        variant = read_pen(drawing, pen_model, cnn)
    except PenInputError as error:
        st.warning(f"This order cannot be read: {error}")
        return
    same_picture = np.array_equal(
        render_strokes(reading.strokes, reading.width, reading.height),
        render_strokes(strokes, reading.width, reading.height),
    )
    before_col, after_col = st.columns(2)
    last = len(reading.points) - 1
    charts.show(
        fig.pen_path(reading.points, reading.stroke_of_point, last, reading.width, reading.height, "As drawn"),
        "pen_order_before",
        container=before_col,
    )
    charts.show(
        fig.pen_path(
            variant.points, variant.stroke_of_point, len(variant.points) - 1, reading.width, reading.height,
            f"{order.capitalize()}: the same ink",
        ),
        "pen_order_after",
        container=after_col,
    )  # fmt: skip
    base = (reading.step_probs[-1], reading.cnn_probs)
    st.markdown(fig.order_caption(order, base, (variant.step_probs[-1], variant.cnn_probs), same_picture))
