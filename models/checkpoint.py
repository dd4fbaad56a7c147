"""Weights on disk: `weights/<name>.pt` (a state dict) beside `weights/<name>.json` (the manifest).

The manifest holds the model's config, the metrics measured on held-out data, the
data's sha256, the command that produced it and the torch version. Loading uses
`torch.load(weights_only=True)`, which unpickles tensors only, never code.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch
import torch.nn as nn

import runtime

# How to rebuild each model, for error messages.
REBUILD_COMMANDS = {
    "cnn": "python -m training.train_cnn",
    "speller": "python -m training.train_speller",
    "bilstm": "python -m training.train_ner",
    "rnn": "python -m training.train_rnn",
    "cnn_tagger": "python -m training.train_ner --encoder cnn",
    "pen": "python -m training.train_pen",
}


class WeightsError(RuntimeError):
    """Weights or manifest missing or unreadable; the message says how to rebuild them."""


def paths(name: str, weights_dir: Path | None = None) -> tuple[Path, Path]:
    folder = Path(weights_dir or runtime.weights_dir())
    return folder / f"{name}.pt", folder / f"{name}.json"


def count_parameters(model: nn.Module) -> int:
    """The number the manifests record as "parameters" (buffers such as the speller's tables not included)."""
    return sum(p.numel() for p in model.parameters())


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Call `write` on a new file beside `path`, then rename it onto `path`, so that a reader or a
    killed run sees the old file or the new one, never half of one. The temporary name is unique,
    so two writers of the same file never write into one temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp", delete=False) as tmp:
        try:
            write(tmp)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    # NamedTemporaryFile creates the file private (0600); give it the mode a plain write would.
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def save(
    name: str, model: nn.Module, config: Any, manifest: dict, weights_dir: Path | None = None, half: tuple = ()
) -> None:
    """`half` names state-dict entries stored as float16 to halve their size (a large word
    embedding); load_state_dict copies them back into the float32 parameters."""
    weights_path, manifest_path = paths(name, weights_dir)
    state = {key: value.half() if key in half else value for key, value in model.state_dict().items()}
    atomic_write(weights_path, lambda fh: torch.save(state, fh))
    full = {"name": name, "config": dataclasses.asdict(config), **manifest}
    atomic_write(manifest_path, lambda fh: fh.write(json.dumps(full, indent=2, sort_keys=False).encode() + b"\n"))


def read_manifest(name: str, weights_dir: Path | None = None) -> dict:
    _, manifest_path = paths(name, weights_dir)
    rebuild = REBUILD_COMMANDS.get(name, "the training command in README.md")
    try:
        return json.loads(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise WeightsError(
            f"The {name} manifest {manifest_path.name} is missing. Rebuild it with `{rebuild}`."
        ) from exc
    except (OSError, ValueError) as exc:
        raise WeightsError(
            f"The {name} manifest {manifest_path.name} is unreadable ({exc}). Rebuild it with `{rebuild}`."
        ) from exc


def load(name: str, model_class: type[nn.Module], config_class: type, weights_dir: Path | None = None):
    """Build `model_class(config)` from the manifest and load its weights, in eval mode.

    Returns (model, manifest). Raises WeightsError with the rebuild command on any failure.
    """
    weights_path, _ = paths(name, weights_dir)
    rebuild = REBUILD_COMMANDS.get(name, "the training command in README.md")
    manifest = read_manifest(name, weights_dir)
    try:
        config = config_class(**_tuples(manifest["config"]))
        model = model_class(config)
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except FileNotFoundError as exc:
        raise WeightsError(
            f"The {name} weights {weights_path.name} are missing. Rebuild them with `{rebuild}`."
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any unpickling or shape error means "corrupt"
        raise WeightsError(
            f"The {name} weights {weights_path.name} are corrupt or do not match their manifest "
            f"({type(exc).__name__}). Rebuild them with `{rebuild}`."
        ) from exc
    model.eval()
    return model, manifest


def _tuples(config: dict) -> dict:
    # JSON has no tuples; dataclass configs use them for per-layer sizes.
    return {key: tuple(value) if isinstance(value, list) else value for key, value in config.items()}
