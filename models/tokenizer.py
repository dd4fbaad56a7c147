"""Split free text into CoNLL-2003-style tokens and sentences, keeping character offsets.

CoNLL-2003 (Reuters, Penn-Treebank-like) conventions, which the tagger was trained on:
- punctuation is split off: `Paris,` -> `Paris` `,`; brackets and quotes are tokens;
- clitics are split: `Clinton's` -> `Clinton` `'s`, `doesn't` -> `does` `n't`, `we're` -> `we` `'re`;
- hyphenated words and scores stay whole: `Urdu-speaking`, `1996-08-22`, `3-6`;
- numbers keep their commas, decimals, colons and slashes: `47,600`, `3.5`, `10:30`, `1/2`;
- dotted abbreviations and initials keep their dot: `U.S.`, `a.m.`, `Mr.`, `Corp.`, `J.`;
- runs of the same punctuation stay together: `--`, `...`.

Tweets, as the Broad Twitter Corpus tokenises them: a link is one token (`https://t.co/x4Yz9Qa`), so is a
hashtag with its `#`, and a mention is `@` then the handle whole, underscores and all (`@` `lagos_tech`).

Every token carries (start, end) such that text[start:end] is the token, so emoji, RTL
script or HTML survive untouched. Combining marks, zero-width joiners, variation
selectors and skin-tone modifiers stick to the character before them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Longest sentence fed to the tagger in one piece: a 100,000-character text with no full
# stop must not become one enormous sequence.
MAX_SENTENCE_TOKENS = 150

# Words whose trailing dot is part of the token (CoNLL writes `Inc.`, `Calif.`, `Oct.`).
ABBREVIATIONS = frozenset(
    """Mr Mrs Ms Dr Prof Sr Jr St Mt Gen Lt Col Sgt Capt Gov Sen Rep Inc Corp Ltd Co Bros vs etc
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    Ala Ariz Ark Calif Colo Conn Fla Ill Kan Ky Md Mich Minn Neb Nev Okla Tenn Tex Wis Wyo""".split()
)
# What follows the apostrophe of a clitic that CoNLL splits off as a token of its own ('s, 're, ...); n't is
# matched apart (_split_word), as its apostrophe is not where the split falls. The speller's CLITIC_ENDINGS
# (models/speller/text.py) differ on purpose: it keeps such words whole and strips whole endings for lookup.
CLITICS_AFTER_APOSTROPHE = frozenset(["s", "re", "ve", "ll", "d", "m"])
APOSTROPHES = "'\u2019"
SENTENCE_END = frozenset([".", "!", "?", "...", "\u2026"])
CLOSERS = frozenset(["'", '"', ")", "]", "}", "\u201d", "\u2019", "\u00bb"])

_ALNUM = r"[^\W_]"
_TOKEN = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)[^\s<>"]*[^\s<>".,:;!?)\]}}'\u2019\u201d\u00bb])  # a link, as one token
    | (?P<hashtag>\#\w+)                                  # #AfricanGiant, the # kept on
    | (?P<at>@)(?!https?://)(?P<handle>\w+)               # @lagos_tech: @ and the handle, whole
    | (?P<initialism>(?:[^\W\d_]\.){{2,}})                 # U.S.  a.m.  F.C.
    | (?P<word>{_ALNUM}+(?:(?:[-{APOSTROPHES}&]|(?<=\d)[.,:/](?=\d)){_ALNUM}+)*)  # words, numbers, x-y
      (?P<dot>\.(?!\.))?                                # a trailing dot (not an ellipsis); see _spans
    | (?P<punct>(?P<mark>[^\w\s])(?P=mark)*)              # punctuation; a run of one character is one token
    | (?P<other>_+)
    """,
    re.VERBOSE,
)
# Zero-width space, word joiner and byte-order mark: invisible, so never tokens of their own.
INVISIBLE = "\u200b\u2060\ufeff"
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # offsets into the original string: text == original[start:end]
    end: int
    sentence: int


def _is_glue(char: str) -> bool:
    # Characters that never stand alone: combining marks, ZWJ/ZWNJ, variation selectors, skin tones.
    code = ord(char)
    return (
        unicodedata.category(char).startswith("M")
        or code in (0x200C, 0x200D)
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F  # tag characters in subdivision flags
    )


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF  # two of these make one flag


def _joins(previous: str, piece: str) -> bool:
    """Whether `piece`, touching `previous` with no gap, belongs to the same token."""
    return (
        _is_glue(piece[0])
        or previous[-1] == "\u200d"  # the next emoji of a ZWJ sequence
        or (_is_glue(previous[-1]) and previous[0].isalnum() and piece[0].isalnum())  # a word with marks inside
        or (len(previous) == 1 and _is_regional(previous) and _is_regional(piece[0]))
    )


def _split_word(word: str, start: int) -> list[tuple[int, int]]:
    """Split clitics off one word: `doesn't` -> does n't, `Clinton's` -> Clinton 's; `O'Neill` stays."""
    lower, end = word.lower(), start + len(word)
    if len(word) > 3 and lower[-3] == "n" and lower[-2] in APOSTROPHES and lower[-1] == "t":
        return [(start, end - 3), (end - 3, end)]
    cut = max(word.rfind(a) for a in APOSTROPHES)
    if cut > 0 and lower[cut + 1 :] in CLITICS_AFTER_APOSTROPHE:
        return [(start, start + cut), (start + cut, end)]
    return [(start, end)]


def _spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text):
        if match.group("at") is not None:
            spans.extend([match.span("at"), match.span("handle")])
            continue
        word = match.group("word")
        if word is None:
            spans.append(match.span())
            continue
        word_start, word_end = match.span("word")
        spans.extend(_split_word(word, word_start))
        if match.group("dot") is not None:
            if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha() and word.isupper()):
                spans[-1] = (spans[-1][0], word_end + 1)  # Inc.  J.
            else:
                spans.append((word_end, word_end + 1))  # a full stop
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and merged[-1][1] == start and _joins(text[merged[-1][0] : start], text[start:end]):
            merged[-1] = (merged[-1][0], end)
        elif text[start:end].strip(INVISIBLE):
            merged.append((start, end))
    return merged


def tokenize(text: str, max_sentence_tokens: int = MAX_SENTENCE_TOKENS) -> list[Token]:
    """Tokens with offsets and sentence ids (0, 1, ...). A sentence ends after . ! ? (and any
    closing quotes or brackets touching it), at a blank line, and every `max_sentence_tokens` tokens."""
    paragraph_starts = iter(sorted(m.end() for m in _BLANK_LINE.finditer(text)))
    next_paragraph = next(paragraph_starts, None)
    tokens: list[Token] = []
    sentence, length, ended = 0, 0, False
    for start, end in _spans(text):
        token = text[start:end]
        new_paragraph = False
        while next_paragraph is not None and next_paragraph <= start:
            new_paragraph = True
            next_paragraph = next(paragraph_starts, None)
        # A quote or bracket closes the sentence only when it touches the stop: `said." He`, not `said. "Yes`.
        closer = ended and token in CLOSERS and start == tokens[-1].end
        if tokens and (new_paragraph or length >= max_sentence_tokens or (ended and not closer)):
            sentence, length = sentence + 1, 0
        ended = token in SENTENCE_END or closer
        tokens.append(Token(token, start, end, sentence))
        length += 1
    return tokens


def letter_case(letters: Sequence[str]) -> str:
    """The case of a word's letters: lower, upper (two or more capitals), capitalised (one capital, then
    lower case) or mixed. Both the tagger's casing feature and the speller's restoring of case read it."""
    if all(ch.islower() for ch in letters):
        return "lower"
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return "upper"
    if letters[0].isupper() and all(ch.islower() for ch in letters[1:]):
        return "capitalised"
    return "mixed"


def sentences(tokens: list[Token]) -> list[list[Token]]:
    """Group tokens by sentence id, in order."""
    grouped: list[list[Token]] = []
    for token in tokens:
        if not grouped or grouped[-1][-1].sentence != token.sentence:
            grouped.append([])
        grouped[-1].append(token)
    return grouped
