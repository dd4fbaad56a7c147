"""The letter-level model: a character LSTM that reads a word as `^word$` and predicts each next letter.

It draws the page's "what the RNN expects next" chart: after "networ" it expects a k. It takes no part
in choosing corrections; the context model, the edit model and frequency do that. (The previous
corrector ranked with its word probability too; with that weight set to 0, top-1 on Norvig's sets went
from 87.8% / 83.0% to 88.2% / 83.0%, as issue 12 measured.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from models.speller.alphabet import _CODE, BOS, LETTERS, PAD, VOCAB_SIZE, encode, pad_codes

# What the chart shows at each position: the next letter, or "$" for the end of the word.
CHART_SYMBOLS = (*LETTERS, "$")
_CHART_CODES = torch.tensor([_CODE[ch] for ch in CHART_SYMBOLS])


@dataclass(frozen=True)
class CharLMConfig:
    embed_dim: int = 32
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.1
    vocab_size: int = VOCAB_SIZE


@dataclass
class CharLMOutput:
    logits: torch.Tensor  # (B, T, V): scores for the symbol after each position
    hidden: torch.Tensor  # (B, T, H): the top LSTM layer's output after reading each symbol


class CharLM(nn.Module):
    def __init__(self, config: CharLMConfig):
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD)
        self.rnn = nn.LSTM(
            c.embed_dim, c.hidden_size, c.num_layers, batch_first=True, dropout=c.dropout if c.num_layers > 1 else 0.0
        )
        self.dropout = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)

    def forward(self, codes: torch.Tensor) -> CharLMOutput:
        """codes: (B, T) symbol codes starting with BOS."""
        embedded = self.dropout(self.embed(codes))  # (B, T, E)
        hidden, _ = self.rnn(embedded)  # (B, T, H)
        return CharLMOutput(logits=self.head(self.dropout(hidden)), hidden=hidden)


def word_log_probs(model: CharLM, words: Sequence[str], batch_size: int = 2048) -> np.ndarray:
    """log P(^word$) under the character LM, for each word: (len(words),) float32."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(words), batch_size):
            codes, lengths = pad_codes(words[start : start + batch_size])
            codes_t = torch.from_numpy(codes.astype(np.int64))  # (B, N)
            logp = model(codes_t[:, :-1]).logits.log_softmax(-1)  # (B, N - 1, V)
            picked = logp.gather(-1, codes_t[:, 1:, None])[..., 0]  # (B, N - 1)
            mask = torch.arange(codes.shape[1] - 1)[None] < torch.from_numpy(lengths - 1)[:, None]
            out.append((picked * mask).sum(-1).numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)


def next_letter_distributions(model: CharLM, word: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """For charting the character LM on `word` (lower-cased).

    Returns (symbols, probs, hidden): symbols are the 26 letters and "$" (end of word); probs
    (len(word) + 1, 27) where row t is P(next symbol | ^ + word[:t]), renormalised over those 27;
    hidden (len(word) + 1, H) is the LSTM's output after reading ^ + word[:t].
    """
    codes = torch.tensor([[BOS, *encode(word.lower(), markers=False)]])  # (1, T)
    with torch.inference_mode():
        out = model(codes)
        probs = out.logits[0][:, _CHART_CODES].softmax(-1)  # (T, 27)
        return list(CHART_SYMBOLS), probs.numpy().copy(), out.hidden[0].numpy().copy()
