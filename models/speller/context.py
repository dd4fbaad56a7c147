"""The context model: a word-level LSTM language model run forward and backward over the sentence.

At each word it gives two distributions over the vocabulary: P(word | the words to its left), from
the forward LSTM, and P(word | the words to its right), from the backward one. The corrector scores
every candidate for a position by both, so "four" loses to "for" in "thanks four the help" because
neither "thanks" on the left nor "the help" on the right expects it.

Words are lower-cased; numbers read as "<num>", anything outside the vocabulary as "<unk>", and one
boundary symbol "<s>" opens and closes every sentence. Input and output word vectors are one tied
matrix, started from GloVe 6B 50d, whose co-occurrence statistics come from 6 billion tokens: that is
what a language model trained on a million words borrows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

PAD_WORD, BOUNDARY, UNKNOWN, NUMBER = "<pad>", "<s>", "<unk>", "<num>"
SPECIAL_WORDS = (PAD_WORD, BOUNDARY, UNKNOWN, NUMBER)
PAD_ID, BOUNDARY_ID, UNKNOWN_ID, NUMBER_ID = range(len(SPECIAL_WORDS))


@dataclass(frozen=True)
class ContextConfig:
    vocab_size: int = len(SPECIAL_WORDS)
    word_dim: int = 50  # GloVe 6B 50d
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.3


@dataclass
class ContextOutput:
    left_hidden: torch.Tensor  # (B, T, H): forward LSTM after reading ids[:, : t + 1]
    right_hidden: torch.Tensor  # (B, T, H): backward LSTM after reading ids[:, t:] (up to the length)
    left_query: torch.Tensor  # (B, T, D): predicts the word at t from the words before it; row 0 unused
    right_query: torch.Tensor  # (B, T, D): predicts the word at t from the words after it; row L-1 unused


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first `length` steps; padding stays at the end. x: (B, T, ...), lengths: (B,)."""
    steps = torch.arange(x.shape[1])[None]  # (1, T)
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)  # (B, T)
    return x.gather(1, index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x))


class ContextLM(nn.Module):
    def __init__(self, config: ContextConfig):
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.word_dim, padding_idx=PAD_ID)
        self.forward_rnn = nn.LSTM(c.word_dim, c.hidden_size, c.num_layers, batch_first=True)
        self.backward_rnn = nn.LSTM(c.word_dim, c.hidden_size, c.num_layers, batch_first=True)
        self.forward_project = nn.Linear(c.hidden_size, c.word_dim)
        self.backward_project = nn.Linear(c.hidden_size, c.word_dim)
        # Output bias per direction; the output word vectors are the (tied) input embedding.
        self.forward_bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.backward_bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> ContextOutput:
        """ids: (B, T) word ids, each row `<s> w1 ... wn <s>` of length n + 2, PAD_ID after it; lengths: (B,)."""
        embedded = self.dropout(self.embed(ids))  # (B, T, D)
        left_hidden, _ = self.forward_rnn(embedded)  # (B, T, H)
        right_hidden, _ = self.backward_rnn(reverse_padded(embedded, lengths))
        right_hidden = reverse_padded(right_hidden, lengths)  # (B, T, H), position t has read ids[t:]
        # The word at t is predicted from the left state at t - 1 and the right state at t + 1.
        # Before the first word and after the last there is nothing to read: a zero state.
        zero = left_hidden.new_zeros(left_hidden[:, :1].shape)
        before = torch.cat([zero, left_hidden[:, :-1]], 1)  # (B, T, H)
        after = torch.cat([right_hidden[:, 1:], zero], 1)
        after = after * (torch.arange(ids.shape[1])[None, :, None] + 1 < lengths[:, None, None])
        left_query = self.forward_project(self.dropout(before))  # (B, T, D)
        right_query = self.backward_project(self.dropout(after))  # (B, T, D)
        return ContextOutput(left_hidden, right_hidden, left_query, right_query)

    def log_probs(self, query: torch.Tensor, direction: str, word_ids: torch.Tensor, chunk: int = 128) -> torch.Tensor:
        """Normalised log P(word_ids | query): query (N, D), word_ids (N, K) -> (N, K). The normaliser runs
        over the whole vocabulary a chunk of rows at a time, so a long text never holds an (N, V) matrix."""
        log_norm = torch.cat(
            [torch.logsumexp(self.logits(part, direction), -1) for part in query.split(chunk)]
        ) if len(query) else query.new_zeros(0)  # fmt: skip
        return self.logits(query, direction, word_ids) - log_norm[:, None]

    def logits(self, query: torch.Tensor, direction: str, word_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Unnormalised log-probabilities: query (..., D) against every word, or against word_ids (..., K)."""
        bias = self.forward_bias if direction == "left" else self.backward_bias
        if word_ids is None:
            return query @ self.embed.weight.T + bias  # (..., V)
        return (query[..., None, :] * self.embed(word_ids)).sum(-1) + bias[word_ids]  # (..., K)


class WordVocab:
    """The context model's vocabulary: the special symbols, then words in training-count order."""

    def __init__(self, words: Sequence[str]):
        if tuple(words[: len(SPECIAL_WORDS)]) != SPECIAL_WORDS:
            raise ValueError(f"the context vocabulary must start with {SPECIAL_WORDS}")
        self.words = list(words)
        self.ids = {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, forms: Sequence[str]) -> list[int]:
        """`<s>`, the id of each form (see text.lm_form), `<s>`."""
        return [BOUNDARY_ID, *(self.ids.get(form, UNKNOWN_ID) for form in forms), BOUNDARY_ID]


def pad_sentences(encoded: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Lists of ids -> (B, T) int64 padded with PAD_ID, and (B,) lengths."""
    lengths = torch.tensor([len(ids) for ids in encoded], dtype=torch.int64)
    batch = torch.full((len(encoded), int(lengths.max()) if len(encoded) else 0), PAD_ID, dtype=torch.int64)
    for row, ids in enumerate(encoded):
        batch[row, : len(ids)] = torch.as_tensor(ids, dtype=torch.int64)
    return batch, lengths


def glove_init(model: ContextLM, vocab: WordVocab, glove_words: Sequence[str], vectors: np.ndarray) -> int:
    """Copy GloVe vectors into the tied word matrix; the rest keep a small random init. Returns hits."""
    index = {word: i for i, word in enumerate(glove_words)}
    hits = [(i, index[word]) for i, word in enumerate(vocab.words) if word in index]
    with torch.no_grad():
        rows, sources = zip(*hits, strict=True) if hits else ((), ())
        model.embed.weight[list(rows)] = torch.from_numpy(np.asarray(vectors[list(sources)], dtype=np.float32))
        model.embed.weight[PAD_ID] = 0.0
    return len(hits)
