"""Synthetic typos: how people mistype a word, for training the edit model and the ranker.

Kinds of slip, each with its share in TypoMix: keyboard neighbours, dropped, doubled, undoubled,
swapped and inserted letters, vowel confusions and phonetic confusions (ph/f, c/k/s, ie/ei,
-ible/-able, ...). A word gets one slip, sometimes two.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np

from models.speller.alphabet import LETTERS

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_SHIFT = (0.0, 0.25, 0.75)  # how far each row sits to the right of the one above
VOWELS = "aeiou"
# Spelling confusions of people who know the sound but not the letters, each way where both happen.
PHONETIC = (
    ("ph", "f"), ("f", "ph"), ("c", "k"), ("k", "c"), ("c", "s"), ("s", "c"), ("ck", "k"), ("ck", "c"),
    ("k", "ck"), ("ie", "ei"), ("ei", "ie"), ("ible", "able"), ("able", "ible"), ("ance", "ence"),
    ("ence", "ance"), ("ant", "ent"), ("ent", "ant"), ("tion", "sion"), ("sion", "tion"), ("cial", "tial"),
    ("tial", "cial"), ("sc", "s"), ("s", "sc"), ("wh", "w"), ("w", "wh"), ("kn", "n"), ("wr", "r"), ("gh", ""),
    ("ght", "t"), ("mb", "m"), ("ps", "s"), ("rh", "r"), ("x", "ks"), ("ks", "x"), ("x", "cks"), ("qu", "kw"),
    ("ch", "tch"), ("tch", "ch"), ("dge", "ge"), ("ge", "dge"), ("y", "i"), ("i", "y"), ("s", "z"), ("z", "s"),
    ("er", "or"), ("or", "er"), ("ar", "er"), ("er", "ar"), ("le", "el"), ("el", "le"), ("al", "el"),
    ("el", "al"), ("our", "or"), ("ise", "ize"), ("ize", "ise"), ("ful", "full"), ("ea", "ee"), ("ee", "ea"),
    ("ai", "ay"), ("ay", "ai"), ("ou", "ow"), ("ow", "ou"), ("oo", "u"), ("u", "oo"), ("ery", "ary"),
    ("ary", "ery"), ("ous", "us"), ("g", "j"), ("j", "g"), ("ure", "er"), ("ci", "si"), ("si", "ci"),
    ("ti", "sh"), ("ea", "e"), ("e", "ea"), ("ie", "y"), ("y", "ie"), ("au", "o"), ("th", "f"), ("v", "f"),
    ("ei", "ai"), ("ue", "ew"), ("ew", "ue"), ("ough", "ow"), ("ough", "uff"), ("eous", "ious"),
    ("ious", "eous"), ("cc", "c"), ("c", "cc"), ("ll", "l"), ("l", "ll"), ("ss", "s"), ("s", "ss"),
    ("rr", "r"), ("r", "rr"), ("mm", "m"), ("m", "mm"), ("nn", "n"), ("n", "nn"), ("tt", "t"), ("t", "tt"),
    ("pp", "p"), ("p", "pp"), ("ff", "f"), ("f", "ff"), ("dd", "d"), ("d", "dd"), ("ys", "ies"), ("es", "s"),
    # Vowel digraphs and silent letters; "$" marks the end of the word.
    ("o", "ou"), ("ou", "o"), ("a", "ai"), ("e", "ie"), ("i", "ie"), ("e", "ea"), ("u", "ue"), ("e$", "$"),
    ("$", "e$"), ("y$", "ey$"), ("ing", "eing"), ("eing", "ing"), ("ment", "ement"), ("ement", "ment"),
)  # fmt: skip


@dataclass(frozen=True)
class TypoMix:
    """Relative frequency of each kind of slip in the synthetic typos."""

    keyboard: float = 0.10  # a letter replaced by a neighbouring key
    drop: float = 0.13  # a letter left out
    insert_key: float = 0.05  # a neighbouring key hit as well
    double: float = 0.06  # a letter typed twice
    undouble: float = 0.09  # a double letter typed once
    swap: float = 0.10  # two neighbouring letters swapped
    vowel: float = 0.14  # one vowel written for another
    insert_vowel: float = 0.06  # a vowel added (nineth, athelete)
    phonetic: float = 0.27  # a sound spelt another way
    two_slips: float = 0.3  # probability of a second slip in the same word
    # Of words with an apostrophe (don't, you're), the share written without it, as the first slip.
    drop_apostrophe: float = 0.5


@functools.cache
def keyboard_neighbours() -> dict[str, str]:
    spots = {ch: (r, c + _ROW_SHIFT[r]) for r, row in enumerate(KEYBOARD_ROWS) for c, ch in enumerate(row)}
    neighbours = {}
    for ch, (row, x) in spots.items():
        near = [
            other
            for other, (orow, ox) in spots.items()
            if other != ch and ((orow == row and abs(ox - x) <= 1.0) or (abs(orow - row) == 1 and abs(ox - x) <= 0.8))
        ]
        neighbours[ch] = "".join(sorted(near))
    return neighbours


def _position(length: int, rng: random.Random) -> int:
    # People rarely get a word's first letter wrong.
    weights = [0.25] + [1.0] * (length - 1)
    return rng.choices(range(length), weights)[0]


def _slip(word: str, kind: str, rng: random.Random) -> str | None:
    n = len(word)
    neighbours = keyboard_neighbours()
    if kind == "keyboard":
        i = _position(n, rng)
        return word[:i] + rng.choice(neighbours[word[i]]) + word[i + 1 :] if word[i] in neighbours else None
    if kind == "drop":
        i = _position(n, rng)
        return word[:i] + word[i + 1 :]
    if kind == "insert_key":
        i = _position(n, rng)
        return word[: i + 1] + rng.choice(neighbours[word[i]]) + word[i + 1 :] if word[i] in neighbours else None
    if kind == "double":
        i = _position(n, rng)
        return word[: i + 1] + word[i:] if word[i] in LETTERS else None
    if kind == "undouble":
        spots = [i for i in range(n - 1) if word[i] == word[i + 1]]
        return None if not spots else (lambda i: word[:i] + word[i + 1 :])(rng.choice(spots))
    if kind == "swap":
        if n < 2:
            return None
        i = _position(n - 1, rng)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "vowel":
        spots = [i for i, ch in enumerate(word) if ch in VOWELS]
        if not spots:
            return None
        i = rng.choice(spots)
        return word[:i] + rng.choice([v for v in VOWELS + "y" if v != word[i]]) + word[i + 1 :]
    if kind == "insert_vowel":
        i = rng.randrange(1, n + 1)
        return word[:i] + rng.choice("aeeiou") + word[i:]
    if kind == "phonetic":
        marked = word + "$"
        options = [(i, old, new) for old, new in PHONETIC for i in _find_all(marked, old)]
        if not options:
            return None
        i, old, new = rng.choice(options)
        return (marked[:i] + new + marked[i + len(old) :])[:-1]
    raise ValueError(kind)


def _find_all(word: str, part: str) -> list[int]:
    return [i for i in range(len(word) - len(part) + 1) if word.startswith(part, i)]


def make_typo(word: str, rng: random.Random, mix: TypoMix = TypoMix()) -> str | None:
    """One misspelling of word with one or two slips, or None if none could be made."""
    kinds = ["keyboard", "drop", "insert_key", "double", "undouble", "swap", "vowel", "insert_vowel", "phonetic"]
    weights = [getattr(mix, k) for k in kinds]
    slips = 2 if rng.random() < mix.two_slips else 1
    typo = word
    if "'" in word and rng.random() < mix.drop_apostrophe:
        typo, slips = word.replace("'", "", 1), slips - 1
    for _ in range(slips):
        for _attempt in range(10):
            changed = _slip(typo, rng.choices(kinds, weights)[0], rng)
            if changed and changed != typo:
                typo = changed
                break
    return typo if typo != word and len(typo) >= 1 else None


def make_typo_pairs(
    words: list[str], counts: np.ndarray, n: int, seed: int, alpha: float, mix: TypoMix = TypoMix()
) -> list[tuple[str, str]]:
    """n (typo, word) pairs, words drawn in proportion to count ** alpha, words of 3+ letters only."""
    rng = random.Random(seed)
    pool = [i for i, w in enumerate(words) if len(w) >= 3]
    weights = np.asarray(counts, dtype=np.float64)[pool] ** alpha
    picks = np.random.default_rng(seed).choice(pool, size=2 * n, p=weights / weights.sum())
    pairs = []
    for i in picks:
        typo = make_typo(words[i], rng, mix)
        if typo is not None:
            pairs.append((typo, words[i]))
        if len(pairs) == n:
            break
    return pairs
