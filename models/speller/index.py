"""The candidate index: dictionary words within OSA distance 2 of a query, found SymSpell-style."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from models.speller.alphabet import pad_codes

# Index hits checked at most, the most frequent words first: bounds the time for very short words.
MAX_RAW_HITS = 3000


def deletions(text: str, max_distance: int) -> set[str]:
    """text itself and every string made from it by deleting up to max_distance characters."""
    found, frontier = {text}, {text}
    for _ in range(max_distance):
        frontier = {s[:i] + s[i + 1 :] for s in frontier for i in range(len(s))}
        found |= frontier
    return found


class DeleteIndex:
    """Dictionary words within OSA distance `max_distance` of a query, exactly.

    If two words are within distance d, deleting at most d characters from each gives a common
    string, and that stays true of their first `prefix_length` characters. So the index maps every
    such deletion of each word's prefix to the word; a query looks up the deletions of its own
    prefix, and the hits are checked with the full distance. Deletions are kept as 64-bit hashes in
    one sorted array, not as strings: 82,000 words give about 1.5 million of them.
    """

    def __init__(self, words: Sequence[str], max_distance: int, prefix_length: int):
        self.words = list(words)  # in frequency order, most frequent first
        self.max_distance = max_distance
        self.prefix_length = prefix_length
        keys: list[int] = []
        owners: list[int] = []
        for word_id, word in enumerate(self.words):
            variants = deletions(word[:prefix_length], max_distance)
            keys.extend(map(hash, variants))
            owners.extend([word_id] * len(variants))
        order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
        self._keys = np.array(keys, dtype=np.int64)[order]
        self._owners = np.array(owners, dtype=np.int32)[order]
        self.codes, self.lengths = pad_codes(self.words)  # (W, N) and (W,), markers included
        for array in (self._keys, self._owners, self.codes, self.lengths):
            array.flags.writeable = False

    def raw_hits(self, query: str) -> np.ndarray:
        """Ids of words sharing a prefix deletion with the query: a superset of the answer."""
        hashes = np.fromiter(map(hash, deletions(query[: self.prefix_length], self.max_distance)), dtype=np.int64)
        starts = np.searchsorted(self._keys, hashes, side="left")
        ends = np.searchsorted(self._keys, hashes, side="right")
        if not (ends > starts).any():
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([self._owners[s:e] for s, e in zip(starts, ends, strict=True) if e > s]))

    def lookup(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(word ids, OSA distances) of every word within max_distance of query, in frequency order."""
        ids = self.raw_hits(query)[:MAX_RAW_HITS]  # ids are in frequency order: keeps the commonest
        ids = ids[np.abs(self.lengths[ids] - (len(query) + 2)) <= self.max_distance]
        if not len(ids):
            return ids, np.zeros(0, dtype=np.int64)
        distances = process.cdist(
            [query], [self.words[i] for i in ids], scorer=OSA.distance, dtype=np.int32, workers=1
        )[0].astype(np.int64)
        keep = distances <= self.max_distance
        return ids[keep], distances[keep]
