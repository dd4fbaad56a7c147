"""Sentences with spelling errors in them: the dev and test sets, and the ranker's training data.

Dev and test (`wrong sentence<TAB>right sentence`, one error a sentence, tokens separated by single
spaces) are held-out sentences of big.txt ("dev" and "test" splits, training/speller/corpus.py) with
one word replaced by
- a real misspelling from Wikipedia's list of common misspellings, the half that chooses settings for
  dev and the other half for test (training/speller/evaluation.wikipedia_pairs), or
- a real-word confusion (for/four, form/from, than/then, ...) from REAL_WORD_CONFUSIONS, whose groups
  are split in two halves the same way: dev's confusions are never test's.
Only words the corrector may change are replaced: lower-case words, and a sentence's first word.
`python -m training.speller.sentences` writes them to data/speller/{dev,test}.tsv.

The ranker's training data comes from the "ranker" split of big.txt and CoNLL-2003 valid instead, with
synthetic typos (training/speller/typos.py), some of which are forced to land on a real word. It sees neither
Wikipedia's list nor REAL_WORD_CONFUSIONS.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import runtime
from models.speller.text import apply_case, casing, tokenize
from training.speller.corpus import big_txt_sentences
from training.speller.evaluation import half_of, wikipedia_pairs
from training.speller.typos import TypoMix, make_typo

# Groups of real words people write for one another: homophones, near-homophones and common slips.
REAL_WORD_CONFUSIONS = (
    ("their", "there", "they're"), ("your", "you're"), ("its", "it's"), ("whose", "who's"), ("to", "too", "two"),
    ("for", "four"), ("by", "buy"), ("than", "then"), ("hear", "here"), ("know", "no"), ("knew", "new"),
    ("right", "write"), ("weather", "whether"), ("peace", "piece"), ("whole", "hole"), ("wear", "where"),
    ("were", "where"), ("passed", "past"), ("accept", "except"), ("affect", "effect"), ("lose", "loose"),
    ("quite", "quiet"), ("brake", "break"), ("weak", "week"), ("meat", "meet"), ("sea", "see"), ("son", "sun"),
    ("one", "won"), ("dear", "deer"), ("hour", "our"), ("allowed", "aloud"), ("principal", "principle"),
    ("desert", "dessert"), ("course", "coarse"), ("threw", "through"), ("board", "bored"), ("plain", "plane"),
    ("sight", "site"), ("tail", "tale"), ("wait", "weight"), ("way", "weigh"), ("wood", "would"),
    ("flour", "flower"), ("mail", "male"), ("road", "rode"), ("steal", "steel"), ("fair", "fare"),
    ("heard", "herd"), ("made", "maid"), ("pair", "pear"), ("sale", "sail"), ("cell", "sell"),
    ("sent", "cent", "scent"), ("form", "from"), ("of", "off"), ("lead", "led"), ("advice", "advise"),
    ("breath", "breathe"), ("cloth", "clothe"), ("die", "dye"), ("later", "latter"), ("loss", "lose"),
    ("moral", "morale"), ("personal", "personnel"), ("prey", "pray"), ("rain", "reign"), ("role", "roll"),
    ("sole", "soul"), ("stair", "stare"), ("thorough", "through"), ("though", "tough"), ("bear", "bare"),
    ("blew", "blue"), ("knight", "night"), ("knot", "not"), ("missed", "mist"), ("nose", "knows"),
    ("rose", "rows"), ("scene", "seen"), ("some", "sum"), ("tide", "tied"), ("waist", "waste"),
    ("wander", "wonder"), ("which", "witch"), ("an", "and"), ("as", "has"), ("is", "his"), ("it", "if"),
    ("on", "one"), ("the", "they", "then"), ("was", "saw"), ("now", "not"), ("at", "that"), ("in", "on"),
    ("dose", "does"), ("cite", "sight"), ("bread", "bred"), ("guest", "guessed"), ("mind", "mined"),
)  # fmt: skip
_CORE = re.compile(r"^([^A-Za-z']*)([A-Za-z]+(?:'[A-Za-z]+)*)([^A-Za-z']*)$")
_UNWANTED = re.compile(r"gutenberg|ebook|http|www\.|\d|[_*#@<>\[\]{}|\\]", re.IGNORECASE)
MIN_TOKENS, MAX_TOKENS = 6, 40


def confusions(half: str) -> dict[str, list[str]]:
    """word -> the words it is confused with, for the groups in one half."""
    table: dict[str, list[str]] = {}
    for group in REAL_WORD_CONFUSIONS:
        if half_of(group[0]) == half:
            for word in group:
                table.setdefault(word, []).extend(other for other in group if other != word)
    return table


def clean_sentence(sentence: str) -> list[str] | None:
    """The sentence's space-separated tokens, if it suits a test set: plain prose of 6 to 40 tokens."""
    tokens = sentence.split()
    if not MIN_TOKENS <= len(tokens) <= MAX_TOKENS or _UNWANTED.search(sentence) or not sentence.isascii():
        return None
    letters = [ch for ch in sentence if ch.isalpha()]
    if sum(ch.isupper() for ch in letters) > 0.3 * len(letters):
        return None
    return tokens


def _replaceable(tokens: Sequence[str]) -> list[tuple[int, str, str, str]]:
    """(position, before, word, after) of the tokens the corrector may change."""
    found = []
    for position, token in enumerate(tokens):
        match = _CORE.match(token)
        if match and (match.group(2).islower() or (position == 0 and casing(match.group(2)) == "capitalised")):
            found.append((position, *match.groups()))
    return found


def error_sentences(
    sentences: Sequence[str],
    misspellings: dict[str, list[str]],
    confused: dict[str, list[str]],
    n: int,
    seed: int,
    real_word_share: float,
) -> list[tuple[str, str, str]]:
    """Up to n (wrong, right, kind) sentence triples, one replaced word each; kind is "real_word" or
    "misspelling", drawn with probability real_word_share (a sentence without such a word is passed over).

    misspellings: right word -> its misspellings; confused: word -> real words written for it.
    """
    rng = random.Random(seed)
    order = list(range(len(sentences)))
    rng.shuffle(order)
    found: list[tuple[str, str, str]] = []
    for index in order:
        tokens = clean_sentence(sentences[index])
        if tokens is None:
            continue
        kind, table = ("real_word", confused) if rng.random() < real_word_share else ("misspelling", misspellings)
        spots = [spot for spot in _replaceable(tokens) if spot[2].lower() in table]
        if not spots:
            continue
        position, before, word, after = rng.choice(spots)
        wrong = list(tokens)
        wrong[position] = before + apply_case(rng.choice(table[word.lower()]), casing(word)) + after
        found.append((" ".join(wrong), " ".join(tokens), kind))
        if len(found) == n:
            break
    return found


def typo_sentences(
    sentences: Sequence[str],
    known: Callable[[str], bool],
    usable_real_word: Callable[[str], bool],
    sound_alike: Callable[[str], list[str]],
    seed: int,
    real_word_share: float,
    homophone_share: float,
    mix: TypoMix | None = None,
) -> list[tuple[str, str]]:
    """For the ranker: (wrong, right) pairs with one synthetic typo each. A share of them are forced to be a
    real word (usable_real_word decides which real words count, e.g. those the context model knows), and of
    those a share are a word that sounds the same (sound_alike: the dictionary's homophones of a word)."""
    rng = random.Random(seed)
    pairs = []
    for sentence in sentences:
        tokens = sentence.split()
        spots = [s for s in _replaceable(tokens) if len(s[2]) >= 2]
        if len(tokens) < 3 or not spots:
            continue
        position, before, word, after = rng.choice(spots)
        want_real = rng.random() < real_word_share
        typo = None
        same_sound = [other for other in sound_alike(word.lower()) if usable_real_word(other)] if want_real else []
        if same_sound and rng.random() < homophone_share:
            typo = rng.choice(same_sound)
        for _attempt in range(0 if typo else 40 if want_real else 10):
            made = make_typo(word.lower(), rng, mix or TypoMix())
            if made and (not want_real or (known(made) and usable_real_word(made))):
                typo = made
                break
        if typo is None:
            continue
        wrong = list(tokens)
        wrong[position] = before + apply_case(typo, casing(word)) + after
        pairs.append((" ".join(wrong), " ".join(tokens)))
    return pairs


def aligned_words(wrong: str, right: str) -> list[tuple[str, str]] | None:
    """(wrong, right) text of every token of the two sentences, or None if they do not align one to one."""
    wrong_tokens, right_tokens = tokenize(wrong), tokenize(right)
    if len(wrong_tokens) != len(right_tokens):
        return None
    return [(w.text, r.text) for w, r in zip(wrong_tokens, right_tokens, strict=True)]


# ---------------------------------------------------------------------------------------------
# The committed dev and test files

SENTENCE_SETS_DIR = runtime.PROJECT_ROOT / "data" / "speller"
SET_SIZE = 1000
REAL_WORD_SHARE = 0.4  # about 4 in 10 of the errors in real writing are real words
SET_SEEDS = {"dev": 11, "test": 12}


def set_path(split: str) -> Path:
    return SENTENCE_SETS_DIR / f"{split}.tsv"


def build_set(split: str, data: str | Path | None = None) -> list[tuple[str, str, str]]:
    """The dev or test pairs: held-out big.txt sentences of that split, with that half's errors."""
    misspellings: dict[str, list[str]] = {}
    for wrong, right in wikipedia_pairs(split, data):
        misspellings.setdefault(right, []).append(wrong)
    return error_sentences(
        big_txt_sentences(split, data), misspellings, confusions(split), SET_SIZE, SET_SEEDS[split], REAL_WORD_SHARE
    )


def write_sets(data: str | Path | None = None) -> dict:
    summary = {}
    for split in ("dev", "test"):
        triples = build_set(split, data)
        path = set_path(split)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{wrong}\t{right}\n" for wrong, right, _ in triples), encoding="utf-8")
        kinds = Counter(kind for _, _, kind in triples)
        summary[split] = {"path": str(path.relative_to(runtime.PROJECT_ROOT)), "sentences": len(triples), **kinds}
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", default=None, help="data folder holding corpus/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    args = parser.parse_args(argv)
    print(json.dumps(write_sets(args.data)))


if __name__ == "__main__":
    main()
