"""The live-training page's server side: the pool and the data every session shares (read-only),
this session's workers (in its own session state, never in a cache), and the check that tells a
worker thread whether its session still exists.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

import runtime
from live.run import LiveConfig, LiveData, RunView, default_augmenter, live_data
from live.symbols import LessonConfig, SymbolLesson, split_drawings
from live.worker import Presence, TrainingPool, Worker, wall_limit
from models.digits import classify
from models.preprocess import EmptyDrawingError, preprocess
from ui.inputs import DigitSource

# Session state, under the page's prefix.
RUN = "train_run_worker"  # Worker of this session's training run
LESSON = "train_lesson_worker"  # Worker of this session's symbol lesson
DRAWINGS = "train_symbol_drawings"  # list per symbol slot of (28, 28) float32 drawings
NOTICE = "train_notice"  # a message from the last press of a training button, shown once
RESET_NOTICE = "Reset."
RESET_WHILE_TRAINING_NOTICE = "Reset while training: the run stopped and its models were discarded."
SYMBOL_NOTICE = "train_symbol_notice"  # the same for the symbol buttons
PRESENCE = "train_presence"  # Presence of this session, read by its workers
SYMBOL_SLOTS = 3
SYMBOL_CANVAS = DigitSource("train_sym")  # where symbols are drawn, to add or to test
REFRESH_S = 0.5  # the live charts redraw this often while a worker is busy
MAX_BUDGET_S = 60  # the most CPU seconds a visitor may give one run
# The labels the page shows. A widget bound to the URL keeps its label there (`?train_models=CNN+only`), so a
# link made by hand (presentation mode, the README) must use these.
KIND_NAMES = {"both": "Both, racing", "cnn": "CNN only", "rnn": "RNN only"}
OPTIMISER_NAMES = {"adam": "Adam", "sgd_momentum": "SGD with momentum 0.9", "sgd": "plain SGD"}
# The sizes a visitor may choose. The largest together, both models racing, keep a training within 150 MB
# (benchmarks/live_training.py, memory): 32 filters at a batch of 256 would need about 370.
BATCH_SIZES = (8, 16, 32, 64, 128)
CONV_FILTERS = (4, 8, 16)
LSTM_UNITS = (16, 32, 64, 128)


@st.cache_resource
def pool() -> TrainingPool:
    """The server's one pool. Shared by every session, it holds tickets (numbers) and nothing of theirs; its
    fair shares keep a class's wait near $CNNRNN_CLASS_WAIT_S (runtime.class_wait_s)."""
    return TrainingPool(runtime.live_slots(), runtime.class_wait_s())


@st.cache_resource(show_spinner="Loading the MNIST subset…")
def data() -> LiveData:
    """10,000 training and 2,000 held-out MNIST digits, shared read-only by every run on the server.
    Raises sources.mnist.MnistDataError (not cached) when MNIST cannot be had."""
    from sources.mnist import fetch, load

    mnist = load(fetch())
    return live_data(mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test)


class _Connection:
    """Kept in Streamlit's session-scoped resource cache, which releases it when the session disconnects
    (and runs again after a reconnect, making a new one): the public way to learn that a tab has closed."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence
        presence.connect()

    def release(self) -> None:
        self.presence.disconnect()


@st.cache_resource(scope="session", on_release=_Connection.release, show_spinner=False)
def _connection(_presence: Presence) -> _Connection:
    return _Connection(_presence)


def session_alive() -> Callable[[], bool]:
    """A check a worker thread may call at any time: is this script's session still connected?
    Under AppTest a session never disconnects: the run's budget bounds the worker there."""
    presence = st.session_state.setdefault(PRESENCE, Presence())
    _connection(presence)
    return presence.alive


def keep_presence() -> None:
    """Called on every run (app.py): a session that reconnected is marked connected again."""
    presence = st.session_state.get(PRESENCE)
    if presence is not None:
        _connection(presence)


def _new_worker(job, max_seconds: float) -> Worker:
    return Worker(job, pool(), alive=session_alive(), threads=1, wall_limit_s=wall_limit(max_seconds))


# ---------------------------------------------------------------- the training run


def run_worker() -> Worker | None:
    worker = st.session_state.get(RUN)
    return worker if worker is not None and worker.job is not None else None


def run_view() -> RunView | None:
    worker = run_worker()
    return None if worker is None else worker.job.view()


def _fresh_run(config: LiveConfig) -> Worker:
    from live.run import LiveRun

    worker = run_worker()
    if worker is not None and not worker.job.finished:
        return worker
    if worker is not None:
        worker.stop()
    worker = _new_worker(LiveRun(config, data(), default_augmenter()), config.max_seconds)
    st.session_state[RUN] = worker
    return worker


def start_run(config: LiveConfig) -> None:
    """Start a new run with `config`, or resume the paused one."""
    _fresh_run(config).play()


def pause_run() -> None:
    worker = run_worker()
    if worker is not None:
        worker.pause()


def step_run(config: LiveConfig) -> None:
    _fresh_run(config).step()


def reset_run() -> None:
    """Stop the run (its thread ends after the step it is in) and forget it."""
    worker = st.session_state.pop(RUN, None)
    if worker is not None:
        was_busy = worker.busy
        worker.stop()
        st.session_state[NOTICE] = RESET_WHILE_TRAINING_NOTICE if was_busy else RESET_NOTICE


# ---------------------------------------------------------------- drawing on the canvas


def prepared(image: np.ndarray | None) -> np.ndarray | None:
    """A canvas image as the models' 28x28 input, or None when it holds no ink."""
    if image is None:
        return None
    try:
        return preprocess(image).final
    except EmptyDrawingError:
        return None


def predictions(image28: np.ndarray, models: dict) -> dict[str, np.ndarray]:
    """Each model's ten probabilities for one 28x28 image. The models are frozen copies or the cached
    pretrained model, so this may run while the worker trains."""
    return {key: classify(model, image28[None])[0] for key, model in models.items()}


# ---------------------------------------------------------------- symbols


def drawings() -> list[list[np.ndarray]]:
    return st.session_state.setdefault(DRAWINGS, [[] for _ in range(SYMBOL_SLOTS)])


def add_drawing(slot: int, name: str) -> None:
    """on_click of an "Add" button: keep the symbol canvas's drawing as an example of symbol `slot`, and
    empty the canvas for the next one."""
    image28 = prepared(st.session_state.get(f"{SYMBOL_CANVAS.prefix}_drawing"))
    if image28 is None:
        st.session_state[SYMBOL_NOTICE] = "The canvas is empty: draw the symbol first, then add it."
        return
    drawings()[slot].append(image28.astype(np.float32))
    SYMBOL_CANVAS.clear_canvas()
    st.session_state[SYMBOL_NOTICE] = f"Added drawing {len(drawings()[slot])} of “{name.strip()}”."


def forget_drawings() -> None:
    st.session_state[DRAWINGS] = [[] for _ in range(SYMBOL_SLOTS)]
    worker = st.session_state.pop(LESSON, None)
    if worker is not None:
        worker.stop()


def lesson_worker() -> Worker | None:
    worker = st.session_state.get(LESSON)
    return worker if worker is not None and worker.job is not None else None


def teach(names: list[str], base) -> None:
    """on_click of "Teach the CNN": check the drawings, then fine-tune in the background.
    A problem with the drawings becomes a notice, never a traceback."""
    from live.symbols import SymbolError

    slots = drawings()
    try:
        symbols = [split_drawings(names[i], slots[i]) for i in range(SYMBOL_SLOTS) if slots[i]]
        lesson = SymbolLesson(base, symbols, data(), default_augmenter(), LessonConfig())
    except SymbolError as error:
        st.session_state[SYMBOL_NOTICE] = str(error)
        return
    old = st.session_state.pop(LESSON, None)
    if old is not None:
        old.stop()
    worker = _new_worker(lesson, lesson.config.max_seconds)
    st.session_state[LESSON] = worker
    worker.play()


def take_notice(key: str = NOTICE) -> str | None:
    return st.session_state.pop(key, None)
