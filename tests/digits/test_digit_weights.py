"""The committed digit weights against their manifest, and the evaluation contract."""

import json
import subprocess
import sys

import numpy as np
import pytest

from harness.drawing import FOUR, SEVEN, render
from models.digits import classify, load_digit_model, preprocess_batch
from runtime import PROJECT_ROOT

ROOT = PROJECT_ROOT
SLICE = slice(0, 2000)  # a fixed slice of the MNIST test set


@pytest.fixture(scope="module")
def cnn():
    return load_digit_model("cnn")


def test_manifest_records_what_was_promised(cnn):
    _, manifest = cnn
    assert manifest["metrics"]["mnist_test_accuracy"] >= 0.995
    assert manifest["parameters"] <= 250_000
    assert manifest["data"]["mnist_sha256"] and manifest["torch_version"].startswith("2.13")
    assert manifest["command"].startswith("python -m training.train_cnn")


def test_committed_weights_reach_their_manifest_accuracy(cnn, mnist):
    model, manifest = cnn
    accuracy = float((classify(model, mnist.x_test[SLICE]).argmax(1) == mnist.y_test[SLICE]).mean())
    # 2,000 images: allow about three standard errors below the full-set figure.
    assert accuracy >= manifest["metrics"]["mnist_test_accuracy"] - 0.005
    assert mnist.sha256 == manifest["data"]["mnist_sha256"]


def test_canvas_pipeline_keeps_mnist_accuracy(cnn, mnist):
    model, manifest = cnn
    images, empty = preprocess_batch(mnist.x_test[SLICE])
    accuracy = float((classify(model, images).argmax(1) == mnist.y_test[SLICE]).mean())
    assert not empty.any()
    assert accuracy >= manifest["metrics"]["mnist_test_accuracy_via_canvas_pipeline"] - 0.006


@pytest.mark.parametrize(("strokes", "label"), [(SEVEN, 7), (FOUR, 4)])
@pytest.mark.parametrize("width", [5, 18, 40])
def test_canvas_drawings_are_recognised_at_any_stroke_width(cnn, strokes, label, width):
    model, _ = cnn
    images, _ = preprocess_batch([render(strokes, width=width)])
    assert classify(model, images)[0].argmax() == label


def test_evaluate_cli_prints_one_json_object(tmp_path):
    command = [sys.executable, "-m", "training.evaluate", "digits", "--limit", "300"]
    result = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    assert result["n"] == 300 and 0.97 <= result["accuracy"] <= 1.0

    # --npz: any H and W, white ink on black, through the canvas pipeline.
    images = np.stack([render(SEVEN, rgba=False, size=(90, 70), box=(15, 10, 40, 50), width=w) for w in (3, 6, 9)])
    np.savez(tmp_path / "real.npz", images=images, labels=np.array([7, 7, 7]))
    npz = str(tmp_path / "real.npz")
    command = [sys.executable, "-m", "training.evaluate", "digits", "--model", "cnn", "--npz", npz]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert output.count("\n") == 1
    result = json.loads(output)
    assert result == result | {"n": 3, "accuracy": 1.0, "preprocessing": "canvas pipeline"}


def test_evaluate_cli_reports_errors_as_json(tmp_path):
    command = [sys.executable, "-m", "training.evaluate", "digits", "--npz", str(tmp_path / "missing.npz")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "error" in json.loads(result.stdout)
