"""Train the spelling corrector and its character LSTM; write weights/speller.pt and weights/speller.json.

    python -m training.train_speller               # full run, about 15 min on one core
    python -m training.train_speller --dry-run     # a few steps of each stage, writes to a temp folder

Stages, all seeded:
1. Dictionary: the words and Google-Books counts of symspellpy's frequency_dictionary_en_82_765.txt
   (symspellpy is MIT-licensed; the list intersects Google Books Ngram counts (CC BY 3.0) with SCOWL).
   The words go into speller.pt, so the app needs no package for them at run time.
2. Character LM: an LSTM over `^word$`, on dictionary words drawn in proportion to count ** 0.5
   (common words matter more, rare ones still count); a few percent of word types are held out
   for its perplexity.
3. Synthetic typos of the other words, drawn in proportion to count ** 0.6 (the exponent the ranker
   learns as its frequency weight; chosen on the Wikipedia list's dev half): keyboard slips, dropped,
   doubled, undoubled, swapped and inserted letters, vowel confusions, phonetic confusions (ph/f,
   c/k/s, ie/ei, -ible/-able, ...).
4. Edit table: every edit of an OSA alignment of (word, typo), alone and with a neighbouring
   symbol as context (after Brill and Moore, 2000), counted and normalised into -log P(beta | alpha).
5. Ranker: a linear score over the candidate features, fitted by softmax likelihood of the right word
   on typos the edit table did not see.
6. Metrics: top-1 on typos of held-out words ("dev"), the Wikipedia list of common misspellings
   (its "dev" half chose the settings), and Norvig's two test sets, computed after training and
   reported only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import math
import platform
import random
import shlex
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from models import checkpoint
from models.speller import (
    LETTERS,
    NUM_SEGMENTS,
    RANKER_FEATURES,
    VOCAB_SIZE,
    Speller,
    SpellerConfig,
    SpellingCorrector,
    candidates,
    count_parameters,
    pad_codes,
    segment_code,
)
from training import speller_eval
from training.hashes import sha256_file

DICTIONARY_PACKAGE = "symspellpy"
DICTIONARY_FILE = "frequency_dictionary_en_82_765.txt"
DICTIONARY_LICENCE = (
    "symspellpy: MIT. The list intersects Google Books Ngram counts (CC BY 3.0) with SCOWL "
    "(Spell Checker Oriented Word Lists, permissive licence)."
)

# ---------------------------------------------------------------------------------------------
# Synthetic typos

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


NEIGHBOURS = keyboard_neighbours()


def _position(length: int, rng: random.Random) -> int:
    # People rarely get a word's first letter wrong.
    weights = [0.25] + [1.0] * (length - 1)
    return rng.choices(range(length), weights)[0]


def _slip(word: str, kind: str, rng: random.Random) -> str | None:
    n = len(word)
    if kind == "keyboard":
        i = _position(n, rng)
        return word[:i] + rng.choice(NEIGHBOURS[word[i]]) + word[i + 1 :] if word[i] in NEIGHBOURS else None
    if kind == "drop":
        i = _position(n, rng)
        return word[:i] + word[i + 1 :]
    if kind == "insert_key":
        i = _position(n, rng)
        return word[: i + 1] + rng.choice(NEIGHBOURS[word[i]]) + word[i + 1 :] if word[i] in NEIGHBOURS else None
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


# ---------------------------------------------------------------------------------------------
# The learned edit table


def osa_alignment(source: str, target: str) -> list[tuple[str, str]]:
    """One cheapest OSA alignment of source to target, as steps (alpha, beta): a match or
    substitution ('a', 'b'), a deletion ('a', ''), an insertion ('', 'b') or a swap ('ab', 'ba')."""
    n, m = len(source), len(target)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = min(d[i - 1][j - 1] + (source[i - 1] != target[j - 1]), d[i - 1][j] + 1, d[i][j - 1] + 1)
            if i > 1 and j > 1 and source[i - 1] == target[j - 2] and source[i - 2] == target[j - 1]:
                best = min(best, d[i - 2][j - 2] + 1)
            d[i][j] = best
    steps = []
    i, j = n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (source[i - 1] != target[j - 1]):
            steps.append((source[i - 1], target[j - 1]))
            i, j = i - 1, j - 1
        elif (i > 1 and j > 1 and source[i - 1] == target[j - 2] and source[i - 2] == target[j - 1]) and d[i][j] == d[
            i - 2
        ][j - 2] + 1:
            steps.append((source[i - 2 : i], target[j - 2 : j]))
            i, j = i - 2, j - 2
        elif i and d[i][j] == d[i - 1][j] + 1:
            steps.append((source[i - 1], ""))
            i -= 1
        else:
            steps.append(("", target[j - 1]))
            j -= 1
    return steps[::-1]


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


# ---------------------------------------------------------------------------------------------
# Stages


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


def train_char_lm(model: Speller, words: list[str], counts: np.ndarray, args: argparse.Namespace) -> list[dict]:
    codes, lengths = pad_codes(words)
    codes_t = torch.from_numpy(codes.astype(np.int64))  # (W, N)
    weights = torch.from_numpy(counts.astype(np.float64) ** args.lm_alpha)
    gen = torch.Generator().manual_seed(args.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.lm_steps)
    model.train()
    history, running = [], 0.0
    bar = tqdm(range(1, args.lm_steps + 1), desc="char LM", file=sys.stderr)
    for step in bar:
        picks = torch.multinomial(weights, args.batch_size, replacement=True, generator=gen)
        width = int(lengths[picks.numpy()].max())
        batch = codes_t[picks, :width]  # (B, T + 1)
        logits = model(batch[:, :-1]).logits  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), batch[:, 1:].reshape(-1), ignore_index=0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{running:.3f}")
        if step % max(args.lm_steps // 10, 1) == 0:
            history.append({"step": step, "train_loss": round(running, 4)})
    model.eval()
    return history


def char_perplexity(model: Speller, words: list[str]) -> float:
    """Per-symbol perplexity of ^word$ over word types (each word once), end marker included."""
    log_probs = model.word_log_probs(words)
    symbols = sum(len(w) + 1 for w in words)
    return float(np.exp(-log_probs.astype(np.float64).sum() / symbols))


def ranker_data(speller: SpellingCorrector, pairs: list[tuple[str, str]], progress: bool = True):
    """Candidate features of each typo whose correct word is among its candidates."""
    features, groups, targets = [], [], []
    offset = 0
    for typo, word in tqdm(pairs, desc="ranker features", file=sys.stderr, disable=not progress):
        if speller.known(typo):
            continue  # a real-word error: suggest() keeps it, nothing to rank
        ids, _, feats = candidates(speller, typo)
        hit = np.flatnonzero(ids == speller.word_ids[word])
        if len(ids) < 2 or not len(hit):
            continue
        features.append(feats)
        groups.append(np.full(len(ids), len(targets)))
        targets.append(offset + hit[0])
        offset += len(ids)
    return np.concatenate(features), np.concatenate(groups), np.array(targets)


def fit_ranker(features: np.ndarray, groups: np.ndarray, targets: np.ndarray, l2: float) -> np.ndarray:
    """Linear weights maximising the softmax likelihood of the right word among its candidates."""
    x = torch.from_numpy(features).double()  # (T, F)
    group = torch.from_numpy(groups).long()  # (T,)
    target = torch.from_numpy(targets).long()  # (G,)
    n_groups = len(targets)
    weight = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        weight[:3] = 1.0  # channel, frequency, LM: the plain noisy-channel score
    optimizer = torch.optim.LBFGS([weight], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        scores = x @ weight  # (T,)
        top = torch.full((n_groups,), -math.inf, dtype=scores.dtype).scatter_reduce(
            0, group, scores.detach(), reduce="amax"
        )
        total = torch.zeros(n_groups, dtype=scores.dtype).index_add(0, group, (scores - top[group]).exp())
        loss = (total.log() + top - scores[target]).mean() + l2 * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return weight.detach().float().numpy()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lm-steps", type=int, default=8000, help="char-LM training steps (default: 8000)")
    parser.add_argument("--batch-size", type=int, default=128, help="words per char-LM step (default: 128)")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak one-cycle learning rate (default: 3e-3)")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (default: 1e-4)")
    parser.add_argument("--hidden-size", type=int, default=256, help="LSTM hidden units (default: 256)")
    parser.add_argument(
        "--lm-alpha", type=float, default=0.5, help="char-LM words drawn in proportion to count**alpha (default: 0.5)"
    )
    parser.add_argument(
        "--typo-alpha", type=float, default=0.6, help="typo words drawn in proportion to count**alpha (default: 0.6)"
    )
    parser.add_argument(
        "--edit-pairs", type=int, default=60000, help="synthetic typos for the edit table (default: 60000)"
    )
    parser.add_argument(
        "--ranker-pairs", type=int, default=15000, help="synthetic typos for the ranker (default: 15000)"
    )
    parser.add_argument("--dev-pairs", type=int, default=3000, help="held-out synthetic typos (default: 3000)")
    parser.add_argument("--min-rule-count", type=int, default=3, help="sightings to keep a wide rule (default: 3)")
    parser.add_argument("--smoothing", type=float, default=0.5, help="pseudo-count of single edits (default: 0.5)")
    parser.add_argument("--l2", type=float, default=1e-4, help="ranker weight penalty (default: 1e-4)")
    parser.add_argument(
        "--heldout-fraction", type=float, default=0.03, help="word types held out for LM and dev (default: 0.03)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    parser.add_argument(
        "--data", default=None, help="data folder holding spelling/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    parser.add_argument(
        "--no-wikipedia", action="store_true", help="skip the Wikipedia-list metrics (no download) (default: off)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="weights folder (default: weights/, or a temp folder with --dry-run)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="a few steps of each stage, as a smoke test (default: off)"
    )
    return parser.parse_args(argv)


def split_words(words: list[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train ids, held-out ids): held-out word types serve the LM perplexity and the dev typos."""
    rng = np.random.default_rng(seed)
    heldout = rng.random(len(words)) < fraction
    return np.flatnonzero(~heldout), np.flatnonzero(heldout)


def dev_pairs(words: list[str], counts: np.ndarray, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The held-out synthetic typos: the same every time for the same arguments (the tests rebuild them)."""
    _, heldout = split_words(words, args.heldout_fraction, args.seed)
    return make_typo_pairs([words[i] for i in heldout], counts[heldout], args.dev_pairs, args.seed + 2, args.typo_alpha)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.dry_run:
        args.lm_steps, args.edit_pairs, args.ranker_pairs, args.dev_pairs = 20, 2000, 300, 200
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="speller-dry-")) if args.dry_run else checkpoint.WEIGHTS_DIR)
    started = time.time()

    words, counts, dictionary = load_dictionary()
    train_ids, heldout_ids = split_words(words, args.heldout_fraction, args.seed)
    train_words, heldout_words = [words[i] for i in train_ids], [words[i] for i in heldout_ids]
    lexicon = "\n".join(words).encode("utf-8")

    edit_pairs = make_typo_pairs(train_words, counts[train_ids], args.edit_pairs, args.seed, args.typo_alpha)
    ranker_pairs = make_typo_pairs(train_words, counts[train_ids], args.ranker_pairs, args.seed + 1, args.typo_alpha)
    dev = dev_pairs(words, counts, args)
    beta, alpha, cost, edit_summary = estimate_edit_table(edit_pairs, args.min_rule_count, args.smoothing)

    config = SpellerConfig(
        hidden_size=args.hidden_size,
        lexicon_size=len(words),
        lexicon_bytes=len(lexicon),
        edit_entries=len(cost),
    )
    model = Speller(config)
    history = train_char_lm(model, train_words, counts[train_ids], args)
    perplexity = char_perplexity(model, heldout_words)
    print(f"char LM: held-out per-symbol perplexity {perplexity:.3f}", flush=True)

    with torch.no_grad():
        model.lexicon_utf8.copy_(torch.frombuffer(bytearray(lexicon), dtype=torch.uint8))
        model.lexicon_counts.copy_(torch.from_numpy(counts))
        model.lexicon_char_lm.copy_(torch.from_numpy(model.word_log_probs(words)))
        model.edit_beta.copy_(torch.from_numpy(beta))
        model.edit_alpha.copy_(torch.from_numpy(alpha))
        model.edit_cost.copy_(torch.from_numpy(cost))
    features, groups, targets = ranker_data(SpellingCorrector(model), ranker_pairs)
    weights = fit_ranker(features, groups, targets, args.l2)
    with torch.no_grad():
        model.ranker_weight.copy_(torch.from_numpy(weights))
    print("ranker weights", dict(zip(RANKER_FEATURES, np.round(weights, 4).tolist(), strict=True)), flush=True)

    speller = SpellingCorrector(model)
    dev_result = speller_eval.evaluate_pairs(speller, dev)
    metrics = {
        "dev_top1": dev_result["accuracy"],
        "dev_top3": dev_result["top3"],
        "dev_n": dev_result["n"],
        "char_lm_perplexity": round(perplexity, 4),
        "char_lm_heldout_words": len(heldout_words),
    }
    if not args.no_wikipedia:
        for split in ("dev", "test"):
            pairs = speller_eval.wikipedia_pairs(split, args.data)
            result = speller_eval.evaluate_pairs(speller, pairs[:200] if args.dry_run else pairs)
            metrics |= {f"wikipedia_{split}_top1": result["accuracy"], f"wikipedia_{split}_top3": result["top3"]}
            metrics[f"wikipedia_{split}_n"] = result["n"]
    norvig = {}
    for path in speller_eval.norvig_paths(args.data):
        if path.exists():
            result = speller_eval.main_json(path, speller)
            norvig[path.stem] = {k: result[k] for k in ("accuracy", "top3", "n", "data_sha256")}
            metrics |= {f"{path.stem}_top1": result["accuracy"], f"{path.stem}_top3": result["top3"]}
    print(metrics, flush=True)

    manifest = {
        "metrics": metrics,
        "metric_notes": {
            "dev": "synthetic typos of word types held out from the LM, the edit table and the ranker",
            "wikipedia_dev": "real misspellings; the half used to choose settings (see training.speller_eval)",
            "wikipedia_test": "real misspellings; the other half, reported only",
            "spell-testset": "Norvig's test sets, computed after training, reported only, never tuned on",
        },
        "score": "posterior probability of the candidate among those within OSA distance 2",
        "parameters": count_parameters(model),
        "ranker_weights": dict(zip(RANKER_FEATURES, np.round(weights, 5).tolist(), strict=True)),
        "edit_table": edit_summary,
        "history": history,
        "training": {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "typo_mix": asdict(TypoMix()),
            "synthetic_pairs": {
                "edit_table": len(edit_pairs),
                "ranker": len(ranker_pairs),
                "ranker_used": len(targets),
            },
        },
        "data": {
            "dictionary": dictionary,
            "dev_pairs_sha256": hashlib.sha256("\n".join(f"{t}\t{w}" for t, w in dev).encode()).hexdigest(),
            "norvig": norvig,
            "wikipedia_sdist_sha256": None if args.no_wikipedia else speller_eval.WIKIPEDIA_SHA256,
        },
        "command": "python -m training.train_speller " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "evaluate_command": "python -m training.speller_eval --wikipedia",
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "train_seconds": round(time.time() - started, 1),
    }
    checkpoint.save("speller", model, config, manifest, out_dir)
    print(f"wrote {out_dir}/speller.pt and speller.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
