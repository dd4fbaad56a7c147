"""The corrector's decisions: which checked words to flag, and what to suggest.

For every word it checks (corrector.py), the corrector scores candidate words c by a learned linear score of
- the edit model: log P(typed | c) from the learned edit table, the edit distance, whether the first
  letter or the length changed, whether c sounds like the typed word, and for a real word that was
  typed, a bias for leaving it as it is;
- frequency: log P(c) from the dictionary's counts;
- context: the context model's scores (reading.py).
A word that is not in the dictionary is always flagged, with its candidates ranked by that score. A
real word is flagged only when another candidate beats it by more than a margin chosen on the dev set
for a false-alarm rate: "a real word, but not here". Without the context model ("no_context", the
ablation) the same candidates, edit model and frequency are combined by weights fitted without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from models.speller.alphabet import normalise_apostrophes
from models.speller.corrector import Check, SpellingCorrector, candidates, find_checks
from models.speller.model import FEATURE_PARTS, KINDS, MODES
from models.speller.reading import ContextScorer, rnn_context
from models.speller.text import Token, apply_case

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
