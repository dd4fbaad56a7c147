"""The NER tagger's training data: CoNLL-2003's splits, the vocabulary built from train and GloVe, the
training sentences encoded once, and the batches of each epoch."""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from models.ner import PAD, UNK, NERConfig, Vocab, digit_key, word_key
from models.tagging import iob2_to_iobes
from sources.conll import iob1_to_iob2, read_split

Sentences = list[tuple[list[str], list[str]]]


@dataclass
class Splits:
    train: Sentences
    valid: Sentences
    test: Sentences
    sha256: dict[str, str]


def read_splits(args: argparse.Namespace) -> Splits:
    """CoNLL-2003 train, valid and test; with --dry-run a few hundred sentences of each and one epoch."""
    (train, train_sha), (valid, valid_sha), (test, test_sha) = (
        read_split(s, args.data) for s in ("train", "valid", "test")
    )
    if args.dry_run:
        train, valid, test = train[:300], valid[:200], test[:200]
        args.epochs = 1
    return Splits(train, valid, test, {"train": train_sha, "valid": valid_sha, "test": test_sha})


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


@dataclass
class TrainingSet:
    """The training sentences as model inputs and gold tag ids, with what batching and word dropout need."""

    encoded: list
    gold_ids: list[np.ndarray]
    lengths: np.ndarray
    singleton: torch.Tensor  # (V,) bool: words seen once in train


def encode_training_set(train: Sentences, vocab: Vocab, config: NERConfig, tag_scheme: str) -> TrainingSet:
    tag_index = {t: i for i, t in enumerate(config.tags)}
    convert = iob2_to_iobes if tag_scheme == "iobes" else list
    encoded = [vocab.encode(tokens, config.max_word_chars) for tokens, _ in train]
    gold_ids = [np.array([tag_index[t] for t in convert(iob1_to_iob2(tags))]) for _, tags in train]
    lengths = np.array([len(tokens) for tokens, _ in train])
    word_counts = np.bincount(np.concatenate([words for words, _, _ in encoded]), minlength=config.vocab_size)
    return TrainingSet(encoded, gold_ids, lengths, torch.from_numpy(word_counts == 1))


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
