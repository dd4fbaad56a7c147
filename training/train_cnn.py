"""Train the digit CNN on MNIST and write weights/cnn.pt with its manifest weights/cnn.json.

    python -m training.train_cnn                 # full run, about 25 min on 2 cores
    python -m training.train_cnn --dry-run       # a few batches, writes to a temp folder

The first-layer filters are snapshotted at initialisation and after every epoch into
weights/cnn_filters.npz, so the page can show how training moved them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from models import checkpoint
from models.checkpoint import count_parameters
from models.cnn import DigitCNN, DigitCNNConfig
from models.digits import classify, preprocess_batch
from training.augment import AugmentConfig, augment
from training.evaluate import digit_metrics
from training.mnist_data import DEFAULT_NPZ, WHEEL_SHA256, fetch, load


def add_digit_training_args(parser: argparse.ArgumentParser, epochs: int, weight_decay: float) -> None:
    """The options every digit model's training shares (the CNN's and the row RNN's)."""
    parser.add_argument("--epochs", type=int, default=epochs, help=f"passes over the training set (default: {epochs})")
    parser.add_argument("--batch-size", type=int, default=128, help="images per step (default: 128)")
    parser.add_argument(
        "--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule (default: 3e-3)"
    )
    parser.add_argument(
        "--weight-decay", type=float, default=weight_decay, help=f"AdamW weight decay (default: {weight_decay:g})"
    )
    parser.add_argument(
        "--label-smoothing", type=float, default=0.05, help="cross-entropy label smoothing (default: 0.05)"
    )
    parser.add_argument(
        "--valid-size", type=int, default=5000, help="training images held out for validation (default: 5000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--npz", type=Path, default=DEFAULT_NPZ, help=f"MNIST cache (default: {DEFAULT_NPZ})")
    parser.add_argument(
        "--out", type=Path, default=None, help="weights folder (default: weights/, or a temp folder with --dry-run)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="train on a few batches only, as a smoke test (default: off)"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_digit_training_args(parser, epochs=15, weight_decay=5e-4)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return parser.parse_args(argv)


def mnist_splits(args: argparse.Namespace):
    """MNIST with `--valid-size` training images held out (seeded), as tensors for training
    and uint8 arrays for evaluation. --dry-run keeps a few batches and sets one epoch."""
    data = load(fetch(args.npz))
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(data.x_train))
    valid_idx, train_idx = order[: args.valid_size], order[args.valid_size :]
    x_train = torch.from_numpy(data.x_train[train_idx]).float().div_(255).unsqueeze(1)  # (N, 1, 28, 28)
    y_train = torch.from_numpy(data.y_train[train_idx])
    x_valid, y_valid = data.x_train[valid_idx], data.y_train[valid_idx]
    x_test, y_test = data.x_test, data.y_test
    if args.dry_run:
        x_train, y_train = x_train[: 4 * args.batch_size], y_train[: 4 * args.batch_size]
        x_valid, y_valid, x_test, y_test = x_valid[:500], y_valid[:500], x_test[:500], y_test[:500]
        args.epochs = 1
    return data, (x_train, y_train), (x_valid, y_valid), (x_test, y_test)


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> dict:
    model.eval()
    return digit_metrics(classify(model, images), labels)


def test_metrics(model: torch.nn.Module, x_test: np.ndarray, y_test: np.ndarray, valid_accuracy: float, valid_n: int):
    test = evaluate(model, x_test, y_test)
    piped, empty = preprocess_batch(x_test)
    test_piped = digit_metrics(classify(model, piped), y_test, empty)
    return {
        "mnist_test_accuracy": test["accuracy"],
        "mnist_test_n": test["n"],
        "mnist_test_per_class_accuracy": test["per_class_accuracy"],
        "mnist_test_accuracy_via_canvas_pipeline": test_piped["accuracy"],
        "valid_accuracy": valid_accuracy,
        "valid_n": valid_n,
    }


def digit_manifest(
    name: str, model, metrics: dict, history: list, args, argv, aug_config, data, train_images: int, started: float
) -> dict:
    """The manifest written beside a digit model's weights: metrics, config of the run, data hashes, commands."""
    return {
        "metrics": metrics,
        "parameters": count_parameters(model),
        "history": history,
        "training": {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "augment": dataclasses.asdict(aug_config),
        },
        "data": {"mnist_sha256": data.sha256, "mnist_wheel_sha256": WHEEL_SHA256, "train_images": train_images},
        "command": f"python -m training.train_{name} " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "evaluate_command": f"python -m training.evaluate digits --model {name}",
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "train_seconds": round(time.time() - started, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="cnn-dry-")) if args.dry_run else checkpoint.WEIGHTS_DIR)

    data, (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = mnist_splits(args)

    config = DigitCNNConfig()
    model = DigitCNN(config)
    aug_config = AugmentConfig()
    gen = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = (len(x_train) + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)

    snapshots = [model.conv1.weight.detach()[:, 0].clone().numpy()]  # (C1, 3, 3) per snapshot
    history = []
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total_loss, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr)
        for step in bar:
            idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
            images = augment(x_train[idx], aug_config, gen)
            loss = F.cross_entropy(model(images).logits, y_train[idx], label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(idx)
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        snapshots.append(model.conv1.weight.detach()[:, 0].clone().numpy())
        valid = evaluate(model, x_valid, y_valid)
        history.append({"epoch": epoch, "train_loss": round(total_loss / seen, 5), "valid_accuracy": valid["accuracy"]})
        print(f"epoch {epoch}: train loss {total_loss / seen:.4f}, valid accuracy {valid['accuracy']:.4%}", flush=True)

    metrics = test_metrics(model, x_test, y_test, history[-1]["valid_accuracy"], len(y_valid))
    print(json.dumps(metrics), flush=True)

    manifest = digit_manifest("cnn", model, metrics, history, args, argv, aug_config, data, len(x_train), started)
    checkpoint.save("cnn", model, config, manifest, out_dir)
    np.savez_compressed(
        Path(out_dir) / "cnn_filters.npz",
        filters=np.stack(snapshots),  # (epochs + 1, C1, 3, 3): index 0 is the random initialisation
        train_loss=np.array([h["train_loss"] for h in history], dtype=np.float32),
    )
    print(f"wrote {out_dir}/cnn.pt, cnn.json and cnn_filters.npz", flush=True)
    return manifest


if __name__ == "__main__":
    main()
