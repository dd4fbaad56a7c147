"""The speller's alphabet: symbol codes shared by the character LSTM and the learned edit table.

A word is coded as `^word$`: BOS, one code per character, EOS. OTHER stands for any character
outside the alphabet (a digit, an accented letter), which no dictionary word contains. The edit
table's segments are runs of 0, 1 or 2 symbols, numbered "" = 0, x = 1 + x, xy = 1 + V + x * V + y.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PAD, BOS, EOS, OTHER, APOSTROPHE = 0, 1, 2, 3, 4
LETTERS = "abcdefghijklmnopqrstuvwxyz"
SYMBOLS = ("", "^", "$", "?", "'", *LETTERS)  # code -> text
VOCAB_SIZE = len(SYMBOLS)
_CODE = {symbol: code for code, symbol in enumerate(SYMBOLS) if symbol}
LETTER_CODES = tuple(_CODE[ch] for ch in LETTERS)
# Every symbol that may be edited (the markers and padding never are).
EDITABLE_CODES = (OTHER, APOSTROPHE, *LETTER_CODES)

NUM_SEGMENTS = 1 + VOCAB_SIZE + VOCAB_SIZE * VOCAB_SIZE
NO_SEGMENT = NUM_SEGMENTS  # row and column of +inf in every cost matrix: "no such operation"


def normalise_apostrophes(text: str) -> str:
    """Typographic apostrophes (’) as plain ones, the only kind the dictionary holds."""
    return text.replace("\u2019", "'")


def encode(word: str, markers: bool = True) -> list[int]:
    codes = [_CODE.get(ch, OTHER) for ch in normalise_apostrophes(word)]
    return [BOS, *codes, EOS] if markers else codes


def segment_code(text: str) -> int:
    """The edit-table number of a segment of up to two symbols (letters, ', ^ or $)."""
    codes = [_CODE[ch] for ch in text]
    if not codes:
        return 0
    if len(codes) == 1:
        return 1 + codes[0]
    if len(codes) == 2:
        return 1 + VOCAB_SIZE + codes[0] * VOCAB_SIZE + codes[1]
    raise ValueError(f"segments have at most two symbols, not {text!r}")


def pad_codes(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Words -> (K, N) uint8 codes with markers, PAD-padded, and (K,) lengths with markers."""
    encoded = [encode(word) for word in words]
    lengths = np.array([len(codes) for codes in encoded], dtype=np.int64)
    matrix = np.zeros((len(words), int(lengths.max(initial=2))), dtype=np.uint8)
    for row, codes in enumerate(encoded):
        matrix[row, : len(codes)] = codes
    return matrix, lengths
