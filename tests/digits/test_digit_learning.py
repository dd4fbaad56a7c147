"""Where the digit CNN learned: its random start rebuilt from the manifest's seed, each layer's drift,
and the feature maps before and after training, on the committed weights."""

import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from figures import digits as fig
from models.cnn import DigitCNN, DigitCNNConfig
from models.digits import LayerDrift, initial_cnn, layer_drift, load_digit_model
from runtime import PROJECT_ROOT

ROOT = PROJECT_ROOT


@pytest.fixture(scope="module")
def trained():
    return load_digit_model("cnn")


def test_the_seed_rebuilds_the_saved_random_start(trained):
    model, manifest = trained
    with np.load(ROOT / "weights/cnn_filters.npz") as archive:
        first = archive["filters"][0]  # conv1 as training began, saved by training/train_cnn.py
    initial = initial_cnn(model.config, manifest["training"]["seed"])
    np.testing.assert_array_equal(initial.conv1.weight.detach()[:, 0].numpy(), first)
    other = initial_cnn(model.config, manifest["training"]["seed"] + 1)
    assert not np.array_equal(other.conv1.weight.detach()[:, 0].numpy(), first)


def test_rebuilding_the_start_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    initial_cnn(DigitCNNConfig(), seed=1)
    torch.testing.assert_close(torch.rand(3), expected)


def test_layer_drift_against_a_numpy_reference():
    torch.manual_seed(0)
    before, after = DigitCNN(), DigitCNN()
    drifts = layer_drift(before, after)
    assert [d.layer for d in drifts] == ["conv1", "conv2", "conv3", "conv4", "conv5", "classifier"]
    for drift, name in zip(drifts, ["conv1.weight", "conv2.0.weight"], strict=False):
        w0 = dict(before.named_parameters())[name].detach().flatten(1).numpy().astype(np.float64)
        w1 = dict(after.named_parameters())[name].detach().flatten(1).numpy().astype(np.float64)
        cosine = (w0 * w1).sum(1) / (np.linalg.norm(w0, axis=1) * np.linalg.norm(w1, axis=1))
        assert drift.median_cosine == pytest.approx(np.median(cosine), abs=1e-5)
        assert drift.relative_change == pytest.approx(np.linalg.norm(w1 - w0) / np.linalg.norm(w0), rel=1e-5)
    unchanged = layer_drift(before, before)
    assert all(d.median_cosine == pytest.approx(1.0) and d.relative_change == 0 for d in unchanged)


def test_the_committed_cnn_learned_most_in_its_deeper_layers(trained):
    model, manifest = trained
    drifts = {d.layer: d for d in layer_drift(initial_cnn(model.config, manifest["training"]["seed"]), model)}
    assert drifts["conv1"].median_cosine > max(drifts[f"conv{i}"].median_cosine for i in range(2, 6))
    caption = fig.layer_drift_caption(list(drifts.values()))
    assert f"conv1 {drifts['conv1'].median_cosine:.2f}" in caption and "the least" in caption


@pytest.mark.parametrize(
    ("turn", "words"),
    [
        (0.0, "kept most of the pattern"),
        (0.9, "partly reshaped"),
        (1.2, "reshaped most of the pattern"),
        (np.pi, "bears little resemblance"),
    ],
)
def test_the_filter_summary_follows_its_numbers(turn, words):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(8, 3, 3))
    other = rng.normal(size=(8, 3, 3))
    # Turn each filter by `turn` radians in the plane of (start, other): its cosine to the start is cos(turn).
    other -= (other * start).sum((1, 2), keepdims=True) / (start * start).sum((1, 2), keepdims=True) * start
    other *= (
        np.linalg.norm(start.reshape(8, -1), axis=1)[:, None, None]
        / np.linalg.norm(other.reshape(8, -1), axis=1)[:, None, None]
    )
    end = np.cos(turn) * start + np.sin(turn) * other
    summary = fig.filter_training_summary(np.stack([start, end]), np.array([0.5]))
    assert words in summary and f"{np.cos(turn):.2f}" in summary
    assert "kept their size" in summary
    assert "grew to 2.00×" in fig.filter_training_summary(np.stack([start, 2 * end]), np.array([0.5]))
    assert "shrank to 0.50×" in fig.filter_training_summary(np.stack([start, 0.5 * end]), np.array([0.5]))


def test_the_maps_caption_measures_how_alike_the_two_networks_see():
    rng = np.random.default_rng(0)
    maps = rng.random((4, 7, 7))
    assert "is 1.00" in fig.maps_change_caption(maps, maps, "conv5")
    flat = np.zeros((4, 7, 7))
    assert "flat" in fig.maps_change_caption(flat, maps, "conv5")


def test_the_drift_chart_reads_its_numbers():
    drifts = [LayerDrift("conv1", 0.6, 0.93), LayerDrift("conv2", 2.9, 0.31)]
    spec = json.loads(fig.layer_drift_bars(drifts).to_json())
    assert spec["data"][0]["y"] == [0.93, 0.31]
    assert "conv2's weights the most (0.31" in fig.layer_drift_caption(drifts)


def test_the_digit_page_shows_the_maps_at_the_random_start():
    at = AppTest.from_file(str(ROOT / "views/digits.py"), default_timeout=90)
    at.query_params["digits_gallery"] = "1"
    at.run()
    assert not at.exception
    keys = {c.key for c in at.get("plotly_chart")}
    assert {"digits_drift", "digits_feature_maps"} <= keys

    def maps_title() -> str:
        chart = next(c for c in at.get("plotly_chart") if c.key == "digits_feature_maps")
        return json.loads(chart.proto.spec)["layout"]["title"]["text"]

    assert "initialisation" not in maps_title()
    at.segmented_control(key="digits_maps_weights").set_value("at random initialisation").run()
    assert not at.exception
    assert "conv1 at random initialisation" in maps_title()
    assert any("conv1 at random initialisation against after training" in c.value for c in at.caption)
