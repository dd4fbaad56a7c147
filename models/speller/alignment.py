"""Edit distance and alignment.

The plain OSA distance (optimal string alignment: insert, delete, substitute, swap two neighbours,
no substring edited twice) comes from rapidfuzz, a well-kept C++ library. What stays ours:
- `osa_alignment`, one cheapest alignment spelled out step by step, which training counts edits from
  (rapidfuzz gives OSA distances but no edit operations);
- `alignment_costs`, the learned noisy channel: the cheapest way to turn each candidate into the typo
  when every operation alpha -> beta (|alpha|, |beta| <= 2) has its own cost, after Brill and Moore
  (2000), vectorised over all candidates at once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import OSA

from models.speller.alphabet import BOS, EOS, NO_SEGMENT, NUM_SEGMENTS, VOCAB_SIZE


def osa_distance(a: str, b: str) -> int:
    return OSA.distance(a, b)


def osa_alignment(source: str, target: str) -> list[tuple[str, str]]:
    """One cheapest OSA alignment of source to target, as steps (alpha, beta): a match or
    substitution ('a', 'b'), a deletion ('a', ''), an insertion ('', 'b') or a swap ('ab', 'ba')."""
    n, m = len(source), len(target)
    d = [[i + j if i == 0 or j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]  # plain lists: fastest here

    def swapped(i: int, j: int) -> bool:
        return i > 1 and j > 1 and source[i - 1] == target[j - 2] and source[i - 2] == target[j - 1]

    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = min(d[i - 1][j - 1] + (source[i - 1] != target[j - 1]), d[i - 1][j] + 1, d[i][j - 1] + 1)
            if swapped(i, j):
                best = min(best, d[i - 2][j - 2] + 1)
            d[i][j] = best
    steps = []
    i, j = n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (source[i - 1] != target[j - 1]):
            steps.append((source[i - 1], target[j - 1]))
            i, j = i - 1, j - 1
        elif swapped(i, j) and d[i][j] == d[i - 2][j - 2] + 1:
            steps.append((source[i - 2 : i], target[j - 2 : j]))
            i, j = i - 2, j - 2
        elif i and d[i][j] == d[i - 1][j] + 1:
            steps.append((source[i - 1], ""))
            i -= 1
        else:
            steps.append(("", target[j - 1]))
            j -= 1
    return steps[::-1]


# Every operation consumes `alpha` symbols of the candidate and `beta` of the typo: (1, 1) is a match or a
# substitution, (1, 0) a deletion, (0, 1) an insertion, (2, 2) a swap or a two-letter confusion, ...
_OPS_ALPHA = np.array([a for a in range(3) for b in range(3) if a or b])
_OPS_BETA = np.array([b for a in range(3) for b in range(3) if a or b])


@functools.lru_cache(maxsize=512)
def _diagonals(n_rows: int, n_cols: int) -> tuple[tuple[np.ndarray, ...], ...]:
    """Cells of an (n_rows + 1) x (n_cols + 1) table by anti-diagonal, each with every operation's
    source cell: a cell depends only on earlier diagonals, so a whole diagonal is one numpy step."""
    plan = []
    for diagonal in range(1, n_rows + n_cols + 1):
        rows = np.arange(max(0, diagonal - n_cols), min(n_rows, diagonal) + 1)
        cols = diagonal - rows
        source_rows = rows[None] - _OPS_ALPHA[:, None]  # (ops, cells)
        source_cols = cols[None] - _OPS_BETA[:, None]
        outside = (source_rows < 0) | (source_cols < 0)
        source_rows = np.where(outside, n_rows + 1, source_rows)  # row n_rows + 1 is all +inf
        source_cols = np.where(outside, 0, source_cols)
        arrays = (rows, cols, source_rows, source_cols)
        for array in arrays:
            array.flags.writeable = False  # cached and shared between threads
        plan.append(arrays)
    return tuple(plan)


def alignment_costs(cost: np.ndarray, typo: Sequence[int], candidates: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cheapest way to turn each candidate into the typo, summing cost[beta, alpha] over segments.

    cost: (NUM_SEGMENTS + 1, S * (NUM_SEGMENTS + 1)), indexed [typo segment, candidate segment], +inf
    where an operation is not allowed: S cost matrices side by side, all run in one pass (the pass
    costs about the same for one or several, as numpy's per-call overhead dominates). typo: codes
    with markers, length M. candidates: (K, N) codes with markers, padded with PAD; lengths: (K,)
    with markers. Returns (S, K) float32, +inf where no alignment exists.
    """
    n_costs = cost.shape[1] // (NUM_SEGMENTS + 1)
    typo = np.asarray(typo, dtype=np.int64)
    n_candidates, n_rows = candidates.shape
    n_cols = len(typo)
    columns = candidates.T.astype(np.int64)  # (N, K)
    # Segment number of the candidate symbols that end just before row j, for segment lengths 0, 1, 2.
    alpha = np.full((3, n_rows + 2, n_candidates), NO_SEGMENT, dtype=np.int64)  # (3, N + 2, K)
    alpha[0, : n_rows + 1] = 0
    alpha[1, 1 : n_rows + 1] = 1 + columns
    alpha[2, 2 : n_rows + 1] = 1 + VOCAB_SIZE + columns[:-1] * VOCAB_SIZE + columns[1:]
    # Matrix s reads columns s * (NUM_SEGMENTS + 1) + alpha: the candidates repeat once per matrix.
    alpha = (alpha[..., None, :] + (NUM_SEGMENTS + 1) * np.arange(n_costs)[:, None]).reshape(3, n_rows + 2, -1)
    beta = np.full((3, n_cols + 1), NO_SEGMENT, dtype=np.int64)  # (3, M + 1)
    beta[0] = 0
    beta[1, 1:] = 1 + typo
    beta[2, 2:] = 1 + VOCAB_SIZE + typo[:-1] * VOCAB_SIZE + typo[1:]

    table = np.full((n_rows + 2, n_cols + 1, n_costs * n_candidates), np.inf, dtype=np.float32)  # (N+2, M+1, S*K)
    table[0, 0] = 0.0
    for rows, cols, source_rows, source_cols in _diagonals(n_rows, n_cols):
        step = cost[beta[_OPS_BETA[:, None], cols[None]][..., None], alpha[_OPS_ALPHA[:, None], rows[None]]]
        table[rows, cols] = (table[source_rows, source_cols] + step).min(axis=0)  # (cells, S * K)
    lengths = np.tile(lengths, n_costs)
    return table[lengths, n_cols, np.arange(n_costs * n_candidates)].reshape(n_costs, n_candidates)


def edit_cost_matrix(beta: np.ndarray, alpha: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """The sparse learned table as the dense (NUM_SEGMENTS + 1)^2 matrix alignment_costs reads."""
    dense = np.full((NUM_SEGMENTS + 1, NUM_SEGMENTS + 1), np.inf, dtype=np.float32)
    dense[beta, alpha] = cost
    for marker in (BOS, EOS):
        dense[1 + marker, 1 + marker] = 0.0
    return dense
