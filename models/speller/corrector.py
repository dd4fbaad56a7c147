"""The `SpellingCorrector`: which words it checks, and their candidates with the edit model's features and frequency.

The loaded `SpellingCorrector` holds the model and the lookup structures built from it once; it is
read-only after __init__, so one cached copy serves every thread. A `Check` is one word of one text,
with its candidates, and for an unknown word its splits into two known words; a `Join` is two known words
that make one. The context model's scores are added to both by reading.py.

Left alone: words with digits, URLs, e-mail addresses, words with letters outside a-z (other scripts,
accents), handles, hashtags and identifiers (a word glued to @, #, _ or /, or after a lone @ or #),
mixed-case words (iPhone), short all-capital acronyms, all-capital real words (headlines), all-capital words
in informal text (shouting), any token overlapping a protected span (the named entities the tagger found),
capitalised words inside a sentence (names), and what register.py calls informal: the register's words (lol,
pls), elongated words (soooo), a dropped g (doin), halves of a tokenised contraction (ca n't), HTML escapes
(& lt ;), a retweet's account; and every word of a sentence in another language. A real word's British or
American spelling is never among its candidates.
"""

from __future__ import annotations

import functools
import unicodedata
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
from models.speller.register import (
    dropped_g,
    elongated,
    html_escape_name,
    informal_words,
    read_tweet_counts,
    retweeted_account,
    split_contraction,
)
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
    informal: bool = False  # in a text that reads as a tweet or a chat message (informal_text)
    casual: bool = False  # in informal text, or a text opening in lower case (opens_casually): loose grammar

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

    def __init__(self, model: Speller, tweet_counts: tuple[dict[str, tuple[int, int]], int] | None = None):
        """`tweet_counts`: register.read_tweet_counts's, for the informal words left alone; None reads the
        committed ones."""
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
        unapostrophised = {w.replace("'", "") for w in self.words if "'" in w}
        self.informal = informal_words(*(tweet_counts or read_tweet_counts()), self.book_log_frequency, unapostrophised)
        self.word_candidates = functools.lru_cache(maxsize=CANDIDATE_CACHE)(functools.partial(_word_candidates, self))

    def known(self, word: str) -> bool:
        return word in self.word_ids

    def book_log_frequency(self, word: str) -> float | None:
        """log P(word) by the dictionary's counts, None for a word it lacks."""
        own = self.word_ids.get(word)
        return None if own is None else float(self.log_frequency[own])

    def homophones(self, word_id: int) -> np.ndarray:
        """Ids of the words that share a pronunciation with word_id, itself included."""
        starts, words = self._sound_starts, self._sound_words
        found = [words[starts[n] : starts[n + 1]] for n in self.sounds[word_id] if n >= 0]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def load_speller(weights_dir: Path | None = None) -> tuple[SpellingCorrector, dict]:
    """Returns (corrector, manifest); raises checkpoint.WeightsError with the rebuild command."""
    model, manifest = load_model(weights_dir)
    return SpellingCorrector(model, read_tweet_counts(weights_dir)), manifest


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


def left_alone(text: str, token: Token) -> bool:
    """A word the corrector never checks wherever it is: part of a handle, hashtag, identifier or path, half of
    a contraction a tokeniser cut apart, the name in an HTML escape, or the account a retweet quotes."""
    return (
        not_prose(text, token)
        or split_contraction(text, token)
        or html_escape_name(text, token)
        or retweeted_account(text, token)
    )


# A sentence is taken for another language (Otak lebih aktif di malam hari; Hva skal man med badeender) when at
# least FOREIGN_MIN_WORDS of its lower-case words, and at least FOREIGN_SHARE of them, are words the dictionary
# and the informal register lack or are spelt with letters outside a-z: its words are not English words' typos,
# and its real words (di, med, man) are not English either, so none of it is checked. An English sentence
# with typos has one or two unknown words among many; chosen on dev and BTC section a (see rescore.py).
FOREIGN_MIN_WORDS = 2
FOREIGN_SHARE = 0.5


def foreign_sentences(speller: SpellingCorrector, text: str, found: list[Token]) -> set[int]:
    """The sentence numbers of the text's sentences in another language (see FOREIGN_SHARE)."""
    words: dict[int, int] = {}
    unknown: dict[int, int] = {}
    for token in found:
        if token.kind != "word" or len(token.text) < 2 or casing(token.text) != "lower":
            continue  # names, acronyms and numbers say nothing about the language
        if any(ch.isdigit() or ch == "_" for ch in token.text) or left_alone(text, token):
            continue
        lowered = normalise_apostrophes(token.text)
        english = bool(LATIN_WORD.fullmatch(token.text)) and (
            lowered in speller.informal or known_with_clitic(speller.known, lowered)
        )
        words[token.sentence] = words.get(token.sentence, 0) + 1
        unknown[token.sentence] = unknown.get(token.sentence, 0) + (not english)
    return {s for s, n in unknown.items() if n >= FOREIGN_MIN_WORDS and n >= FOREIGN_SHARE * words[s]}


# In informal text an unknown word this short or shorter is taken for an abbreviation (tbh, ffs, tmi, ppl).
INFORMAL_ABBREVIATION = 3


def informal_text(speller: SpellingCorrector, text: str, found: list[Token]) -> bool:
    """Whether the text reads as a tweet or a chat message rather than prose: it opens in lower case, or has
    a handle, hashtag or identifier, a URL, a retweet's RT, an emoji or other symbol, the pronoun i in lower
    case, an elongated word (soooo), or a word of the informal register that the dictionary lacks (lol, pls,
    thats). Book text has none: none of dev's 1,000 sentences and 9 of CoNLL test's first 1,000 have one, and
    693 of BTC section a's first 1,000 tweets. decisions.py asks more of a correction in such text."""
    if any(unicodedata.category(ch) == "So" for ch in text):
        return True
    for token in found:
        if token.kind == "url" or (token.kind == "word" and (token.text in ("RT", "i") or not_prose(text, token))):
            return True
        if token.kind != "word" or len(token.text) < 2 or casing(token.text) != "lower":
            continue
        lowered = normalise_apostrophes(token.text)
        if lowered in speller.informal and not speller.known(lowered):
            return True
        if LATIN_WORD.fullmatch(lowered) and not speller.known(lowered) and elongated(lowered, speller.known):
            return True
    return False


def opens_casually(found: list[Token]) -> bool:
    """Whether the text's first word is a lower-case word, as messages often open and prose does not (2 of
    dev's 1,000 sentences, fragments; about 30 of CoNLL test's first 1,000, fragments too; 151 of BTC section
    a's first 1,000 tweets). Such text's grammar is loose too: decisions.py asks more of a real word's rival."""
    words = [token for token in found if token.kind == "word"]
    return bool(words) and words[0].text.isalpha() and casing(words[0].text) == "lower"


def find_checks(
    speller: SpellingCorrector, text: str, protected_spans: Iterable[tuple[int, int]] = ()
) -> tuple[list[Token], list[Check]]:
    """The text's tokens, and the words to check with their candidates (context features still zero)."""
    found = tokenize(text)
    protected = sorted((int(s), int(e)) for s, e in protected_spans)
    foreign = foreign_sentences(speller, text, found)
    informal = informal_text(speller, text, found)
    casual = informal or opens_casually(found)
    checks = []
    for index, token in enumerate(found):
        if token.kind != "word" or not LATIN_WORD.fullmatch(token.text) or len(token.text) < 2:
            continue
        if any(s < token.end and token.start < e for s, e in protected) or left_alone(text, token):
            continue
        if token.sentence in foreign:
            continue
        case = casing(token.text)
        lowered = normalise_apostrophes(token.text.lower())
        if case == "mixed" or (case == "upper" and (len(token.text) <= ACRONYM_MAX or informal)):
            continue  # iPhone, NASA; and in a tweet, shouting (SHOUTOUT), never meant as a book word
        if case == "capitalised" and not token.opens_sentence:
            continue  # Roosevelt, O'Neill: inside a sentence, likely names
        if lowered in speller.informal:
            continue  # the informal register (register.py): lol, pls, thats, tweets; not a book word's typo
        if speller.known(lowered):
            if case == "upper":
                continue  # a headline's real words
            ids, features = candidates(speller, lowered, real_word=True)
            if len(ids) > 1:
                checks.append(
                    Check(index, token, lowered, "", case, True, ids, features, informal=informal, casual=casual)
                )
        elif not known_with_clitic(speller.known, lowered):
            if case == "capitalised" and "'" in lowered:
                continue
            if elongated(lowered, speller.known) or dropped_g(lowered, speller.known):
                continue  # soooo, niiice: stretched for emphasis; doin, lookin: as said (register.py)
            if informal and len(lowered) <= INFORMAL_ABBREVIATION:
                continue  # tbh, ffs, tmi, js: in a tweet a short unknown word is an abbreviation, not a slip
            stem, clitic = split_clitic(lowered)
            ids, features = candidates(speller, stem)
            check = Check(index, token, stem, clitic, case, False, ids, features, informal=informal, casual=casual)
            if not informal:  # a tweet runs words together on purpose: hashtags and handles without their mark
                check.splits, check.split_features = split_candidates(speller, stem)
            checks.append(check)
    return found, checks


def _joinable(speller: SpellingCorrector, word: str) -> bool:
    """A word a split may make or a join may use: known to the dictionary and to the context model."""
    own = speller.word_ids.get(word, -1)
    return own >= 0 and bool(speller.in_context[own]) and (len(word) > 1 or word in ONE_LETTER_WORDS)


# A split needs one of its two words among this many commonest words. Typists run the short words into their
# neighbours (a lot, in front, broke down, went to, best friend: every split of the run-together set has a
# part among the commonest 700); two rarer words run together are a compound or a name written so on purpose
# (dancehall, bootcamp, pitbull, screencap, piersmorgan).
SPLIT_COMMON_RANK = 1000


def split_candidates(speller: SpellingCorrector, word: str) -> tuple[np.ndarray, np.ndarray]:
    """(pairs (S, 2) of dictionary ids, features (S, F)): the ways to cut `word` into two known words, one of
    them common (SPLIT_COMMON_RANK), each scored as one edit (a space left out), as common as its rarer word
    at most, context features still zero."""
    cuts = range(1, len(word)) if len(word) <= MAX_WORD_LENGTH else ()
    pairs = [
        (speller.word_ids[word[:k]], speller.word_ids[word[k:]])
        for k in cuts
        if _joinable(speller, word[:k]) and _joinable(speller, word[k:])
    ]
    pairs = [pair for pair in pairs if speller.frequency_rank[list(pair)].min() < SPLIT_COMMON_RANK]
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
    foreign = foreign_sentences(speller, text, found)
    if informal_text(speller, text, found):
        return []  # a tweet's spacing is its writer's (half way, body guard), as is its run-together words'
    joins = []
    for index in range(len(found) - 1):
        first, second = found[index], found[index + 1]
        if first.kind != "word" or second.kind != "word" or first.sentence != second.sentence:
            continue
        if first.sentence in foreign:
            continue
        if text[first.end : second.start] != " " or any(s < second.end and first.start < e for s, e in protected):
            continue
        if left_alone(text, first) or left_alone(text, second):
            continue
        if first.text.lower() in speller.informal or second.text.lower() in speller.informal:
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
