"""Occlusion of a digit: blanking patches, checked against a one-patch-at-a-time reference and against
models whose answer depends on known pixels."""

import json

import numpy as np
import pytest
import torch

from figures import compare as fig
from models.digits import load_digit_model
from models.occlusion import digit_occlusion, occlude, patch_corners


def _reference(probs_of, image, patch, stride):
    """One blanked copy at a time, with plain loops: the trusted version of the batched map."""
    corners = patch_corners(image.shape[0], patch, stride)
    base = probs_of(torch.tensor(image[None], dtype=torch.float32))[0].numpy()
    target = int(base.argmax())
    probs = np.zeros((len(corners), len(corners)))
    for i, top in enumerate(corners):
        for j, left in enumerate(corners):
            copy = image.copy()
            copy[top : top + patch, left : left + patch] = 0
            probs[i, j] = probs_of(torch.tensor(copy[None], dtype=torch.float32))[0, target]
    return target, probs


def _pixel_model(row: int, col: int):
    """Class 1 when the pixel (row, col) is inked, class 0 otherwise."""

    def probs_of(images: torch.Tensor) -> torch.Tensor:
        ink = images[:, row, col]
        return torch.stack([1 - ink, ink], dim=1)

    return probs_of


def test_corners_cover_the_whole_side():
    assert patch_corners(28, 6, 2) == list(range(0, 23, 2))
    assert patch_corners(28, 8, 3) == [0, 3, 6, 9, 12, 15, 18, 20]  # the last one flush with the edge


def test_only_the_patches_over_the_pixel_matter():
    image = np.zeros((28, 28), dtype=np.float32)
    image[10, 17] = 1.0
    occluded = occlude(_pixel_model(10, 17), image, patch=4, stride=2)
    assert occluded.target == 1 and occluded.base_prob == 1.0
    for i, top in enumerate(occluded.corners):
        for j, left in enumerate(occluded.corners):
            covers = top <= 10 < top + 4 and left <= 17 < left + 4
            assert occluded.probs[i, j] == (0.0 if covers else 1.0)
            assert (occluded.answers[i, j] != 1) == covers
    assert occluded.flips == 4  # 2 × 2 positions of a 4-pixel patch at stride 2 cover one pixel
    # Every patch over the pixel drops p(1) by 1, so the pixel's mean drop is 1 and far pixels' is 0.
    assert occluded.drop[10, 17] == 1.0 and occluded.drop[0, 0] == 0.0


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
def test_the_batched_map_matches_one_patch_at_a_time(kind):
    model, _ = load_digit_model(kind)
    with np.load("weights/mnist_gallery.npz") as gallery:
        image = gallery["images"][3].astype(np.float32) / 255

    def probs_of(x):
        with torch.inference_mode():
            return (model(x[:, None]) if kind == "cnn" else model(x)).probs

    occluded = occlude(probs_of, image, patch=8, stride=4)
    target, probs = _reference(probs_of, image, patch=8, stride=4)
    assert occluded.target == target
    np.testing.assert_allclose(occluded.probs, probs, atol=1e-5)


def test_both_digit_models_and_the_figure():
    cnn, _ = load_digit_model("cnn")
    rnn, _ = load_digit_model("rnn")
    with np.load("weights/mnist_gallery.npz") as gallery:
        image, label = gallery["images"][0].astype(np.float32) / 255, int(gallery["labels"][0])
    cnn_map, rnn_map = digit_occlusion(cnn, rnn, image, patch=6)
    assert cnn_map.target == rnn_map.target == label
    maps = {"CNN": cnn_map, "RNN": rnn_map}
    spec = json.loads(fig.occlusion_maps(maps, image).to_json())
    heatmaps = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 2 and heatmaps[0]["zmin"] == -heatmaps[0]["zmax"]
    marks = [t for t in spec["data"] if t["type"] == "scatter"]
    assert [len(t["x"]) for t in marks] == [cnn_map.flips, rnn_map.flips]
    caption = fig.occlusion_caption(maps)
    assert f"CNN (answer {label}" in caption and f"RNN (answer {label}" in caption


def test_the_caption_reads_true_when_nothing_changes_the_answer():
    image = np.zeros((28, 28), dtype=np.float32)
    image[10, 17] = 1.0
    steady = occlude(lambda x: torch.tensor([[0.2, 0.8]]).repeat(len(x), 1), image, patch=6)
    caption = fig.occlusion_caption({"CNN": steady})
    assert "no patch position changes its answer" in caption and "no patch lowers its probability" in caption
    falling = occlude(_pixel_model(10, 17), image, patch=6)
    assert "falls furthest, to 0%, with rows 6–11 and columns 12–17 blanked" in fig.occlusion_caption({"CNN": falling})
