"""The pen page under AppTest, on the committed weights: a drawing arrives as the canvas's own JSON
(what `st_canvas` returns when it mounts with an initial drawing), and every control is moved by key."""

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import runtime
from models.pen import BRUSH_WIDTH
from runtime import PROJECT_ROOT
from sources.pen import MAX_INPUT_POINTS, canvas_from_strokes
from sources.pen_drawings import drawing
from ui.examples import PEN_EXAMPLES
from ui.pen import PEN_PROMPT

TIMEOUT = 90
pytestmark = pytest.mark.skipif(
    not all((runtime.weights_dir() / name).exists() for name in ("pen.pt", "cnn.pt")),
    reason="weights/pen.pt or cnn.pt missing: run `python -m training.train_pen` and `python -m training.train_cnn`",
)
CANVAS_JSON = json.loads((Path(__file__).parent.parent / "data" / "pen_canvas.json").read_text())


@pytest.fixture
def pen_page():
    return AppTest.from_file(str(PROJECT_ROOT / "views/pen.py"), default_timeout=TIMEOUT)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _stroke_table(at):
    """The answers-after-each-stroke table (AppTest does not keep a dataframe's key: found by its column)."""
    return next(df.value for df in at.dataframe if "after stroke" in df.value.columns)


def _drawn(at, strokes):
    """The page with `strokes` on its canvas: a fresh canvas key, as after Clear, mounted holding them."""
    version = at.session_state["pen_canvas_version"] + 1 if "pen_canvas_version" in at.session_state.keys() else 0
    at.session_state["pen_canvas_version"] = version
    at.session_state["pen_initial"] = canvas_from_strokes(strokes, BRUSH_WIDTH)
    return at.run()


def test_an_empty_canvas_asks_for_a_drawing(pen_page):
    at = pen_page.run()
    assert not at.exception
    assert any(info.value == PEN_PROMPT for info in at.info)
    assert not _metrics(at)


def test_a_shared_example_link_opens_on_that_drawing(pen_page):
    name = "A 4, two strokes"
    pen_page.query_params["pen_example"] = name
    at = pen_page.run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["The pen RNN says"] == metrics["The CNN says"] == str(PEN_EXAMPLES[name][0])
    assert {c.key for c in at.get("plotly_chart")} >= {"pen_path", "pen_lines", "pen_order_before", "pen_order_after"}
    table = _stroke_table(at)
    assert list(table["after stroke"]) == [1, 2]


def test_the_timeline_replays_the_path_and_the_cnn_sees_the_ink_so_far(pen_page):
    at = _drawn(pen_page, drawing(7))
    total = at.slider(key="pen_point").value
    assert total > 10 and any(f"After {total} of {total} points" in c.value for c in at.caption)
    at.slider(key="pen_point").set_value(1).run()
    assert not at.exception
    assert any(f"After 1 of {total} points" in c.value for c in at.caption)
    assert _metrics(at)["The CNN, on this ink"]  # a digit, or a dash while there is too little ink
    at.slider(key="pen_point").set_value(total).run()
    assert _metrics(at)["The CNN, on this ink"] == _metrics(at)["The CNN says"]  # the whole drawing


def test_a_new_drawing_starts_its_timeline_at_the_end(pen_page):
    at = _drawn(pen_page, drawing(7))
    at.slider(key="pen_point").set_value(3).run()
    at = _drawn(at, drawing(4))
    assert at.slider(key="pen_point").value == at.slider(key="pen_point").max


def test_the_order_experiments_keep_the_cnn_and_report_the_rnn(pen_page):
    at = _drawn(pen_page, drawing(4))
    shuffled = [md.value for md in at.markdown if "random order" in md.value]
    assert shuffled and "pixel for pixel the same, so the CNN's answer is identical" in shuffled[0]
    at.button(key="pen_reshuffle").click().run()
    assert at.session_state["pen_seed"] == 1
    assert [md.value for md in at.markdown if "random order" in md.value]
    at.segmented_control(key="pen_order").set_value("strokes reversed").run()
    assert not at.exception
    reversed_text = [md.value for md in at.markdown if "backwards" in md.value]
    assert reversed_text and "pixel for pixel the same" in reversed_text[0]
    assert "pen_reshuffle" not in {b.key for b in at.button}  # only a shuffle can be shuffled again


@pytest.mark.parametrize(
    "strokes, words",
    [
        ([[[10.0, float("nan")], [20.0, 30.0]]], "not a finite number"),
        ([[[5.0, 5.0]] * 3], None),  # a stroke of identical points: a dot in the corner, read
        ([[[140.0, 140.0]]], None),  # one point: a dot, read without a timeline
        ([[[float(i % 200), float(i % 150)] for i in range(MAX_INPUT_POINTS + 1)]], "more than"),
    ],
)
def test_bad_drawings_get_a_message_not_a_traceback(pen_page, strokes, words):
    at = _drawn(pen_page, strokes)
    assert not at.exception
    if words is None:
        assert _metrics(at)["The pen RNN says"] and not at.warning
    else:
        assert any(words in w.value for w in at.warning)
        assert not _metrics(at)


def test_a_stroke_off_the_canvas_is_held_at_its_edge(pen_page):
    at = _drawn(pen_page, [[[-40.0, 60.0], [200.0, 60.0], [120.0, 330.0]]])
    assert not at.exception and not at.warning
    assert _metrics(at)["The pen RNN says"]


def test_the_real_canvas_json_is_read(pen_page):
    pen_page.session_state["pen_initial"] = CANVAS_JSON
    at = pen_page.run()
    assert not at.exception
    assert len(_stroke_table(at)) == 2


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_broken_pen_weights_give_a_message_not_a_traceback(pen_page, tmp_path, monkeypatch, damage):
    for name in ("cnn.pt", "cnn.json"):
        (tmp_path / name).write_bytes((runtime.weights_dir() / name).read_bytes())
    if damage == "corrupt":
        (tmp_path / "pen.json").write_text((runtime.weights_dir() / "pen.json").read_text())
        (tmp_path / "pen.pt").write_bytes(b"\x00garbage")
    monkeypatch.setenv("CNNRNN_WEIGHTS", str(tmp_path))
    st.cache_resource.clear()
    try:
        at = pen_page.run()
    finally:
        st.cache_resource.clear()
    assert not at.exception
    assert any("python -m training.train_pen" in e.value and damage in e.value for e in at.error)


def test_the_footer_reads_the_manifest(pen_page):
    at = pen_page.run()
    manifest = json.loads((runtime.weights_dir() / "pen.json").read_text())
    accuracy = manifest["metrics"]["mnist_test_paths_accuracy"]
    assert any(f"{accuracy:.2%}" in c.value and manifest["evaluate_command"] in c.value for c in at.caption)
    assert np.isfinite(accuracy)
