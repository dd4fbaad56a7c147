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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from models import checkpoint
from models.checkpoint import count_parameters
from models.pen import PenRNN, PenRNNConfig
from sources import mnist, pen
from sources.hashes import arrays_sha256
from training import runs
from training.digits.pen import batch_moves, evaluate, losses, read_all, traced_paths


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training paths (default: 20)")
    parser.add_argument(
        "--train-size",
        type=int,
        default=None,
        help="MNIST training images used, a seeded subset (default: all but the --valid-size held out)",
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


@dataclass
class Splits:
    train: list  # each drawing's strokes
    y_train: np.ndarray
    valid: list
    y_valid: np.ndarray
    test: list
    y_test: np.ndarray
    train_idx: np.ndarray  # which MNIST training images were trained on, for the manifest


def load_splits(args: argparse.Namespace, data: mnist.Mnist, rng: np.random.Generator) -> Splits:
    """A seeded validation and training split of MNIST's training images, and the test split, as traced paths."""
    order = rng.permutation(len(data.x_train))
    valid_idx = order[: args.valid_size]
    train_end = None if args.train_size is None else args.valid_size + args.train_size
    train_idx = order[args.valid_size : train_end]
    test_n = len(data.x_test)
    if args.dry_run:
        train_idx, valid_idx, test_n, args.epochs = train_idx[: 4 * args.batch_size], valid_idx[:200], 300, 1
    subset = np.sort(np.concatenate([valid_idx, train_idx]))
    traced = dict(zip(subset.tolist(), traced_paths(data.x_train[subset], "train", data.sha256), strict=True))
    return Splits(
        train=[traced[i] for i in train_idx],
        y_train=data.y_train[train_idx],
        valid=[traced[i] for i in valid_idx],
        y_valid=data.y_train[valid_idx],
        test=traced_paths(data.x_test[:test_n], "test", data.sha256),
        y_test=data.y_test[:test_n],
        train_idx=train_idx,
    )


def fit(model: PenRNN, splits: Splits, args: argparse.Namespace, rng: np.random.Generator) -> tuple[list, int, float]:
    """Train with fresh augmentation every epoch; keep the epoch best on validation. -> (history, epoch, accuracy)."""
    steps_per_epoch = (len(splits.train) + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    labels = torch.from_numpy(splits.y_train)
    history, best_accuracy, best_state, best_epoch = [], -1.0, None, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = rng.permutation(len(splits.train))
        total, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr, mininterval=2.0)
        for step in bar:
            idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
            moves, lengths = batch_moves([pen.augment(splits.train[i], rng) for i in idx])
            loss, reported = losses(model(moves), labels[idx], lengths, args.early_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            schedule.step()
            total += reported.item() * len(idx)
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total / seen:.4f}")
        valid_predictions, _ = read_all(model, splits.valid)
        accuracy = float((valid_predictions == splits.y_valid).mean())
        history.append({"epoch": epoch, "train_loss": round(total / seen, 5), "valid_accuracy": round(accuracy, 5)})
        print(f"epoch {epoch}: train loss {total / seen:.4f}, valid accuracy {accuracy:.4%}", flush=True)
        if accuracy >= best_accuracy:
            best_accuracy, best_epoch = accuracy, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return history, best_epoch, best_accuracy


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    out_dir = runs.output_dir(args, "pen")
    data = mnist.load(mnist.fetch(args.npz))
    splits = load_splits(args, data, rng)

    config = PenRNNConfig(hidden=args.hidden, layers=args.layers)
    model = PenRNN(config)
    print(f"{len(splits.train)} training paths; {count_parameters(model):,} parameters", flush=True)
    started = time.time()
    history, best_epoch, best_accuracy = fit(model, splits, args, rng)
    train_seconds = time.time() - started

    test = evaluate(model, splits.test, splits.y_test, args.seed)
    metrics = {
        "mnist_test_paths_accuracy": test["accuracy"],
        "mnist_test_paths_n": test["n"],
        "mnist_test_paths_per_class_accuracy": test["per_class_accuracy"],
        "mnist_test_paths_accuracy_points_shuffled": test["accuracy_points_shuffled"],
        "median_share_of_path_when_settled": test["median_share_of_path_when_settled"],
        "valid_accuracy": round(best_accuracy, 5),
        "valid_n": len(splits.y_valid),
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
            "train_images": len(splits.train_idx),
            "train_subset": f"a seeded subset of {len(splits.train_idx)} of the {len(data.x_train)} training images",
            "train_indices_sha256": arrays_sha256(splits.train_idx),
            "test_split": f"the first {len(splits.y_test)} MNIST test images, traced without augmentation",
            "pen_moves": {"spacing": pen.SPACING, "max_points": pen.MAX_POINTS},
        },
        **runs.provenance("train_pen", argv, "python -m training.evaluate pen", train_seconds),
    }
    checkpoint.save("pen", model, config, manifest, out_dir)
    print(f"wrote {out_dir}/pen.pt and pen.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
