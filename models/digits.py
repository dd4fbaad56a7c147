"""Digit inference for the app and the evaluation script: load, classify, explain.

Pure PyTorch and numpy. Every function returns fresh arrays and keeps no state on the
model, so one cached model can serve many sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models import checkpoint
from models.cnn import DigitCNN, DigitCNNConfig
from models.preprocess import EmptyDrawingError, PreprocessSteps, preprocess
from models.rnn import RowRNN, RowRNNConfig

DIGIT_MODELS = {"cnn": (DigitCNN, DigitCNNConfig), "rnn": (RowRNN, RowRNNConfig)}
# Below this top-class probability the page calls the guess unsure.
UNSURE_BELOW = 0.7


@dataclass
class DigitAnalysis:
    probs: np.ndarray  # (10,)
    feature_maps: dict[str, np.ndarray]  # name -> (C, H, W), post-ReLU
    conv1_pre: np.ndarray  # (C1, 28, 28) before ReLU
    conv1_weight: np.ndarray  # (C1, 3, 3)
    conv1_bias: np.ndarray  # (C1,)

    @property
    def prediction(self) -> int:
        return int(self.probs.argmax())

    @property
    def confidence(self) -> float:
        return float(self.probs.max())

    @property
    def unsure(self) -> bool:
        return self.confidence < UNSURE_BELOW


def load_digit_model(kind: str = "cnn", weights_dir: Path | None = None):
    """Returns (model, manifest); raises checkpoint.WeightsError with a rebuild hint."""
    if kind not in DIGIT_MODELS:
        raise ValueError(f"unknown digit model {kind!r}; choose from {sorted(DIGIT_MODELS)}")
    model_class, config_class = DIGIT_MODELS[kind]
    return checkpoint.load(kind, model_class, config_class, weights_dir)


def classify(model: torch.nn.Module, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """images: (N, 28, 28) float in [0, 1] or uint8 -> probabilities (N, 10)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size], dtype=np.float32))
            out.append(model(batch).probs.numpy())  # (b, 10)
    return np.concatenate(out) if out else np.zeros((0, 10), dtype=np.float32)


def analyse(model: DigitCNN, image28: np.ndarray) -> DigitAnalysis:
    """One 28x28 image through the CNN, keeping every feature map."""
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(image28, dtype=np.float32))[None, None]  # (1, 1, 28, 28)
        result = model(x)
        return DigitAnalysis(
            probs=result.probs[0].numpy().copy(),
            feature_maps={name: fmap[0].numpy().copy() for name, fmap in result.feature_maps.items()},
            conv1_pre=result.conv1_pre[0].numpy().copy(),
            conv1_weight=model.conv1.weight[:, 0].numpy().copy(),
            conv1_bias=model.conv1.bias.numpy().copy(),
        )


@dataclass
class DigitPrediction:
    steps: PreprocessSteps
    analysis: DigitAnalysis


def predict(model: DigitCNN, image: np.ndarray) -> DigitPrediction:
    """Canvas or gallery image (any size, white ink on black) -> every preprocessing step
    and every activation. Raises EmptyDrawingError when there is no ink."""
    steps = preprocess(image)
    return DigitPrediction(steps=steps, analysis=analyse(model, steps.final))


def conv_step(image28: np.ndarray, weight: np.ndarray, bias: float, row: int, col: int) -> dict:
    """One step of a 3x3 convolution (padding 1) at output position (row, col), in numpy:
    the patch under the filter, the element-wise product, its sum, and sum + bias."""
    k = weight.shape[0]
    padded = np.pad(np.asarray(image28, dtype=np.float32), k // 2)
    patch = padded[row : row + k, col : col + k]  # (k, k)
    product = patch * weight
    total = float(product.sum())
    return {"patch": patch, "product": product, "sum": total, "value": total + float(bias)}


def preprocess_batch(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the canvas pipeline on each (H, W) image. Returns (N, 28, 28) and a mask of the
    images that held no ink (left black, so they count as wrong in any accuracy)."""
    out = np.zeros((len(images), 28, 28), dtype=np.float32)
    empty = np.zeros(len(images), dtype=bool)
    for i, image in enumerate(images):
        try:
            out[i] = preprocess(image).final
        except EmptyDrawingError:
            empty[i] = True
    return out, empty


def initial_cnn(config: DigitCNNConfig, seed: int) -> DigitCNN:
    """The digit CNN as training began: training/train_cnn.py seeds torch and builds the model before
    drawing any other torch random number, so the same seed rebuilds the same initial weights. The
    global generator is forked, so a server's other sessions see no change in theirs."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitCNN(config)
    return model.eval()


@dataclass(frozen=True)
class LayerDrift:
    """How far training moved one layer's weights from where they began."""

    layer: str
    relative_change: float  # ||W - W0|| / ||W0||
    median_cosine: float  # median over output units of cos(W[i], W0[i]): 1 means unturned


def layer_drift(initial: torch.nn.Module, trained: torch.nn.Module) -> list[LayerDrift]:
    """One entry per weight matrix or kernel (conv and linear layers), in the network's order."""
    start = dict(initial.named_parameters())
    drifts = []
    for name, weight in trained.named_parameters():
        if weight.dim() < 2:  # biases and batch-norm scales: no filters to compare
            continue
        before, after = start[name].detach().flatten(1), weight.detach().flatten(1)  # (out, in * k * k)
        cosine = torch.nn.functional.cosine_similarity(before, after, dim=1)  # (out,)
        drifts.append(
            LayerDrift(
                layer=name.split(".")[0],
                relative_change=float((after - before).norm() / before.norm()),
                median_cosine=float(cosine.quantile(0.5)),  # the mean of the middle two, as numpy takes it
            )
        )
    return drifts


__all__ = [
    "DigitAnalysis",
    "DigitPrediction",
    "LayerDrift",
    "initial_cnn",
    "layer_drift",
    "conv_step",
    "predict",
    "EmptyDrawingError",
    "PreprocessSteps",
    "analyse",
    "classify",
    "load_digit_model",
    "preprocess",
    "preprocess_batch",
]
