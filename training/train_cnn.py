"""Train the digit CNN on MNIST and write weights/cnn.pt with its manifest weights/cnn.json.

    python -m training.train_cnn                 # full run, about 25 min on 2 cores
    python -m training.train_cnn --dry-run       # a few batches, writes to a temp folder

The first-layer filters are snapshotted at initialisation and after every epoch into
weights/cnn_filters.npz, so the page can show how training moved them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models import checkpoint
from models.cnn import DigitCNN, DigitCNNConfig
from training import runs
from training.digits import common as digit_training


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    digit_training.add_args(parser, epochs=15, weight_decay=5e-4)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    out_dir = runs.output_dir(args, "cnn")

    data, (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = digit_training.mnist_splits(args)

    config = DigitCNNConfig()
    model = DigitCNN(config)
    trainer = digit_training.Trainer(model, args, len(x_train))

    def losses(output, labels):
        loss = F.cross_entropy(output.logits, labels, label_smoothing=args.label_smoothing)
        return loss, loss

    snapshots = [model.conv1.weight.detach()[:, 0].clone().numpy()]  # (C1, 3, 3) per snapshot
    history = []
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        train_loss = trainer.epoch(epoch, x_train, y_train, losses)
        snapshots.append(model.conv1.weight.detach()[:, 0].clone().numpy())
        digit_training.validate(model, epoch, train_loss, x_valid, y_valid, history)

    metrics = digit_training.test_metrics(model, x_test, y_test, history[-1]["valid_accuracy"], len(y_valid))
    print(json.dumps(metrics), flush=True)

    manifest = digit_training.manifest(
        "cnn", trainer, metrics, history, argv, data, len(x_train), time.time() - started
    )
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
