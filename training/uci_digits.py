"""Real handwritten digits that are not MNIST, to check the canvas pipeline end to end.

The UCI "Optical Recognition of Handwritten Digits" set (1,797 digits by 43 writers,
8x8 images of counts 0..16) ships inside scikit-learn's wheel. We only download the
wheel (never install it) and write an .npz in the form `training.evaluate digits --npz`
takes: `images` (N, 8, 8) uint8, white ink on black, and `labels` (N,).

    python -m training.uci_digits                 # writes .cache/uci_digits.npz
    python -m training.evaluate digits --npz .cache/uci_digits.npz

Nothing here is used for training: it is held-out data from another source.
"""

from __future__ import annotations

import argparse
import gzip
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import runtime

WHEEL_SPEC = "scikit-learn==1.9.1"
MEMBER = "sklearn/datasets/data/digits.csv.gz"
OUT_NAME = "uci_digits.npz"


def fetch(out: Path | None = None) -> Path:
    out = Path(out or runtime.cache_dir() / OUT_NAME)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, WHEEL_SPEC]
        subprocess.run(cmd, check=True)
        wheel = next(Path(tmp).glob("scikit_learn-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            raw = gzip.decompress(zf.read(MEMBER))
    table = np.loadtxt(io.BytesIO(raw), delimiter=",")  # (1797, 65): 64 pixel counts then the label
    images = np.round(table[:, :64] * (255 / 16)).astype(np.uint8).reshape(-1, 8, 8)
    labels = table[:, 64].astype(np.int64)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=images, labels=labels)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help=f"output .npz (default: .cache/{OUT_NAME})")
    args = parser.parse_args(argv)
    path = fetch(args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
