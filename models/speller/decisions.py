"""The corrector's decisions: which checked words to flag, and what to suggest.

For every word it checks (corrector.py), the corrector scores candidate words c by a learned linear score of
- the edit model: log P(typed | c) from the learned edit table, the edit distance, whether the first
  letter or the length changed, whether c sounds like the typed word, and for a real word that was
  typed, a bias for leaving it as it is;
- frequency: log P(c) from the dictionary's counts;
- context: the context model's scores (reading.py).
A word that is not in the dictionary is flagged, with its candidates ranked by that score, when one of them
stands out (UNKNOWN_MIN_SCORE) and, in informal text, when the fix is sure. A real word is flagged only when
another candidate beats it by more than a margin chosen on the dev set for a false-alarm rate (more in
informal text): "a real word, but not here". Without the context model ("no_context", the
ablation) the same candidates, edit model and frequency are combined by weights fitted without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from models.speller.alignment import osa_distance
from models.speller.alphabet import normalise_apostrophes
from models.speller.corrector import Check, Join, SpellingCorrector, candidates, find_checks, find_joins
from models.speller.model import FEATURE_PARTS, KINDS, MODES
from models.speller.reading import ContextScorer, read_joins, rnn_context
from models.speller.text import Token, apply_case

# A capitalised unknown word opening a sentence is taken for a name (Bobick, Gaudin), as it is anywhere else,
# unless its best correction is this sure, one edit away, and one of the COMMON_WORDS commonest words (both
# words of a split): Teh, Becuase, Towrad. Chosen on dev, where the typos opening a sentence are one edit from
# common words, while the names' nearest words are rarer (Bobic, Citroen) or further (Garden, Bernhard).
CAPITALISED_MIN_SCORE = 0.5
COMMON_WORDS = 10_000
# An unknown word is corrected only when its best correction has at least this posterior: a typo's correction
# stands out (525 of the 526 unknown words dev fixes score 0.7 or more; htis: this 0.86), while a word the
# dictionary lacks is often near several (BTC section a: marra: mara 0.26, ly: lay 0.20, holla: hole 0.21).
UNKNOWN_MIN_SCORE = 0.7
# A join is made only when the joined word outscores the two words as typed, the typed words' bias included:
# unlike a real word, flagged when a rival comes within the (negative) real-word margin of it. On dev's right
# sentences, where every join is a false alarm, this lets one through (hoar frost).
JOIN_MARGIN = 0.0
# In informal text (corrector.informal_text: a tweet, a chat message), and in text that opens in lower case
# (corrector.opens_casually), the context model, which learned from
# books, reads grammar it never saw (dropped subjects and articles, "so shit ly"): a real word must lose to
# its rival by this much more than the margin before it is flagged. Chosen on BTC section a, where the
# real words flagged by at most this much more were false alarms (same: some, my: may, on: one) far more
# often than fixes; it does not apply to dev, whose sentences are never informal.
INFORMAL_EXTRA_MARGIN = 3.0


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
    # "unknown": not in the dictionary; "split": not in the dictionary, best read as two words run together;
    # "real_word": a real word that does not fit here; "join": two words (text[start:end]) that make one here
    kind: str = "unknown"
    typed: Suggestion | None = None  # a real word's own score, for comparison with its suggestions


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
    word = apply_case(candidate_word(speller, check, row) + check.clitic, check.case)
    return Suggestion(word, round(posterior, 6), parts)


def candidate_word(speller: SpellingCorrector, check: Check, row: int) -> str:
    """The lower-case candidate of a row: a dictionary word, or after them a split ("broke down")."""
    if row < len(check.ids):
        return speller.words[check.ids[row]]
    first, second = check.splits[row - len(check.ids)]
    return f"{speller.words[first]} {speller.words[second]}"


def real_word_scores(speller: SpellingCorrector, check: Check, context: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows of check.ids, their scores) for deciding about a real word, row 0 the word itself; None when the
    screen left it unread."""
    if check.screened_out:
        return None
    weight = speller.weights[mode_name(context)][KINDS[2]]
    if check.window is not None:
        return check.window.rows, check.window.features @ weight
    return np.arange(len(check.ids)), check.features @ weight


def decide(
    speller: SpellingCorrector, check: Check, context: bool = True, k: int = 5, min_score: float = UNKNOWN_MIN_SCORE
) -> Flag | None:
    """The flag for one checked word, or None when it stays as typed; `min_score`: an unknown word's best
    one-word correction needs this posterior (UNKNOWN_MIN_SCORE; suggest, which ranks a word on its own, asks
    for none). A split is read in its sentence word by word, and needs none either."""
    mode = mode_name(context)
    if not check.n_rows():
        if check.case == "capitalised":
            return None  # a capitalised word opening a sentence with nothing near it in the dictionary: a name
        return Flag(check.token.start, check.token.end, check.token.text, [])
    if check.real_word:
        scored = real_word_scores(speller, check, context)
        if scored is None:
            return None
        rows, scores = scored
        margin = speller.margins[mode] + (INFORMAL_EXTRA_MARGIN if check.casual else 0.0)
        if scores[1:].max() - scores[0] <= margin:
            return None
        features = check.window.features if check.window is not None else check.features
        weight = speller.weights[mode][KINDS[2]]
    else:
        weight = speller.weights[mode][KINDS[0]]
        if check.window is not None:  # its splits, read in the sentence with its best candidates
            rows, features = check.window.rows, check.window.features
        elif context and len(check.ids):  # splits are scored only when read in the sentence
            rows, features = np.arange(len(check.ids)), check.features
        else:
            rows, features = np.arange(check.n_rows()), check.all_features()
        scores = features @ weight
    posterior = np.exp(scores - scores.max())
    posterior /= posterior.sum()
    order = np.argsort(-scores, kind="stable")
    typed = None
    if check.real_word:
        order = order[order != 0]
        typed = _suggestion(speller, check, rows[0], features[0], float(posterior[0]), weight)
    elif check.case == "capitalised" and not _sure_fix(speller, check, rows[order[0]], float(posterior[order[0]])):
        return None  # a capitalised unknown word opening a sentence: a name, unless the fix is sure
    elif rows[order[0]] < len(check.ids) and posterior[order[0]] < min_score:
        return None  # no correction stands out: a word the dictionary lacks (chunder, marra), not a typo
    elif check.informal and not _sure_fix(speller, check, rows[order[0]], float(posterior[order[0]])):
        return None  # in a tweet an unknown word is slang or a name (murked, sambuca) unless the fix is sure
    if check.informal and _apostrophe_only(check.stem, candidate_word(speller, check, rows[order[0]])):
        return None  # cant, shes, its: informal writing leaves apostrophes out on purpose
    suggestions = [_suggestion(speller, check, rows[i], features[i], float(posterior[i]), weight) for i in order[:k]]
    kind = "split" if not check.real_word and rows[order[0]] >= len(check.ids) else kind_name(check)
    return Flag(check.token.start, check.token.end, check.token.text, suggestions, kind, typed)


def _apostrophe_only(typed: str, candidate: str) -> bool:
    """Whether the candidate is the typed word with apostrophes put in (cant: can't, its: it's)."""
    return candidate != typed and normalise_apostrophes(candidate).replace("'", "") == typed.replace("'", "")


def _sure_fix(speller: SpellingCorrector, check: Check, row: int, posterior: float) -> bool:
    """Whether a capitalised unknown word opening a sentence is a typo rather than a name: its best correction
    (a row of the check) is sure, one edit away and common (see CAPITALISED_MIN_SCORE)."""
    if posterior < CAPITALISED_MIN_SCORE:
        return False
    if row >= len(check.ids):
        words = check.splits[row - len(check.ids)]
    else:
        words = [check.ids[row]]
        if osa_distance(check.stem, speller.words[check.ids[row]]) != 1:
            return False
    return bool((speller.frequency_rank[np.asarray(words)] < COMMON_WORDS).all())


def decide_join(speller: SpellingCorrector, found: Sequence[Token], join: Join) -> Flag | None:
    """The flag for two words that make one, or None when they stay apart: scored as a real word is, the
    joined word must beat the two words as typed by JOIN_MARGIN."""
    weight = speller.weights[MODES[0]][KINDS[2]]
    scores = join.features @ weight
    if scores[1] - scores[0] <= JOIN_MARGIN:
        return None
    posterior = np.exp(scores - scores.max())
    posterior /= posterior.sum()
    first, second = found[join.first], found[join.second]

    def suggestion(row: int, word: str) -> Suggestion:
        contributions = join.features[row] * weight
        parts = {
            part: round(float(sum(contributions[speller.feature[name]] for name in names)), 4)
            for part, names in FEATURE_PARTS.items()
        }
        return Suggestion(word, round(float(posterior[row]), 6), parts)

    typed = f"{first.text} {second.text}"
    joined = apply_case(speller.words[join.joined_id], join.case)
    return Flag(first.start, second.end, typed, [suggestion(1, joined)], "join", suggestion(0, typed))


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
    found, checks = score_checks(speller, text, protected_spans, context, scorer)
    flags = [flag for flag in (decide(speller, check, context, k) for check in checks) if flag is not None]
    if context and scorer is rnn_context:
        joins = find_joins(speller, text, found, protected_spans)
        read_joins(speller, found, joins)
        for join in joins:
            flag = decide_join(speller, found, join)
            if flag is not None and not any(f.start < flag.end and flag.start < f.end for f in flags):
                flags.append(flag)
        flags.sort(key=lambda f: f.start)
    return flags


def correct_tokens(
    speller: SpellingCorrector, tokens: Sequence[str], context: bool = True, scorer: ContextScorer = rnn_context
) -> list[str]:
    """One corrected token for each token of a sentence whose tokens are separated by single spaces: a split
    is one token with a space in it ("broke down"); a join gives its word to the first of its two tokens and ""
    to the second."""
    if not tokens:
        return []
    text = " ".join(tokens)
    starts = np.cumsum([0] + [len(token) + 1 for token in tokens[:-1]])
    corrected = list(tokens)
    for flag in correct_text(speller, text, k=1, context=context, scorer=scorer):
        if not flag.suggestions:
            continue
        first = int(np.searchsorted(starts, flag.start, side="right")) - 1
        last = int(np.searchsorted(starts, flag.end - 1, side="right")) - 1
        start, end = flag.start - int(starts[first]), flag.end - int(starts[last])
        word = corrected[first][:start] + flag.suggestions[0].word + corrected[last][end:]
        corrected[first : last + 1] = [word] + [""] * (last - first)
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
    flag = decide(speller, check, context=False, k=len(ids), min_score=0.0)
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
