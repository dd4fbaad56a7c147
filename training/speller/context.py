"""Train the speller's context model: a word LSTM language model in each direction (models/speller/context.py).

Text: the "lm" split of big.txt and the text of CoNLL-2003 train (training/speller/corpus.py), cut into
sentences and read as text.lm_form tokens. Vocabulary: every form seen at least `min_count` times.
Word vectors: GloVe 6B 50d, tied between input and output. Loss: sampled softmax (Jean et al., 2015)
with negatives drawn from the unigram distribution to the power 0.75, which makes an epoch about
fifteen times cheaper than a full softmax over the vocabulary; perplexity is measured with the full
softmax on the "dev" split's sentences, and the best epoch is kept.
"""

from __future__ import annotations

import copy
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.speller.context import (
    BOUNDARY_ID,
    PAD_ID,
    SPECIAL_WORDS,
    UNKNOWN_ID,
    ContextConfig,
    ContextLM,
    WordVocab,
    glove_init,
    pad_sentences,
)
from models.speller.text import lm_form, tokenize

MAX_SENTENCE_TOKENS = 80  # longer sentences are cut into pieces of this many tokens


@dataclass(frozen=True)
class ContextTraining:
    epochs: int = 10
    batch_tokens: int = 2000  # tokens per step, sentences of similar length together
    lr: float = 2e-3
    samples: int = 2048  # negatives per step for the sampled softmax
    word_dropout: float = 0.05  # input words read as <unk>, as a misspelt neighbour would be
    min_count: int = 2
    seed: int = 1


def forms_of(sentence: str) -> list[str]:
    return [lm_form(token) for token in tokenize(sentence)]


def sentence_forms(sentences: Sequence[str]) -> list[list[str]]:
    """Each sentence as context-model forms, long ones cut into pieces."""
    out = []
    for sentence in sentences:
        forms = forms_of(sentence)
        out.extend(forms[i : i + MAX_SENTENCE_TOKENS] for i in range(0, len(forms), MAX_SENTENCE_TOKENS))
    return [forms for forms in out if forms]


def build_vocab(corpus: Sequence[Sequence[str]], min_count: int) -> tuple[WordVocab, Counter]:
    counts = Counter(form for forms in corpus for form in forms)
    words = [w for w, c in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if c >= min_count]
    words = [w for w in words if w not in SPECIAL_WORDS]
    return WordVocab([*SPECIAL_WORDS, *words]), counts


def unigram_counts(vocab: WordVocab, corpus: Sequence[Sequence[int]]) -> np.ndarray:
    counts = np.bincount(np.concatenate([np.asarray(ids) for ids in corpus]), minlength=len(vocab))
    counts[PAD_ID] = 0
    return counts.astype(np.float64)


def batches(lengths: np.ndarray, batch_tokens: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Sentence indices grouped by similar length, about batch_tokens tokens each, in random order."""
    order = np.argsort(lengths + rng.random(len(lengths)), kind="stable")
    groups, current, tokens = [], [], 0
    for index in order:
        current.append(index)
        tokens += lengths[index]
        if tokens >= batch_tokens:
            groups.append(np.array(current))
            current, tokens = [], 0
    if current:
        groups.append(np.array(current))
    rng.shuffle(groups)
    return groups


def sampled_softmax_loss(
    model: ContextLM, query: torch.Tensor, targets: torch.Tensor, samples: torch.Tensor, log_expected: torch.Tensor,
    direction: str,
) -> torch.Tensor:  # fmt: skip
    """query: (N, D), targets: (N,), samples: (S,) shared negatives, log_expected: (V,) log(S * Q(word))."""
    true_logit = model.logits(query, direction, targets[:, None])[:, 0] - log_expected[targets]  # (N,)
    sample_logits = query @ model.embed.weight[samples].T  # (N, S): never the full (N, V) matrix
    bias = model.forward_bias if direction == "left" else model.backward_bias
    sample_logits = sample_logits + (bias[samples] - log_expected[samples])[None]
    sample_logits = sample_logits.masked_fill(samples[None] == targets[:, None], -math.inf)  # accidental hits
    logits = torch.cat([true_logit[:, None], sample_logits], 1)  # (N, 1 + S)
    return F.cross_entropy(logits, torch.zeros(len(targets), dtype=torch.int64))


def direction_targets(ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks of the positions each direction predicts: left predicts ids[1:L], right predicts ids[0:L-1]."""
    steps = torch.arange(ids.shape[1])[None]  # (1, T)
    left = (steps >= 1) & (steps < lengths[:, None])
    right = steps < (lengths[:, None] - 1)
    return left, right


def perplexity(model: ContextLM, corpus: Sequence[Sequence[int]], batch_size: int = 64) -> dict:
    """Full-softmax per-word perplexity of each direction on encoded sentences (boundaries predicted too)."""
    model.eval()
    totals = {"left": [0.0, 0], "right": [0.0, 0]}
    with torch.inference_mode():
        for start in range(0, len(corpus), batch_size):
            ids, lengths = pad_sentences(corpus[start : start + batch_size])
            out = model(ids, lengths)
            left, right = direction_targets(ids, lengths)
            for direction, query, mask in (("left", out.left_query, left), ("right", out.right_query, right)):
                log_probs = model.logits(query[mask], direction).log_softmax(-1)  # (N, V)
                picked = log_probs.gather(1, ids[mask][:, None])[:, 0]
                totals[direction][0] -= float(picked.sum())
                totals[direction][1] += int(mask.sum())
    return {direction: round(math.exp(loss / max(n, 1)), 2) for direction, (loss, n) in totals.items()}


def train_context_model(
    train_sentences: Sequence[str],
    heldout_sentences: Sequence[str],
    config: ContextConfig,
    settings: ContextTraining,
    glove: tuple[Sequence[str], np.ndarray] | None,
    max_steps: int | None = None,
) -> tuple[ContextLM, WordVocab, dict]:
    """The trained model (best held-out epoch), its vocabulary and a summary for the manifest."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    train_forms = sentence_forms(train_sentences)
    vocab, form_counts = build_vocab(train_forms, settings.min_count)
    config = ContextConfig(**{**config.__dict__, "vocab_size": len(vocab)})
    encoded = [vocab.encode(forms) for forms in train_forms]
    heldout = [vocab.encode(forms) for forms in sentence_forms(heldout_sentences)]
    model = ContextLM(config)
    glove_hits = glove_init(model, vocab, *glove) if glove else 0
    noise, log_expected = start_at_unigrams(model, unigram_counts(vocab, encoded), settings.samples)
    generator = torch.Generator().manual_seed(settings.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    lengths = np.array([len(ids) for ids in encoded])
    steps_per_epoch = len(batches(lengths, settings.batch_tokens, np.random.default_rng(0)))
    total_steps = settings.epochs * steps_per_epoch if max_steps is None else max_steps
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.lr, total_steps=total_steps, pct_start=0.05)
    best, best_state, history, step = math.inf, None, [], 0
    bar = tqdm(total=total_steps, desc="context LM", file=sys.stderr)
    for epoch in range(1, settings.epochs + 1):
        model.train()
        running = None
        for group in batches(lengths, settings.batch_tokens, rng):
            ids, batch_lengths = pad_sentences([encoded[i] for i in group])
            inputs = ids.masked_fill(
                (torch.rand(ids.shape, generator=generator) < settings.word_dropout) & (ids > BOUNDARY_ID), UNKNOWN_ID
            )
            out = model(inputs, batch_lengths)
            left, right = direction_targets(ids, batch_lengths)
            samples = torch.multinomial(noise, settings.samples, replacement=True, generator=generator)
            loss = sampled_softmax_loss(model, out.left_query[left], ids[left], samples, log_expected, "left")
            loss += sampled_softmax_loss(model, out.right_query[right], ids[right], samples, log_expected, "right")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            running = loss.item() / 2 if running is None else 0.98 * running + 0.02 * loss.item() / 2
            if step % 20 == 0:
                bar.set_postfix(epoch=epoch, loss=f"{running:.3f}")
            bar.update()
            if step >= total_steps:
                break
        scores = perplexity(model, heldout)
        history.append({"epoch": epoch, "step": step, "train_sampled_loss": round(running or 0.0, 4), **scores})
        print(f"context LM epoch {epoch}: held-out perplexity {scores}", file=sys.stderr, flush=True)
        mean = math.sqrt(scores["left"] * scores["right"])
        if mean < best:
            best, best_state = mean, copy.deepcopy(model.state_dict())
        if step >= total_steps:
            break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    return model, vocab, context_summary(vocab, glove_hits, train_forms, form_counts, len(heldout), history)


def start_at_unigrams(model: ContextLM, counts: np.ndarray, samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Start each direction's output bias at the unigram distribution; return the sampled softmax's noise
    distribution (counts ** 0.75) and the log of each word's expected count among `samples` draws."""
    with torch.no_grad():
        unigram = torch.from_numpy(np.log(np.maximum(counts, 0.5) / counts.sum())).float()
        model.forward_bias.copy_(unigram)
        model.backward_bias.copy_(unigram)
    noise = torch.from_numpy(counts**0.75)
    noise /= noise.sum()
    return noise, torch.log(samples * noise.clamp_min(1e-12)).float()  # (V,), (V,)


def context_summary(
    vocab: WordVocab,
    glove_hits: int,
    train_forms: list[list[str]],
    form_counts: Counter,
    heldout_sentences: int,
    history: list[dict],
) -> dict:
    best_epoch = min(history, key=lambda h: math.sqrt(h["left"] * h["right"]))
    return {
        "vocab_size": len(vocab),
        "glove_words_in_vocab": glove_hits,
        "train_sentences": len(train_forms),
        "train_tokens": int(sum(len(forms) for forms in train_forms)),
        "train_tokens_unknown": int(sum(c for f, c in form_counts.items() if f not in vocab.ids)),
        "heldout_sentences": heldout_sentences,
        "heldout_perplexity": {k: best_epoch[k] for k in ("left", "right")},
        "best_epoch": best_epoch["epoch"],
        "history": history,
    }
