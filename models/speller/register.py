"""Informal writing the corrector leaves as it is: what a tweet or a chat message writes on purpose.

The corrector learned its words, their frequencies and its context model from books, where "pls", "lol",
"soooo" and "gonna" are rare or absent; taken for typos, they become the nearest book word (pls: plus,
tweets: sweets). These rules say what counts as written on purpose:
- the informal register: words that tweets use often and books rarely or never, counted from the Broad
  Twitter Corpus (training/speller/tweets.py writes the counts to weights/speller_tweets.json);
- elongated words, a letter stretched for emphasis (soooo, niiice), and a dropped g (doin, lookin);
- a contraction a tokeniser cut in two (ca n't, they 're), as corpora prepare their text;
- the name inside an HTML escape (&lt; tokenised & lt ;), and the account after "RT" (a retweet's handle,
  which exports of tweets often write without its @).
corrector.find_checks applies them, with the rule for whole sentences in another language.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection
from pathlib import Path

import runtime
from models.speller.text import Token

TWEETS_FILE = "speller_tweets"
# A word the dictionary holds is informal when tweets use it at least this many times as often as the
# dictionary's book counts do (hi, tweet, ur, lol's cousins): at 20 the words are the medium's (twitter,
# retweet, hi) and its news (ebola, obama); leaving those alone costs nothing on dev, whose errors are
# book words. A word the dictionary lacks is informal when it is in MIN_TWEETS tweets at all (see tweets.py).
TWEET_RATIO = 20.0

_APOSTROPHE = "'\u2019\u2018`"
_CLITIC = r"(?:s|re|ve|ll|d|m|t)"
# A word followed by the rest of its contraction, cut off by a space: ca n't, they 're, don ' t.
_CONTRACTION_AFTER = re.compile(rf"\s+n[{_APOSTROPHE}]t\b|\s*[{_APOSTROPHE}]\s*{_CLITIC}\b", re.IGNORECASE)
_STRETCH = re.compile(r"([a-z])\1\1+")


def tweets_path(weights_dir: Path | None = None) -> Path:
    return Path(weights_dir or runtime.weights_dir()) / f"{TWEETS_FILE}.json"


def read_tweet_counts(weights_dir: Path | None = None) -> tuple[dict[str, tuple[int, int]], int]:
    """({word: (tweets it is in, times it occurs)}, tokens counted) from weights/speller_tweets.json; empty
    when the file is missing (then no word counts as informal)."""
    path = tweets_path(weights_dir)
    if not path.exists():
        return {}, 0
    report = json.loads(path.read_text(encoding="utf-8"))
    counts = {}
    for line in report["words"]:
        word, tweets, occurrences = line.split(" ")
        counts[word] = (int(tweets), int(occurrences))
    return counts, int(report["tokens"])


def informal_words(
    counts: dict[str, tuple[int, int]],
    tokens: int,
    book_log_frequency: Callable[[str], float | None],
    unapostrophised: Collection[str] = (),
) -> frozenset[str]:
    """The informal register: each counted word (in enough tweets to be counted) that the dictionary lacks
    (book_log_frequency None: lol, pls, omg) or that tweets use TWEET_RATIO times as often as books. Not a
    dictionary word with its apostrophes left out (`unapostrophised`: dont, thats): in prose that is a slip to
    fix, and in informal text decisions.py leaves it alone anyway."""
    found = set()
    for word, (_, occurrences) in counts.items():
        if word in unapostrophised:
            continue
        book = book_log_frequency(word)
        if book is None or math.log(occurrences / tokens) - book >= math.log(TWEET_RATIO):
            found.add(word)
    return frozenset(found)


def elongated(word: str, known: Callable[[str], bool]) -> bool:
    """A lower-case word with a letter three times or more in a row (soooo, niiice, lifeee): stretched for
    emphasis, unless one copy fewer makes a known word, the mark of a key pressed once too often (cannnot)."""
    for match in _STRETCH.finditer(word):
        if known(word[: match.start()] + word[match.start() + 1 :]):
            return False
    return _STRETCH.search(word) is not None


def dropped_g(word: str, known: Callable[[str], bool]) -> bool:
    """A word ending -in whose -ing form is a word (doin, lookin, starvin): speech written as it is said, on
    purpose; dev's and test's 1,912 typos include none."""
    return word.endswith("in") and len(word) > 4 and known(word + "g")


def split_contraction(text: str, token: Token) -> bool:
    """Half of a contraction a tokeniser cut apart (ca n't, they 're, don ' t), as corpora write text: the
    word before the cut, n't, or the ending after a spaced apostrophe. Together the halves are right, and a
    correction of either would change what the tokeniser made, not what was written."""
    after = _CONTRACTION_AFTER.match(text, token.end)
    if after and any(ch.isspace() for ch in after.group()):
        return True
    lowered = token.text.lower().translate(_TO_APOSTROPHE)
    before = text[: token.start]
    if lowered == "n't":
        return before[-1:].isspace()
    if re.fullmatch(_CLITIC, lowered):
        stripped = before.rstrip()
        return stripped[-1:] in _APOSTROPHE and (before != stripped or stripped[-2:-1].isspace())
    return False


_TO_APOSTROPHE = str.maketrans({c: "'" for c in _APOSTROPHE})


def html_escape_name(text: str, token: Token) -> bool:
    """The name of an HTML escape (&lt; &gt; &amp;), whether or not a tokeniser spaced it (& lt ;)."""
    return text[: token.start].rstrip(" ")[-1:] == "&" and text[token.end :].lstrip(" ")[:1] == ";"


def retweeted_account(text: str, token: Token) -> bool:
    """The word right after "RT ": the account a retweet quotes, a handle even where its @ was dropped."""
    start = token.start
    return text[max(0, start - 3) : start] == "RT " and (start == 3 or not text[start - 4].isalnum())
