"""The NER tagger train_ner builds: its config from the arguments, GloVe's vectors in, and its optimizer."""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch

from models.ner import TAG_SCHEMES, NERConfig, NERTagger, Vocab


def build_tagger(args: argparse.Namespace, vocab: Vocab) -> NERTagger:
    config = NERConfig(
        vocab_size=len(vocab.words),
        char_vocab_size=len(vocab.chars),
        tags=TAG_SCHEMES[args.tag_scheme],
        hidden=args.hidden,
        lstm_layers=args.layers,
        encoder=args.encoder,
        conv_dilations=tuple(int(d) for d in args.dilations.split(",")),
        crf=args.encoder == "bilstm",
        dropout=args.dropout,
    )
    return NERTagger(config, vocab)


def init_word_vectors(model: NERTagger, vocab: Vocab, glove_words: list[str], vectors: np.ndarray) -> int:
    """Copy GloVe vectors in; the rest keep a uniform(+-sqrt(3/dim)) init (Ma & Hovy 2016). Returns hits."""
    index = {w: i for i, w in enumerate(glove_words)}
    weight = model.word_embedding.weight
    bound = math.sqrt(3.0 / weight.size(1))
    with torch.no_grad():
        weight.uniform_(-bound, bound)
        weight[0].zero_()
        rows = [(i, index[w]) for i, w in enumerate(vocab.words) if w in index]
        ours, theirs = zip(*rows, strict=True)
        weight[list(ours)] = torch.from_numpy(np.asarray(vectors[list(theirs)], dtype=np.float32))
    return len(rows)


def make_optimizer(args: argparse.Namespace, model: NERTagger):
    """SGD with momentum or Adam, and the learning rate lr / (1 + decay * epoch)."""
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0 / (1.0 + args.lr_decay * epoch))
    return optimizer, schedule
