"""The NER tagger's training data: CoNLL-2003's splits and the Broad Twitter Corpus's sections, the
vocabulary built from train and GloVe, the training sentences encoded once in each casing, and the
batches of each epoch."""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from models.ner import PAD, UNK, NERConfig, Vocab, digit_key, word_key
from models.tagging import chunks, iob2_to_iobes
from sources import btc
from sources.conll import iob1_to_iob2, read_split

Sentences = list[tuple[list[str], list[str]]]


CORPORA = ("conll", "btc")
CONLL_NAME = "CoNLL-2003 English (Reuters news, 1996)"


@dataclass
class Splits:
    """train and valid mix the corpora; no_misc marks each of their sentences that comes from a corpus
    without MISC. test is CoNLL-2003 test, btc_test the BTC section held out whole."""

    train: Sentences
    valid: Sentences
    test: Sentences
    sha256: dict[str, str]
    train_no_misc: list[bool]
    valid_no_misc: list[bool]
    btc_test: Sentences
    corpora: list[dict]


def person_titles(train: Sentences, min_count: int = 3) -> set[str]:
    """Words (lower-cased) that CoNLL-2003 train leaves outside a person's name: seen at least min_count
    times as O right before a PER entity, and never as the first word of one ("President", "Minister",
    "Sir", "Princess"). BTC puts such titles inside the name; this is CoNLL's rule, read from its own data."""
    before, first = Counter(), Counter()
    for tokens, tags in train:
        for type_, start, _ in chunks(tags):
            if type_ != "PER":
                continue
            if start and tags[start - 1] == "O":
                before[tokens[start - 1].lower()] += 1
            first[tokens[start].lower()] += 1
    return {w for w, n in before.items() if n >= min_count and not first[w] and w[:1].isalpha()}


def trim_titles(sentence: tuple[list[str], list[str]], titles: set[str]) -> tuple[list[str], list[str]]:
    """The sentence with leading title words taken out of each PER entity (IOB2), as CoNLL tags them."""
    tokens, tags = sentence
    tags = list(tags)
    for type_, start, end in chunks(tags):
        while type_ == "PER" and end - start > 1 and tokens[start].lower() in titles:
            tags[start] = "O"
            start += 1
            tags[start] = "B-PER"
    return tokens, tags


def read_splits(args: argparse.Namespace) -> Splits:
    """CoNLL-2003 train, valid and test, and with --corpora conll,btc the BTC sections: the one named by
    --btc-test held out for testing, every --btc-dev-every'th tweet of the others for valid, the rest
    for training, with person titles outside the name as CoNLL has them (trim_titles).
    With --dry-run a few hundred sentences of each and one epoch."""
    (train, train_sha), (valid, valid_sha), (test, test_sha) = (
        read_split(s, args.data) for s in ("train", "valid", "test")
    )
    sha256 = {"train": train_sha, "valid": valid_sha, "test": test_sha}
    corpora = [{"name": CONLL_NAME, "sentences": len(train)}]
    btc_train, btc_valid, btc_test = [], [], []
    if "btc" in args.corpora:
        titles = person_titles(train)
        for section in btc.SECTIONS:
            tweets, sha256[f"btc_{section}"] = btc.read_section(section, args.data)
            if section == args.btc_test:
                btc_test = tweets  # scored against the corpus's own spans
                continue
            tweets = [trim_titles(t, titles) for t in tweets]
            btc_valid += tweets[:: args.btc_dev_every]
            btc_train += [t for i, t in enumerate(tweets) if i % args.btc_dev_every]
        corpora.append(
            {"name": btc.NAME, "sentences": len(btc_train), "citation": btc.CITATION, "licence": btc.LICENCE}
        )
    if args.dry_run:
        train, valid, test = train[:300], valid[:200], test[:200]
        btc_train, btc_valid, btc_test = btc_train[:100], btc_valid[:100], btc_test[:100]
        args.epochs = 1
    return Splits(
        train=train + btc_train,
        valid=valid + btc_valid,
        test=test,
        sha256=sha256,
        train_no_misc=[False] * len(train) + [True] * len(btc_train),
        valid_no_misc=[False] * len(valid) + [True] * len(btc_valid),
        btc_test=btc_test,
        corpora=corpora,
    )


def build_vocab(train_tokens: list[list[str]], glove_words: list[str], size: int) -> Vocab:
    """Every training word (lowercased; as its digit shape when GloVe lacks it), then GloVe's most
    frequent words up to `size`. Valid and test are never looked at."""
    glove = set(glove_words)
    counts = Counter(word_key(t) for tokens in train_tokens for t in tokens)
    words, seen = [PAD, UNK], {PAD, UNK}
    for word, _ in counts.most_common():
        key = word if word in glove else digit_key(word)
        if key not in seen:
            words.append(key)
            seen.add(key)
    if len(words) > size:
        raise SystemExit(f"--vocab-size {size} is below the {len(words)} training words")
    for word in glove_words:
        if len(words) >= size:
            break
        if word not in seen:
            words.append(word)
            seen.add(word)
    char_counts = Counter(c for tokens in train_tokens for t in tokens for c in t)
    chars = [PAD, UNK, *sorted(char_counts, key=lambda c: (-char_counts[c], c))]
    return Vocab(words=tuple(words), chars=tuple(chars))


# How a sentence may be recased in training, so the tagger learns names from more than their capitals.
RECASINGS = {
    "lower": str.lower,
    "title": lambda token: token[:1].upper() + token[1:].lower(),
    "upper": str.upper,
}
RECASING_SHARES = (0.6, 0.2, 0.2)  # lower, title, upper, of the sentences recased


def recased(tokens: list[str], how: str) -> list[str]:
    return [RECASINGS[how](t) for t in tokens]


@dataclass
class TrainingSet:
    """The training sentences as model inputs (as written, and in each recasing) and gold tag ids,
    with what batching, word dropout and the MISC-free loss need."""

    encoded: list
    recased: dict[str, list]  # recasing name -> the sentences encoded in it
    gold_ids: list[np.ndarray]
    lengths: np.ndarray
    singleton: torch.Tensor  # (V,) bool: words seen once in train
    allowed: list[np.ndarray | None]  # per sentence (T, K) bool for a corpus without MISC, else None


def misc_free_allowed(gold: np.ndarray, tags: tuple[str, ...]) -> np.ndarray:
    """(T, K) bool: the gold tag at each token, and where the gold says O, also every MISC tag, for a
    corpus that never marks MISC: its O may be a MISC name."""
    allowed = np.zeros((len(gold), len(tags)), dtype=bool)
    allowed[np.arange(len(gold)), gold] = True
    misc = [i for i, t in enumerate(tags) if t.endswith("-MISC")]
    outside = gold == tags.index("O")
    allowed[np.ix_(outside, misc)] = True
    return allowed


def encode_training_set(
    train: Sentences, vocab: Vocab, config: NERConfig, tag_scheme: str, no_misc: list[bool] | None = None
) -> TrainingSet:
    tag_index = {t: i for i, t in enumerate(config.tags)}
    convert = iob2_to_iobes if tag_scheme == "iobes" else list
    encoded = [vocab.encode(tokens, config.max_word_chars) for tokens, _ in train]
    recased_sets = {
        how: [vocab.encode(recased(tokens, how), config.max_word_chars) for tokens, _ in train] for how in RECASINGS
    }
    gold_ids = [np.array([tag_index[t] for t in convert(iob1_to_iob2(tags))]) for _, tags in train]
    lengths = np.array([len(tokens) for tokens, _ in train])
    word_counts = np.bincount(np.concatenate([words for words, _, _ in encoded]), minlength=config.vocab_size)
    no_misc = no_misc or [False] * len(train)
    allowed = [misc_free_allowed(g, config.tags) if n else None for g, n in zip(gold_ids, no_misc, strict=True)]
    return TrainingSet(encoded, recased_sets, gold_ids, lengths, torch.from_numpy(word_counts == 1), allowed)


def batch_allowed(data: TrainingSet, idx: np.ndarray, length: int, num_tags: int) -> torch.Tensor | None:
    """(B, T, K) bool for CRF.nll's partial labels, or None when every sentence of the batch is fully
    labelled. A fully labelled sentence allows its gold tag alone; padding allows everything."""
    if all(data.allowed[i] is None for i in idx):
        return None
    allowed = np.ones((len(idx), length, num_tags), dtype=bool)
    for b, i in enumerate(idx):
        rows = data.allowed[i]
        if rows is None:
            rows = np.zeros((len(data.gold_ids[i]), num_tags), dtype=bool)
            rows[np.arange(len(rows)), data.gold_ids[i]] = True
        allowed[b, : len(rows)] = rows
    return torch.from_numpy(allowed)


def epoch_inputs(data: TrainingSet, idx: np.ndarray, recase: float, rng: np.random.Generator) -> list:
    """The batch's sentences as encoded, each recased with probability `recase` (lower, title or upper
    in RECASING_SHARES). With recase 0 the generator is not drawn from, so older runs repeat exactly."""
    if recase <= 0:
        return [data.encoded[i] for i in idx]
    names = list(RECASINGS)
    inputs = []
    for i in idx:
        if rng.random() < recase:
            inputs.append(data.recased[names[rng.choice(len(names), p=RECASING_SHARES)]][i])
        else:
            inputs.append(data.encoded[i])
    return inputs


def epoch_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar-length sentences: sort within pools of 50 batches, so padding
    stays small yet every epoch sees different company."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches
