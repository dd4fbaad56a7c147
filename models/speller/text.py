"""Running text: tokens with character offsets, casing, clitics, sentences.

One tokenizer serves both the corrector (which words to check, and where they are) and the context
model (what it reads: every word, number and punctuation mark, lower-cased), so the two always agree
on positions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models.speller.alphabet import normalise_apostrophes
from models.tokenizer import APOSTROPHES, letter_case

_URL = r"(?:https?://|ftp://|www\.)[^\s<>\"]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|co|uk|de|fr|info)\b\S*"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_WORD = rf"[^\W_]+(?:[{APOSTROPHES}][^\W_]+)*"  # letters and digits, with apostrophes inside (don't, O'Neill)
_TOKEN = re.compile(rf"(?P<email>{_EMAIL})|(?P<url>{_URL})|(?P<word>{_WORD})|(?P<mark>[^\w\s])", re.IGNORECASE)
LATIN_WORD = re.compile(rf"[A-Za-z]+(?:[{APOSTROPHES}][A-Za-z]+)*")
SENTENCE_END = frozenset(".!?")
# Whole endings, apostrophe included, that join a word to a dictionary stem: do+n't, it+'s, we+'re, I+'ve,
# she+'ll, he+'d, I+'m, and the plural possessive's bare apostrophe (the students'), tried in this order. Unlike
# the tagger's CLITICS_AFTER_APOSTROPHE (models/tokenizer.py), which it splits off as tokens, the speller keeps
# the word whole (one token, one check) and strips the ending only to look the stem up.
CLITIC_ENDINGS = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "'")
# Stems that change before n't: can't, won't, shan't, ain't.
NOT_STEMS = frozenset({"ca", "wo", "sha", "ai"})
# All-capital tokens this short that are not words are taken for acronyms (NASA, UNESCO).
ACRONYM_MAX = 6


@dataclass(frozen=True)
class Token:
    start: int  # text[start:end] is the token
    end: int
    kind: str  # "word" (letters and digits), "url", "email" or "mark" (one punctuation character)
    text: str
    sentence: int  # index of the sentence it belongs to
    opens_sentence: bool  # after . ! ? : ; or a line break, or first in the text (quotes and brackets aside)


def tokenize(text: str) -> list[Token]:
    """Every word, number, URL, e-mail address and punctuation mark of text, with its sentence.

    For the context model a sentence ends after . ! or ? and at a blank line.
    """
    found: list[Token] = []
    sentence, empty, previous_end = 0, True, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if not empty and "\n\n" in text[previous_end : match.start()].replace("\r", ""):
            sentence, empty = sentence + 1, True
        found.append(
            Token(match.start(), match.end(), kind, match.group(), sentence, _opens_sentence(text, match.start()))
        )
        empty = False
        if kind == "mark" and match.group() in SENTENCE_END:
            sentence, empty = sentence + 1, True
        previous_end = match.end()
    return found


def _opens_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 200) : start]
    head = before.rstrip(" \t\"'([\u201c\u2018")
    return not head or head[-1] in ".!?:;\n" or "\n" in before[len(head) :]


def lm_form(token: Token) -> str:
    """What the context model reads for a token: the word lower-cased, "<num>" for any token with a
    digit, "<unk>" for URLs and e-mail addresses, the punctuation mark itself."""
    if token.kind in ("url", "email"):
        return "<unk>"
    if token.kind == "mark":
        return token.text
    if any(ch.isdigit() for ch in token.text):
        return "<num>"
    return normalise_apostrophes(token.text.lower())


def sentences(found: Sequence[Token]) -> list[list[int]]:
    """Token indices grouped by sentence."""
    groups: dict[int, list[int]] = {}
    for i, token in enumerate(found):
        groups.setdefault(token.sentence, []).append(i)
    return list(groups.values())


def casing(token: str) -> str:
    """The case of the token's letters (see letter_case), which apply_case restores on a correction."""
    return letter_case([ch for ch in token if ch.isalpha()])


def apply_case(word: str, case: str) -> str:
    if case == "upper":
        return word.upper()
    if case == "capitalised":
        return word[:1].upper() + word[1:]
    return word


def known_with_clitic(known: Callable[[str], bool], lowered: str) -> bool:
    """A dictionary word, or one with a clitic whose stem is (don't, Kwame's)."""
    if known(lowered):
        return True
    for clitic in CLITIC_ENDINGS:
        if lowered.endswith(clitic) and len(lowered) > len(clitic):
            stem = lowered[: -len(clitic)]
            if known(stem) or (clitic == "n't" and stem in NOT_STEMS):
                return True
    return False


def split_clitic(lowered: str) -> tuple[str, str]:
    for clitic in CLITIC_ENDINGS:
        if lowered.endswith(clitic) and len(lowered) > len(clitic) + 1:
            return lowered[: -len(clitic)], clitic
    return lowered, ""
