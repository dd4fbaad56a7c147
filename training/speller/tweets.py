"""How often tweets use each word, for the corrector's informal register (models/speller/register.py):

    python -m training.speller.tweets

Counts the lower-cased words of the Broad Twitter Corpus (Derczynski, Bontcheva and Roberts, COLING 2016;
CC BY 4.0) in the sections the speller may learn from, and writes weights/speller_tweets.json: for each word
in at least MIN_TWEETS tweets, the number of tweets and of times it occurs, with the token total, the
sections' sha256, the citation and the licence. Section a is the speller's tweet dev set (its settings are
chosen there) and section f its tweet test set (reported only), so neither is counted.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from models import checkpoint
from models.speller.register import TWEETS_FILE
from models.speller.text import LATIN_WORD
from sources import btc
from training import runs

SECTIONS = ("b", "e", "g", "h")
# A word in fewer tweets than this is one person's habit, a name or a typo, not the register's.
MIN_TWEETS = 5


def count_words(tweets: list[list[str]]) -> tuple[Counter, Counter, int]:
    """(tweets each lower-cased word is in, times it occurs, tokens in all) over tokenised tweets."""
    in_tweets, occurrences, tokens = Counter(), Counter(), 0
    for tweet in tweets:
        words = [t.lower() for t in tweet if LATIN_WORD.fullmatch(t)]
        tokens += len(tweet)
        occurrences.update(words)
        in_tweets.update(set(words))
    return in_tweets, occurrences, tokens


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="folder of ner-extra/btc/ (default: ../shared/data)")
    args = parser.parse_args(argv)
    tweets, sha256 = [], {}
    for section in SECTIONS:
        sentences, sha256[section] = btc.read_section(section, args.data)
        tweets += [tokens for tokens, _ in sentences]
    in_tweets, occurrences, tokens = count_words(tweets)
    kept = sorted((w for w, n in in_tweets.items() if n >= MIN_TWEETS), key=lambda w: (-in_tweets[w], w))
    report = {
        "command": runs.command("python -m training.speller.tweets", argv),
        "source": btc.NAME,
        "citation": btc.CITATION,
        "licence": btc.LICENCE,
        "sections": list(SECTIONS),
        "sha256": sha256,
        "tweets": len(tweets),
        "tokens": tokens,
        "min_tweets": MIN_TWEETS,
        "words_note": "'word tweets occurrences': the tweets it is in and the times it occurs, for each word in at "
        "least min_tweets tweets",
        "words": [f"{w} {in_tweets[w]} {occurrences[w]}" for w in kept],
    }
    path = checkpoint.paths(TWEETS_FILE)[1]
    runs.write_report(path, report)
    print(json.dumps({"path": str(path), "tweets": len(tweets), "words": len(report["words"])}))
    return report


if __name__ == "__main__":
    main()
