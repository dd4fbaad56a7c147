"""Models and data cached once per process with st.cache_resource.

Cached objects are shared by every session and thread, so they must be read-only:
the models' forward passes return their activations instead of storing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from models import checkpoint
from models.digits import load_digit_model

# One small forward pass per request: a single intra-op thread is fastest, and with many
# sessions on 2 cores, more threads per request only fight each other.
torch.set_num_threads(1)

GALLERY_FILE = checkpoint.WEIGHTS_DIR / "mnist_gallery.npz"
FILTER_SNAPSHOTS_FILE = checkpoint.WEIGHTS_DIR / "cnn_filters.npz"


@dataclass(frozen=True)
class Gallery:
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,)
    test_indices: np.ndarray  # (N,) positions in the MNIST test set


@st.cache_resource(show_spinner="Loading the digit model…")
def digit_model(kind: str = "cnn"):
    """(model, manifest). Raises checkpoint.WeightsError, which is not cached, so a
    rebuilt file is picked up on the next rerun."""
    model, manifest = load_digit_model(kind)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, manifest


@st.cache_resource
def gallery() -> Gallery | None:
    try:
        with np.load(GALLERY_FILE) as archive:
            return Gallery(archive["images"], archive["labels"], archive["test_indices"])
    except (OSError, KeyError, ValueError):
        return None


@st.cache_resource
def filter_snapshots() -> dict[str, np.ndarray] | None:
    try:
        with np.load(FILTER_SNAPSHOTS_FILE) as archive:
            return {"filters": archive["filters"], "train_loss": archive["train_loss"]}
    except (OSError, KeyError, ValueError):
        return None
