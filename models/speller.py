"""A spelling corrector around a character-level LSTM, which doubles as a language model of English words.

The LSTM reads a word as `^word$` and predicts each next character, so it serves two roles:
(a) a character language model, P(next letter | prefix), which the app charts letter by letter;
(b) inside the corrector, its log-probability of each candidate word is one of the ranking features.

Correcting a word w (a noisy-channel corrector with a learned combination of scores):
1. Candidates: dictionary words within OSA distance 2 of w (optimal string alignment, the restricted
   Damerau-Levenshtein distance: insert, delete, substitute, swap two neighbours). A SymSpell-style
   index of deletions from each word's first letters finds them; every hit is verified exactly.
2. Channel: -log P(w | c), a learned table of edit operations alpha -> beta with |alpha|, |beta| <= 2,
   word boundaries ^ and $ included (after Brill and Moore, 2000), estimated from synthetic typos.
   The cheapest segmentation of each candidate is found by one dynamic programme vectorised over all
   candidates at once.
3. Rank: a learned linear score of [channel, word frequency, char-LM log-probability, distance, ...],
   turned into a probability over the candidates by a softmax. A suggestion's `score` is that
   posterior probability, in [0, 1]; a word already in the dictionary is always returned first.

Everything the corrector needs (LSTM, word list with frequencies, edit table, ranker weights) is
stored as tensors in weights/speller.pt beside its manifest weights/speller.json. The loaded
`Speller` is read-only: every function returns fresh results, so one cached copy serves all threads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from models import checkpoint

# Symbol codes shared by the LSTM and the edit table. OTHER stands for any character outside the
# alphabet (a digit, an accented letter), which no dictionary word contains.
PAD, BOS, EOS, OTHER, APOSTROPHE = 0, 1, 2, 3, 4
LETTERS = "abcdefghijklmnopqrstuvwxyz"
SYMBOLS = ("", "^", "$", "?", "'", *LETTERS)  # code -> text
VOCAB_SIZE = len(SYMBOLS)
_CODE = {symbol: code for code, symbol in enumerate(SYMBOLS) if symbol}
LETTER_CODES = tuple(_CODE[ch] for ch in LETTERS)
# What the chart shows at each position: the next letter, or "$" for the end of the word.
CHART_SYMBOLS = (*LETTERS, "$")
_CHART_CODES = np.array([_CODE[ch] for ch in CHART_SYMBOLS])

# Edit-table segments of 0, 1 or 2 symbols, numbered "" = 0, x = 1 + x, xy = 1 + V + x * V + y.
NUM_SEGMENTS = 1 + VOCAB_SIZE + VOCAB_SIZE * VOCAB_SIZE
NO_SEGMENT = NUM_SEGMENTS  # row and column of +inf in every cost matrix: "no such operation"

MAX_DISTANCE = 2
# Words longer than this get no candidates: no dictionary word is longer than 28 letters, and the
# dynamic programme's cost grows with the length.
MAX_WORD_LENGTH = 32
# Index hits checked at most, the most frequent words first: bounds the time for very short words.
MAX_RAW_HITS = 3000
# Candidates ranked at most: all at distance 1 first, then the most frequent at distance 2.
MAX_RANKED = 100
SPELLING_NAME = "speller"
RANKER_FEATURES = ("channel", "log_frequency", "char_lm", "distance", "first_letter_changed", "length_change")


def encode(word: str, markers: bool = True) -> list[int]:
    codes = [_CODE.get(ch, OTHER) for ch in word.replace("\u2019", "'")]
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


def segment_text(code: int) -> str:
    if code == 0:
        return ""
    if code <= VOCAB_SIZE:
        return SYMBOLS[code - 1]
    first, second = divmod(code - 1 - VOCAB_SIZE, VOCAB_SIZE)
    return SYMBOLS[first] + SYMBOLS[second]


# ---------------------------------------------------------------------------------------------
# Edit distance and the alignment dynamic programme


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
    neighbouring characters, each costing 1, no substring edited twice. The plain reference."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


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


def unit_cost_matrix() -> np.ndarray:
    """Costs that make alignment_costs the OSA distance (markers and padding never edited)."""
    cost = np.full((NUM_SEGMENTS + 1, NUM_SEGMENTS + 1), np.inf, dtype=np.float32)
    editable = [OTHER, APOSTROPHE, *LETTER_CODES]
    for code in (BOS, EOS, *editable):
        cost[1 + code, 1 + code] = 0.0
    for x in editable:
        cost[0, 1 + x] = 1.0  # deletion
        cost[1 + x, 0] = 1.0  # insertion
        for y in editable:
            if x != y:
                cost[1 + y, 1 + x] = 1.0  # substitution
                cost[1 + VOCAB_SIZE + y * VOCAB_SIZE + x, 1 + VOCAB_SIZE + x * VOCAB_SIZE + y] = 1.0  # swap
    return cost


UNIT_COST = unit_cost_matrix()
UNIT_COST.flags.writeable = False


def pad_codes(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Words -> (K, N) uint8 codes with markers, PAD-padded, and (K,) lengths with markers."""
    encoded = [encode(word) for word in words]
    lengths = np.array([len(codes) for codes in encoded], dtype=np.int64)
    matrix = np.zeros((len(words), int(lengths.max(initial=2))), dtype=np.uint8)
    for row, codes in enumerate(encoded):
        matrix[row, : len(codes)] = codes
    return matrix, lengths


def osa_distances(query: Sequence[int], candidates: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """OSA distance from the query to each candidate, all at once: the unit-cost special case of
    alignment_costs, done with comparisons instead of table look-ups, which is several times faster.

    query: (M,) codes; candidates: (K, N) codes, padded; lengths: (K,). Markers may be included on
    both sides or on neither. Returns (K,) int64.
    """
    query = np.asarray(query)
    n_candidates, n_rows = candidates.shape
    n_cols = len(query)
    same = candidates.T[:, None, :] == query[None, :, None]  # (N, M, K): candidate symbol j == query symbol i
    steps = np.arange(n_cols + 1, dtype=np.int16)[:, None]  # (M + 1, 1)
    previous = np.broadcast_to(steps, (n_cols + 1, n_candidates)).astype(np.int16)  # row 0: (M + 1, K)
    before_previous = previous
    result = np.where(lengths == 0, n_cols, 0).astype(np.int64)
    for j in range(1, n_rows + 1):
        row = np.empty_like(previous)
        row[0] = j
        np.minimum(previous[1:] + 1, previous[:-1] + ~same[j - 1], out=row[1:])  # deletion; match or substitution
        if j >= 2 and n_cols >= 2:
            swapped = same[j - 1, :-1] & same[j - 2, 1:] & ~same[j - 1, 1:]  # (M - 1, K)
            row[2:] = np.where(swapped, np.minimum(row[2:], before_previous[:-2] + 1), row[2:])
        # Insertions chain along the row: row[i] = min over i' <= i of row[i'] + (i - i').
        row = np.minimum.accumulate(row - steps, axis=0) + steps
        result = np.where(lengths == j, row[n_cols], result)
        before_previous, previous = previous, row
    return result


# ---------------------------------------------------------------------------------------------
# SymSpell-style candidate index


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

    def __init__(self, words: Sequence[str], max_distance: int = MAX_DISTANCE, prefix_length: int = 7):
        self.words = list(words)
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
        lengths = self.lengths[ids]
        distances = osa_distances(encode(query), self.codes[ids, : lengths.max()], lengths)
        keep = distances <= self.max_distance
        return ids[keep], distances[keep]


# ---------------------------------------------------------------------------------------------
# The model: character LSTM plus the corrector's tables, all as tensors


@dataclass(frozen=True)
class SpellerConfig:
    embed_dim: int = 32
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.1
    vocab_size: int = VOCAB_SIZE
    # Sizes of the data tensors, so checkpoint.load can build empty buffers before loading them.
    lexicon_size: int = 0  # words in the dictionary
    lexicon_bytes: int = 0  # length of the newline-joined word list in UTF-8
    edit_entries: int = 0  # rows of the learned edit table
    ranker_features: tuple[str, ...] = RANKER_FEATURES
    max_distance: int = MAX_DISTANCE
    prefix_length: int = 7


@dataclass
class CharLMOutput:
    logits: torch.Tensor  # (B, T, V): scores for the symbol after each position
    hidden: torch.Tensor  # (B, T, H): the top LSTM layer's output after reading each symbol


class Speller(nn.Module):
    def __init__(self, config: SpellerConfig | None = None):
        super().__init__()
        self.config = c = config or SpellerConfig()
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD)
        self.rnn = nn.LSTM(
            c.embed_dim, c.hidden_size, c.num_layers, batch_first=True, dropout=c.dropout if c.num_layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)
        # Corrector tables. Buffers, not parameters: they are estimated by counting, not by gradients.
        self.register_buffer("lexicon_utf8", torch.zeros(c.lexicon_bytes, dtype=torch.uint8))
        self.register_buffer("lexicon_counts", torch.zeros(c.lexicon_size, dtype=torch.int64))
        self.register_buffer("lexicon_char_lm", torch.zeros(c.lexicon_size, dtype=torch.float32))  # log P(word)
        self.register_buffer("edit_beta", torch.zeros(c.edit_entries, dtype=torch.int64))  # typo segment
        self.register_buffer("edit_alpha", torch.zeros(c.edit_entries, dtype=torch.int64))  # candidate segment
        self.register_buffer("edit_cost", torch.zeros(c.edit_entries, dtype=torch.float32))  # -log P(beta | alpha)
        self.register_buffer("ranker_weight", torch.zeros(len(c.ranker_features), dtype=torch.float32))

    def forward(self, codes: torch.Tensor) -> CharLMOutput:
        """codes: (B, T) symbol codes starting with BOS."""
        embedded = self.dropout(self.embed(codes))  # (B, T, E)
        hidden, _ = self.rnn(embedded)  # (B, T, H)
        return CharLMOutput(logits=self.head(self.dropout(hidden)), hidden=hidden)

    def word_log_probs(self, words: Sequence[str], batch_size: int = 2048) -> np.ndarray:
        """log P(^word$) under the character LM, for each word: (len(words),) float32."""
        out = []
        with torch.inference_mode():
            for start in range(0, len(words), batch_size):
                codes, lengths = pad_codes(words[start : start + batch_size])
                codes_t = torch.from_numpy(codes.astype(np.int64))  # (B, N)
                logp = self(codes_t[:, :-1]).logits.log_softmax(-1)  # (B, N - 1, V)
                picked = logp.gather(-1, codes_t[:, 1:, None])[..., 0]  # (B, N - 1)
                mask = torch.arange(codes.shape[1] - 1)[None] < torch.from_numpy(lengths - 1)[:, None]
                out.append((picked * mask).sum(-1).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def edit_cost_matrix(beta: np.ndarray, alpha: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """The sparse learned table as the dense (NUM_SEGMENTS + 1)^2 matrix alignment_costs reads."""
    dense = np.full((NUM_SEGMENTS + 1, NUM_SEGMENTS + 1), np.inf, dtype=np.float32)
    dense[beta, alpha] = cost
    for marker in (BOS, EOS):
        dense[1 + marker, 1 + marker] = 0.0
    return dense


# ---------------------------------------------------------------------------------------------
# Loading and the public API


@dataclass(frozen=True)
class Suggestion:
    word: str
    score: float  # posterior probability among the candidates considered, in [0, 1]


@dataclass(frozen=True)
class Flag:
    start: int  # text[start:end] is the flagged word
    end: int
    word: str
    suggestions: list[Suggestion]


class SpellingCorrector:
    """The loaded corrector: the LSTM plus lookup structures built once. Read-only after __init__."""

    def __init__(self, model: Speller):
        self.model = model
        self.config = model.config
        self.words: list[str] = bytes(model.lexicon_utf8.numpy()).decode("utf-8").split("\n")
        if len(self.words) != len(model.lexicon_counts):
            raise ValueError("the word list and its counts differ in length")
        self.word_ids = {word: i for i, word in enumerate(self.words)}
        counts = model.lexicon_counts.numpy().astype(np.float64)
        self.log_frequency = np.log(counts / counts.sum()).astype(np.float32)  # (W,)
        self.char_lm = model.lexicon_char_lm.numpy().copy()  # (W,)
        self.channel_cost = edit_cost_matrix(model.edit_beta.numpy(), model.edit_alpha.numpy(), model.edit_cost.numpy())
        self.ranker_weight = model.ranker_weight.numpy().astype(np.float32).copy()  # (F,)
        self.index = DeleteIndex(self.words, self.config.max_distance, self.config.prefix_length)
        for array in (self.log_frequency, self.char_lm, self.channel_cost, self.ranker_weight):
            array.flags.writeable = False

    def known(self, word: str) -> bool:
        return word in self.word_ids


def load_speller(weights_dir: Path | None = None) -> tuple[SpellingCorrector, dict]:
    """Returns (corrector, manifest); raises checkpoint.WeightsError with the rebuild command."""
    model, manifest = checkpoint.load(SPELLING_NAME, Speller, SpellerConfig, weights_dir)
    return SpellingCorrector(model), manifest


def candidates(speller: SpellingCorrector, word: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, OSA distances, ranking features (K, F)) of the dictionary words within the edit distance."""
    if not word or len(word) > MAX_WORD_LENGTH:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, len(RANKER_FEATURES)))
    ids, distances = speller.index.lookup(word)
    if not len(ids):
        return ids, distances, np.zeros((0, len(RANKER_FEATURES)), dtype=np.float32)
    if len(ids) > MAX_RANKED:
        # Short words have hundreds of candidates: keep those at distance 1 and the commonest others.
        keep = np.argsort(distances * 1e6 + np.arange(len(ids)), kind="stable")[:MAX_RANKED]
        ids, distances = ids[np.sort(keep)], distances[np.sort(keep)]
    lengths = speller.index.lengths[ids]
    channel = alignment_costs(speller.channel_cost, encode(word), speller.index.codes[ids, : lengths.max()], lengths)
    first = encode(word[:1], markers=False)
    features = np.stack(
        [
            -channel[0],  # log P(word | candidate) under the learned edit table
            speller.log_frequency[ids],
            speller.char_lm[ids],
            distances.astype(np.float32),
            (speller.index.codes[ids, 1] != (first[0] if first else PAD)).astype(np.float32),
            np.abs(lengths - (len(word) + 2)).astype(np.float32),
        ],
        axis=1,
    )
    # A typo that no learned operation explains still deserves a (low) rank, not -inf.
    return ids, distances, np.nan_to_num(features, neginf=-50.0).astype(np.float32)


def rank(speller: SpellingCorrector, word: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, posterior probabilities) of all candidates of a lower-case word, best first."""
    ids, _, features = candidates(speller, word)
    if not len(ids):
        return ids, np.zeros(0, dtype=np.float32)
    logits = features @ speller.ranker_weight  # (K,)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    return ids[order], probs[order]


def suggest(speller: SpellingCorrector, word: str, k: int = 5) -> list[Suggestion]:
    """Up to k corrections of one word, best first, lower-case (see correct_text for casing).

    score: the ranker's posterior probability among the candidates within edit distance 2. A word
    already in the dictionary comes first whatever its score.
    """
    lowered = word.strip().lower().replace("\u2019", "'")
    ids, probs = rank(speller, lowered)
    suggestions = [Suggestion(speller.words[i], round(float(p), 6)) for i, p in zip(ids, probs, strict=True)]
    if speller.known(lowered):
        own = next((s for s in suggestions if s.word == lowered), Suggestion(lowered, 1.0))
        suggestions = [own] + [s for s in suggestions if s.word != lowered]
    return suggestions[:k]


def next_letter_distributions(speller: SpellingCorrector, word: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """For charting the character LM on `word` (lower-cased).

    Returns (symbols, probs, hidden): symbols are the 26 letters and "$" (end of word); probs
    (len(word) + 1, 27) where row t is P(next symbol | ^ + word[:t]), renormalised over those 27;
    hidden (len(word) + 1, H) is the LSTM's output after reading ^ + word[:t].
    """
    codes = torch.tensor([[BOS, *encode(word.lower(), markers=False)]])  # (1, T)
    with torch.inference_mode():
        out = speller.model(codes)
        probs = out.logits[0][:, torch.from_numpy(_CHART_CODES)].softmax(-1)  # (T, 27)
        return list(CHART_SYMBOLS), probs.numpy().copy(), out.hidden[0].numpy().copy()


# ---------------------------------------------------------------------------------------------
# Running text

_URL = r"(?:https?://|ftp://|www\.)[^\s<>\"]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|co|uk|de|fr|info)\b\S*"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_WORD = r"[^\W_]+(?:['\u2019][^\W_]+)*"  # letters and digits, with apostrophes inside (don't, O'Neill)
_TOKEN = re.compile(rf"(?P<email>{_EMAIL})|(?P<url>{_URL})|(?P<word>{_WORD})", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
# Endings after an apostrophe that join two words: do+n't, it+'s, we+'re, I+'ve, she+'ll, he+'d, I+'m.
CLITICS = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "'")
# Stems that change before n't: can't, won't, shan't, ain't.
NOT_STEMS = frozenset({"ca", "wo", "sha", "ai"})
# All-capital tokens this short that are not words are taken for acronyms (NASA, UNESCO).
ACRONYM_MAX = 6
# A capitalised unknown word opening a sentence is flagged only if the best correction is this sure:
# anywhere else it is taken for a name.
CAPITALISED_MIN_SCORE = 0.5


def tokens(text: str) -> Iterable[tuple[int, int, str, str]]:
    """(start, end, kind, text) for each e-mail, URL and word, with character offsets."""
    for match in _TOKEN.finditer(text):
        yield match.start(), match.end(), match.lastgroup, match.group()


def _casing(token: str) -> str:
    letters = [ch for ch in token if ch.isalpha()]
    if all(ch.islower() for ch in letters):
        return "lower"
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return "upper"
    if letters[0].isupper() and all(ch.islower() for ch in letters[1:]):
        return "capitalised"
    return "mixed"


def apply_case(word: str, casing: str) -> str:
    if casing == "upper":
        return word.upper()
    if casing == "capitalised":
        return word[:1].upper() + word[1:]
    return word


def _opens_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 200) : start]
    head = before.rstrip(" \t\"'([\u201c\u2018")
    return not head or head[-1] in ".!?:;\n" or "\n" in before[len(head) :]


def _known_with_clitic(speller: SpellingCorrector, lowered: str) -> bool:
    if speller.known(lowered):
        return True
    for clitic in CLITICS:
        if lowered.endswith(clitic) and len(lowered) > len(clitic):
            stem = lowered[: -len(clitic)]
            if speller.known(stem) or (clitic == "n't" and stem in NOT_STEMS):
                return True
    return False


def _split_clitic(lowered: str) -> tuple[str, str]:
    for clitic in CLITICS:
        if lowered.endswith(clitic) and len(lowered) > len(clitic) + 1:
            return lowered[: -len(clitic)], clitic
    return lowered, ""


def correct_text(
    speller: SpellingCorrector, text: str, protected_spans: Iterable[tuple[int, int]] = (), k: int = 5
) -> list[Flag]:
    """Flag the misspelt words of a paragraph, with suggestions in the word's own casing.

    Left alone: words with digits, URLs, e-mail addresses, words with letters outside a-z (other
    scripts, accents), mixed-case words (iPhone), short all-capital acronyms, any token overlapping a
    protected span (e.g. the named entities found by the NER tagger), and capitalised unknown words
    inside a sentence, which are most likely names. Known words with a clitic (don't, it's) are fine.
    """
    protected = sorted((int(s), int(e)) for s, e in protected_spans)
    flags = []
    for start, end, kind, token in tokens(text):
        if kind != "word" or not _LATIN_WORD.fullmatch(token) or len(token) < 2:
            continue
        if any(s < end and start < e for s, e in protected):
            continue
        casing = _casing(token)
        lowered = token.lower().replace("\u2019", "'")
        if casing == "mixed" or _known_with_clitic(speller, lowered):
            continue
        if casing == "upper" and len(token) <= ACRONYM_MAX:
            continue
        sentence_start = _opens_sentence(text, start)
        if casing == "capitalised" and ("'" in lowered or not sentence_start):
            continue  # O'Neill, Roosevelt: likely names
        stem, clitic = _split_clitic(lowered)
        found = suggest(speller, stem, k)
        if casing == "capitalised" and (not found or found[0].score < CAPITALISED_MIN_SCORE):
            continue
        suggestions = [Suggestion(apply_case(s.word + clitic, casing), s.score) for s in found]
        flags.append(Flag(start, end, token, suggestions))
    return flags


def cli_json(word: str, k: int = 5, top_letters: int = 5) -> dict:
    """What `python -m models speller WORD` prints: suggestions and the char-LM's next letters."""
    speller, manifest = load_speller()
    lowered = word.lower()
    symbols, probs, _ = next_letter_distributions(speller, lowered)
    next_letter = []
    for position, row in enumerate(probs):
        best = np.argsort(-row)[:top_letters]
        next_letter.append(
            {
                "prefix": lowered[:position],
                "actual": lowered[position] if position < len(lowered) else "$",
                "top": [{"letter": symbols[i], "prob": round(float(row[i]), 4)} for i in best],
            }
        )
    return {
        "word": word,
        "known": speller.known(lowered),
        "suggestions": [{"word": s.word, "score": s.score} for s in suggest(speller, word, k)],
        "next_letter": next_letter,
        "score": "posterior probability among the candidates within edit distance 2",
        "dev_accuracy": manifest.get("metrics", {}).get("dev_top1"),
    }
