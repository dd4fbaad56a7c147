"""The speller's dictionary: symspellpy's word list with its counts, extended from the corpus, and the
split of its word types into those the models train on and those held out."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np

from models.speller.text import LATIN_WORD
from sources.hashes import sha256_file
from training.speller.typos import make_typo_pairs

DICTIONARY_PACKAGE = "symspellpy"
DICTIONARY_FILE = "frequency_dictionary_en_82_765.txt"
DICTIONARY_LICENCE = (
    "symspellpy: MIT. The list intersects Google Books Ngram counts (CC BY 3.0) with SCOWL "
    "(Spell Checker Oriented Word Lists, permissive licence)."
)


def load_dictionary() -> tuple[list[str], np.ndarray, dict]:
    spec = importlib.util.find_spec(DICTIONARY_PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"pip install -r requirements-dev.txt: the dictionary comes from {DICTIONARY_PACKAGE}")
    path = Path(spec.origin).parent / DICTIONARY_FILE
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, count = line.split()
        counts[word] = counts.get(word, 0) + int(count)
    words = sorted(counts, key=lambda w: (-counts[w], w))  # frequency order: the index relies on it
    source = {
        "package": f"{DICTIONARY_PACKAGE}=={importlib.metadata.version(DICTIONARY_PACKAGE)}",
        "file": DICTIONARY_FILE,
        "sha256": sha256_file(path),
        "licence": DICTIONARY_LICENCE,
        "words": len(words),
    }
    return words, np.array([counts[w] for w in words], dtype=np.int64), source


def extend_lexicon(
    words: list[str], counts: np.ndarray, corpus_counts: Counter, min_count: int
) -> tuple[list[str], np.ndarray, dict]:
    """The dictionary plus every word the context model's text uses at least min_count times that it lacks
    (it has British spellings only: "labour" but not "labor"; and no "oh"), in frequency order. A corpus
    count becomes a dictionary count by the median ratio of the two over the words both hold."""
    known = dict(zip(words, counts, strict=True))
    shared = [w for w in corpus_counts if w in known]
    scale = float(np.median([known[w] / corpus_counts[w] for w in shared])) if shared else 1.0
    added = {
        w: max(int(round(n * scale)), 1)
        for w, n in corpus_counts.items()
        if n >= min_count and w not in known and len(w) >= 2 and LATIN_WORD.fullmatch(w) and w.islower()
    }
    merged = {**known, **added}
    ordered = sorted(merged, key=lambda w: (-merged[w], w))  # frequency order: the index relies on it
    summary = {"added_from_corpus": len(added), "corpus_min_count": min_count, "count_scale": round(scale, 2)}
    return ordered, np.array([merged[w] for w in ordered], dtype=np.int64), summary


def split_words(words: list[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train ids, held-out ids): held-out word types serve the char-LM perplexity and the word dev typos."""
    rng = np.random.default_rng(seed)
    heldout = rng.random(len(words)) < fraction
    return np.flatnonzero(~heldout), np.flatnonzero(heldout)


def dev_pairs(words: list[str], counts: np.ndarray, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The held-out synthetic typos of single words: the same every time for the same arguments."""
    _, heldout = split_words(words, args.heldout_fraction, args.seed)
    return make_typo_pairs([words[i] for i in heldout], counts[heldout], args.dev_pairs, args.seed + 2, args.typo_alpha)
