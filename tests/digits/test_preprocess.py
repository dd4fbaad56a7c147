import numpy as np
import pytest

from harness.drawing import FOUR, SEVEN, render
from models.preprocess import (
    BOX_SIZE,
    EmptyDrawingError,
    centre_of_mass,
    ink_bbox,
    morph,
    preprocess,
    stroke_width_ratio,
    to_gray,
)

# The same digit drawn in different ways; the box keeps the reference's 4:5 aspect ratio.
VARIANTS = {
    "small": {"box": (120, 110, 48, 60), "width": 6},
    "large": {"box": (30, 10, 200, 250), "width": 30},
    "off-centre": {"box": (5, 5, 96, 120), "width": 12},
    "thick": {"width": 40},
    "thin": {"width": 5},
    "grey, not RGBA": {"rgba": False},
    "tiny scan": {"size": (40, 30), "box": (3, 5, 20, 25), "width": 3},
}


@pytest.mark.parametrize("strokes", [SEVEN, FOUR], ids=["7", "4"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_any_drawing_of_a_digit_gives_the_same_28x28_image(strokes, variant):
    reference = preprocess(render(strokes)).final
    final = preprocess(render(strokes, **VARIANTS[variant])).final
    assert final.shape == (28, 28) and final.dtype == np.float32
    assert np.abs(final - reference).mean() < 0.05
    assert np.corrcoef(final.ravel(), reference.ravel())[0, 1] > 0.9


def test_thick_and_thin_strokes_end_up_mnist_like(mnist):
    thin, thick = preprocess(render(SEVEN, width=4)), preprocess(render(SEVEN, width=45))
    assert thin.stroke_radius > 0 and thick.stroke_radius < 0
    lo, hi = np.percentile([stroke_width_ratio(image) for image in mnist.x_train[:2000]], [10, 90])
    for steps in (thin, thick):
        assert lo <= stroke_width_ratio(steps.final) <= hi


def test_mnist_digits_pass_through_almost_unchanged(mnist):
    """MNIST was made by this very procedure, so re-running it on MNIST is close to identity."""
    correlations = [
        np.corrcoef(image.ravel() / 255.0, preprocess(image).final.ravel())[0, 1] for image in mnist.x_test[:200]
    ]
    # Not 1.0: the sub-pixel centring and the resampling blur each digit a little.
    assert np.median(correlations) > 0.9


def test_steps_follow_mnist_geometry():
    steps = preprocess(render(SEVEN, box=(10, 100, 120, 150)))
    assert max(steps.scaled.shape) == BOX_SIZE
    row, col = centre_of_mass(steps.final)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    top, left, bottom, right = steps.bbox
    assert steps.cropped.shape == (bottom - top, right - left)
    # The 7's top-left point is at x = 10 + 0.1 * 120 = 22, y = 100 + 0.05 * 150 = 107.5, less the 9 px cap.
    assert abs(left - 13) <= 1 and abs(top - 98.5) <= 1


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280, 4), np.uint8),
        np.zeros((280, 280), np.uint8),
        render([[(0.5, 0.5), (0.5, 0.5)]], width=2),  # a stray click
    ],
    ids=["empty canvas", "empty grey", "a dot"],
)
def test_no_ink_is_reported_not_classified(image):
    with pytest.raises(EmptyDrawingError):
        preprocess(image)


def test_transparent_pixels_are_not_ink():
    image = render(SEVEN)
    image[..., 3] = 0  # colour stored, but fully transparent
    with pytest.raises(EmptyDrawingError):
        preprocess(image)


@pytest.mark.parametrize("shape", [(0, 0), (5,), (4, 4, 2)])
def test_malformed_arrays_are_rejected_clearly(shape):
    with pytest.raises(ValueError):
        preprocess(np.zeros(shape, np.uint8) + 255)


def test_morph_radius_one_matches_a_brute_force_3x3_max_and_min_filter():
    rng = np.random.default_rng(0)
    image = rng.random((12, 9)).astype(np.float32)
    padded = np.pad(image, 1)
    windows = np.stack([padded[dy : dy + 12, dx : dx + 9] for dy in range(3) for dx in range(3)])
    np.testing.assert_allclose(morph(image, 1), windows.max(0))
    np.testing.assert_allclose(morph(image, -1), windows.min(0))


def test_to_gray_and_bbox():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[2:5, 3:8] = (255, 255, 255, 128)
    gray = to_gray(rgba)
    assert gray.shape == (10, 10) and abs(gray.max() - 128 / 255) < 1e-6
    assert ink_bbox(gray) == (2, 3, 5, 8)
