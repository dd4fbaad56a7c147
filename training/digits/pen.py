"""What the pen GRU's training and its evaluation share: the traced paths (cached), batches of pen
moves, the loss, and the held-out measurement (`python -m training.evaluate pen` and
training/train_pen.py both call `evaluate`)."""

from __future__ import annotations

import sys

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

import runtime
from models.checkpoint import atomic_write
from models.pen import PenRNN, PenRNNOutput
from sources import pen

TRACE_VERSION = 1  # bump when the tracing changes, so a stale cache is not reused


def traced_paths(images: np.ndarray, split: str, data_sha256: str) -> list[list[np.ndarray]]:
    """Every image's strokes, traced once and cached in runtime.cache_dir() by the data's hash."""
    cache = runtime.cache_dir() / f"pen_paths_v{TRACE_VERSION}_{split}_{data_sha256[:12]}_{len(images)}.npz"
    if cache.exists():
        with np.load(cache) as stored:
            points, offsets = stored["points"], stored["offsets"]
    else:
        packed = [pen.pack(pen.trace_image(image)) for image in tqdm(images, desc=f"tracing {split}", file=sys.stderr)]
        offsets = np.cumsum([0] + [len(p) for p in packed])
        points = np.concatenate(packed)
        atomic_write(cache, lambda fh: np.savez_compressed(fh, points=points, offsets=offsets))
    return [pen.unpack(points[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]


def batch_moves(drawings: list[list[np.ndarray]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Strokes of each drawing -> ((B, T, 3) zero-padded moves, (B,) lengths)."""
    moves = [pen.strokes_to_moves(strokes) for strokes in drawings]
    lengths = torch.tensor([len(m) for m in moves])
    padded = torch.zeros(len(moves), int(lengths.max()), 3)
    for i, m in enumerate(moves):
        padded[i, : len(m)] = torch.from_numpy(m)
    return padded, lengths


def losses(output: PenRNNOutput, labels: torch.Tensor, lengths: torch.Tensor, early_weight: float):
    """Final-point cross-entropy plus `early_weight` times the mean over every real (unpadded) point."""
    final = F.cross_entropy(output.logits_at(lengths), labels)
    steps = output.step_logits.shape[1]
    real = torch.arange(steps)[None, :] < lengths[:, None]  # (B, T)
    per_point = F.cross_entropy(
        output.step_logits.reshape(-1, 10), labels.repeat_interleave(steps), reduction="none"
    ).reshape(len(labels), steps)
    early = (per_point * real).sum() / real.sum()
    return final + early_weight * early, final


@torch.no_grad()
def read_all(model: PenRNN, drawings, batch_size: int = 500) -> tuple[np.ndarray, list[np.ndarray]]:
    """(N,) final predictions and each drawing's (T,) guesses after every point."""
    model.eval()
    finals, per_point = [], []
    for start in range(0, len(drawings), batch_size):
        moves, lengths = batch_moves(drawings[start : start + batch_size])
        guesses = model(moves).step_logits.argmax(-1)  # (B, T)
        for row, length in zip(guesses, lengths, strict=True):
            per_point.append(row[:length].numpy())
            finals.append(int(row[length - 1]))
    return np.array(finals), per_point


def settled_share(guesses: np.ndarray, label: int) -> float:
    """The share of the path after which the guess is right and stays right (1.0 if only at the end)."""
    wrong = np.flatnonzero(guesses != label)
    first_of_last_run = 0 if len(wrong) == 0 else int(wrong[-1]) + 1
    return (first_of_last_run + 1) / len(guesses)


def evaluate(model: PenRNN, drawings, labels: np.ndarray, seed: int) -> dict:
    predictions, per_point = read_all(model, drawings)
    rng = np.random.default_rng(seed)
    shuffled_predictions, _ = read_all(model, [pen.shuffle_points(d, rng) for d in drawings])
    right = predictions == labels
    shares = [settled_share(g, y) for g, y, ok in zip(per_point, labels, right, strict=True) if ok]
    return {
        "accuracy": round(float(right.mean()), 5),
        "n": len(labels),
        "per_class_accuracy": [round(float(right[labels == d].mean()), 4) for d in range(10)],
        "accuracy_points_shuffled": round(float((shuffled_predictions == labels).mean()), 5),
        "median_share_of_path_when_settled": round(float(np.median(shares)), 4) if shares else None,
    }


# The traced paths are in MNIST's 28 px; the CNN reads them drawn as on the 280 px canvas.
CANVAS_SCALE = 10


def cnn_answers(cnn, drawings, chunk: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """The CNN's answers on the drawings rendered as the canvas draws them, through the canvas preprocessing:
    ((N,) predictions, -1 where no ink; (N,) a hash of each rendered picture, to compare pictures exactly)."""
    import hashlib

    from models.digits import classify, preprocess_batch
    from models.pen import render_strokes

    size = 28 * CANVAS_SCALE
    predictions, hashes = [], []
    for start in range(0, len(drawings), chunk):
        pictures = np.stack(
            [render_strokes([s * CANVAS_SCALE for s in d], size, size) for d in drawings[start : start + chunk]]
        )  # (B, 280, 280)
        hashes.extend(hashlib.sha256(p.tobytes()).hexdigest()[:16] for p in pictures)
        images, empty = preprocess_batch(pictures)
        predictions.append(np.where(empty, -1, classify(cnn, images).argmax(axis=1)))
    return np.concatenate(predictions), np.array(hashes)


def evaluate_both(model: PenRNN, cnn, drawings, labels: np.ndarray, seed: int) -> dict:
    """`evaluate` for the GRU, plus the ablation's other half: the CNN on the same drawings as pictures,
    as traced and with the points shuffled (the same seed as the GRU's shuffle), and whether its answers
    and the pictures stay exactly the same."""
    rnn = evaluate(model, drawings, labels, seed)
    rng = np.random.default_rng(seed)
    shuffled = [pen.shuffle_points(d, rng) for d in drawings]
    reversed_predictions, _ = read_all(model, [pen.reverse_strokes(d) for d in drawings])
    rnn["accuracy_strokes_reversed"] = round(float((reversed_predictions == labels).mean()), 5)
    answers, pictures = cnn_answers(cnn, drawings)
    shuffled_answers, shuffled_pictures = cnn_answers(cnn, shuffled)
    cnn_result = {
        "accuracy": round(float((answers == labels).mean()), 5),
        "accuracy_points_shuffled": round(float((shuffled_answers == labels).mean()), 5),
        "answers_identical_when_shuffled": int((answers == shuffled_answers).sum()),
        "pictures_identical_when_shuffled": int((pictures == shuffled_pictures).sum()),
    }
    return {"rnn": rnn, "cnn": cnn_result}
