"""The learned edit model: -log P(typed segment | intended segment), counted from synthetic typos.

Every edit of an OSA alignment of (word, typo) is counted, alone and with a neighbouring symbol as
context (after Brill and Moore, 2000), and normalised by how often its intended segment occurs.
"""

from __future__ import annotations

import math
import sys
from collections import Counter

import numpy as np
from tqdm import tqdm

from models.speller.alignment import osa_alignment
from models.speller.alphabet import LETTERS, NUM_SEGMENTS, segment_code


def edit_rules(word: str, typo: str) -> set[tuple[str, str]]:
    """The edits of one (word, typo) pair, each alone and with a neighbouring step as context."""
    steps = osa_alignment(f"^{word}$", f"^{typo}$")
    rules = set()
    for k, (alpha, beta) in enumerate(steps):
        if alpha == beta:
            continue
        rules.add((alpha, beta))
        for lo, hi in ((k - 1, k + 1), (k, k + 2)):
            if lo >= 0 and hi <= len(steps):
                a = "".join(s[0] for s in steps[lo:hi])
                b = "".join(s[1] for s in steps[lo:hi])
                if len(a) <= 2 and len(b) <= 2:
                    rules.add((a, b))
    return rules


def estimate_edit_table(
    pairs: list[tuple[str, str]], min_count: int, smoothing: float, progress: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(beta codes, alpha codes, costs) of the learned table -log P(beta | alpha), and a summary.

    P(beta | alpha) = (times alpha became beta) / (times alpha occurred in a correct word). Every
    single-symbol edit and swap is kept, smoothed, so any candidate within distance 2 has a cost;
    wider rules only if seen min_count times. The identity cost is -log P(symbol unchanged).
    """
    rule_counts: Counter = Counter()
    occurrences: Counter = Counter()
    for typo, word in tqdm(pairs, desc="edit table", file=sys.stderr, disable=not progress):
        rule_counts.update(edit_rules(word, typo))
        marked = f"^{word}$"
        occurrences[""] += len(marked) - 1  # gaps where an insertion can happen
        occurrences.update(marked)
        occurrences.update(marked[i : i + 2] for i in range(len(marked) - 1))
    editable = ["'", *LETTERS]
    table: dict[tuple[str, str], float] = {}

    def put(alpha: str, beta: str, prob: float) -> None:
        cost = -math.log(prob)
        if table.get((alpha, beta), math.inf) > cost:
            table[(alpha, beta)] = cost

    outcomes = len(editable) + 1
    for x in editable:
        occ = occurrences[x]
        for y in [*editable, "?", ""]:
            if y != x:
                put(x, y, (rule_counts[(x, y)] + smoothing) / (occ + smoothing * outcomes))
        for y in editable:
            if y != x:
                put(
                    x + y,
                    y + x,
                    (rule_counts[(x + y, y + x)] + smoothing) / (occurrences[x + y] + smoothing * outcomes),
                )
    for y in [*editable, "?"]:
        put("", y, (rule_counts[("", y)] + smoothing) / (occurrences[""] + smoothing * outcomes))
    for (alpha, beta), count in rule_counts.items():
        if count >= min_count and (len(alpha) == 2 or len(beta) == 2):
            put(alpha, beta, count / max(occurrences[alpha], count))
    changed = Counter()
    for (alpha, beta), count in rule_counts.items():
        if len(alpha) == 1 and alpha != beta:
            changed[alpha] += count
    for x in editable:
        put(x, x, max(1.0 - changed[x] / max(occurrences[x], 1), 0.5))
    keys = sorted(table)
    beta = np.array([segment_code(b) for _, b in keys], dtype=np.int64)
    alpha = np.array([segment_code(a) for a, _ in keys], dtype=np.int64)
    cost = np.array([table[k] for k in keys], dtype=np.float32)
    assert beta.max() < NUM_SEGMENTS and alpha.max() < NUM_SEGMENTS
    wide = sorted(((c, a, b) for (a, b), c in table.items() if len(a) == 2 or len(b) == 2), key=lambda t: t[0])
    summary = {
        "entries": len(keys),
        "cheapest_wide_rules": [f"{a or '∅'}->{b or '∅'} {c:.2f}" for c, a, b in wide[:25]],
    }
    return beta, alpha, cost, summary
