"""The process's settings, in one place: where files are, how many threads a request uses, how many
trainings may run at once, and handing freed memory back to the system.

Every path is read from the environment when it is asked for, never at import, so a test or a
deployment sets a variable and every layer sees it:

- the committed weights and manifests: $CNNRNN_WEIGHTS, else `weights/` in the repository;
- fetched and converted data: $CNNRNN_CACHE, else `.cache/` in the repository;
- the shared data folder (CoNLL-2003, Norvig's spelling sets, big.txt, BTC): a `--data` flag, else
  $CNNRNN_DATA, else `../shared/data` beside the repository.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent

WEIGHTS_ENV = "CNNRNN_WEIGHTS"
CACHE_ENV = "CNNRNN_CACHE"
DATA_ENV = "CNNRNN_DATA"
SLOTS_ENV = "CNNRNN_LIVE_SLOTS"
CLASS_WAIT_ENV = "CNNRNN_CLASS_WAIT_S"
# How long, in CPU seconds of the trainers, the last of a class should wait for its turn (see class_wait_s). Real
# time runs about 1.3x slower while the class's pages poll (benchmarks/spike.py train: 6.6 s of real time per
# 5 s budget), so 90 keeps the last start near 2 minutes where there are slots enough (README "A class at once").
CLASS_WAIT_S = 90.0

# One small forward pass per request: a single intra-op thread is fastest, and with many
# sessions on 2 cores, more threads per request only fight each other.
SERVER_THREADS = 1


def weights_dir() -> Path:
    """The folder of the committed weights: $CNNRNN_WEIGHTS, else weights/ in the repository."""
    return Path(os.environ.get(WEIGHTS_ENV) or PROJECT_ROOT / "weights")


def cache_dir() -> Path:
    """The folder of fetched and converted data (never committed): $CNNRNN_CACHE, else .cache/."""
    return Path(os.environ.get(CACHE_ENV) or PROJECT_ROOT / ".cache")


def data_dir(override: str | Path | None = None) -> Path:
    """The shared data folder: `override` (a --data flag), else $CNNRNN_DATA, else ../shared/data."""
    if override:
        return Path(override)
    return Path(os.environ.get(DATA_ENV) or PROJECT_ROOT.parent / "shared" / "data")


def configure_threads(threads: int = SERVER_THREADS) -> None:
    """Set torch's intra-op threads. Cheap to repeat: app.py calls it at the start of every run, which
    covers each script thread, whatever torch's thread settings do across threads."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def live_slots() -> int:
    """How many trainings may run at once: $CNNRNN_LIVE_SLOTS, else one per core the process may use,
    less one kept for serving pages (so 1 on 2 cores)."""
    value = os.environ.get(SLOTS_ENV, "").strip()
    if value:
        try:
            slots = int(value)
        except ValueError:
            slots = 0
        if slots < 1:
            raise ValueError(f"{SLOTS_ENV} must be a whole number of 1 or more, not {value!r}")
        return slots
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, cores - 1)


def class_wait_s() -> float | None:
    """How long the last of a queue of trainings should wait for its turn: $CNNRNN_CLASS_WAIT_S seconds, else
    CLASS_WAIT_S; 0 turns fair shares off (every run keeps the budget it asked for, however long the queue).
    While runs wait, each running one's CPU budget shrinks to its share of that time (live.worker.TrainingPool)."""
    value = os.environ.get(CLASS_WAIT_ENV, "").strip()
    if not value:
        return CLASS_WAIT_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{CLASS_WAIT_ENV} must be a number of seconds, 0 or more, not {value!r}")
    return seconds or None


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, looked up once (find_library reads the linker's cache each call); None elsewhere."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Hand freed memory back to the system. glibc keeps what a thread freed in that thread's arena for
    reuse, so without this a server's resident size stays near its peak (loading the models, a finished
    training); malloc_trim returns the unused pages of every arena: about 6 ms the first time after the
    models load, microseconds when there is nothing to return. Elsewhere, a no-op."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
