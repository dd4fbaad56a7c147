"""Train the pen-trajectory GRU on paths traced from MNIST; write weights/pen.pt and weights/pen.json.

    python -m training.train_pen                    # the committed run (see its manifest for the time)
    python -m training.train_pen --dry-run          # a few batches, writes to a temp folder

MNIST has no pen paths: each digit is thinned to a skeleton and traced into strokes
(sources/pen.py), once, and cached under .cache/. Every epoch draws fresh augmented
versions of the traced paths (slant, scale, rotation, jitter, resampling, reversed strokes
and stroke orders) and converts them with the same `strokes_to_moves` the app uses. The
loss is the cross-entropy after the last point plus a smaller share over every earlier
point, so the guess shown while the pen moves is the model's honest best so far. Held out:
the paths traced from the MNIST *test* split, read as traced and with their points shuffled.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

import runtime
from models import checkpoint
from models.checkpoint import atomic_write, count_parameters
from models.pen import PenRNN, PenRNNConfig, PenRNNOutput
from sources import mnist, pen
from sources.hashes import arrays_sha256
from training import runs

TRACE_VERSION = 1  # bump when the tracing changes, so a stale cache is not reused


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=18, help="passes over the training paths (default: 18)")
    parser.add_argument(
        "--train-size", type=int, default=30000, help="MNIST training images used, a seeded subset (default: 30000)"
    )
    parser.add_argument("--valid-size", type=int, default=2000, help="training images held out (default: 2000)")
    parser.add_argument("--batch-size", type=int, default=128, help="drawings per batch (default: 128)")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default: 3e-3)")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default: 1e-4)")
    parser.add_argument("--early-weight", type=float, default=0.2, help="weight of the per-point loss (default: 0.2)")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (default: 1.0)")
    parser.add_argument("--hidden", type=int, default=128, help="GRU units per layer (default: 128)")
    parser.add_argument("--layers", type=int, default=2, help="stacked GRU layers (default: 2)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--npz", type=Path, default=None, help="MNIST cache (default: .cache/mnist.npz)")
    parser.add_argument(
        "--out", type=Path, default=None, help="weights folder (default: weights/, or a temp folder with --dry-run)"
    )
    parser.add_argument("--dry-run", action="store_true", help="a few batches only, as a smoke test (default: off)")
    return parser.parse_args(argv)


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


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    out_dir = runs.output_dir(args, "pen")
    data = mnist.load(mnist.fetch(args.npz))

    order = rng.permutation(len(data.x_train))
    valid_idx = order[: args.valid_size]
    train_idx = order[args.valid_size : args.valid_size + args.train_size]
    test_n = len(data.x_test)
    if args.dry_run:
        train_idx, valid_idx, test_n, args.epochs = train_idx[: 4 * args.batch_size], valid_idx[:200], 300, 1
    subset = np.sort(np.concatenate([valid_idx, train_idx]))
    traced = dict(
        zip(subset.tolist(), traced_paths(data.x_train[subset], "train", data.sha256), strict=True)
    )  # image index -> strokes
    train_paths, y_train = [traced[i] for i in train_idx], data.y_train[train_idx]
    valid_paths, y_valid = [traced[i] for i in valid_idx], data.y_train[valid_idx]
    test_paths = traced_paths(data.x_test[:test_n], "test", data.sha256)
    y_test = data.y_test[:test_n]

    config = PenRNNConfig(hidden=args.hidden, layers=args.layers)
    model = PenRNN(config)
    print(f"{len(train_paths)} training paths; {count_parameters(model):,} parameters", flush=True)
    steps_per_epoch = (len(train_paths) + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    labels_train = torch.from_numpy(y_train)

    history, best_accuracy, best_state, best_epoch = [], -1.0, None, 0
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = rng.permutation(len(train_paths))
        total, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr, mininterval=2.0)
        for step in bar:
            idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
            moves, lengths = batch_moves([pen.augment(train_paths[i], rng) for i in idx])
            loss, reported = losses(model(moves), labels_train[idx], lengths, args.early_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            schedule.step()
            total += reported.item() * len(idx)
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total / seen:.4f}")
        valid_predictions, _ = read_all(model, valid_paths)
        accuracy = float((valid_predictions == y_valid).mean())
        history.append({"epoch": epoch, "train_loss": round(total / seen, 5), "valid_accuracy": round(accuracy, 5)})
        print(f"epoch {epoch}: train loss {total / seen:.4f}, valid accuracy {accuracy:.4%}", flush=True)
        if accuracy >= best_accuracy:
            best_accuracy, best_epoch = accuracy, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    test = evaluate(model, test_paths, y_test, args.seed)
    metrics = {
        "mnist_test_paths_accuracy": test["accuracy"],
        "mnist_test_paths_n": test["n"],
        "mnist_test_paths_per_class_accuracy": test["per_class_accuracy"],
        "mnist_test_paths_accuracy_points_shuffled": test["accuracy_points_shuffled"],
        "median_share_of_path_when_settled": test["median_share_of_path_when_settled"],
        "valid_accuracy": round(best_accuracy, 5),
        "valid_n": len(y_valid),
    }
    print(json.dumps(metrics), flush=True)
    manifest = {
        "epoch": best_epoch,
        "metrics": metrics,
        "parameters": count_parameters(model),
        "history": history,
        "training": runs.settings(args),
        "data": {
            "source": "paths traced from MNIST skeletons (sources/pen.py); no online-handwriting dataset",
            "mnist_sha256": data.sha256,
            "mnist_wheel_sha256": mnist.WHEEL_SHA256,
            "train_images": len(train_idx),
            "train_subset": f"a seeded subset of {len(train_idx)} of the {len(data.x_train)} training images",
            "train_indices_sha256": arrays_sha256(train_idx),
            "test_split": f"the first {test_n} MNIST test images, traced without augmentation",
            "pen_moves": {"spacing": pen.SPACING, "max_points": pen.MAX_POINTS},
        },
        **runs.provenance("train_pen", argv, "python -m training.train_pen (metrics printed at the end)", 0.0),
    }
    manifest["train_seconds"] = round(time.time() - started, 1)
    checkpoint.save("pen", model, config, manifest, out_dir)
    print(f"wrote {out_dir}/pen.pt and pen.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
