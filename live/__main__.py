"""Train the live page's models headless, on the page's own code path, and print what they reached.

    python -m live cnn --seconds 30            # the CNN alone, 30 CPU seconds
    python -m live both --seconds 60 --seed 3  # both racing on the same batches
    python -m live rnn --dry-run               # a few steps, as a smoke test

The run is a live.run.LiveRun driven by a live.worker.Worker in a pool of one slot,
exactly as the page drives it. JSON on stdout: `heldout_accuracy` for each model (on the 2,000
held-out MNIST digits), `examples_seen`, `steps` and `seconds` (CPU seconds of the worker thread,
which is what the budget counts), with each model's figures and held-out curve under `models`.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from live.run import OPTIMISERS, LiveConfig, LiveRun, default_augmenter, live_data
from live.worker import TrainingPool, Worker
from sources.mnist import fetch, load

DEFAULTS = LiveConfig()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", choices=("cnn", "rnn", "both"), help="which model to train; both race")
    parser.add_argument(
        "--seconds", type=float, default=DEFAULTS.max_seconds, help=f"CPU budget (default: {DEFAULTS.max_seconds:g})"
    )
    parser.add_argument(
        "--steps", type=int, default=DEFAULTS.max_steps, help=f"step budget (default: {DEFAULTS.max_steps})"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the worker (default: 1)")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help=f"random seed (default: {DEFAULTS.seed})")
    parser.add_argument(
        "--lr", type=float, default=DEFAULTS.learning_rate, help=f"learning rate (default: {DEFAULTS.learning_rate:g})"
    )
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULTS.batch_size, help=f"images per step (default: {DEFAULTS.batch_size})"
    )
    parser.add_argument(
        "--optimiser", choices=OPTIMISERS, default=DEFAULTS.optimiser, help=f"(default: {DEFAULTS.optimiser})"
    )
    parser.add_argument(
        "--filters",
        type=int,
        default=DEFAULTS.conv_filters,
        help=f"CNN first-layer filters (default: {DEFAULTS.conv_filters})",
    )
    parser.add_argument(
        "--units", type=int, default=DEFAULTS.lstm_units, help=f"LSTM units (default: {DEFAULTS.lstm_units})"
    )
    parser.add_argument("--augment", action="store_true", help="augment the batches (default: off)")
    parser.add_argument("--npz", default=None, help="MNIST cache (default: .cache/mnist.npz)")
    parser.add_argument("--dry-run", action="store_true", help="20 steps only, as a smoke test (default: off)")
    parser.add_argument(
        "--curves", action="store_true", help="keep each model's held-out curve in the JSON (default: off)"
    )
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> LiveConfig:
    return LiveConfig(
        kinds=("cnn", "rnn") if args.models == "both" else (args.models,),
        learning_rate=args.lr,
        batch_size=args.batch_size,
        optimiser=args.optimiser,
        conv_filters=args.filters,
        lstm_units=args.units,
        augment=args.augment,
        seed=args.seed,
        max_seconds=args.seconds,
        max_steps=min(args.steps, 20) if args.dry_run else args.steps,
    )


def train(config: LiveConfig, threads: int = 1, npz=None, poll_s: float = 0.2) -> dict:
    """One run through the page's worker, in a pool of one; returns the summary the command prints."""

    mnist = load(fetch(npz))
    data = live_data(mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test)
    # On one thread the worker thread's CPU time is the run's; on more, torch's helper threads count too.
    run = LiveRun(config, data, default_augmenter(), clock=time.thread_time if threads == 1 else time.process_time)
    worker = Worker(run, TrainingPool(1), threads=threads)
    started = time.perf_counter()
    worker.play()
    while not run.finished:
        time.sleep(poll_s)
    summary = run.summary()
    worker.stop()
    worker.join()
    summary["elapsed_wall_seconds"] = round(time.perf_counter() - started, 3)
    summary["threads"] = threads
    summary["data"] = {"mnist_sha256": mnist.sha256, "train_images": len(data.train_labels),
                       "heldout_images": len(data.heldout_labels)}  # fmt: skip
    return summary


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    np.random.seed(args.seed)
    summary = train(config_from(args), threads=args.threads, npz=args.npz)
    if not args.curves:
        for model in summary["models"].values():
            model.pop("heldout_curve", None)
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
