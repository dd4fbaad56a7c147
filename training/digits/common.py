"""What the digit models' training shares (training/train_cnn.py and training/train_rnn.py): the
options, the MNIST split, the optimiser and its schedule, one epoch of augmented batches, the
evaluation and the manifest. Sharing them is what keeps the two compared on equal terms."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from models.checkpoint import count_parameters
from models.digits import classify, preprocess_batch
from sources.augment import AugmentConfig, augment
from sources.mnist import WHEEL_SHA256, fetch, load
from training import runs
from training.evaluate import digit_metrics


def add_args(parser: argparse.ArgumentParser, epochs: int, weight_decay: float) -> None:
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
    parser.add_argument("--npz", type=Path, default=None, help="MNIST cache (default: .cache/mnist.npz)")
    parser.add_argument(
        "--out", type=Path, default=None, help="weights folder (default: weights/, or a temp folder with --dry-run)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="train on a few batches only, as a smoke test (default: off)"
    )


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


class Trainer:
    """AdamW under a one-cycle schedule over all the epochs' steps, and the seeded generator that
    shuffles and augments the batches. Build it right after the model, as both scripts always have,
    so that the random draws come in the same order."""

    def __init__(self, model: torch.nn.Module, args: argparse.Namespace, train_size: int) -> None:
        self.model, self.args = model, args
        self.augment_config = AugmentConfig()
        self.gen = torch.Generator().manual_seed(args.seed)
        self.steps_per_epoch = (train_size + args.batch_size - 1) // args.batch_size
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=args.lr, total_steps=args.epochs * self.steps_per_epoch
        )

    def epoch(
        self,
        epoch: int,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        losses: Callable[[object, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
        clip: float | None = None,
        mininterval: float = 0.1,
    ) -> float:
        """One pass over shuffled, augmented batches. `losses(model output, labels)` gives the loss to
        minimise and the one to report; `clip` caps the gradient norm. Returns the mean reported loss."""
        args, model = self.args, self.model
        model.train()
        perm = torch.randperm(len(x_train), generator=self.gen)
        total_loss, seen = 0.0, 0
        bar = tqdm(
            range(self.steps_per_epoch), desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr, mininterval=mininterval
        )
        for step in bar:
            idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
            images = augment(x_train[idx], self.augment_config, self.gen)
            loss, reported = losses(model(images), y_train[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            self.optimizer.step()
            self.schedule.step()
            total_loss += reported.item() * len(idx)
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        return total_loss / seen


def evaluate(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> dict:
    model.eval()
    return digit_metrics(classify(model, images), labels)


def validate(model: torch.nn.Module, epoch: int, train_loss: float, x_valid, y_valid, history: list) -> float:
    """Score the epoch on the validation images, add it to `history` and print it; returns the accuracy."""
    valid = evaluate(model, x_valid, y_valid)
    history.append({"epoch": epoch, "train_loss": round(train_loss, 5), "valid_accuracy": valid["accuracy"]})
    print(f"epoch {epoch}: train loss {train_loss:.4f}, valid accuracy {valid['accuracy']:.4%}", flush=True)
    return valid["accuracy"]


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


def manifest(
    name: str, trainer: Trainer, metrics: dict, history: list, argv, data, train_images: int, seconds: float
) -> dict:
    """The manifest written beside a digit model's weights: metrics, config of the run, data hashes, commands."""
    return {
        "metrics": metrics,
        "parameters": count_parameters(trainer.model),
        "history": history,
        "training": {**runs.settings(trainer.args), "augment": dataclasses.asdict(trainer.augment_config)},
        "data": {"mnist_sha256": data.sha256, "mnist_wheel_sha256": WHEEL_SHA256, "train_images": train_images},
        **runs.provenance(f"train_{name}", argv, f"python -m training.evaluate digits --model {name}", seconds),
    }
