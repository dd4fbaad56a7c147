"""What every training script and measurement shares about a run: where it writes, and what its
manifest or report records about how it was made, so that the records read alike and can be rerun."""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch

import runtime
from models import checkpoint


def output_dir(args: argparse.Namespace, prefix: str) -> Path:
    """`--out`, else a fresh temporary folder for a --dry-run (a smoke test must never replace the
    committed weights), else weights/."""
    return args.out or (Path(tempfile.mkdtemp(prefix=f"{prefix}-dry-")) if args.dry_run else runtime.weights_dir())


def settings(args: argparse.Namespace) -> dict:
    """The run's arguments as JSON can hold them (paths as text)."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def command(program: str, argv: list[str] | None) -> str:
    """The shell command that repeats this run: `program` (`python -m training.train_cnn`), then its arguments."""
    return f"{program} " + shlex.join(argv if argv is not None else sys.argv[1:])


def provenance(module: str, argv: list[str] | None, evaluate_command: str, train_seconds: float) -> dict:
    """The manifest's closing entries: how to retrain and re-evaluate, with which versions, and how long it took."""
    return {
        "command": command(f"python -m training.{module}", argv),
        "evaluate_command": evaluate_command,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "train_seconds": round(train_seconds, 1),
    }


def add_measurement_args(parser: argparse.ArgumentParser, models: Sequence[str], kind: str, report: str) -> None:
    """--models, --weights-dir and --out of a script that measures trained models (`kind`, plural) and
    writes weights/`report`."""
    parser.add_argument(
        "--models", default=",".join(models), help=f"comma-separated {kind} (default: {','.join(models)})"
    )
    parser.add_argument(
        "--weights-dir",
        type=Path,
        default=None,
        help=f"folder of the {kind}' weights (default: weights/, or $CNNRNN_WEIGHTS)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=runtime.weights_dir() / report,
        help=f"the JSON to write (default: weights/{report})",
    )


def model_names(args: argparse.Namespace) -> list[str]:
    """The names given to --models (see add_measurement_args)."""
    return [m.strip() for m in args.models.split(",") if m.strip()]


def write_report(path: Path, report: dict) -> None:
    """A measurement's JSON, written whole or not at all: the app reads these files while they are remade."""
    checkpoint.atomic_write(path, lambda fh: fh.write((json.dumps(report, indent=2) + "\n").encode()))
