"""Train the row-by-row LSTM on MNIST and write weights/rnn.pt with its manifest weights/rnn.json.

    python -m training.train_rnn                 # full run, about 25 min on one core
    python -m training.train_rnn --dry-run       # a few batches, writes to a temp folder

Same data, split, augmentation and evaluation as the CNN (training/train_cnn.py), so the two
are compared on equal terms. The loss is the cross-entropy of the prediction after the last
row, plus a smaller share averaged over the predictions after every earlier row, so that
what the page shows while the model reads is its honest best guess so far.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models import checkpoint
from models.checkpoint import count_parameters
from models.rnn import RowRNN, RowRNNConfig
from training.augment import AugmentConfig, augment
from training.train_cnn import add_digit_training_args, digit_manifest, evaluate, mnist_splits, test_metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_digit_training_args(parser, epochs=30, weight_decay=1e-4)
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
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="rnn-dry-")) if args.dry_run else checkpoint.WEIGHTS_DIR)
    data, (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = mnist_splits(args)

    config = RowRNNConfig(hidden=args.hidden, layers=args.layers)
    model = RowRNN(config)
    aug_config = AugmentConfig()
    gen = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = (len(x_train) + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    print(f"{len(x_train)} training images; {count_parameters(model):,} parameters", flush=True)

    history, best_accuracy, best_state, best_epoch = [], -1.0, None, 0
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total_loss, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr, mininterval=2.0)
        for step in bar:
            idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
            images = augment(x_train[idx], aug_config, gen)
            step_logits = model(images).step_logits  # (B, T, 10)
            labels = y_train[idx]
            final = F.cross_entropy(step_logits[:, -1], labels, label_smoothing=args.label_smoothing)
            early = F.cross_entropy(
                step_logits[:, :-1].reshape(-1, config.num_classes),
                labels.repeat_interleave(step_logits.shape[1] - 1),
                label_smoothing=args.label_smoothing,
            )
            loss = final + args.early_weight * early
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            schedule.step()
            total_loss += final.item() * len(idx)
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.4f}")
        valid = evaluate(model, x_valid, y_valid)
        history.append({"epoch": epoch, "train_loss": round(total_loss / seen, 5), "valid_accuracy": valid["accuracy"]})
        print(f"epoch {epoch}: train loss {total_loss / seen:.4f}, valid accuracy {valid['accuracy']:.4%}", flush=True)
        if valid["accuracy"] >= best_accuracy:
            best_accuracy, best_epoch = valid["accuracy"], epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    metrics = test_metrics(model, x_test, y_test, best_accuracy, len(y_valid))
    print(json.dumps(metrics), flush=True)
    manifest = {
        "epoch": best_epoch,
        **digit_manifest("rnn", model, metrics, history, args, argv, aug_config, data, len(x_train), started),
    }
    checkpoint.save("rnn", model, config, manifest, out_dir)
    print(f"wrote {out_dir}/rnn.pt and rnn.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
