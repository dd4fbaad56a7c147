"""The Broad Twitter Corpus (Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0): tweets tagged
PER, LOC and ORG in IOB2, in sections by source and year, read from `$CNNRNN_DATA/ner-extra/btc/`
(default `../shared/data`). It has no MISC type: a tagger trained on it must not learn that MISC
names are O, and a MISC guess on it is neither right nor wrong.
"""

from __future__ import annotations

from pathlib import Path

import runtime
from sources.conll import Sentence, read_conll
from sources.hashes import sha256_file

SECTIONS = ("a", "b", "e", "f", "g", "h")
NAME = "Broad Twitter Corpus"
CITATION = "Derczynski, Bontcheva and Roberts, COLING 2016"
LICENCE = "CC BY 4.0"


def section_path(section: str, override: str | Path | None = None) -> Path:
    if section not in SECTIONS:
        raise ValueError(f"unknown BTC section {section!r}; choose from {SECTIONS}")
    return runtime.data_dir(override) / "ner-extra" / "btc" / f"{section}.conll"


def read_section(section: str, override: str | Path | None = None) -> tuple[list[Sentence], str]:
    """[(tokens, IOB2 tags), ...] of one section, and the file's sha256."""
    path = section_path(section, override)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: pass --data DIR, or set CNNRNN_DATA to the folder of ner-extra/btc/"
        )
    return read_conll(path), sha256_file(path)


def without_misc(tags: list[str]) -> list[str]:
    """The tags with every MISC entity turned to O: how a MISC guess is scored on a corpus without MISC."""
    return ["O" if t.endswith("-MISC") else t for t in tags]


def as_typed(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A tweet's tokens as someone typed them, for the page's own tokeniser: one space between tokens but
    none after `@` (`@colgo`, which the corpus splits in two). Returns the text and each token's (start, end)."""
    text, offsets = "", []
    for i, token in enumerate(tokens):
        if i and tokens[i - 1] != "@":
            text += " "
        offsets.append((len(text), len(text) + len(token)))
        text += token
    return text, offsets
