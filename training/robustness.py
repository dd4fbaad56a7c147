"""How the digit CNN and the row-by-row RNN hold up when a digit is moved, turned or covered.

    python -m training.robustness [--n 1000] [--weights-dir DIR] [--out weights/robustness.json]

On the first N MNIST test images (held out from training), each model's accuracy is measured
against five perturbations, each swept over a fixed range:

    shift_x         horizontal shift in whole pixels, -8..8 step 2 (+ = right)
    shift_y         vertical shift in whole pixels, -8..8 step 2 (+ = down)
    rotate          rotation about the image centre in degrees, -60..60 step 15 (+ = anticlockwise
                    as displayed, row 0 at the top; 90 degrees would equal np.rot90)
    occlude_top     the top k rows set to 0 (black), k = 0..24 step 4
    occlude_bottom  the bottom k rows set to 0, k = 0..24 step 4

Shifts move whole pixels and fill with 0 (nothing wraps around); rotation is bilinear with 0
outside the image. Everything is deterministic: a fixed subset, no randomness. The JSON records
the subset's sha256 (sources.hashes.arrays_sha256 of the uint8 images and int64 labels), each
model's weights sha256 and the exact command.

The perturbation functions take (..., H, W) arrays and are pure, so tests and the app import them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models import checkpoint
from models.checkpoint import count_parameters
from sources.hashes import arrays_sha256, sha256_file
from sources.mnist import fetch, load
from training import runs

MODELS = ("cnn", "rnn")
# Curve name -> the perturbation values swept, in order.
CURVES: dict[str, list[int]] = {
    "shift_x": list(range(-8, 9, 2)),
    "shift_y": list(range(-8, 9, 2)),
    "rotate": list(range(-60, 61, 15)),
    "occlude_top": list(range(0, 25, 4)),
    "occlude_bottom": list(range(0, 25, 4)),
}


def shift(images: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    """Move (..., H, W) images by whole pixels, dx to the right and dy down, filling with 0.

    Pixels pushed past an edge are lost; nothing wraps around. Same dtype as the input."""
    images = np.asarray(images)
    if int(dx) != dx or int(dy) != dy:
        raise ValueError(f"shifts must be whole pixels, got dx={dx}, dy={dy}")
    dx, dy = int(dx), int(dy)
    height, width = images.shape[-2:]
    out = np.zeros_like(images)
    if abs(dx) >= width or abs(dy) >= height:
        return out
    src_rows = slice(max(0, -dy), height - max(0, dy))
    dst_rows = slice(max(0, dy), height - max(0, -dy))
    src_cols = slice(max(0, -dx), width - max(0, dx))
    dst_cols = slice(max(0, dx), width - max(0, -dx))
    out[..., dst_rows, dst_cols] = images[..., src_rows, src_cols]
    return out


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate square (..., H, W) images about their centre, anticlockwise as displayed (row 0 at the
    top) for positive degrees, so rotate(x, 90) equals np.rot90(x, axes=(-2, -1)) up to rounding.

    Bilinear interpolation, 0 outside the image. Returns float32; a rotation by 0 returns the
    images exactly (sampling would change them by about 1e-6)."""
    images = np.asarray(images, dtype=np.float32)
    if float(degrees) == 0.0:
        return images.copy()
    height, width = images.shape[-2:]
    if height != width:
        raise ValueError(f"rotate needs square images, got {height}x{width}")
    lead = images.shape[:-2]
    x = torch.from_numpy(np.ascontiguousarray(images.reshape(-1, 1, height, width)))  # (B, 1, H, W)
    angle = np.deg2rad(float(degrees))
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    # affine_grid maps each output position to the input position it samples, in coordinates
    # with x to the right and y down, (0, 0) at the image centre. Sampling the input at
    # (x cos - y sin, x sin + y cos) turns the picture anticlockwise on screen.
    theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=torch.float32).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, H, W, 2)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)  # (B, 1, H, W)
    return out.numpy().reshape(*lead, height, width)


def occlude(images: np.ndarray, rows: int, side: str = "top") -> np.ndarray:
    """Set the first (side="top") or last (side="bottom") `rows` rows of (..., H, W) images to 0."""
    if side not in ("top", "bottom"):
        raise ValueError(f"side must be 'top' or 'bottom', got {side!r}")
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    out = np.array(images, copy=True)
    if rows:
        if side == "top":
            out[..., :rows, :] = 0
        else:
            out[..., -rows:, :] = 0
    return out


def perturb(images: np.ndarray, curve: str, value: int) -> np.ndarray:
    """One point of one curve: images (..., H, W) float in [0, 1] -> the perturbed images."""
    if curve == "shift_x":
        return shift(images, dx=value)
    if curve == "shift_y":
        return shift(images, dy=value)
    if curve == "rotate":
        return rotate(images, value)
    if curve == "occlude_top":
        return occlude(images, value, "top")
    if curve == "occlude_bottom":
        return occlude(images, value, "bottom")
    raise ValueError(f"unknown curve {curve!r}; choose from {sorted(CURVES)}")


def subset(data, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n MNIST test images (uint8) and labels (int64): the fixed subset every run uses."""
    if not 0 < n <= len(data.x_test):
        raise ValueError(f"--n must be between 1 and {len(data.x_test)}, got {n}")
    return data.x_test[:n], data.y_test[:n].astype(np.int64)


def accuracy_at(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, curve: str, value: int) -> float:
    """Accuracy of `model` on uint8 images (N, 28, 28) after one perturbation; the tests call this too."""
    from models.digits import classify

    perturbed = perturb(images.astype(np.float32) / 255.0, curve, value)
    return float((classify(model, perturbed).argmax(axis=1) == labels).mean())


def measure(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, name: str = "") -> dict:
    """Every curve of CURVES for one model: {curve: {"values": [...], "accuracy": [...]}}."""
    curves = {}
    for curve, values in CURVES.items():
        accuracy = [accuracy_at(model, images, labels, curve, value) for value in values]
        curves[curve] = {"values": list(values), "accuracy": accuracy}
        points = ", ".join(f"{v}: {a:.1%}" for v, a in zip(values, accuracy, strict=True))
        print(f"  {name} {curve:<15} {points}", flush=True)
    return curves


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="the first N MNIST test images (default: 1000)")
    runs.add_measurement_args(parser, MODELS, "digit models", "robustness.json")
    parser.add_argument("--npz", type=Path, default=None, help="MNIST cache (default: .cache/mnist.npz)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    from models.digits import load_digit_model

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    models = runs.model_names(args)
    started = time.perf_counter()
    data = load(fetch(args.npz))
    images, labels = subset(data, args.n)
    report: dict = {
        "n": int(len(labels)),
        "data": f"mnist-test first {len(labels)}",
        "data_sha256": arrays_sha256(images, labels),
        "mnist_sha256": data.sha256,
        "command": runs.command("python -m training.robustness", argv),
        "torch_version": torch.__version__,
        "perturbations": {
            "shift_x": "whole-pixel shift to the right (negative: left), zero fill",
            "shift_y": "whole-pixel shift down (negative: up), zero fill",
            "rotate": "degrees anticlockwise as displayed (negative: clockwise), about the centre, bilinear",
            "occlude_top": "number of rows from the top set to 0",
            "occlude_bottom": "number of rows from the bottom set to 0",
        },
        "models": {},
    }
    for name in models:
        model, manifest = load_digit_model(name, args.weights_dir)
        weights_path, _ = checkpoint.paths(name, args.weights_dir)
        print(f"{name}: {len(labels)} images", flush=True)
        model_started = time.perf_counter()
        report["models"][name] = {
            "parameters": count_parameters(model),
            "weights_sha256": sha256_file(weights_path),
            "curves": measure(model, images, labels, name),
            "seconds": round(time.perf_counter() - model_started, 1),
        }
    report["seconds"] = round(time.perf_counter() - started, 1)

    runs.write_report(args.out, report)
    print(f"\nAccuracy on the first {len(labels)} MNIST test images (unperturbed, then the worst point of each curve):")
    for name, result in report["models"].items():
        parts = []
        for curve, points in result["curves"].items():
            worst = int(np.argmin(points["accuracy"]))
            parts.append(f"{curve} {points['values'][worst]}: {points['accuracy'][worst]:.1%}")
        clean = result["curves"]["shift_x"]["accuracy"][CURVES["shift_x"].index(0)]
        print(f"  {name}: clean {clean:.1%}; " + "; ".join(parts))
    print(f"wrote {args.out} in {report['seconds']:.0f} s")
    return report


if __name__ == "__main__":
    main()
