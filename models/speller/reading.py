"""The context model's scores for the candidates of each checked word.

- neighbour_context: the context model runs once over each sentence; every candidate gets
  log P(c | the words before it) from the forward LSTM and log P(c | the words after it) from the
  backward one.
- read_windows: a real word that the screen finds doubtful is read again with its best rivals, each put
  in the sentence in turn, so that the words around it are scored with the candidate in place.
- expectations: what the context model expected at one position, for the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from models.speller.context import PAD_ID, pad_sentences
from models.speller.corrector import Check, Join, SpellingCorrector, Window
from models.speller.model import KINDS, MODES
from models.speller.text import Token, lm_form, sentences, tokenize


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
            columns[direction] = context.log_probs(query, direction, torch.from_numpy(word_ids)).numpy()  # (P, K)
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
    read_splits(speller, found, [check for check in checks if len(check.splits)])


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
            values = context.log_probs(queries[seq, pos], direction, batch[seq, pos][:, None])  # (M, 1)
            log_prob[direction] = dict(zip(needed[direction], values[:, 0].tolist(), strict=True))
    column = speller.feature
    for check, rows, p, refs in plan:
        features = check.features[rows].copy()
        n = len(sequences[refs[0]])
        for direction, name in (("left", "context_left"), ("right", "context_right")):
            for k, r in enumerate(refs):
                features[k, column[name]] += sum(log_prob[direction][(r, t)] for t in after[direction](p, n))
        check.window = Window(rows, features)


def read_variants(
    speller: SpellingCorrector, found: Sequence[Token], plans: Sequence[tuple[Sequence[int], Sequence[Sequence[int]]]]
) -> list[np.ndarray]:
    """For each plan (token indices of a run of neighbouring tokens, variants: lists of context-model ids to
    put in their place, of any length), each variant read in its sentence: (V, 2) log-probabilities of the
    variant's words and the next W words given the words before (forwards), and of the variant's words and
    the W words before given the words after (backwards). Variants of different lengths are compared over
    the same words around them, so a split pays for its extra word and a join gains from its missing one."""
    if not plans:
        return []
    window = speller.config.context_window
    where = {i: (group, position) for group in sentences(found) for position, i in enumerate(group, start=1)}
    typed: dict[int, list[int]] = {}  # a sentence's first token -> its ids as typed
    sequences, spans = [], []  # spans: (plan, first position, variant length) of each sequence
    for number, (tokens, variants) in enumerate(plans):
        group, position = where[tokens[0]]
        if group[0] not in typed:
            typed[group[0]] = speller.vocab.encode([lm_form(found[i]) for i in group])
        base = typed[group[0]]
        for ids in variants:
            sequences.append([*base[:position], *ids, *base[position + len(tokens) :]])
            spans.append((number, position, len(ids)))
    # Forwards the variant and the next W words (the closing <s> included); backwards the variant and the W
    # words before it (the opening <s> included).
    read = {
        "left": lambda p, m, n: range(p, min(p + m - 1 + window, n - 1) + 1),
        "right": lambda p, m, n: range(max(p - window, 0), p + m),
    }
    needed = {
        direction: [(r, t) for r, (_, p, m) in enumerate(spans) for t in span(p, m, len(sequences[r]))]
        for direction, span in read.items()
    }
    batch, lengths = pad_sentences(sequences)
    context = speller.model.context
    totals = np.zeros((len(sequences), 2), dtype=np.float64)
    with torch.inference_mode():
        out = context(batch, lengths)
        for column, (direction, queries) in enumerate((("left", out.left_query), ("right", out.right_query))):
            seq, pos = (torch.tensor(part) for part in zip(*needed[direction], strict=True))
            values = context.log_probs(queries[seq, pos], direction, batch[seq, pos][:, None])[:, 0].numpy()
            np.add.at(totals[:, column], seq.numpy(), values)
    results, start = [], 0
    for _, variants in plans:
        results.append(totals[start : start + len(variants)].astype(np.float32))
        start += len(variants)
    return results


def read_splits(speller: SpellingCorrector, found: Sequence[Token], checks: Sequence[Check]) -> None:
    """For each unknown word that splits into two known words: its best candidates (by the words just next to
    it) and its splits, each read in the sentence (read_variants), as the check's window."""
    weight = speller.weights[MODES[0]][KINDS[0]]
    plans, chosen = [], []
    for check in checks:
        best = np.argsort(-(check.features @ weight), kind="stable")[: speller.config.rescored - 1]
        rows = np.concatenate([best, len(check.ids) + np.arange(len(check.splits))]).astype(np.int64)
        words = [[int(speller.context_ids[check.ids[row]])] for row in best]
        words += [[int(speller.context_ids[a]), int(speller.context_ids[b])] for a, b in check.splits]
        plans.append(([check.token_index], words))
        chosen.append((check, rows))
    column = speller.feature
    for (check, rows), read in zip(chosen, read_variants(speller, found, plans), strict=True):
        features = check.all_features()[rows].copy()
        share = np.zeros(len(rows), dtype=np.float32)  # a candidate outside the context vocabulary: its share
        share[: len(rows) - len(check.splits)] = speller.unknown_share[check.ids[rows[: len(rows) - len(check.splits)]]]
        features[:, column["context_left"]] = read[:, 0] + share
        features[:, column["context_right"]] = read[:, 1] + share
        check.window = Window(rows, features)


def read_joins(speller: SpellingCorrector, found: Sequence[Token], joins: Sequence[Join]) -> None:
    """Each join's two words and its joined word read in the sentence (read_variants): its context features."""
    ids = speller.context_ids
    plans = [
        ([join.first, join.second], [[int(ids[i]) for i in join.typed_ids], [int(ids[join.joined_id])]])
        for join in joins
    ]
    column = speller.feature
    for join, read in zip(joins, read_variants(speller, found, plans), strict=True):
        join.features[:, column["context_left"]] = read[:, 0]
        join.features[:, column["context_right"]] = read[:, 1]


# Fills in the context features of the checks; rnn_context is the corrector's own. Another may stand in
# for comparison (the word-pair baseline in benchmarks/speller.py).
ContextScorer = Callable[[SpellingCorrector, Sequence[Token], Sequence[Check]], None]


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
