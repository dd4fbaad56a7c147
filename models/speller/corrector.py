"""The corrector: which words to check, their candidates and features, and the decision.

For every word it checks, the corrector scores candidate words c by a learned linear score of
- the edit model: log P(typed | c) from the learned edit table, the edit distance, whether the first
  letter or the length changed, and for a real word that was typed, a bias for leaving it as it is;
- frequency: log P(c) from the dictionary's counts;
- context: log P(c | words to the left) and log P(c | words to the right), from the context model's
  forward and backward LSTMs (context.py).
A word that is not in the dictionary is always flagged, with its candidates ranked by that score. A
real word is flagged only when another candidate beats it by more than a margin chosen on the dev set
for a false-alarm rate: "a real word, but not here". Without the context model ("no_context", the
ablation) the same candidates, edit model and frequency are combined by weights fitted without it.

Left alone: words with digits, URLs, e-mail addresses, words with letters outside a-z (other scripts,
accents), mixed-case words (iPhone), short all-capital acronyms, any token overlapping a protected span
(the named entities the tagger found), capitalised words inside a sentence (names), and all-capital
real words (headlines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.speller.alignment import alignment_costs, edit_cost_matrix, osa_distance
from models.speller.alphabet import PAD, encode, normalise_apostrophes
from models.speller.context import PAD_ID, UNKNOWN_ID, WordVocab, pad_sentences
from models.speller.index import DeleteIndex
from models.speller.model import CONTEXT_FEATURES, FEATURE_PARTS, KINDS, MODES, Speller, load_model
from models.speller.text import (
    ACRONYM_MAX,
    LATIN_WORD,
    Token,
    apply_case,
    casing,
    known_with_clitic,
    lm_form,
    sentences,
    split_clitic,
    tokenize,
)

# Words longer than this get no candidates: no dictionary word is longer than 28 letters, and the
# dynamic programme's cost grows with the length.
MAX_WORD_LENGTH = 32
# Candidates ranked at most: all at distance 1 first, then the most frequent at distance 2.
MAX_RANKED = 100
# A capitalised unknown word opening a sentence is flagged only if the best correction is this sure:
# anywhere else it is taken for a name.
CAPITALISED_MIN_SCORE = 0.5


@dataclass(frozen=True)
class Suggestion:
    word: str
    score: float  # posterior probability among the candidates considered, in [0, 1]
    parts: dict[str, float] = field(default_factory=dict)  # the logit split into edit, frequency, context


@dataclass(frozen=True)
class Flag:
    start: int  # text[start:end] is the flagged word
    end: int
    word: str
    suggestions: list[Suggestion]
    kind: str = "unknown"  # "unknown": not in the dictionary; "real_word": a real word that does not fit here
    typed: Suggestion | None = None  # a real word's own score, for comparison with its suggestions


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
        # Pronunciation number -> the ids of the words that have it.
        flat = self.sounds.reshape(-1)
        heard = np.flatnonzero(flat >= 0)
        heard = heard[np.argsort(flat[heard], kind="stable")]
        numbers, starts = np.unique(flat[heard], return_index=True)
        members = np.split(heard // self.sounds.shape[1], starts[1:])
        self._sound_members = dict(zip(numbers.tolist(), members, strict=True))
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
        arrays = [self.log_frequency, self.sounds, self.channel_cost, self.context_ids, self.in_context]
        arrays.append(self.unknown_share)
        for array in arrays + [w for by_kind in self.weights.values() for w in by_kind.values()]:
            array.flags.writeable = False

    def known(self, word: str) -> bool:
        return word in self.word_ids

    def homophones(self, word_id: int) -> np.ndarray:
        """Ids of the words that share a pronunciation with word_id, itself included."""
        found = [self._sound_members[n] for n in self.sounds[word_id] if n >= 0]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def load_speller(weights_dir: Path | None = None) -> tuple[SpellingCorrector, dict]:
    """Returns (corrector, manifest); raises checkpoint.WeightsError with the rebuild command."""
    model, manifest = load_model(weights_dir)
    return SpellingCorrector(model), manifest


# ---------------------------------------------------------------------------------------------
# Candidates and their features


def candidates(speller: SpellingCorrector, word: str, real_word: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(ids, features (K, F)) of the candidates for a lower-case word, context features still zero.

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
    return ids, np.nan_to_num(features, neginf=-50.0)


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
        if any(s < token.end and token.start < e for s, e in protected):
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
            checks.append(Check(index, token, stem, clitic, case, False, ids, features))
    return found, checks


# ---------------------------------------------------------------------------------------------
# The context model's scores


@dataclass
class ContextReading:
    """The context model's queries for the sentences it read."""

    rows: dict[int, int]  # token index -> row of its sentence in the batch
    positions: dict[int, int]  # token index -> its position in that row (after the opening <s>)
    left_query: torch.Tensor  # (B, T, D)
    right_query: torch.Tensor  # (B, T, D)
    forms: dict[int, str]  # token index -> what the model read there


def read_context(speller: SpellingCorrector, found: Sequence[Token], token_indices: Iterable[int]) -> ContextReading:
    """Run the context model over every sentence holding one of token_indices."""
    wanted = set(token_indices)
    groups = [group for group in sentences(found) if wanted.intersection(group)]
    rows, positions, encoded, forms = {}, {}, [], {}
    for row, group in enumerate(groups):
        sentence_forms = [lm_form(found[i]) for i in group]
        encoded.append(speller.vocab.encode(sentence_forms))
        for position, (i, form) in enumerate(zip(group, sentence_forms, strict=True), start=1):
            rows[i], positions[i], forms[i] = row, position, form
    if not encoded:
        empty = torch.zeros(0, 0, speller.config.word_dim)
        return ContextReading(rows, positions, empty, empty, forms)
    ids, lengths = pad_sentences(encoded)
    with torch.inference_mode():
        out = speller.model.context(ids, lengths)
    return ContextReading(rows, positions, out.left_query, out.right_query, forms)


def context_log_probs(speller: SpellingCorrector, reading: ContextReading, checks: Sequence[Check]) -> None:
    """Fill in each check's context features: log P(c | left) and log P(c | right), normalised."""
    if not checks:
        return
    width = max(len(check.ids) for check in checks)
    word_ids = np.full((len(checks), width), PAD_ID, dtype=np.int64)
    share = np.zeros((len(checks), width), dtype=np.float32)
    for row, check in enumerate(checks):
        word_ids[row, : len(check.ids)] = speller.context_ids[check.ids]
        share[row, : len(check.ids)] = speller.unknown_share[check.ids]
    rows = torch.tensor([reading.rows[check.token_index] for check in checks])
    positions = torch.tensor([reading.positions[check.token_index] for check in checks])
    context = speller.model.context
    columns = {}
    with torch.inference_mode():
        for direction, queries in (("left", reading.left_query), ("right", reading.right_query)):
            query = queries[rows, positions]  # (P, D)
            log_norm = torch.logsumexp(context.logits(query, direction), -1, keepdim=True)  # (P, 1)
            columns[direction] = (context.logits(query, direction, torch.from_numpy(word_ids)) - log_norm).numpy()
    for row, check in enumerate(checks):
        k = len(check.ids)
        check.features[:, speller.feature["context_left"]] = columns["left"][row, :k] + share[row, :k]
        check.features[:, speller.feature["context_right"]] = columns["right"][row, :k] + share[row, :k]


def neighbour_context(speller: SpellingCorrector, found: Sequence[Token], checks: Sequence[Check]) -> None:
    """The context features from the words just next to each word: run the context model over the
    sentences once, then score every candidate by P(c | words before) and P(c | words after)."""
    reading = read_context(speller, found, [check.token_index for check in checks])
    context_log_probs(speller, reading, [check for check in checks if len(check.ids)])


def rnn_context(speller: SpellingCorrector, found: Sequence[Token], checks: Sequence[Check]) -> None:
    """The corrector's context: neighbour_context for every candidate, then the real words that pass the
    screen, with their best rivals, read in the whole sentence (read_windows)."""
    neighbour_context(speller, found, checks)
    read_windows(speller, found, [check for check in checks if check.real_word and len(check.ids) > 1])


def read_windows(speller: SpellingCorrector, found: Sequence[Token], checks: Sequence[Check]) -> None:
    """For each real word the screen lets through: the word and its best rivals, each put in the sentence
    and read by both LSTMs, scored over a window: log P(candidate, the next W words | the words before)
    forwards, and log P(candidate, the W words before | the words after) backwards. The candidate's own
    term is its neighbour_context feature; what is added is how the words around it fare with it in place."""
    mode, window = MODES[0], speller.config.context_window
    weight, screen = speller.weights[mode][KINDS[1]], speller.screens[mode]
    chosen: list[tuple[Check, np.ndarray]] = []
    for check in checks:
        scores = check.features @ weight  # (K,)
        if scores[1:].max() - scores[0] <= screen:
            check.screened_out = True
            continue
        rivals = 1 + np.argsort(-scores[1:], kind="stable")[: speller.config.rescored - 1]
        chosen.append((check, np.concatenate([[0], rivals])))
    if not chosen:
        return
    where = {i: (group, position) for group in sentences(found) for position, i in enumerate(group, start=1)}
    sequences: list[list[int]] = []  # each sentence as typed (once), and once per rival put in place
    as_typed: dict[int, int] = {}  # a sentence's first token -> its sequence as typed
    plan = []  # (check, rows, position, sequence of each row)
    for check, rows in chosen:
        group, position = where[check.token_index]
        if group[0] not in as_typed:
            as_typed[group[0]] = len(sequences)
            sequences.append(speller.vocab.encode([lm_form(found[i]) for i in group]))
        refs = [as_typed[group[0]]]
        for row in rows[1:]:
            ids = list(sequences[refs[0]])
            ids[position] = int(speller.context_ids[check.ids[row]])
            refs.append(len(sequences))
            sequences.append(ids)
        plan.append((check, rows, position, refs))
    # The words each direction reads after the candidate: forwards the next W (the closing <s> included),
    # backwards the W before it (the opening <s> included).
    after = {
        "left": lambda p, n: range(p + 1, min(p + window, n - 1) + 1),
        "right": lambda p, n: range(max(p - window, 0), p),
    }
    needed = {
        direction: sorted({(r, t) for _, _, p, refs in plan for r in refs for t in span(p, len(sequences[refs[0]]))})
        for direction, span in after.items()
    }
    batch, lengths = pad_sentences(sequences)
    context = speller.model.context
    log_prob = {}
    with torch.inference_mode():
        out = context(batch, lengths)
        for direction, queries in (("left", out.left_query), ("right", out.right_query)):
            if not needed[direction]:
                continue
            seq, pos = (torch.tensor(column) for column in zip(*needed[direction], strict=True))
            values = context.logits(queries[seq, pos], direction).log_softmax(-1).gather(1, batch[seq, pos][:, None])
            log_prob[direction] = dict(zip(needed[direction], values[:, 0].tolist(), strict=True))
    column = speller.feature
    for check, rows, p, refs in plan:
        features = check.features[rows].copy()
        n = len(sequences[refs[0]])
        for direction, name in (("left", "context_left"), ("right", "context_right")):
            for k, r in enumerate(refs):
                features[k, column[name]] += sum(log_prob[direction][(r, t)] for t in after[direction](p, n))
        check.window = Window(rows, features)


# Fills in the context features of the checks; rnn_context is the corrector's own. Another may stand in
# for comparison (the word-pair baseline in benchmarks/speller.py).
ContextScorer = Callable[[SpellingCorrector, Sequence[Token], Sequence[Check]], None]


def score_checks(
    speller: SpellingCorrector,
    text: str,
    protected_spans: Iterable[tuple[int, int]] = (),
    context: bool = True,
    scorer: ContextScorer = rnn_context,
) -> tuple[list[Token], list[Check]]:
    """find_checks, then the context features when `context` is on."""
    found, checks = find_checks(speller, text, protected_spans)
    if context and checks:
        scorer(speller, found, checks)
    return found, checks


# ---------------------------------------------------------------------------------------------
# Decisions


def mode_name(context: bool) -> str:
    return MODES[0] if context else MODES[1]


def kind_name(check: Check) -> str:
    """What a flag calls its word: "real_word" or "unknown"."""
    return "real_word" if check.real_word else "unknown"


def _suggestion(
    speller: SpellingCorrector, check: Check, row: int, features: np.ndarray, posterior: float, weight: np.ndarray
) -> Suggestion:
    contributions = features * weight
    parts = {
        part: round(float(sum(contributions[speller.feature[name]] for name in names)), 4)
        for part, names in FEATURE_PARTS.items()
    }
    word = apply_case(speller.words[check.ids[row]] + check.clitic, check.case)
    return Suggestion(word, round(posterior, 6), parts)


def real_word_scores(speller: SpellingCorrector, check: Check, context: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows of check.ids, their scores) for deciding about a real word, row 0 the word itself; None when the
    screen left it unread."""
    if check.screened_out:
        return None
    weight = speller.weights[mode_name(context)][KINDS[2]]
    if check.window is not None:
        return check.window.rows, check.window.features @ weight
    return np.arange(len(check.ids)), check.features @ weight


def decide(speller: SpellingCorrector, check: Check, context: bool = True, k: int = 5) -> Flag | None:
    """The flag for one checked word, or None when it stays as typed."""
    if not len(check.ids):
        return Flag(check.token.start, check.token.end, check.token.text, [])
    mode = mode_name(context)
    if check.real_word:
        scored = real_word_scores(speller, check, context)
        if scored is None:
            return None
        rows, scores = scored
        if scores[1:].max() - scores[0] <= speller.margins[mode]:
            return None
        features = check.window.features if check.window is not None else check.features
        weight = speller.weights[mode][KINDS[2]]
    else:
        rows, features, weight = np.arange(len(check.ids)), check.features, speller.weights[mode][KINDS[0]]
        scores = features @ weight
    posterior = np.exp(scores - scores.max())
    posterior /= posterior.sum()
    order = np.argsort(-scores, kind="stable")
    typed = None
    if check.real_word:
        order = order[order != 0]
        typed = _suggestion(speller, check, rows[0], features[0], float(posterior[0]), weight)
    elif check.case == "capitalised" and posterior[order[0]] < CAPITALISED_MIN_SCORE:
        return None  # a capitalised unknown word opening a sentence: a name, unless the fix is sure
    suggestions = [_suggestion(speller, check, rows[i], features[i], float(posterior[i]), weight) for i in order[:k]]
    return Flag(check.token.start, check.token.end, check.token.text, suggestions, kind_name(check), typed)


def correct_text(
    speller: SpellingCorrector,
    text: str,
    protected_spans: Iterable[tuple[int, int]] = (),
    k: int = 5,
    context: bool = True,
    scorer: ContextScorer = rnn_context,
) -> list[Flag]:
    """Flag the misspelt words of a paragraph, and the real words that do not fit their sentence, with
    suggestions in the word's own casing. `context=False` leaves the context model out (the ablation)."""
    _, checks = score_checks(speller, text, protected_spans, context, scorer)
    flags = [decide(speller, check, context, k) for check in checks]
    return [flag for flag in flags if flag is not None]


def correct_tokens(
    speller: SpellingCorrector, tokens: Sequence[str], context: bool = True, scorer: ContextScorer = rnn_context
) -> list[str]:
    """One corrected token for each token of a sentence whose tokens are separated by single spaces."""
    if not tokens:
        return []
    text = " ".join(tokens)
    for flag in sorted(correct_text(speller, text, k=1, context=context, scorer=scorer), key=lambda f: -f.start):
        if flag.suggestions:
            text = text[: flag.start] + flag.suggestions[0].word + text[flag.end :]
    corrected = text.split(" ")
    if len(corrected) != len(tokens):
        raise AssertionError("a correction changed the number of tokens")  # words never contain spaces
    return corrected


def suggest(speller: SpellingCorrector, word: str, k: int = 5) -> list[Suggestion]:
    """Up to k corrections of one word on its own (no context), best first, lower-case.

    score: the posterior probability among the candidates within edit distance 2. A word already in
    the dictionary comes first whatever its score.
    """
    lowered = normalise_apostrophes(word.strip().lower())
    ids, features = candidates(speller, lowered)
    if not len(ids):
        return [Suggestion(lowered, 1.0)] if speller.known(lowered) else []
    check = Check(-1, Token(0, len(lowered), "word", lowered, 0, False), lowered, "", "lower", False, ids, features)
    flag = decide(speller, check, context=False, k=len(ids))
    found = flag.suggestions if flag else []
    if speller.known(lowered):
        own = next((s for s in found if s.word == lowered), Suggestion(lowered, 1.0))
        found = [own] + [s for s in found if s.word != lowered]
    return found[:k]


@dataclass(frozen=True)
class ContextChange:
    """A word whose top correction differs with and without the context model."""

    start: int
    end: int
    word: str
    with_context: str | None  # the top suggestion with the RNN; None: left as typed
    without_context: str | None


def changed_by_context(with_context: Sequence[Flag], without_context: Sequence[Flag]) -> list[ContextChange]:
    """The corrections that change when the context model is switched off, in text order."""

    def top(flags: Sequence[Flag]) -> dict[tuple[int, int], tuple[str, str | None]]:
        return {(f.start, f.end): (f.word, f.suggestions[0].word if f.suggestions else None) for f in flags}

    first, second = top(with_context), top(without_context)
    changes = []
    for span in sorted(set(first) | set(second)):
        word = (first.get(span) or second.get(span))[0]
        a, b = first.get(span, (word, None))[1], second.get(span, (word, None))[1]
        if a != b:
            changes.append(ContextChange(span[0], span[1], word, a, b))
    return changes


# ---------------------------------------------------------------------------------------------
# What the context model expects


@dataclass(frozen=True)
class Expectation:
    word: str  # the word at the position, as the context model read it
    left: list[tuple[str, float]]  # top words given the words to the left, with P(word | left)
    right: list[tuple[str, float]]  # given the words to the right
    both: list[tuple[str, float]]  # given both sides: P(w | left) P(w | right), renormalised


def expectations(speller: SpellingCorrector, text: str, start: int, top: int = 8) -> Expectation | None:
    """What the context model expected at the word starting at character `start`; None if no word starts there."""
    found = tokenize(text)
    index = next((i for i, token in enumerate(found) if token.start == start and token.kind == "word"), None)
    if index is None:
        return None
    reading = read_context(speller, found, [index])
    row, position = reading.rows[index], reading.positions[index]
    context = speller.model.context
    with torch.inference_mode():
        left = context.logits(reading.left_query[row, position], "left").log_softmax(-1)  # (V,)
        right = context.logits(reading.right_query[row, position], "right").log_softmax(-1)
        both = (left + right).log_softmax(-1)
    vocab, words = speller.vocab.words, speller.vocab_word_ids

    def best(log_probs: torch.Tensor) -> list[tuple[str, float]]:
        values, order = log_probs[words].topk(min(top, len(words)))
        return [(vocab[words[i]], round(float(v.exp()), 5)) for v, i in zip(values, order, strict=True)]

    return Expectation(reading.forms[index], best(left), best(right), best(both))


__all__ = [
    "CONTEXT_FEATURES",
    "Check",
    "ContextChange",
    "ContextScorer",
    "changed_by_context",
    "Expectation",
    "Flag",
    "Suggestion",
    "SpellingCorrector",
    "candidates",
    "correct_text",
    "correct_tokens",
    "decide",
    "expectations",
    "find_checks",
    "load_speller",
    "neighbour_context",
    "real_word_scores",
    "rnn_context",
    "score_checks",
    "suggest",
]
