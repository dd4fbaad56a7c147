"""Train the letter-level model (models/speller/charlm.py) on dictionary words.

Words are drawn in proportion to count ** alpha (common words matter more, rare ones still count);
a few percent of word types are held out for its perplexity.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.speller.alphabet import VOCAB_SIZE, pad_codes
from models.speller.charlm import CharLM, word_log_probs


@dataclass(frozen=True)
class CharLMTraining:
    steps: int = 8000
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 1e-4
    alpha: float = 0.5  # words drawn in proportion to count ** alpha
    seed: int = 1


def train_char_lm(model: CharLM, words: list[str], counts: np.ndarray, settings: CharLMTraining) -> list[dict]:
    codes, lengths = pad_codes(words)
    codes_t = torch.from_numpy(codes.astype(np.int64))  # (W, N)
    weights = torch.from_numpy(counts.astype(np.float64) ** settings.alpha)
    generator = torch.Generator().manual_seed(settings.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=settings.lr, total_steps=settings.steps)
    model.train()
    history, running = [], 0.0
    bar = tqdm(range(1, settings.steps + 1), desc="char LM", file=sys.stderr)
    for step in bar:
        picks = torch.multinomial(weights, settings.batch_size, replacement=True, generator=generator)
        width = int(lengths[picks.numpy()].max())
        batch = codes_t[picks, :width]  # (B, T + 1)
        logits = model(batch[:, :-1]).logits  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), batch[:, 1:].reshape(-1), ignore_index=0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{running:.3f}")
        if step % max(settings.steps // 10, 1) == 0:
            history.append({"step": step, "train_loss": round(running, 4)})
    model.eval()
    return history


def char_perplexity(model: CharLM, words: list[str]) -> float:
    """Per-symbol perplexity of ^word$ over word types (each word once), end marker included."""
    log_probs = word_log_probs(model, words)
    symbols = sum(len(w) + 1 for w in words)
    return float(np.exp(-log_probs.astype(np.float64).sum() / symbols))
