"""Where the training scripts find data: set here once.

- the shared data folder (CoNLL-2003, Norvig's spelling sets, big.txt): `--data`, else $CNNRNN_DATA,
  else `../shared/data` beside the repository;
- the cache of fetched and converted data: $CNNRNN_CACHE, else `.cache/` in the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("CNNRNN_CACHE", PROJECT_ROOT / ".cache"))


def data_dir(override: str | Path | None = None) -> Path:
    """The shared data folder: `override`, else $CNNRNN_DATA, else ../shared/data from the repo root."""
    if override:
        return Path(override)
    return Path(os.environ.get("CNNRNN_DATA", PROJECT_ROOT.parent / "shared" / "data"))
