"""The robustness sweep and the tagger speed benchmark: their perturbations against numpy references,
the recorded weights/robustness.json against a recomputation, and the figures drawn from both JSONs.

Rotation convention: positive degrees turn the picture anticlockwise as displayed (row 0 at the
top), so rotate(x, 90) equals np.rot90(x), which is anticlockwise too.
"""

import importlib
import json
import string
from pathlib import Path

import numpy as np
import pytest
import torch

import runtime
from figures.measured import (
    robustness_caption,
    robustness_figure,
    speed_caption,
    speed_figure,
)
from figures.palette import MODEL_COLOURS
from models import checkpoint
from models.ner import PAD, UNK, NERConfig, NERTagger, Vocab, save_vocab
from runtime import PROJECT_ROOT
from sources.hashes import arrays_sha256, sha256_file
from training import robustness
from training.robustness import CURVES, occlude, perturb, rotate, shift

ROOT = PROJECT_ROOT
RECORDED = runtime.weights_dir() / "robustness.json"  # weights/, or $CNNRNN_WEIGHTS


@pytest.fixture
def one_thread():
    """The scripts run on one thread; recompute the same way."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def reference_shift(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Pad with zeros on every side, then cut the window that moves the content by (dx, dy)."""
    height, width = images.shape[-2:]
    pad_y, pad_x = max(height, abs(dy)), max(width, abs(dx))
    padded = np.pad(images, [(0, 0)] * (images.ndim - 2) + [(pad_y, pad_y), (pad_x, pad_x)])
    return padded[..., pad_y - dy : pad_y - dy + height, pad_x - dx : pad_x - dx + width]


# ------------------------------------------------------------------ perturbations


@pytest.mark.parametrize(
    ("dx", "dy"),
    [(0, 0), (1, 0), (-1, 0), (0, 2), (0, -2), (8, 0), (-8, 0), (0, 8), (0, -8), (8, -8), (-8, 8), (6, 4), (27, -27)]
    + [(28, 0), (0, -28), (40, 3)],
)
def test_shift_matches_a_padded_slicing_reference(dx, dy):
    images = np.random.default_rng(0).integers(1, 256, size=(3, 28, 28), dtype=np.uint8)  # no zeros of its own
    shifted = shift(images, dx=dx, dy=dy)
    assert shifted.dtype == images.dtype and shifted.shape == images.shape
    np.testing.assert_array_equal(shifted, reference_shift(images, dx, dy))
    # Zero fill, never wrap-around: exactly the pixels that left are zero.
    assert (shifted == 0).sum() == 3 * (28 * 28 - max(0, 28 - abs(dx)) * max(0, 28 - abs(dy)))


def test_shift_direction_on_a_single_pixel_and_a_non_square_image():
    image = np.zeros((5, 7), dtype=np.float32)
    image[2, 3] = 1.0
    moved = shift(image, dx=2, dy=-1)
    assert moved[1, 5] == 1.0 and moved.sum() == 1.0  # right by 2, up by 1
    np.testing.assert_array_equal(shift(image, dx=-3, dy=2), reference_shift(image, -3, 2))
    with pytest.raises(ValueError, match="whole pixels"):
        shift(image, dx=0.5)


def test_rotation_by_zero_returns_the_image_exactly():
    # Exactly, so the unperturbed point of the rotation curve is the same as every other curve's.
    image = np.random.default_rng(1).random((2, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(rotate(image, 0), image)
    np.testing.assert_array_equal(rotate((image * 255).astype(np.uint8), 0), (image * 255).astype(np.uint8))


@pytest.mark.parametrize(("degrees", "turns"), [(90, 1), (-90, -1), (180, 2), (270, 3)])
def test_rotation_by_right_angles_matches_np_rot90(degrees, turns):
    # Every pixel centre lands on a pixel centre, so bilinear interpolation copies pixels exactly
    # (up to float rounding of cos and sin), even in the corners.
    image = np.random.default_rng(2).random((28, 28), dtype=np.float32)
    np.testing.assert_allclose(rotate(image, degrees), np.rot90(image, turns), atol=1e-4)
    batch = np.stack([image, image.T])
    np.testing.assert_allclose(rotate(batch, degrees), np.rot90(batch, turns, axes=(1, 2)), atol=1e-4)


def test_positive_rotation_turns_anticlockwise_about_the_centre():
    image = np.zeros((28, 28), dtype=np.float32)
    image[13:15, 22:24] = 1.0  # a blob right of the centre (13.5, 13.5), 9 pixels out
    turned = rotate(image, 30)
    rows, cols = np.indices(image.shape)
    mass = turned.sum()
    row, col = (rows * turned).sum() / mass, (cols * turned).sum() / mass
    # Anticlockwise on screen: the blob rises (smaller row) and stays 9 pixels from the centre.
    np.testing.assert_allclose([row, col], [13.5 - 9 * np.sin(np.pi / 6), 13.5 + 9 * np.cos(np.pi / 6)], atol=0.05)
    assert mass == pytest.approx(4.0, rel=0.01)  # bilinear keeps the ink well inside the frame


@pytest.mark.parametrize("side", ["top", "bottom"])
@pytest.mark.parametrize("rows", [0, 1, 4, 24, 28])
def test_occlusion_zeroes_exactly_k_rows(side, rows):
    images = np.full((2, 28, 28), 200, dtype=np.uint8)
    before = images.copy()
    covered = occlude(images, rows, side)
    zero_rows = np.flatnonzero((covered[0] == 0).all(axis=1))
    expected = np.arange(rows) if side == "top" else np.arange(28 - rows, 28)
    np.testing.assert_array_equal(zero_rows, expected)
    assert (covered[:, ~np.isin(np.arange(28), expected)] == 200).all()
    np.testing.assert_array_equal(images, before)  # the input is left alone


def test_each_curve_applies_its_own_perturbation():
    image = np.random.default_rng(3).random((28, 28), dtype=np.float32)
    np.testing.assert_array_equal(perturb(image, "shift_x", -6), reference_shift(image, -6, 0))
    np.testing.assert_array_equal(perturb(image, "shift_y", 4), reference_shift(image, 0, 4))
    np.testing.assert_array_equal(perturb(image, "rotate", 45), rotate(image, 45))
    np.testing.assert_array_equal(perturb(image, "occlude_top", 8), occlude(image, 8, "top"))
    np.testing.assert_array_equal(perturb(image, "occlude_bottom", 8), occlude(image, 8, "bottom"))
    with pytest.raises(ValueError, match="unknown curve"):
        perturb(image, "blur", 1)


# ------------------------------------------------------------------ the script and its record


def test_script_writes_every_curve_on_the_hashed_subset(mnist, tmp_path, one_thread):
    out = tmp_path / "robustness.json"
    report = robustness.main(["--n", "40", "--models", "cnn", "--out", str(out)])
    assert json.loads(out.read_text()) == report
    assert report["n"] == 40 and report["data"] == "mnist-test first 40"
    assert report["data_sha256"] == arrays_sha256(mnist.x_test[:40], mnist.y_test[:40].astype(np.int64))
    assert report["command"] == "python -m training.robustness --n 40 --models cnn --out " + str(out)
    cnn = report["models"]["cnn"]
    assert cnn["weights_sha256"] == sha256_file(checkpoint.paths("cnn")[0])
    assert list(cnn["curves"]) == list(CURVES)
    for curve, points in cnn["curves"].items():
        assert points["values"] == CURVES[curve] and len(points["accuracy"]) == len(CURVES[curve])
    # Every curve passes through the unperturbed images, so all agree there.
    clean = {points["accuracy"][points["values"].index(0)] for points in cnn["curves"].values()}
    assert len(clean) == 1 and clean.pop() >= 0.95
    assert cnn["curves"]["occlude_top"]["accuracy"][-1] < 0.5  # 24 of 28 rows gone


@pytest.fixture(scope="module")
def recorded():
    if not RECORDED.exists():
        pytest.skip("weights/robustness.json not written yet: python -m training.robustness")
    return json.loads(RECORDED.read_text())


def test_recorded_robustness_covers_both_models_on_the_recorded_subset(recorded, mnist):
    n = recorded["n"]
    assert recorded["data"] == f"mnist-test first {n}" and n >= 1000
    assert recorded["data_sha256"] == arrays_sha256(mnist.x_test[:n], mnist.y_test[:n].astype(np.int64))
    assert recorded["command"].startswith("python -m training.robustness")
    assert set(recorded["models"]) == {"cnn", "rnn"}
    for name, result in recorded["models"].items():
        # The record belongs to the committed weights: retraining a model means rerunning the sweep.
        assert result["weights_sha256"] == sha256_file(checkpoint.paths(name)[0]), f"{name} weights changed"
        assert {curve: points["values"] for curve, points in result["curves"].items()} == CURVES
        assert all(0.0 <= a <= 1.0 for points in result["curves"].values() for a in points["accuracy"])


@pytest.mark.parametrize(("curve", "value"), [("rotate", 45), ("shift_y", -8)])
def test_recorded_cnn_accuracy_is_reproduced_exactly(recorded, mnist, curve, value, one_thread):
    from models.digits import load_digit_model

    model, _ = load_digit_model("cnn")
    images, labels = robustness.subset(mnist, recorded["n"])
    points = recorded["models"]["cnn"]["curves"][curve]
    assert (
        robustness.accuracy_at(model, images, labels, curve, value) == points["accuracy"][points["values"].index(value)]
    )


# ------------------------------------------------------------------ figures

ROBUSTNESS = {
    "n": 1000,
    "models": {
        "cnn": {
            "curves": {"rotate": {"values": [-60, -30, 0, 30, 60], "accuracy": [0.412, 0.935, 0.996, 0.962, 0.387]}}
        },
        "rnn": {
            "curves": {"rotate": {"values": [-60, -30, 0, 30, 60], "accuracy": [0.201, 0.811, 0.989, 0.834, 0.25]}}
        },
    },
}


def test_robustness_figure_has_one_line_per_model_in_percent():
    fig = robustness_figure(ROBUSTNESS, "rotate")
    assert [trace.name.split()[0] for trace in fig.data] == ["CNN", "RNN"]
    cnn, rnn = fig.data
    assert list(cnn.x) == [-60, -30, 0, 30, 60]
    np.testing.assert_allclose(cnn.y, [41.2, 93.5, 99.6, 96.2, 38.7])
    assert (cnn.line.color, rnn.line.color) == (MODEL_COLOURS["cnn"], MODEL_COLOURS["rnn"])
    assert list(fig.layout.yaxis.range) == [0, 101] and "degrees" in fig.layout.xaxis.title.text


def test_robustness_caption_states_the_clean_and_extreme_accuracies():
    caption = robustness_caption(ROBUSTNESS, "rotate")
    for number in ("99.6% unperturbed", "41.2% at -60°", "38.7% at +60°", "98.9%", "20.1%", "25.0%", "1,000"):
        assert number in caption, number
    with pytest.raises(ValueError, match="unknown curve"):
        robustness_caption(ROBUSTNESS, "blur")


def test_recorded_robustness_draws_every_curve(recorded):
    for curve in CURVES:
        assert len(robustness_figure(recorded, curve).data) == 2
        assert f"{100 * recorded['models']['cnn']['curves'][curve]['accuracy'][0]:.1f}%" in robustness_caption(
            recorded, curve
        )


# ------------------------------------------------------------------ tagger speed


def load_benchmark():
    return importlib.import_module("benchmarks.ner_speed")


WORDS = (PAD, UNK, "the", "president", "roosevelt", "street", "in", "manhattan", ".")
CHARS = (PAD, UNK, *string.ascii_letters, *string.digits, *string.punctuation)


def save_small_tagger(name: str, encoder: str, folder: Path) -> None:
    torch.manual_seed(0)
    sizes = {"vocab_size": len(WORDS), "char_vocab_size": len(CHARS), "hidden": 8, "char_filters": 6, "case_dim": 4}
    config = NERConfig(**sizes, encoder=encoder, crf=encoder == "bilstm")
    model = NERTagger(config, Vocab(words=WORDS, chars=CHARS)).eval()
    sha = save_vocab(name, model.vocab, folder)
    checkpoint.save(name, model, config, {"vocab_sha256": sha, "metrics": {}}, folder)


def test_speed_benchmark_writes_a_median_per_model_thread_part_and_length(tmp_path):
    (tmp_path / "data" / "conll2003").mkdir(parents=True)
    text = "-DOCSTART- -X- O O\n\nThe O\npresident O\nsaid O\n.\tO\n\nRoosevelt I-PER\nStreet I-LOC\nin O\n"
    (tmp_path / "data" / "conll2003" / "test.txt").write_text(text)
    save_small_tagger("bilstm", "bilstm", tmp_path)
    save_small_tagger("cnn_tagger", "cnn", tmp_path)
    benchmark = load_benchmark()
    sentences = [
        (["The", "president", "said", "."], ["O"] * 4),
        (["Roosevelt", "Street", "in"], ["I-PER", "I-LOC", "O"]),
    ]
    assert benchmark.token_stream(sentences, 6) == ["The", "president", "said", ".", "Roosevelt", "Street"]
    with pytest.raises(ValueError, match="only 7 tokens"):
        benchmark.token_stream(sentences, 8)

    out = tmp_path / "speed.json"
    argv = ["--lengths", "2,7", "--repeats", "2", "--threads", "1", "--weights-dir", str(tmp_path)]
    report = benchmark.main([*argv, "--data", str(tmp_path / "data"), "--out", str(out)])
    assert json.loads(out.read_text()) == report
    assert report["command"].startswith("python -m benchmarks.ner_speed --lengths 2,7 --repeats 2")
    assert report["data_sha256"] == sha256_file(tmp_path / "data" / "conll2003" / "test.txt")
    assert {"platform", "cpu_count", "torch_version"} <= set(report["machine"])
    assert report["lengths"] == [2, 7] and set(report["models"]) == {"bilstm", "cnn"}
    for name, stem in (("bilstm", "bilstm"), ("cnn", "cnn_tagger")):
        result = report["models"][name]
        assert result["encoder"] == ("bilstm" if name == "bilstm" else "cnn")
        assert result["weights_sha256"] == sha256_file(tmp_path / f"{stem}.pt")
        assert set(result["timings_ms"]) == {"1"}
        for part in ("encoder", "tagging"):
            times = result["timings_ms"]["1"][part]
            assert len(times) == 2 and all(t > 0 for t in times)

    fig = speed_figure(report, 1, "tagging")
    assert [trace.name for trace in fig.data] == ["CNN tagger", "BiLSTM-CRF"]
    assert (
        list(fig.data[1].x) == [2, 7]
        and list(fig.data[1].y) == report["models"]["bilstm"]["timings_ms"]["1"]["tagging"]
    )


SPEED = {
    "lengths": [5, 20, 80, 320],
    "models": {
        "bilstm": {"timings_ms": {"1": {"encoder": [0.5, 0.9, 2.3, 7.9], "tagging": [1.04, 2.2, 6.05, 20.96]}}},
        "cnn": {"timings_ms": {"1": {"encoder": [0.4, 0.5, 0.9, 2.5], "tagging": [0.9, 1.3, 2.4, 6.3]}}},
    },
}


def test_speed_figure_is_log_log_with_the_tagger_colours():
    fig = speed_figure(SPEED, 1, "encoder")
    assert len(fig.data) == 2
    cnn, bilstm = fig.data
    assert (cnn.line.color, bilstm.line.color) == (MODEL_COLOURS["cnn"], MODEL_COLOURS["rnn"])
    assert list(bilstm.y) == [0.5, 0.9, 2.3, 7.9] and list(cnn.x) == [5, 20, 80, 320]
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.tickvals[0] <= 0.4 and fig.layout.yaxis.tickvals[-1] >= 7.9
    with pytest.raises(KeyError):
        speed_figure(SPEED, 2, "encoder")  # not measured


def test_speed_caption_states_the_shortest_and_longest_times():
    caption = speed_caption(SPEED, 1, "tagging")
    for number in ("1.04 ms at 5 tokens", "20.96 ms at 320 tokens", "0.90 ms", "6.30 ms", "1 thread"):
        assert number in caption, number
    assert "the whole tagging" in caption and "the encoder alone" in speed_caption(SPEED, 1, "encoder")


def test_recorded_speed_json_has_every_measurement():
    path = runtime.weights_dir() / "ner_speed.json"
    if not path.exists():
        pytest.skip("weights/ner_speed.json not written yet: python -m benchmarks.ner_speed")
    report = json.loads(path.read_text())
    assert report["command"].startswith("python -m benchmarks.ner_speed")
    assert len(report["data_sha256"]) == 64 and report["machine"]["cpu_count"] >= 1
    assert set(report["models"]) == {"bilstm", "cnn"} and report["lengths"] == sorted(report["lengths"])
    for result in report["models"].values():
        assert set(result["timings_ms"]) == {"1", "2"}
        for per_part in result["timings_ms"].values():
            assert set(per_part) == {"encoder", "tagging"}
            assert all(len(times) == len(report["lengths"]) and min(times) > 0 for times in per_part.values())
    for threads in (1, 2):
        for part in ("encoder", "tagging"):
            assert len(speed_figure(report, threads, part).data) == 2
            assert f"{report['models']['cnn']['timings_ms'][str(threads)][part][-1]:.2f} ms" in speed_caption(
                report, threads, part
            )
