"""The `SpellingCorrector`: which words it checks, and their candidates with the edit model's features and frequency.

The loaded `SpellingCorrector` holds the model and the lookup structures built from it once; it is
read-only after __init__, so one cached copy serves every thread. A `Check` is one word of one text,
with its candidates, and for an unknown word its splits into two known words; a `Join` is two known words
that make one. The context model's scores are added to both by reading.py.

Left alone: words with digits, URLs, e-mail addresses, words with letters outside a-z (other scripts,
accents), handles, hashtags and identifiers (a word glued to @, #, _ or /, or after a lone @ or #),
mixed-case words (iPhone), short all-capital acronyms, any token overlapping a protected span
(the named entities the tagger found), capitalised words inside a sentence (names), and all-capital
real words (headlines). A real word's British or American spelling is never among its candidates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.speller.alignment import alignment_costs, edit_cost_matrix, osa_distance
from models.speller.alphabet import LETTER_CODES, PAD, encode, normalise_apostrophes
from models.speller.context import UNKNOWN_ID, WordVocab
from models.speller.index import DeleteIndex
from models.speller.model import Speller, load_model
from models.speller.text import ACRONYM_MAX, LATIN_WORD, Token, casing, known_with_clitic, split_clitic, tokenize
from models.speller.variants import variant_key

# Words longer than this get no candidates: no dictionary word is longer than 28 letters, and the
# dynamic programme's cost grows with the length.
MAX_WORD_LENGTH = 32
# Candidates ranked at most: all at distance 1 first, then the most frequent at distance 2.
MAX_RANKED = 100
# Words whose candidates are kept once found: at most about 4 KB each, so at most about 20 MB.
CANDIDATE_CACHE = 5_000
# The only one-letter words a split or a join may make or use.
ONE_LETTER_WORDS = frozenset({"a", "i"})


@dataclass
class Check:
    """One word the corrector looks at, with its candidates; for a real word, candidate 0 is the word."""

    token_index: int
    token: Token
    stem: str  # lower-case word without its clitic
    clitic: str
    case: str
    real_word: bool
    ids: np.ndarray  # (K,) dictionary ids
    features: np.ndarray  # (K, F): context features from the words just next to it
    window: Window | None = None  # a real word read in the sentence, with its best rivals
    screened_out: bool = False  # a real word whose rivals fell too far short to be read at all
    # An unknown word's splits into two known words (brokedown: broke down), as pairs of dictionary ids, with
    # their features; their rows follow those of `ids`: row len(ids) + s is splits[s].
    splits: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))  # (S, 2)
    split_features: np.ndarray | None = None  # (S, F)

    def n_rows(self) -> int:
        return len(self.ids) + len(self.splits)

    def all_features(self) -> np.ndarray:
        """(K + S, F): the candidates' features, then the splits'."""
        if not len(self.splits):
            return self.features
        return np.concatenate([self.features, self.split_features])


@dataclass
class Join:
    """Two known words typed apart that make one known word (every one: everyone), to be read in the sentence."""

    first: int  # token indices of the two words
    second: int
    case: str  # the first word's case, which the joined word takes
    typed_ids: tuple[int, int]  # dictionary ids of the two words
    joined_id: int
    features: np.ndarray  # (2, F): row 0 the two words as typed, row 1 the joined word


@dataclass
class Window:
    """A real word and its best rivals, each read in the sentence in its place."""

    rows: np.ndarray  # (R,) rows of Check.ids; row 0 is the typed word
    features: np.ndarray  # (R, F): context features over the candidate and the words around it


class SpellingCorrector:
    """The loaded corrector: the model plus lookup structures built once. Read-only after __init__."""

    def __init__(self, model: Speller):
        self.model = model
        self.config = c = model.config
        self.words: list[str] = bytes(model.lexicon_utf8.numpy()).decode("utf-8").split("\n")
        if len(self.words) != len(model.lexicon_counts):
            raise ValueError("the word list and its counts differ in length")
        self.word_ids = {word: i for i, word in enumerate(self.words)}
        counts = model.lexicon_counts.numpy().astype(np.float64)
        self.log_frequency = np.log(counts / counts.sum()).astype(np.float32)  # (W,)
        self.sounds = model.lexicon_sounds.numpy().copy()  # (W, P) pronunciation numbers, -1 for none
        # The words of each pronunciation number n: _sound_words[_sound_starts[n] : _sound_starts[n + 1]].
        flat = self.sounds.reshape(-1)
        heard = np.flatnonzero(flat >= 0)
        heard = heard[np.argsort(flat[heard], kind="stable")]
        self._sound_words = (heard // self.sounds.shape[1]).astype(np.int64)
        self._sound_starts = np.searchsorted(flat[heard], np.arange(flat.max(initial=-1) + 2))
        self.channel_cost = edit_cost_matrix(model.edit_beta.numpy(), model.edit_alpha.numpy(), model.edit_cost.numpy())
        self.index = DeleteIndex(self.words, c.max_distance, c.prefix_length)
        self.vocab = WordVocab(bytes(model.context_vocab_utf8.numpy()).decode("utf-8").split("\n"))
        self.context_ids = np.array([self.vocab.ids.get(w, UNKNOWN_ID) for w in self.words], dtype=np.int64)  # (W,)
        self.in_context = self.context_ids != UNKNOWN_ID
        # Vocabulary entries that are words (not punctuation or the special symbols), for showing expectations.
        self.vocab_word_ids = torch.tensor([i for i, w in enumerate(self.vocab.words) if w[:1].isalpha()])
        # A word outside the context vocabulary gets P(<unk> | context) times its share of the unknowns.
        outside = counts[~self.in_context].sum()
        self.unknown_share = np.where(self.in_context, 0.0, np.log(counts / max(outside, 1.0))).astype(np.float32)
        self.feature = {name: i for i, name in enumerate(c.ranker_features)}
        # weights[mode][kind]: (F,)
        self.weights = {
            mode: {kind: model.ranker_weight[i, j].numpy().copy() for j, kind in enumerate(c.kinds)}
            for i, mode in enumerate(c.modes)
        }
        self.margins = {mode: float(model.real_word_margin[i]) for i, mode in enumerate(c.modes)}
        self.screens = {mode: float(model.real_word_screen[i]) for i, mode in enumerate(c.modes)}
        # The edit table has no space: a space left out (a split: brokedown) or put in (a join: every one) costs
        # what the table's median letter left out does.
        self.space_cost = float(np.median(self.channel_cost[0, 1 + np.array(LETTER_CODES)]))
        # Each word's place in the dictionary by frequency, 0 the commonest.
        rank = np.empty(len(self.words), dtype=np.int64)
        rank[np.argsort(-counts, kind="stable")] = np.arange(len(self.words))
        self.frequency_rank = rank
        arrays = [self.log_frequency, self.sounds, self._sound_words, self._sound_starts, self.channel_cost]
        arrays += [self.context_ids, self.in_context]
        arrays += [self.unknown_share, self.frequency_rank]
        for array in arrays + [w for by_kind in self.weights.values() for w in by_kind.values()]:
            array.flags.writeable = False
        # A word's candidates and their edit and frequency features do not depend on the text around it, and
        # running text repeats its words: a bounded memo of a pure function (lru_cache is thread-safe). Its
        # arrays are read-only; candidates() hands out copies.
        self.word_candidates = functools.lru_cache(maxsize=CANDIDATE_CACHE)(functools.partial(_word_candidates, self))

    def known(self, word: str) -> bool:
        return word in self.word_ids

    def homophones(self, word_id: int) -> np.ndarray:
        """Ids of the words that share a pronunciation with word_id, itself included."""
        starts, words = self._sound_starts, self._sound_words
        found = [words[starts[n] : starts[n + 1]] for n in self.sounds[word_id] if n >= 0]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def load_speller(weights_dir: Path | None = None) -> tuple[SpellingCorrector, dict]:
    """Returns (corrector, manifest); raises checkpoint.WeightsError with the rebuild command."""
    model, manifest = load_model(weights_dir)
    return SpellingCorrector(model), manifest


# ---------------------------------------------------------------------------------------------
# Candidates and their features


def candidates(speller: SpellingCorrector, word: str, real_word: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(ids, features (K, F)) of the candidates for a lower-case word, context features still zero: a copy
    the caller may fill in."""
    ids, features = speller.word_candidates(word, real_word)
    return ids, features.copy()


def _word_candidates(speller: SpellingCorrector, word: str, real_word: bool) -> tuple[np.ndarray, np.ndarray]:
    """Read-only (ids, features) of a word's candidates (see candidates).

    For a word not in the dictionary: every dictionary word within the edit distance. For a real word:
    the word itself first, then the words that sound like it and those within the edit distance, of the
    words the context model knows.
    """
    n_features = len(speller.config.ranker_features)
    if not word or len(word) > MAX_WORD_LENGTH:
        return np.zeros(0, dtype=np.int64), np.zeros((0, n_features), dtype=np.float32)
    ids, distances = speller.index.lookup(word)
    if real_word:
        own = speller.word_ids[word]
        keep = speller.in_context[ids] & (ids != own)
        ids, distances = ids[keep], distances[keep]
        # Words that sound the same are candidates however they are spelt (through, threw).
        sound_alike = np.setdiff1d(speller.homophones(own), np.append(ids, own))
        sound_alike = sound_alike[speller.in_context[sound_alike]]
        far = np.array([osa_distance(word, speller.words[i]) for i in sound_alike], dtype=np.int64)
        ids, distances = np.concatenate([[own], sound_alike, ids]), np.concatenate([[0], far, distances])
        # The word's British or American spelling is right too, never a correction (favour, favor).
        key = variant_key(word)
        keep = np.array([i == 0 or variant_key(speller.words[w]) != key for i, w in enumerate(ids)], dtype=bool)
        ids, distances = ids[keep], distances[keep]
    if len(ids) > MAX_RANKED:
        # Short words have hundreds of candidates: keep those at distance 1 and the commonest others.
        keep = np.sort(np.argsort(distances * 1e6 + np.arange(len(ids)), kind="stable")[:MAX_RANKED])
        ids, distances = ids[keep], distances[keep]
    if not len(ids):
        return ids, np.zeros((0, n_features), dtype=np.float32)
    lengths = speller.index.lengths[ids]
    channel = alignment_costs(speller.channel_cost, encode(word), speller.index.codes[ids, : lengths.max()], lengths)
    first = encode(word[:1], markers=False)
    features = np.zeros((len(ids), n_features), dtype=np.float32)
    column = speller.feature
    features[:, column["channel"]] = -channel[0]
    features[:, column["log_frequency"]] = speller.log_frequency[ids]
    features[:, column["distance"]] = distances
    features[:, column["first_letter_changed"]] = speller.index.codes[ids, 1] != (first[0] if first else PAD)
    features[:, column["length_change"]] = np.abs(lengths - (len(word) + 2))
    own = speller.word_ids.get(word, -1)
    features[:, column["typed_word"]] = ids == own
    if own >= 0:
        typed_sounds = speller.sounds[own][speller.sounds[own] >= 0]
        features[:, column["homophone"]] = np.isin(speller.sounds[ids], typed_sounds).any(axis=1) & (ids != own)
    # A typo that no learned operation explains still deserves a (low) rank, not -inf.
    features = np.nan_to_num(features, neginf=-50.0)
    for array in (ids, features):
        array.flags.writeable = False
    return ids, features


_HANDLE_MARKS = "@#_/"


def not_prose(text: str, token: Token) -> bool:
    """Part of a handle, hashtag, identifier or path (@colgo, #auspol, matt_levinson, r/science), or the word
    after a lone @ or # (tweets tokenised for a corpus): a name someone chose, never a misspelling."""
    before = text[token.start - 1] if token.start else ""
    after = text[token.end] if token.end < len(text) else ""
    lone_mark = token.start >= 2 and text[token.start - 1] == " " and text[token.start - 2] in "@#"
    return bool(before and before in _HANDLE_MARKS) or bool(after and after in _HANDLE_MARKS) or lone_mark


def find_checks(
    speller: SpellingCorrector, text: str, protected_spans: Iterable[tuple[int, int]] = ()
) -> tuple[list[Token], list[Check]]:
    """The text's tokens, and the words to check with their candidates (context features still zero)."""
    found = tokenize(text)
    protected = sorted((int(s), int(e)) for s, e in protected_spans)
    checks = []
    for index, token in enumerate(found):
        if token.kind != "word" or not LATIN_WORD.fullmatch(token.text) or len(token.text) < 2:
            continue
        if any(s < token.end and token.start < e for s, e in protected) or not_prose(text, token):
            continue
        case = casing(token.text)
        lowered = normalise_apostrophes(token.text.lower())
        if case == "mixed" or (case == "upper" and len(token.text) <= ACRONYM_MAX):
            continue
        if case == "capitalised" and not token.opens_sentence:
            continue  # Roosevelt, O'Neill: inside a sentence, likely names
        if speller.known(lowered):
            if case == "upper":
                continue  # a headline's real words
            ids, features = candidates(speller, lowered, real_word=True)
            if len(ids) > 1:
                checks.append(Check(index, token, lowered, "", case, True, ids, features))
        elif not known_with_clitic(speller.known, lowered):
            if case == "capitalised" and "'" in lowered:
                continue
            stem, clitic = split_clitic(lowered)
            ids, features = candidates(speller, stem)
            check = Check(index, token, stem, clitic, case, False, ids, features)
            check.splits, check.split_features = split_candidates(speller, stem)
            checks.append(check)
    return found, checks


def _joinable(speller: SpellingCorrector, word: str) -> bool:
    """A word a split may make or a join may use: known to the dictionary and to the context model."""
    own = speller.word_ids.get(word, -1)
    return own >= 0 and bool(speller.in_context[own]) and (len(word) > 1 or word in ONE_LETTER_WORDS)


def split_candidates(speller: SpellingCorrector, word: str) -> tuple[np.ndarray, np.ndarray]:
    """(pairs (S, 2) of dictionary ids, features (S, F)): the ways to cut `word` into two known words, each
    scored as one edit (a space left out), as common as its rarer word at most, context features still zero."""
    cuts = range(1, len(word)) if len(word) <= MAX_WORD_LENGTH else ()
    pairs = [
        (speller.word_ids[word[:k]], speller.word_ids[word[k:]])
        for k in cuts
        if _joinable(speller, word[:k]) and _joinable(speller, word[k:])
    ]
    features = np.zeros((len(pairs), len(speller.config.ranker_features)), dtype=np.float32)
    pairs_array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    column = speller.feature
    features[:, column["channel"]] = -speller.space_cost
    features[:, column["log_frequency"]] = speller.log_frequency[pairs_array].min(axis=1) if pairs else 0.0
    features[:, column["distance"]] = 1.0
    features[:, column["length_change"]] = 1.0
    return pairs_array, features


def find_joins(
    speller: SpellingCorrector, text: str, found: list[Token], protected_spans: Iterable[tuple[int, int]] = ()
) -> list[Join]:
    """Two neighbouring lower-case known words, one space apart in one sentence, that make a known word (some
    times: sometimes); the first may open the sentence with a capital."""
    protected = sorted((int(s), int(e)) for s, e in protected_spans)
    column = speller.feature
    joins = []
    for index in range(len(found) - 1):
        first, second = found[index], found[index + 1]
        if first.kind != "word" or second.kind != "word" or first.sentence != second.sentence:
            continue
        if text[first.end : second.start] != " " or any(s < second.end and first.start < e for s, e in protected):
            continue
        if not_prose(text, first) or not_prose(text, second):
            continue
        case = casing(first.text)
        if not (case == "lower" or (case == "capitalised" and first.opens_sentence)) or casing(second.text) != "lower":
            continue
        a, b = first.text.lower(), second.text
        if not (_joinable(speller, a) and _joinable(speller, b) and _joinable(speller, a + b)):
            continue
        typed, joined = (speller.word_ids[a], speller.word_ids[b]), speller.word_ids[a + b]
        features = np.zeros((2, len(speller.config.ranker_features)), dtype=np.float32)
        features[0, column["log_frequency"]] = speller.log_frequency[list(typed)].min()
        features[0, column["typed_word"]] = 1.0
        features[1, column["channel"]] = -speller.space_cost
        features[1, column["log_frequency"]] = speller.log_frequency[joined]
        features[1, column["distance"]] = 1.0
        features[1, column["length_change"]] = 1.0
        joins.append(Join(index, index + 1, case, typed, joined, features))
    return joins
