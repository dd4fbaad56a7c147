"""Train them yourself: a CNN and an RNN learn MNIST live, side by side; then teach the CNN symbols of your own."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from figures import live as fig
from live.budget import MIN_BUDGET_S
from live.run import OPTIMISERS, LiveConfig, LiveConfigError
from live.symbols import HOLD_BACK_EVERY, MAX_NAME, MIN_EXAMPLES
from models.checkpoint import WeightsError
from sources.mnist import MnistDataError
from ui import live, resources
from ui import train as sections
from ui.inputs import DigitSource

st.title("Train them yourself")
st.caption(
    "A small CNN and a row-by-row LSTM start from random weights and learn MNIST while you watch, on the same "
    "batches. Every chart below is the live training, not a recording."
)

try:
    data = live.data()
except (MnistDataError, OSError) as error:
    st.error(f"The MNIST digits could not be loaded, so nothing can train: {error}")
    st.stop()

worker = live.run_worker()
locked = worker is not None  # a run keeps the settings it started with: Reset to change them
locked_help = "Press Reset to change the settings: a run keeps the ones it started with."

# ---------------------------------------------------------------- settings
with st.container(border=True):
    left, middle, right = st.columns(3)
    kinds = left.segmented_control(
        "Train", list(live.KIND_NAMES), format_func=live.KIND_NAMES.get, default="both", key="train_models",
        required=True, disabled=locked, bind="query-params",
    )  # fmt: skip
    learning_rate = left.number_input(
        "Learning rate", min_value=0.0, max_value=1e6, value=3e-3, step=1e-3, format="%g", key="train_lr",
        disabled=locked, bind="query-params", help=locked_help if locked else "How far each step moves the weights.",
    )  # fmt: skip
    optimiser = left.selectbox(
        "Optimiser", OPTIMISERS, format_func=live.OPTIMISER_NAMES.get, key="train_optimiser", disabled=locked,
        bind="query-params",
    )  # fmt: skip
    batch_size = middle.select_slider(
        "Batch size", live.BATCH_SIZES, value=64, key="train_batch", disabled=locked, bind="query-params"
    )
    filters = middle.select_slider(
        "CNN: first-layer filters", live.CONV_FILTERS, value=8, key="train_filters", disabled=locked,
        bind="query-params",
        help="conv1 has this many 5×5 filters; the four later layers have 1, 2, 2 and 4 times as many (3×3).",
    )  # fmt: skip
    units = middle.select_slider(
        "RNN: LSTM units", live.LSTM_UNITS, value=64, key="train_units", disabled=locked, bind="query-params"
    )
    augment = right.toggle(
        "Augmentation", value=False, key="train_augment", disabled=locked, bind="query-params",
        help="Each batch is randomly rotated, scaled, sheared, shifted and its strokes thickened or thinned.",
    )  # fmt: skip
    max_seconds = right.slider(
        "Budget: CPU seconds", MIN_BUDGET_S, live.MAX_BUDGET_S, 30, key="train_seconds", disabled=locked,
        bind="query-params",
        help="The run stops after this much CPU time, training and scoring of both models included.",
    )  # fmt: skip
    max_steps = right.number_input(
        "Budget: steps", min_value=1, max_value=20_000, value=20_000, step=100, key="train_steps", disabled=locked,
        bind="query-params",
    )  # fmt: skip

try:
    config = LiveConfig(
        kinds=("cnn", "rnn") if kinds == "both" else (kinds,), learning_rate=float(learning_rate),
        batch_size=int(batch_size), optimiser=optimiser, conv_filters=int(filters), lstm_units=int(units),
        augment=bool(augment), max_seconds=float(max_seconds), max_steps=int(max_steps),
    )  # fmt: skip
except LiveConfigError as error:
    st.error(str(error))
    config = None
if config is not None and config.learning_rate == 0:
    st.warning("A learning rate of 0 never moves a weight: the models will stay as random as they start.")
elif config is not None and config.learning_rate >= 1:
    st.warning(f"A learning rate of {config.learning_rate:g} is very large: expect the loss to blow up (diverge).")

# ---------------------------------------------------------------- controls
status = worker.status() if worker is not None else None
finished = status is not None and status.finished is not None
playing = worker is not None and worker.playing
started = worker is not None and worker.job.steps > 0
# One row of buttons each as wide as its label, wrapping on a narrow screen: fixed columns cut "One step" short
# at presentation size on a 1024 px projector.
controls = st.container(horizontal=True, key="train_controls")
controls.button(
    "Resume" if started and not finished else "Start", key="train_start", type="primary", icon=":material/play_arrow:",
    disabled=config is None or playing or finished, on_click=live.start_run, args=(config,),
)  # fmt: skip
controls.button("Pause", key="train_pause", icon=":material/pause:", disabled=not playing, on_click=live.pause_run)
controls.button(
    "One step", key="train_step", icon=":material/skip_next:", disabled=config is None or finished,
    on_click=live.step_run, args=(config,),
)  # fmt: skip
controls.button(
    "Reset", key="train_reset", icon=":material/restart_alt:", disabled=worker is None, on_click=live.reset_run
)
notice = live.take_notice()
if notice:
    st.info(notice)


# ---------------------------------------------------------------- live charts
@st.fragment(run_every=live.REFRESH_S if worker is not None and worker.busy else None)
def live_charts(was_busy: bool) -> None:
    sections.live_charts(was_busy, data)


live_charts(worker is not None and worker.busy)

# ---------------------------------------------------------------- use what you trained
st.header("Use what you trained")
st.caption(
    f"Draw a digit: your freshly trained models answer beside the app's pretrained CNN{sections.pretrained_note()}."
)
canvas = DigitSource("train")
canvas.setup("canvas")
draw_col, answer_col = st.columns([1, 2])
with draw_col, st.container(key="train_digit_pad"):
    canvas.draw(st_canvas)
    canvas.clear_button()

with answer_col:
    sections.canvas_answers()

# ---------------------------------------------------------------- symbols
st.header("Teach the CNN a symbol of your own")
st.caption(
    f"Transfer learning, live. Name up to three symbols, draw at least {MIN_EXAMPLES} examples of each, and the CNN "
    "learns them in seconds: its convolutional layers stay as MNIST trained them, and its last layer gets a new "
    "output per symbol, fine-tuned on your drawings (each seen in many warped copies) plus a replay of MNIST digits "
    f"so the digits are not forgotten. Every {HOLD_BACK_EVERY}th drawing is held back to test on. Your drawings stay "
    "in your session only."
)
defaults = ("tick", "star", "")
names = [
    column.text_input(f"Symbol {i + 1}", value=defaults[i], max_chars=MAX_NAME, key=f"train_symbol_{i}",
                      bind="query-params", placeholder="a name, e.g. your initial")
    for i, column in enumerate(st.columns(live.SYMBOL_SLOTS))
]  # fmt: skip
symbol_canvas = live.SYMBOL_CANVAS
symbol_canvas.setup("canvas")
slots = live.drawings()
draw_col, side_col = st.columns([1, 2])
with draw_col, st.container(key="train_symbol_pad"):
    symbol_canvas.draw(st_canvas)
    symbol_canvas.clear_button()
with side_col:
    st.markdown("**Add the drawing as an example of:**")
    for i, column in enumerate(st.columns(live.SYMBOL_SLOTS)):
        column.button(
            f"{names[i].strip() or f'symbol {i + 1}'} ({len(slots[i])})", key=f"train_add_{i}", icon=":material/add:",
            disabled=not names[i].strip(), on_click=live.add_drawing,
            args=(i, names[i]),
        )  # fmt: skip
        if slots[i]:
            column.image(fig.drawings_strip(slots[i][-6:]), caption=f"last {min(len(slots[i]), 6)}", width=150)
    symbol_notice = live.take_notice(live.SYMBOL_NOTICE)
    if symbol_notice:
        st.info(symbol_notice)
    your_cnn = None
    view = live.run_view()
    yours = view.learners.get("cnn") if view is not None else None
    if yours is not None and yours.evaluation is not None and yours.divergence is None:
        your_cnn = yours.evaluation.model
    base_choice = st.segmented_control(
        "Start from", ["pretrained", "yours"], key="train_symbol_base", default="pretrained", required=True,
        format_func={"pretrained": "the pretrained CNN", "yours": "the CNN you trained above"}.get,
        disabled=your_cnn is None, help="Which CNN's layers to keep; the pretrained one has seen all of MNIST.",
    )  # fmt: skip
    try:
        base = your_cnn if base_choice == "yours" and your_cnn is not None else resources.digit_model("cnn")[0]
    except WeightsError as error:
        st.error(str(error))
        base = None
    teach_col, forget_col = st.columns(2)
    lesson_worker = live.lesson_worker()
    teach_col.button(
        "Teach the CNN", key="train_teach", type="primary", icon=":material/school:",
        disabled=base is None or (lesson_worker is not None and lesson_worker.busy),
        on_click=live.teach, args=(names, base),
    )  # fmt: skip
    forget_col.button("Forget my drawings", key="train_forget", icon=":material/delete:", on_click=live.forget_drawings)


@st.fragment(run_every=live.REFRESH_S if lesson_worker is not None and lesson_worker.busy else None)
def lesson_charts(was_busy: bool) -> None:
    sections.lesson_charts(was_busy, data)


lesson_charts(lesson_worker is not None and lesson_worker.busy)
