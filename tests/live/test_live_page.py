"""The training page under AppTest: curves that grow, controls, bad input in words, symbols, isolation."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from harness.apptest import chart, chart_keys
from harness.drawing import SEVEN, render
from harness.live_fixtures import symbol_drawing
from harness.waiting import wait_until
from runtime import PROJECT_ROOT

PAGE = str(PROJECT_ROOT / "views" / "train.py")
TIMEOUT = 120


@pytest.fixture
def page():
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    yield at
    worker = at.session_state["train_run_worker"] if "train_run_worker" in at.session_state else None
    if worker is not None:  # no thread outlives its test
        worker.stop()
        worker.join(30)


def rerun_until(at, condition, timeout: float = 180.0, what: str = "the page"):
    """Rerun the page (as its run_every fragments would) until `condition(at)` holds; an exception on the page
    fails at once. Reruns 0.3 s apart, not back to back: each costs CPU the training thread needs."""

    def rerun_holds() -> bool:
        at.run()
        assert not at.exception, at.exception
        return condition(at)

    wait_until(rerun_holds, what, timeout=timeout, interval=0.3)
    return at


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def finished(at) -> bool:
    return "Done:" in texts(at.success) or "Stopped" in texts(at.warning)


def array(values) -> np.ndarray:
    """A plotly array as sent to the browser: a list, or numpy's bytes in base64 ({"dtype", "bdata"})."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values)


def training_points(at) -> int:
    """Points on the CNN's training accuracy curve (examples axis)."""
    return len(array(chart(at, "train_curves")["data"][0]["x"]))


def test_one_step_then_start_grows_the_curves(page):
    page.number_input(key="train_steps").set_value(30).run()
    page.button(key="train_step").click().run()
    rerun_until(page, lambda at: "Paused (step 1 of at most 30" in texts(at.info), what="one step")
    assert training_points(page) == 1
    page.button(key="train_start").click().run()
    rerun_until(page, finished, what="the run to finish")
    assert training_points(page) == 30
    metrics = {m.label: m.value for m in page.metric}
    assert set(metrics) == {"CNN: held-out accuracy", "RNN: held-out accuracy"}
    assert all(value.endswith("%") for value in metrics.values())
    assert {"train_filters_now", "train_drift", "train_maps", "train_rows", "train_confusion_cnn",
            "train_confusion_rnn"} <= chart_keys(page)  # fmt: skip
    assert page.number_input(key="train_lr").disabled  # the run keeps its settings until Reset


def test_the_pretrained_accuracy_is_the_manifests(page):
    from models.checkpoint import read_manifest

    accuracy = read_manifest("cnn")["metrics"]["mnist_test_accuracy"]
    expected = f"the app's pretrained CNN ({accuracy:.1%} on MNIST)."
    assert any(str(c.value).endswith(expected) for c in page.caption)


def test_a_learning_rate_of_zero_is_explained(page):
    page.number_input(key="train_lr").set_value(0.0).run()
    assert "A learning rate of 0 never moves a weight" in texts(page.warning)


def test_a_huge_learning_rate_shows_divergence_not_a_traceback(page):
    page.number_input(key="train_lr").set_value(1e6).run()
    assert "expect the loss to blow up" in texts(page.warning)
    page.number_input(key="train_steps").set_value(200).run()
    page.button(key="train_start").click().run()
    rerun_until(page, finished, what="divergence")
    assert "every model diverged" in texts(page.warning)
    assert {m.value for m in page.metric} == {"diverged"}
    captions = texts(page.caption)
    assert "The CNN diverged at step" in captions and "The RNN diverged at step" in captions
    assert not page.error


def test_reset_while_training_stops_and_forgets_the_run(page):
    page.button(key="train_start").click().run()
    rerun_until(page, lambda at: "Training…" in texts(at.info) or "Waiting" in texts(at.warning), what="training")
    worker = page.session_state["train_run_worker"]
    page.button(key="train_reset").click().run()
    assert not page.exception
    assert "Reset while training: the run stopped" in texts(page.info)
    assert "train_run_worker" not in page.session_state
    assert worker.join(30) and worker.job is None
    assert "train_curves" not in chart_keys(page)
    assert not page.number_input(key="train_lr").disabled


def test_teaching_with_no_drawings_or_one_says_what_to_draw(page):
    page.button(key="train_teach").click().run()
    assert "Draw at least 5 examples" in texts(page.info)
    page.session_state["train_sym_drawing"] = render(SEVEN)
    page.run()
    page.button(key="train_add_0").click().run()
    assert "Added drawing 1 of “tick”" in texts(page.info)
    page.button(key="train_teach").click().run()
    assert "“tick” has 1 drawing: draw at least 5" in texts(page.info)
    assert "train_lesson_worker" not in page.session_state


def test_adding_an_empty_canvas_says_so(page):
    page.session_state["train_sym_drawing"] = np.zeros((280, 280, 4), dtype=np.uint8)
    page.run()
    page.button(key="train_add_1").click().run()
    assert "The canvas is empty" in texts(page.info)


def test_two_symbols_are_taught_and_one_is_recognised(page):
    rng = np.random.default_rng(1)
    for slot, symbol in ((0, "tick"), (1, "star")):
        for _ in range(5):
            page.session_state["train_sym_drawing"] = symbol_drawing(symbol, rng)
            page.run()
            page.button(key=f"train_add_{slot}").click().run()
    assert page.button(key="train_add_1").label == "star (5)"
    page.button(key="train_teach").click().run()
    rerun_until(page, lambda at: "Learned in" in texts(at.success), what="the lesson")
    assert {"train_symbol_scores", "train_symbol_confusion", "train_lesson_curve"} <= chart_keys(page)
    page.session_state["train_sym_drawing"] = symbol_drawing("star", rng)
    page.run()
    said = {m.label: m.value for m in page.metric}["The CNN says"]
    assert said == "star"


def test_two_sessions_training_at_once_see_only_their_own_run(page):
    """Two sessions, different settings, training at the same time (the second may wait for a slot)."""
    other = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    other.button_group(key="train_models").set_value("rnn").run()
    assert "train_curves" not in chart_keys(other) and not other.metric  # nothing of the first yet
    page.number_input(key="train_steps").set_value(40).run()
    page.select_slider(key="train_filters").set_value(4).run()
    other.number_input(key="train_steps").set_value(25).run()
    page.button(key="train_start").click().run()
    other.button(key="train_start").click().run()
    try:
        for at in (page, other):
            rerun_until(at, finished, what="both sessions' runs")
        ours, theirs = page.session_state["train_run_worker"].job, other.session_state["train_run_worker"].job
        assert ours is not theirs and set(ours.learners) == {"cnn", "rnn"} and set(theirs.learners) == {"rnn"}
        assert ours.learners["cnn"].model.conv1.out_channels == 4 and ours.steps == 40 and theirs.steps == 25
        assert {m.label for m in other.metric} == {"RNN: held-out accuracy"}
        assert training_points(page) == 40 and training_points(other) == 25
        assert len(chart(other, "train_curves")["data"]) == 8  # one model: 2 curves x 4 panels
    finally:
        worker = other.session_state["train_run_worker"] if "train_run_worker" in other.session_state else None
        if worker is not None:
            worker.stop()
