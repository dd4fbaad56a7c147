"""Autocorrect that reads the sentence: a noisy-channel corrector whose context comes from an RNN.

The package, by responsibility:
- alphabet: the symbol codes of letters and edit-table segments;
- alignment: OSA distance (rapidfuzz) and the learned edit model's alignment;
- index: the candidate index, dictionary words within edit distance 2;
- charlm: the letter-level LSTM behind the next-letter chart;
- context: the word-level LSTM language model, forward and backward over the sentence;
- model: all of it as one module, the state dict of weights/speller.pt;
- corrector: the loaded `SpellingCorrector`, which words it checks, their candidates and lookup structures;
- reading: the context model's scores for the candidates, and what it expected at a position;
- decisions: which words to flag, and what to suggest: a word, a split (brokedown: broke down) or a join
  (some times: sometimes);
- variants: British and American spellings of one word, never corrections of each other;
- register: informal writing left as it is (lol, soooo, doin, ca n't), from counts of tweets;
- text: tokens, sentences, casing and clitics.

The loaded `SpellingCorrector` is read-only: every function returns fresh results, so one cached copy
serves all threads.
"""

from models.speller.charlm import CHART_SYMBOLS
from models.speller.charlm import next_letter_distributions as _next_letter_distributions
from models.speller.corrector import SpellingCorrector, load_speller
from models.speller.decisions import (
    ContextChange,
    Flag,
    Suggestion,
    changed_by_context,
    correct_text,
    correct_tokens,
    suggest,
)
from models.speller.model import FEATURE_PARTS, MODES
from models.speller.reading import Expectation, expectations
from models.speller.text import apply_case


def next_letter_distributions(speller: SpellingCorrector, word: str):
    """The letter-level model's next-letter distributions for `word` (see charlm.next_letter_distributions)."""
    return _next_letter_distributions(speller.model.char_lm, word)


__all__ = [
    "CHART_SYMBOLS",
    "ContextChange",
    "FEATURE_PARTS",
    "MODES",
    "Expectation",
    "Flag",
    "SpellingCorrector",
    "Suggestion",
    "apply_case",
    "changed_by_context",
    "correct_text",
    "correct_tokens",
    "expectations",
    "load_speller",
    "next_letter_distributions",
    "suggest",
]
