"""Pen paths: tracing skeletons into strokes, drawings into pen moves, and the pen GRU."""

import numpy as np
import pytest
import torch

from harness.drawing import render_pixels
from models import checkpoint
from models.pen import PenRNN, PenRNNConfig, load_pen_model
from sources import pen

TRAIN_COMMAND = checkpoint.REBUILD_COMMANDS["pen"]


def mask(shape=(28, 28), pixels=()):
    out = np.zeros(shape, dtype=bool)
    for y, x in pixels:
        out[y, x] = True
    return out


def test_a_straight_line_is_one_stroke_from_its_top():
    strokes = pen.trace_skeleton(mask(pixels=[(y, 9) for y in range(4, 20)]))
    assert len(strokes) == 1
    assert strokes[0][0].tolist() == [9, 4] and strokes[0][-1].tolist() == [9, 19]
    assert len(strokes[0]) == 16


def test_an_l_is_one_stroke_down_then_right():
    pixels = [(y, 5) for y in range(3, 20)] + [(19, x) for x in range(6, 16)]
    (stroke,) = pen.trace_skeleton(mask(pixels=pixels))
    assert stroke[0].tolist() == [5, 3] and stroke[-1].tolist() == [15, 19]
    assert [5, 19] in stroke.tolist()  # through the corner, not across it
    assert len(stroke) == len(pixels)


def test_a_ring_is_one_closed_stroke_from_its_top_turning_left():
    from skimage.draw import circle_perimeter

    rows, cols = circle_perimeter(14, 14, 8)
    ring = pen.skeleton(np.where(mask(pixels=zip(rows, cols, strict=True)), 255, 0).astype(np.uint8))
    (stroke,) = pen.trace_skeleton(ring)
    top = stroke[0]
    assert top[1] == stroke[:, 1].min()  # starts at the top
    assert stroke[1][0] < top[0] or stroke[2][0] < top[0]  # heads left: counter-clockwise on screen
    assert np.abs(stroke[-1] - top).max() <= 1  # and comes back to where it began
    assert len(stroke) >= ring.sum()


def test_two_bars_are_two_strokes_top_first_each_left_to_right():
    pixels = [(18, x) for x in range(4, 20)] + [(8, x) for x in range(6, 22)]
    strokes = pen.trace_skeleton(mask(pixels=pixels))
    assert [s[0].tolist() for s in strokes] == [[6, 8], [4, 18]]
    assert [s[-1].tolist() for s in strokes] == [[21, 8], [19, 18]]


SEVEN = {"width": 280, "height": 280, "strokes": [[[40, 30], [200, 30], [90, 250]]]}
FOUR = {"width": 280, "height": 280, "strokes": [[[150, 20], [30, 170], [230, 170]], [[160, 80], [160, 260]]]}


def moved(drawing, scale, shift):
    return {
        **drawing,
        "strokes": [[[x * scale + shift[0], y * scale + shift[1]] for x, y in s] for s in drawing["strokes"]],
    }


@pytest.mark.parametrize("drawing", [SEVEN, FOUR])
def test_pen_moves_ignore_where_and_how_big(drawing):
    moves = pen.drawing_to_moves(drawing)
    assert moves.shape[1] == 3 and moves.dtype == np.float32
    assert moves[0, 2] == 1 and int(moves[:, 2].sum()) == len(drawing["strokes"])
    for scale, shift in [(1.0, (37, 11)), (0.3, (5, 100)), (2.5, (0, 0))]:
        np.testing.assert_allclose(pen.drawing_to_moves(moved(drawing, scale, shift)), moves, atol=1e-5)
    points, _ = pen.moves_to_points(moves)
    assert np.ptp(points, axis=0).max() == pytest.approx(1.0, abs=1e-5)  # normalised by the larger side
    steps = np.linalg.norm(moves[1:, :2][moves[1:, 2] == 0], axis=1)
    assert steps.max() <= pen.SPACING + 1e-6 and steps.min() >= pen.SPACING / 2  # evenly spaced


def test_long_drawings_are_capped_and_odd_ones_still_read():
    scribble = [[[float(i % 200), float(i // 50)] for i in range(10_000)]]
    assert len(pen.drawing_to_moves({"width": 280, "height": 280, "strokes": scribble})) <= pen.MAX_POINTS
    dashes = [[[i, 10], [i + 1, 10]] for i in range(0, 2000, 4)]
    moves = pen.drawing_to_moves({"width": 2000, "height": 280, "strokes": dashes})
    assert len(moves) <= pen.MAX_POINTS and moves[0, 2] == 1
    assert pen.drawing_to_moves({"width": 9, "height": 9, "strokes": [[[3, 4]]]}).shape == (1, 3)
    dot = pen.drawing_to_moves({"width": 9, "height": 9, "strokes": [[[3, 4], [3, 4], [3, 4]]]})
    assert np.isfinite(dot).all() and dot[0, 2] == 1


@pytest.mark.parametrize(
    ("strokes", "words"),
    [
        ([], "no strokes"),
        ([[]], "no points"),
        ([[[1, float("nan")]]], "finite"),
        ([[[-3, 4], [5, 6]]], "negative"),
        ([[[1, 2, 3]]], "[x, y]"),
        ([[[1, 2]] * (pen.MAX_INPUT_POINTS + 1)], "more than"),
    ],
)
def test_bad_drawings_get_a_clear_message(strokes, words):
    with pytest.raises(pen.PenInputError, match=None) as caught:
        pen.drawing_to_moves({"width": 10, "height": 10, "strokes": strokes})
    assert words in str(caught.value)


def test_shuffled_or_reversed_the_picture_stays_bit_identical():
    rng = np.random.default_rng(0)
    for drawing in (SEVEN, FOUR):
        strokes = pen.parse_drawing(drawing)
        shuffled = pen.shuffle_points(strokes, rng)
        assert len(shuffled) > len(strokes)
        as_lists = [[tuple(p) for p in s.tolist()] for s in strokes]
        shuffled_lists = [[tuple(p) for p in s.tolist()] for s in shuffled]
        assert np.array_equal(render_pixels(as_lists), render_pixels(shuffled_lists))
        reversed_lists = [[tuple(p) for p in s.tolist()] for s in pen.reverse_strokes(strokes)]
        assert np.array_equal(render_pixels(as_lists), render_pixels(reversed_lists))
        assert pen.strokes_to_moves(shuffled)[:, 2].sum() == len(shuffled) > len(strokes)  # a lift per segment


def test_augmentation_is_seeded_and_keeps_the_strokes():
    strokes = pen.parse_drawing(FOUR)
    first = pen.augment(strokes, np.random.default_rng(3))
    again = pen.augment(strokes, np.random.default_rng(3))
    assert len(first) == 2 and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_model_shapes_and_step_by_step_reading_agree():
    torch.manual_seed(0)
    model = PenRNN(PenRNNConfig()).eval()
    moves = torch.from_numpy(np.stack([pen.drawing_to_moves(SEVEN)[:20]] * 2))  # (2, 20, 3)
    with torch.no_grad():
        fused, stepped = model(moves), model.read_points(moves)
    assert fused.step_logits.shape == (2, 20, 10) and fused.hidden_states.shape == (2, 20, 128)
    assert fused.logits.shape == (2, 10) and fused.probs.sum(-1).allclose(torch.ones(2))
    torch.testing.assert_close(stepped.step_logits, fused.step_logits, atol=1e-5, rtol=1e-5)
    assert checkpoint.count_parameters(model) * 4 <= 15 * 2**20


@pytest.fixture(scope="module")
def trained():
    if not checkpoint.paths("pen")[0].exists():
        pytest.skip(f"weights/pen.pt is missing: train it with `{TRAIN_COMMAND}`")
    return load_pen_model()


def test_trained_pen_model_reaches_its_recorded_held_out_accuracy(trained, mnist):
    from training.digits.pen import read_all

    model, manifest = trained
    sample = slice(0, 500)  # the first 500 MNIST test images, traced as in training
    paths = [pen.trace_image(image) for image in mnist.x_test[sample]]
    predictions, _ = read_all(model, paths)
    accuracy = float((predictions == mnist.y_test[sample]).mean())
    recorded = manifest["metrics"]["mnist_test_paths_accuracy"]
    assert accuracy >= recorded - 0.03  # 500 paths: about three standard errors below the full-set figure
    assert manifest["data"]["mnist_sha256"] == mnist.sha256
    assert manifest["command"].startswith(TRAIN_COMMAND)


@pytest.fixture(scope="module")
def cnn():
    from models.digits import load_digit_model

    return load_digit_model("cnn")[0]


def test_both_readers_answer_and_the_cnn_cannot_see_a_shuffle(cnn):
    from models.pen import read_drawing

    torch.manual_seed(0)
    untrained = PenRNN(PenRNNConfig()).eval()
    answer = read_drawing(SEVEN, untrained, cnn)
    assert set(answer) == {"rnn", "cnn", "n_points"}
    assert len(answer["rnn"]["after_each_point"]) == answer["n_points"] == len(pen.drawing_to_moves(SEVEN))
    assert answer["rnn"]["prediction"] == answer["rnn"]["after_each_point"][-1]
    assert sum(answer["cnn"]["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert answer["cnn"]["prediction"] == 7
    shuffled = pen.shuffle_points(pen.parse_drawing(SEVEN), np.random.default_rng(1))
    again = read_drawing({**SEVEN, "strokes": [s.tolist() for s in shuffled]}, untrained, cnn)
    assert again["cnn"] == answer["cnn"]  # the same picture, so the very same numbers
    assert again["n_points"] != answer["n_points"]


def run_cli(tmp_path, drawing):
    import json
    import subprocess
    import sys

    from runtime import PROJECT_ROOT

    path = tmp_path / "drawing.json"
    path.write_text(json.dumps(drawing))
    done = subprocess.run(
        [sys.executable, "-m", "models", "pen", "--strokes", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.mark.parametrize("strokes", [[], [[[1, float("nan")]]], [[[-1, 2], [3, 4]]]])
def test_the_cli_names_bad_input_without_a_traceback(tmp_path, strokes):
    code, answer, stderr = run_cli(tmp_path, {"width": 280, "height": 280, "strokes": strokes})
    assert code == 1 and set(answer) == {"error"} and "Traceback" not in stderr


def test_the_cli_reads_a_drawing_with_both_models(tmp_path, trained):
    code, answer, _ = run_cli(tmp_path, FOUR)
    assert code == 0
    assert answer["rnn"]["prediction"] == 4 and answer["cnn"]["prediction"] == 4
    assert len(answer["rnn"]["after_each_point"]) == answer["n_points"]


def test_the_readme_reports_the_recorded_pen_figures():
    """The README's pen figures are the ones `python -m training.evaluate pen` and `benchmarks.pen_drawn` wrote."""
    import json

    from runtime import PROJECT_ROOT, weights_dir

    files = [weights_dir() / name for name in ("pen.json", "pen_evaluation.json", "pen_drawn.json")]
    if not all(f.exists() for f in files):
        pytest.skip("the pen's weights and reports are not all built yet: run `python -m training.train_pen`")
    manifest, evaluation, drawn = (json.loads(f.read_text()) for f in files)
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert evaluation["rnn"]["accuracy"] == manifest["metrics"]["mnist_test_paths_accuracy"]
    for figure in (
        f"**{evaluation['rnn']['accuracy']:.2%}**",
        f"{evaluation['rnn']['accuracy_points_shuffled']:.2%}",
        f"{evaluation['cnn']['accuracy']:.2%}",
        f"identical on {evaluation['cnn']['answers_identical_when_shuffled']:,} of {evaluation['n']:,}",
        f"RNN {drawn['rnn_right']} of {drawn['drawings']}",
    ):
        assert figure in readme
