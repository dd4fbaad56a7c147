"""Turn any drawing of a digit into an MNIST-style 28x28 image, step by step.

MNIST itself was made this way (LeCun et al.): each digit was cropped, scaled with
anti-aliasing to fit a 20x20 box keeping its aspect ratio, then placed in a 28x28
field so that its centre of mass sits at the centre. We add one step MNIST did not
need: a canvas brush can be 5 px or 50 px wide, so the stroke is thickened or thinned
to MNIST's typical width relative to the digit's size before scaling.

Every step's image is returned, so the page can show the whole pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

MNIST_SIZE = 28
BOX_SIZE = 20
# The crop is resampled to this height/width before the stroke is adjusted, so the
# stroke step behaves the same for a 16x16 scan and a 280x280 canvas.
WORK_SIZE = 112
# Fraction of full intensity above which a pixel counts as ink.
INK_THRESHOLD = 0.2
# Below this many ink pixels (at the input's own resolution, relative to its area)
# the canvas counts as empty: a stray click is not a digit.
MIN_INK_FRACTION = 0.002
# MNIST's median stroke width is this fraction of the digit's longer side,
# measured on the training set by `stroke_width_ratio` (see tests/digits/test_preprocess.py).
TARGET_STROKE_RATIO = 0.127
# Leave the stroke alone when it is already within this factor of the target.
STROKE_TOLERANCE = 1.2


class EmptyDrawingError(ValueError):
    """Raised when an image holds no ink worth classifying."""


@dataclass
class PreprocessSteps:
    """Each stage of the pipeline, as float arrays in [0, 1], white ink on black."""

    gray: np.ndarray  # (H, W) the input as intensity
    bbox: tuple[int, int, int, int]  # (top, left, bottom, right) of the ink, bottom/right exclusive
    cropped: np.ndarray  # (h, w) the ink's bounding box
    stroke_before: float  # estimated stroke width, as a fraction of the longer side
    stroke_adjusted: np.ndarray  # (h', w') at WORK_SIZE, stroke set to the target width
    stroke_radius: int  # pixels of dilation (>0) or erosion (<0) applied at WORK_SIZE
    scaled: np.ndarray  # (h'', w'') fitted into BOX_SIZE x BOX_SIZE, aspect ratio kept
    centre_of_mass: tuple[float, float]  # (row, col) of the scaled digit
    final: np.ndarray  # (28, 28) float32, ready for the model


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any (H, W), (H, W, 3) or (H, W, 4) array, uint8 or float, to (H, W) float in [0, 1].

    For RGBA, the alpha channel scales the colour: an untouched transparent canvas
    pixel is no ink, whatever colour it stores.
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"expected an (H, W) or (H, W, C) image, got shape {array.shape}")
    channels = array.shape[2] if array.ndim == 3 else 0
    if channels not in (0, 1, 3, 4):
        raise ValueError(f"expected 1, 3 or 4 channels, got {channels}")
    scale = 255.0 if array.dtype == np.uint8 or array.max(initial=0) > 1.0 else 1.0
    if channels == 0:
        gray = array.astype(np.float32)
    else:
        # Brightest colour channel, by elementwise maxima: ~10x faster than .max(axis=2).
        gray = array[..., 0]
        for channel in range(1, min(channels, 3)):
            gray = np.maximum(gray, array[..., channel])
        gray = gray.astype(np.float32)
        if channels == 4:
            gray *= array[..., 3].astype(np.float32) / scale
    return np.clip(gray / scale, 0.0, 1.0)


def ink_bbox(gray: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    mask = gray > threshold
    if mask.sum() < max(3, MIN_INK_FRACTION * gray.size):
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased bilinear resize, as MNIST's own normalisation used anti-aliasing."""
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]  # (1, 1, H, W)
    out = F.interpolate(tensor, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return out[0, 0].clamp(0.0, 1.0).numpy()


def fit_into(image: np.ndarray, box: int) -> np.ndarray:
    """Scale so the longer side is `box` pixels, keeping the aspect ratio."""
    h, w = image.shape
    scale = box / max(h, w)
    return resize(image, max(1, round(h * scale)), max(1, round(w * scale)))


def stroke_width(gray: np.ndarray, threshold: float = 0.5) -> float:
    """Mean stroke width in pixels: ink area over half its perimeter.

    For a stroke of width w and length L, area = w*L and perimeter ~ 2L, so
    2 * area / perimeter ~ w. The perimeter counts ink pixels with a non-ink 4-neighbour.
    """
    mask = gray > threshold
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    boundary = int((mask & ~interior).sum())
    # A 1-px-wide line is all boundary, so the formula would give 2; clamp by area.
    return min(2.0 * area / max(boundary, 1), float(area))


def stroke_width_ratio(gray: np.ndarray) -> float:
    """Stroke width relative to the ink's longer side, measured at WORK_SIZE."""
    gray = to_gray(gray)
    bbox = ink_bbox(gray)
    if bbox is None:
        return 0.0
    top, left, bottom, right = bbox
    work = fit_into(gray[top:bottom, left:right], WORK_SIZE)
    return stroke_width(work) / WORK_SIZE


def morph(image: np.ndarray, radius: int) -> np.ndarray:
    """Grey-level dilation (radius > 0) or erosion (radius < 0), about `radius` px.

    Alternating 3x3 square and plus-shaped max filters grows an octagon, close to a
    disc, at the cost of `radius` cheap passes instead of one huge kernel.
    """
    out = np.asarray(image, dtype=np.float32)
    reduce = np.maximum if radius > 0 else np.minimum
    for step in range(abs(radius)):
        padded = np.pad(out, 1)  # background outside, for dilation and erosion alike
        h, w = out.shape
        shifted = [padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1))]
        if step % 2 == 0:
            shifted += [padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy in (-1, 1) for dx in (-1, 1)]
        for s in shifted:
            out = reduce(out, s)
    return out


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = float(image.sum())
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def place_by_centre_of_mass(digit: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """Put `digit` in a size x size field with its centre of mass at the centre.

    MNIST's centres of mass sit at pixel (14.0, 14.0) on average (measured on the
    training set), not at the geometric centre 13.5. The shift is sub-pixel (linear
    interpolation), so a drawing moved by a fraction of a pixel never jumps a whole row.
    """
    row, col = centre_of_mass(digit)
    h, w = digit.shape
    centre = size / 2
    # Clamp so no ink falls off the field (at the upper bound the fraction is zero).
    top = float(np.clip(centre - row, 0, size - h))
    left = float(np.clip(centre - col, 0, size - w))
    field_ = np.zeros((size, size), dtype=np.float32)
    field_[int(top) : int(top) + h, int(left) : int(left) + w] = digit
    frac_row, frac_col = top - int(top), left - int(left)
    field_ = (1 - frac_row) * field_ + frac_row * np.roll(field_, 1, axis=0)
    field_ = (1 - frac_col) * field_ + frac_col * np.roll(field_, 1, axis=1)
    return field_


def preprocess(image: np.ndarray, normalise_stroke: bool = True) -> PreprocessSteps:
    """Run the whole pipeline; raises EmptyDrawingError when there is no ink."""
    gray = to_gray(image)
    peak = float(gray.max(initial=0.0))
    if peak <= 0.05:
        raise EmptyDrawingError("the image is blank")
    gray = gray / peak  # faint pencil or a dim scan: stretch to full contrast
    bbox = ink_bbox(gray)
    if bbox is None:
        raise EmptyDrawingError("too little ink to be a digit")
    top, left, bottom, right = bbox
    cropped = gray[top:bottom, left:right]

    work = fit_into(cropped, WORK_SIZE)
    margin = WORK_SIZE // 4
    work = np.pad(work, margin)  # room for the stroke to grow
    width = stroke_width(work)
    ratio_before = width / WORK_SIZE
    radius = 0
    target = TARGET_STROKE_RATIO * WORK_SIZE
    if normalise_stroke and width > 0 and not (1 / STROKE_TOLERANCE <= width / target <= STROKE_TOLERANCE):
        # Dilating by r widens the stroke by 2r but also the digit's longer side, which
        # the ratio is relative to: solve (width + 2r) / (WORK_SIZE + 2r) = target ratio.
        ratio = TARGET_STROKE_RATIO
        radius = int(np.clip(round((target - width) / (2 * (1 - ratio))), -margin // 2, margin))
        adjusted = morph(work, radius)
        if ink_bbox(adjusted) is None:  # thinning erased the digit: keep the original
            radius, adjusted = 0, work
    else:
        adjusted = work
    adj_bbox = ink_bbox(adjusted, threshold=0.05) or (0, 0, *adjusted.shape)
    adjusted = adjusted[adj_bbox[0] : adj_bbox[2], adj_bbox[1] : adj_bbox[3]]

    scaled = fit_into(adjusted, BOX_SIZE)
    final = place_by_centre_of_mass(scaled)
    return PreprocessSteps(
        gray=gray,
        bbox=bbox,
        cropped=cropped,
        stroke_before=ratio_before,
        stroke_adjusted=adjusted,
        stroke_radius=radius,
        scaled=scaled,
        centre_of_mass=centre_of_mass(scaled),
        final=final.astype(np.float32),
    )
