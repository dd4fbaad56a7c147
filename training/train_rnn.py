"""Train the row-by-row LSTM on MNIST and write weights/rnn.pt with its manifest weights/rnn.json.

    python -m training.train_rnn                 # full run, about 25 min on one core
    python -m training.train_rnn --dry-run       # a few batches, writes to a temp folder

Same data, split, augmentation, optimiser and evaluation as the CNN (training/digits/loop.py), so the two
are compared on equal terms. The loss is the cross-entropy of the prediction after the last
row, plus a smaller share averaged over the predictions after every earlier row, so that
what the page shows while the model reads is its honest best guess so far.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from models import checkpoint
from models.checkpoint import count_parameters
from models.rnn import RowRNN, RowRNNConfig
from training import runs
from training.digits import common as digit_training


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    digit_training.add_args(parser, epochs=30, weight_decay=1e-4)
    parser.add_argument(
        "--early-weight",
        type=float,
        default=0.2,
        help="weight of the mean loss over the predictions after rows 1..27 (default: 0.2)",
    )
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (default: 1.0)")
    parser.add_argument("--hidden", type=int, default=128, help="LSTM units per layer (default: 128)")
    parser.add_argument("--layers", type=int, default=2, help="stacked LSTM layers (default: 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    out_dir = runs.output_dir(args, "rnn")
    data, (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = digit_training.mnist_splits(args)

    config = RowRNNConfig(hidden=args.hidden, layers=args.layers)
    model = RowRNN(config)
    trainer = digit_training.Trainer(model, args, len(x_train))
    print(f"{len(x_train)} training images; {count_parameters(model):,} parameters", flush=True)

    def losses(output, labels):
        step_logits = output.step_logits  # (B, T, 10)
        final = F.cross_entropy(step_logits[:, -1], labels, label_smoothing=args.label_smoothing)
        early = F.cross_entropy(
            step_logits[:, :-1].reshape(-1, config.num_classes),
            labels.repeat_interleave(step_logits.shape[1] - 1),
            label_smoothing=args.label_smoothing,
        )
        return final + args.early_weight * early, final  # the loss reported is the final prediction's

    history, best_accuracy, best_state, best_epoch = [], -1.0, None, 0
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        train_loss = trainer.epoch(epoch, x_train, y_train, losses, clip=args.clip, mininterval=2.0)
        accuracy = digit_training.validate(model, epoch, train_loss, x_valid, y_valid, history)
        if accuracy >= best_accuracy:
            best_accuracy, best_epoch = accuracy, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    metrics = digit_training.test_metrics(model, x_test, y_test, best_accuracy, len(y_valid))
    print(json.dumps(metrics), flush=True)
    manifest = {
        "epoch": best_epoch,
        **digit_training.manifest("rnn", trainer, metrics, history, argv, data, len(x_train), time.time() - started),
    }
    checkpoint.save("rnn", model, config, manifest, out_dir)
    print(f"wrote {out_dir}/rnn.pt and rnn.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
