"""Why did a tagger give this label to this token? Two views that do not mislead.

1. Integrated gradients (Sundararajan et al. 2017) of f = log p(label at the token | sentence), the log of
   the marginal probability the tagger gives that label (the CRF's forward-backward marginal for the BiLSTM,
   the per-token softmax for the CNN), with respect to the encoder's input: each token's word vector,
   char-CNN features and casing embedding, concatenated. The path runs in a straight line from a baseline,
   every token replaced by the unknown word (UNKNOWN_WORD), to the sentence. Unlike gradient × input of a
   probability near 1, which is saturated and can point either way, the attributions add up to
   f(sentence) − f(baseline) (completeness); `completeness_residual` says how closely the quadrature did.
2. Occlusion, which needs no calculus: the label's probability with each token in turn replaced by the
   unknown word, all T variants in one batched forward pass.

Captum (LayerIntegratedGradients, Occlusion) would fit the tagger, and was measured rather than assumed: in a
fresh Python that already holds torch, numpy, plotly and streamlit, `import captum.attr` (captum 0.9.0) adds
56 MB resident; importing LayerIntegratedGradients alone costs as much (55 MB after torch alone, like the
whole package), because captum.attr's __init__ imports its visualisation module and with it matplotlib.pyplot.
The app's budget is 600 MB and it holds 576 MB (README, `python -m benchmarks.hosting`), so the library does
not fit; the two views are a few dozen lines of PyTorch here, and tests/text/test_explain.py holds them to
completeness and to a 2000-step Riemann reference. The measurement, in a virtual environment with captum
installed:
    python -c "import numpy, torch, plotly.graph_objects, streamlit; rss = lambda: int(next(l for l in
    open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024; before = rss(); import captum.attr;
    print(f'{rss() - before:.1f} MB')"

Pure PyTorch and numpy. Gradients are taken with torch.autograd.grad with respect to a detached copy of the
embeddings only, outside inference mode, so the shared parameters never get .grad and one cached model
serves every session and thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from models.ner import CASES, TAGS, UNK, NERBatch, NERTagger, TaggedText, make_batch

# The replacement token of both views, as the tagger encodes it: word vector <unk>, a spelling of one
# character it never saw in training (char <unk>), casing class "lower". It is what the tagger sees for an
# ordinary lowercase word it does not know, with no spelling clue.
UNKNOWN_WORD = "an unknown lowercase word (the <unk> word vector, spelt with one unknown character)"
# Gauss-Legendre nodes: the integrand is smooth for the BiLSTM and piecewise smooth for the CNN (ReLU), and
# 64 nodes usually keep the completeness residual under 1%. Where they do not (a label whose probability turns
# sharply along the path), explain() doubles the nodes, up to MAX_STEPS, until it is: Sundararajan et al.
# (2017) advise checking completeness and raising the steps when it fails (tests/text/test_explain.py).
DEFAULT_STEPS = 64
MAX_STEPS = 256
COMPLETENESS_TOLERANCE = 0.01
RULES = ("gauss-legendre", "midpoint")
PARTS = ("word", "char", "case")


@dataclass
class Explanation:
    tokens: list[str]
    position: int  # the token explained, an index into tokens
    label: str  # an IOB2 tag, from TAGS
    probability: float  # p(label at position | sentence)
    target: str  # what is attributed, in words
    baseline: str  # the baseline, in words
    # (T,) integrated gradients, summed over each token's embedding: > 0 raises f, < 0 lowers it.
    integrated_gradients: np.ndarray
    parts: dict[str, np.ndarray]  # the same split by input, PARTS -> (T,); they sum to integrated_gradients
    log_prob: float  # f(sentence)
    baseline_log_prob: float  # f(baseline)
    steps: int
    rule: str
    occlusion: np.ndarray  # (T,) p(label at position) with token i replaced by the unknown word

    @property
    def attribution_sum(self) -> float:
        return float(self.integrated_gradients.sum())

    @property
    def completeness_gap(self) -> float:
        """f(sentence) − f(baseline): what the attributions should add up to."""
        return self.log_prob - self.baseline_log_prob

    @property
    def completeness_residual(self) -> float:
        """|sum of attributions − (f(x) − f(baseline))| / |f(x) − f(baseline)|; inf when the gap is 0."""
        error = abs(self.attribution_sum - self.completeness_gap)
        if self.completeness_gap == 0:
            return 0.0 if error == 0 else float("inf")
        return error / abs(self.completeness_gap)


def quadrature(steps: int, rule: str = "gauss-legendre") -> tuple[np.ndarray, np.ndarray]:
    """(alphas (S,), weights (S,)) on [0, 1], the weights summing to 1."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    if rule == "gauss-legendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    if rule == "midpoint":
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    raise ValueError(f"unknown rule {rule!r}; choose from {RULES}")


def describe_target(model: NERTagger, tokens: list[str], position: int, label: str) -> str:
    how = (
        "its marginal probability over every tag path (CRF forward-backward)"
        if model.crf is not None
        else "its softmax probability at that token"
    )
    return f"log p({label} at “{tokens[position]}”, token {position} of its sentence), the log of {how}"


def describe_baseline() -> str:
    return f"every token of the sentence replaced by {UNKNOWN_WORD}"


def _check(model: NERTagger, tokens: list[str], position: int, label: str) -> int:
    if not tokens:
        raise ValueError("there is no token to explain in an empty sentence")
    if not 0 <= position < len(tokens):
        raise ValueError(f"position {position} is outside a sentence of {len(tokens)} tokens (0 to {len(tokens) - 1})")
    if label not in TAGS:
        raise ValueError(f"unknown label {label!r}; choose from {TAGS}")
    return TAGS.index(label)


def _unknown_encoding(model: NERTagger) -> tuple[int, int, list[int]]:
    """(word id, case id, char ids) of the replacement token."""
    vocab = model.vocab
    return vocab.word_index[UNK], CASES.index("lower"), [vocab.char_index[UNK]]


def _batch(model: NERTagger, tokens: list[str], replaced: list[int | None]) -> NERBatch:
    """One row per entry of `replaced`: the sentence, with token `replaced[b]` swapped for the unknown word
    (None: nothing replaced). (B, T) ids, (B, T, C) chars."""
    words, cases, chars = model.vocab.encode(tokens, model.config.max_word_chars)
    unk_word, unk_case, unk_chars = _unknown_encoding(model)
    rows = []
    for index in replaced:
        w, k, c = words.copy(), cases.copy(), list(chars)
        if index is not None:
            w[index], k[index], c[index] = unk_word, unk_case, unk_chars
        rows.append((w, k, c))
    return make_batch(rows)


def _embeddings(model: NERTagger, batch: NERBatch) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat(model.embed(batch), dim=2)  # (B, T, D)


def _baseline_embeddings(model: NERTagger, length: int) -> torch.Tensor:
    """(T, D): the unknown word's embedding at every position."""
    unk_word, unk_case, unk_chars = _unknown_encoding(model)
    row = (np.full(length, unk_word, np.int64), np.full(length, unk_case, np.int64), [unk_chars] * length)
    return _embeddings(model, make_batch([row]))[0]


def _label_log_probs(model: NERTagger, embeddings: torch.Tensor, position: int, k: int) -> torch.Tensor:
    """embeddings (B, T, D) of one sentence's variants -> (B,) log p(TAGS[k] at position)."""
    mask = torch.ones(embeddings.shape[:2], dtype=torch.bool)  # (B, T): one sentence, no padding
    _, emissions = model.encode(embeddings, mask)  # (B, T, K)
    return model.iob2_log_probs(emissions, mask)[:, position, k]  # (B,)


def integrated_gradients(
    model: NERTagger,
    tokens: list[str],
    position: int,
    label: str,
    steps: int = DEFAULT_STEPS,
    rule: str = "gauss-legendre",
    chunk: int = 256,
) -> tuple[np.ndarray, float, float]:
    """((T, D) attributions per embedding dimension, f(sentence), f(baseline)), where f is the label's
    log-probability at `position` and the baseline has every token replaced by the unknown word."""
    k = _check(model, tokens, position, label)
    alphas, weights = quadrature(steps, rule)
    # Outside inference mode even if the caller is in it: tensors made there cannot join autograd.
    with torch.inference_mode(False):
        x = _embeddings(model, _batch(model, tokens, [None]))[0]  # (T, D)
        baseline = _baseline_embeddings(model, len(tokens))  # (T, D)
        delta = x - baseline  # (T, D)
        total = torch.zeros_like(x, dtype=torch.float64)  # (T, D): sum_s w_s * grad f at alpha_s
        with torch.no_grad():
            ends = _label_log_probs(model, torch.stack([x, baseline]), position, k)  # (2,)
        for first in range(0, steps, chunk):
            a = torch.tensor(alphas[first : first + chunk], dtype=x.dtype)  # (S,)
            w = torch.tensor(weights[first : first + chunk], dtype=x.dtype)  # (S,)
            # A detached leaf per chunk: gradients reach these inputs only, never the parameters.
            path = (baseline + a[:, None, None] * delta).requires_grad_(True)  # (S, T, D)
            with torch.enable_grad():
                f = _label_log_probs(model, path, position, k)  # (S,)
                (grad,) = torch.autograd.grad((f * w).sum(), path)  # (S, T, D), already weighted
            total += grad.sum(0).double()
    attributions = (total * delta.double()).numpy()  # (T, D)
    return attributions, float(ends[0]), float(ends[1])


def occlusion(model: NERTagger, tokens: list[str], position: int, label: str) -> tuple[np.ndarray, float]:
    """((T,) p(label at position) with token i replaced by the unknown word, p with nothing replaced),
    from one forward pass over T + 1 rows, so every variant is computed alongside the original."""
    k = _check(model, tokens, position, label)
    with torch.inference_mode():
        batch = _batch(model, tokens, [None, *range(len(tokens))])  # (T + 1, T)
        probs = _label_log_probs(model, _embeddings(model, batch), position, k).exp()  # (T + 1,)
    return probs[1:].double().numpy(), float(probs[0])


def explain(
    model: NERTagger,
    tokens: list[str],
    position: int,
    label: str,
    steps: int = DEFAULT_STEPS,
    rule: str = "gauss-legendre",
) -> Explanation:
    """Both views of why tokens[position] has `label` (an IOB2 tag) in this sentence. Integrated gradients
    start at `steps` nodes and double, up to MAX_STEPS, while completeness misses by more than 1%."""
    while True:
        attributions, log_prob, baseline_log_prob = integrated_gradients(model, tokens, position, label, steps, rule)
        gap = log_prob - baseline_log_prob
        residual = abs(attributions.sum() - gap) / abs(gap) if gap else 0.0
        if residual <= COMPLETENESS_TOLERANCE or steps * 2 > MAX_STEPS:
            break
        steps *= 2
    occluded, probability = occlusion(model, tokens, position, label)
    c = model.config
    bounds = np.cumsum([0, c.word_dim, c.char_filters, c.case_dim])
    parts = {name: attributions[:, bounds[i] : bounds[i + 1]].sum(1) for i, name in enumerate(PARTS)}
    return Explanation(
        tokens=list(tokens),
        position=position,
        label=label,
        probability=probability,
        target=describe_target(model, tokens, position, label),
        baseline=describe_baseline(),
        integrated_gradients=attributions.sum(1),
        parts=parts,
        log_prob=log_prob,
        baseline_log_prob=baseline_log_prob,
        steps=steps,
        rule=rule,
        occlusion=occluded,
    )


def sentence_of(tagged: TaggedText, index: int) -> tuple[list[str], int]:
    """(the tokens of the sentence holding token `index` of the whole text, its position in them)."""
    if not 0 <= index < len(tagged.tokens):
        if not tagged.tokens:
            raise ValueError(f"token {index} does not exist: the text has no tokens")
        raise ValueError(
            f"token {index} is outside the text's {len(tagged.tokens)} tokens (0 to {len(tagged.tokens) - 1})"
        )
    members = [i for i, s in enumerate(tagged.sentence_ids) if s == tagged.sentence_ids[index]]
    return [tagged.tokens[i] for i in members], index - members[0]


def explain_token(model: NERTagger, tagged: TaggedText, index: int, steps: int = DEFAULT_STEPS) -> Explanation:
    """Both views for token `index` of a tagged text (0-based over the whole text), of the label the tagger
    gave it, within its sentence: the tagger reads one sentence at a time."""
    tokens, position = sentence_of(tagged, index)
    return explain(model, tokens, position, tagged.tags[index], steps)


def explanation_json(model: NERTagger, tagged: TaggedText, index: int, steps: int = DEFAULT_STEPS) -> dict:
    """The command line's answer for `python -m models ner TEXT --explain N`."""
    e = explain_token(model, tagged, index, steps)

    def numbers(values: np.ndarray) -> list[float]:
        return [round(float(v), 6) for v in values]

    residual = e.completeness_residual
    return {
        "index": index,
        "token": tagged.tokens[index],
        "label": e.label,
        "prob": round(e.probability, 6),
        "target": e.target,
        "baseline": e.baseline,
        "tokens": e.tokens,
        "position": e.position,
        "integrated_gradients": numbers(e.integrated_gradients),
        "integrated_gradients_by_input": {name: numbers(values) for name, values in e.parts.items()},
        "log_prob": round(e.log_prob, 6),
        "baseline_log_prob": round(e.baseline_log_prob, 6),
        "attribution_sum": round(e.attribution_sum, 6),
        # None (null) where f(x) = f(baseline) exactly: there is nothing to divide by.
        "completeness_residual": round(residual, 6) if math.isfinite(residual) else None,
        "steps": e.steps,
        "quadrature": e.rule,
        "occlusion": numbers(e.occlusion),
    }
