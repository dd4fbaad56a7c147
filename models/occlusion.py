"""Occlusion for the digit models: blank one square patch of the 28×28 input at a time and see what
happens to the model's answer. It needs no gradients, so it reads the same for a CNN and an RNN.

Blanking sets the patch to the background (0, no ink): MNIST has no grey, so a grey patch would add
a stroke the networks never saw, while a blank one erases part of the digit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from models.cnn import DigitCNN
from models.rnn import RowRNN


@dataclass
class OcclusionMap:
    target: int  # the class whose probability is followed: the model's answer on the whole image
    base_prob: float  # p(target) with nothing blanked
    patch: int
    stride: int
    corners: list[int]  # (P,) where the patches start along each side
    probs: np.ndarray  # (P, P): p(target) with the patch from row corners[i], column corners[j] blanked
    answers: np.ndarray  # (P, P): the model's answer with that patch blanked
    drop: np.ndarray  # (28, 28): mean, over the patches covering a pixel, of base_prob - p(target)

    @property
    def flips(self) -> int:
        """How many patch positions change the answer."""
        return int((self.answers != self.target).sum())


def patch_corners(size: int, patch: int, stride: int) -> list[int]:
    """Top-left corners along one side: every `stride` pixels, the last patch flush with the edge."""
    corners = list(range(0, size - patch + 1, stride))
    if corners[-1] != size - patch:
        corners.append(size - patch)
    return corners


def occlude(
    probs_of: Callable[[torch.Tensor], torch.Tensor], image28: np.ndarray, patch: int = 6, stride: int = 2
) -> OcclusionMap:
    """probs_of maps images (N, H, W) to class probabilities (N, K); every blanked copy goes in one batch."""
    image = torch.as_tensor(np.ascontiguousarray(image28, dtype=np.float32))  # (H, W)
    size = image.shape[0]
    if not 1 <= patch <= size or stride < 1:
        raise ValueError(f"a patch of {patch} with stride {stride} does not fit a {size}×{size} image")
    corners = patch_corners(size, patch, stride)
    copies = image.repeat(len(corners) ** 2 + 1, 1, 1)  # (1 + P*P, H, W): the first stays whole
    for n, (top, left) in enumerate((t, s) for t in corners for s in corners):
        copies[1 + n, top : top + patch, left : left + patch] = 0.0
    with torch.inference_mode():
        probs = probs_of(copies).numpy()  # (1 + P*P, K)
    target = int(probs[0].argmax())
    base = float(probs[0, target])
    followed = probs[1:, target].reshape(len(corners), len(corners))  # (P, P)
    answers = probs[1:].argmax(1).reshape(len(corners), len(corners))
    drop_sum, cover = np.zeros((size, size)), np.zeros((size, size))
    for i, top in enumerate(corners):
        for j, left in enumerate(corners):
            drop_sum[top : top + patch, left : left + patch] += base - followed[i, j]
            cover[top : top + patch, left : left + patch] += 1
    return OcclusionMap(target, base, patch, stride, corners, followed, answers, drop_sum / cover)


def digit_occlusion(
    cnn: DigitCNN, rnn: RowRNN, image28: np.ndarray, patch: int = 6, stride: int = 2
) -> tuple[OcclusionMap, OcclusionMap]:
    """The same blanked copies of one preprocessed digit through the CNN and the row RNN."""
    cnn_map = occlude(lambda x: cnn(x[:, None]).probs, image28, patch, stride)  # (N, 1, 28, 28) for the CNN
    rnn_map = occlude(lambda x: rnn(x).probs, image28, patch, stride)  # rows as time steps for the RNN
    return cnn_map, rnn_map
