"""What `python -m models speller` prints: JSON built from the corrector's answers."""

from __future__ import annotations

import numpy as np

from models.speller.charlm import next_letter_distributions
from models.speller.corrector import SpellingCorrector, load_speller
from models.speller.decisions import Flag, Suggestion, correct_text, suggest


def _suggestion_json(suggestion: Suggestion) -> dict:
    return {"word": suggestion.word, "score": suggestion.score, "parts": suggestion.parts}


def flag_json(flag: Flag) -> dict:
    return {
        "start": flag.start,
        "end": flag.end,
        "word": flag.word,
        "kind": flag.kind,
        "suggestions": [_suggestion_json(s) for s in flag.suggestions],
        "typed": _suggestion_json(flag.typed) if flag.typed else None,
    }


def text_json(text: str, context: bool = True, k: int = 5, speller: SpellingCorrector | None = None) -> dict:
    """The flags of a text: each with its offsets, its kind, and suggestions whose score is split into parts."""
    if speller is None:
        speller, _ = load_speller()
    return {
        "text": text,
        "context": context,
        "flags": [flag_json(flag) for flag in correct_text(speller, text, k=k, context=context)],
        "score": "posterior probability among the candidates considered for the word",
        "parts": "the candidate's linear score, split into edit model, word frequency and the RNN's context",
    }


def word_json(word: str, k: int = 5, top_letters: int = 5) -> dict:
    """Suggestions for one word on its own, and the letter-level model's next letters."""
    speller, manifest = load_speller()
    lowered = word.lower()
    symbols, probs, _ = next_letter_distributions(speller.model.char_lm, lowered)
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
        "word_dev_accuracy": manifest.get("metrics", {}).get("word_dev_top1"),
    }
