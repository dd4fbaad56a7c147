"""The pen page's reading of a drawing: the canvas's own format, the timeline, the order experiments,
and the sentences that report them."""

import json
from pathlib import Path

import numpy as np
import pytest

from figures import pen as fig
from models import checkpoint
from models.pen import ORDERS, PenRNN, PenRNNConfig, read_pen, render_strokes, reorder
from sources import pen

# What the canvas (streamlit-drawable-canvas 0.13, Fabric.js 7) sent back for two strokes drawn with
# the mouse in Chromium: a rightward bar, then a long stroke down and to the left.
CANVAS_JSON = json.loads((Path(__file__).parent.parent / "data" / "pen_canvas.json").read_text())


def test_the_canvas_json_becomes_strokes_in_drawing_order():
    strokes = pen.strokes_from_canvas(CANVAS_JSON)
    paths = [item["path"] for item in CANVAS_JSON["objects"]]
    assert [len(s) for s in strokes] == [len(p) for p in paths]
    assert strokes[0][0] == paths[0][0][1:] and strokes[1][-1] == paths[1][-1][1:]
    assert strokes[0][-1][0] > strokes[0][0][0]  # the bar went right
    assert strokes[1][-1][1] > strokes[1][0][1]  # the second stroke went down
    with_other = {"objects": [{"type": "rect", "left": 1}, *CANVAS_JSON["objects"]]}
    assert pen.strokes_from_canvas(with_other) == strokes  # not a pen stroke: skipped
    assert pen.strokes_from_canvas(None) == pen.strokes_from_canvas({"objects": []}) == []


def test_an_example_put_on_the_canvas_reads_back_as_the_same_strokes():
    strokes = [[[10.0, 60.0], [40.5, 62.0], [70.0, 90.0]], [[50.0, 50.0]]]
    shown = pen.canvas_from_strokes(strokes, width=18)
    back = pen.strokes_from_canvas(shown)
    assert back[0] == strokes[0] and back[1][0] == strokes[1][0]
    first = shown["objects"][0]
    assert (first["left"], first["top"], first["width"], first["height"]) == (40.0, 75.0, 60.0, 30.0)


def test_clipping_holds_a_pen_that_left_the_canvas_at_its_edge():
    assert pen.clip_to_canvas([[[-5, 10], [300, 290]]], 280, 280) == [[[0.0, 10.0], [280.0, 280.0]]]


def test_a_cut_stroke_keeps_its_share_of_the_length():
    stroke = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    np.testing.assert_allclose(pen.cut_stroke(stroke, 0.25), [[0, 0], [5, 0]])
    np.testing.assert_allclose(pen.cut_stroke(stroke, 0.75), [[0, 0], [10, 0], [10, 5]])
    np.testing.assert_array_equal(pen.cut_stroke(stroke, 1.0), stroke)
    np.testing.assert_allclose(pen.cut_stroke(stroke, 0.0), [[0, 0]])


@pytest.fixture(scope="module")
def models():
    import torch

    from models.digits import load_digit_model

    if not checkpoint.paths("cnn")[0].exists():
        pytest.skip("weights/cnn.pt is missing: train it with `python -m training.train_cnn`")
    torch.manual_seed(0)
    return PenRNN(PenRNNConfig()).eval(), load_digit_model("cnn")[0]


DRAWING = {"width": 280, "height": 280, "strokes": pen.strokes_from_canvas(CANVAS_JSON)}


def test_the_timeline_ends_on_the_whole_drawing_and_starts_with_one_point(models):
    pen_model, cnn = models
    reading = read_pen(DRAWING, pen_model, cnn)
    last = len(reading.points) - 1
    assert len(reading.stroke_ends) == 2 and reading.stroke_ends[-1] == last
    assert all(np.array_equal(a, b) for a, b in zip(reading.strokes_until(last), reading.strokes, strict=True))
    assert np.array_equal(reading.cnn_until(cnn, last), reading.cnn_probs)  # the same picture, the same numbers
    first = reading.strokes_until(0)
    assert len(first) == 1 and len(first[0]) == 1
    middle = reading.strokes_until(reading.stroke_ends[0] + 1)  # the second stroke just begun
    assert len(middle) == 2 and np.array_equal(middle[0], reading.strokes[0])
    # The points the GRU read lie on the drawing, in canvas pixels.
    every = np.concatenate(reading.strokes)
    assert (reading.points.min(axis=0) >= every.min(axis=0) - 1).all()
    assert (reading.points.max(axis=0) <= every.max(axis=0) + 1).all()


def test_every_order_keeps_the_picture_and_only_the_rnn_can_tell(models):
    pen_model, cnn = models
    reading = read_pen(DRAWING, pen_model, cnn)
    picture = render_strokes(reading.strokes, 280, 280)
    for order in ORDERS:
        strokes = reorder(reading.strokes, order, seed=3)
        assert np.array_equal(render_strokes(strokes, 280, 280), picture)
        variant = read_pen({**DRAWING, "strokes": strokes}, pen_model, cnn)
        assert np.array_equal(variant.cnn_probs, reading.cnn_probs)
        if order != ORDERS[0]:
            assert not np.allclose(variant.step_probs[-1], reading.step_probs[-1], atol=1e-6)
    with pytest.raises(ValueError, match="unknown order"):
        reorder(reading.strokes, "sideways")


P7 = np.eye(10)[7] * 0.9 + 0.01
P1 = np.eye(10)[1] * 0.9 + 0.01
P7_UNSURE = np.eye(10)[7] * 0.5 + 0.05


@pytest.mark.parametrize(
    "variant, same_picture, words",
    [
        ((P1, P7), True, ["pixel for pixel the same, so", "identical", "changes its answer from 7 to **1**"]),
        ((P7_UNSURE, P7), True, ["still says **7**, but less sure: 55%, against 91%"]),
        ((P7, P7), True, ["as sure as before"]),
        ((P7, P1), False, ["differs in some pixels", "moves from 7 to **1**"]),
        ((P7, P7_UNSURE), False, ["still says **7** (91.0% before, 55.0% now)"]),
    ],
)
def test_the_order_sentence_reads_true_for_every_outcome(variant, same_picture, words):
    text = fig.order_caption(ORDERS[1], (P7, P7), variant, same_picture)
    for phrase in words:
        assert phrase in text
    assert "random order" in text


def test_the_timeline_sentence_names_the_moment_and_when_the_answer_settled():
    steps = np.stack([P1, P1, P7, P7])
    assert "After 2 of 4 points (50% of the path) the RNN says **1**" in fig.timeline_caption(steps, 1, P7, 3)
    assert "the CNN sees no ink yet" in fig.timeline_caption(steps, 1, None, 3)
    assert "from point 3 (75% of the path)" in fig.timeline_caption(steps, 1, P7, 3)
    assert "from the first point on" in fig.timeline_caption(steps, 1, P7, 1)
    assert "only settles on 7 at the very last point" in fig.timeline_caption(steps, 3, P7, None)
    assert fig.guesses_caption(P7, P7).startswith("Both say **7**")
    assert fig.guesses_caption(P7, P1).startswith("They disagree")


def test_the_stroke_table_has_a_row_per_stroke_and_a_dash_before_any_ink():
    rows = fig.stroke_rows(np.stack([P1, P7, P7]), [0, 2], [None, P7])
    assert [r["after stroke"] for r in rows] == [1, 2] and [r["points read"] for r in rows] == [1, 3]
    assert rows[0]["CNN says"] == "—" and rows[1]["CNN says"] == "7 (91%)" and rows[0]["RNN says"] == "1 (91%)"


@pytest.mark.parametrize(
    "strokes",
    [
        [[[140.0, 140.0]]],  # one point
        [[[90.0, 90.0]] * 5],  # a stroke of identical points
        [[[140 + 100 * np.cos(t), 140 + 100 * np.sin(t)] for t in np.linspace(0, 60, 10_000)]],  # 10,000 points
    ],
)
def test_odd_but_valid_drawings_are_read_whole(models, strokes):
    pen_model, cnn = models
    reading = read_pen({"width": 280, "height": 280, "strokes": strokes}, pen_model, cnn)
    assert 1 <= len(reading.points) <= pen.MAX_POINTS and len(reading.step_probs) == len(reading.points)
    assert np.isfinite(reading.step_probs).all() and np.isfinite(reading.cnn_probs).all()
    assert len(reading.strokes_until(len(reading.points) - 1)) == 1
