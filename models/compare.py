"""One input through a CNN and an RNN side by side: what each computes, and how long it takes.

Pure PyTorch and numpy, like the rest of models/: the page calls one function per
comparison and draws what comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

from models.cnn import DigitCNN
from models.digits import DigitAnalysis, analyse
from models.explain import Explanation, explain, sentence_of
from models.ner import NERTagger, TaggedText, tag
from models.preprocess import PreprocessSteps, preprocess
from models.rnn import RowRNN

T = TypeVar("T")


def timed(run: Callable[[], T], extra: int = 0) -> tuple[T, float]:
    """(the result of `run()`, the median wall time in ms of that call and `extra` more)."""
    times = []
    for i in range(1 + extra):
        started = time.perf_counter()
        outcome = run()
        times.append(time.perf_counter() - started)
        if i == 0:
            result = outcome
    return result, float(np.median(times) * 1000)


@dataclass
class RowReading:
    """What the row RNN knew after each row it read."""

    step_probs: np.ndarray  # (28, 10): class probabilities after reading rows 0..t
    hidden: np.ndarray  # (28, H): top-layer hidden state after row t

    @property
    def probs(self) -> np.ndarray:
        return self.step_probs[-1]  # (10,): the final prediction

    @property
    def prediction(self) -> int:
        return int(self.probs.argmax())

    def settled_row(self) -> int | None:
        """The first row (1-based count of rows read) from which the final answer stays on top, or None."""
        top = self.step_probs.argmax(axis=1)  # (28,)
        changed = np.flatnonzero(top != self.prediction)
        first = 0 if len(changed) == 0 else int(changed[-1]) + 1
        return first + 1 if first < len(top) else None


def read_digit(model: RowRNN, image28: np.ndarray) -> RowReading:
    """Feed the 28 rows of one image to the RNN, one row per step, keeping every state."""
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(image28, dtype=np.float32))[None]  # (1, 28, 28)
        out = model.read_rows(x)
        return RowReading(
            step_probs=out.step_probs[0].numpy().copy(),
            hidden=out.hidden_states[0].numpy().copy(),
        )


@dataclass
class DigitComparison:
    steps: PreprocessSteps
    cnn: DigitAnalysis
    rnn: RowReading
    cnn_ms: float  # one forward pass, the median of `timing_runs`, measured now
    rnn_ms: float
    timing_runs: int


def compare_digit(cnn: DigitCNN, rnn: RowRNN, image: np.ndarray, repeats: int = 5) -> DigitComparison:
    """A canvas or gallery image through the shared preprocessing, then through both models.
    Raises EmptyDrawingError when there is no ink."""
    steps = preprocess(image)
    x = torch.from_numpy(np.ascontiguousarray(steps.final, dtype=np.float32))[None]  # (1, 28, 28)

    def run_cnn():
        with torch.inference_mode():
            return cnn(x[:, None])

    def run_rnn():
        with torch.inference_mode():
            return rnn(x)

    return DigitComparison(
        steps=steps,
        cnn=analyse(cnn, steps.final),
        rnn=read_digit(rnn, steps.final),
        cnn_ms=timed(run_cnn, repeats)[1],  # a bare forward pass, so a few cost little
        rnn_ms=timed(run_rnn, repeats)[1],
        timing_runs=1 + repeats,
    )


@dataclass
class TextComparison:
    cnn: TaggedText
    rnn: TaggedText
    cnn_ms: float
    rnn_ms: float
    window_radius: int  # tokens to each side that the CNN tagger sees

    @property
    def differing_tokens(self) -> list[int]:
        return [i for i, (a, b) in enumerate(zip(self.cnn.tags, self.rnn.tags, strict=True)) if a != b]


def compare_text(cnn: NERTagger, rnn: NERTagger, text: str, repeats: int = 0) -> TextComparison:
    """The same text through the convolutional tagger and the BiLSTM-CRF, each timed. The timed call is
    the one whose result is shown: on a 20,000-character text a tagging takes a second, so `repeats`
    extra calls are off by default."""
    cnn_tagged, cnn_ms = timed(lambda: tag(cnn, text), repeats)
    rnn_tagged, rnn_ms = timed(lambda: tag(rnn, text), repeats)
    return TextComparison(cnn_tagged, rnn_tagged, cnn_ms, rnn_ms, window_radius=cnn.config.window_radius or 0)


@dataclass
class TokenExplanations:
    """Both taggers' explanations of one token, each of its own label, within the token's sentence."""

    tokens: list[str]  # the sentence
    position: int  # the token, an index into tokens
    cnn_tags: list[str]  # (T,) each tagger's labels for the sentence
    rnn_tags: list[str]
    cnn: Explanation
    rnn: Explanation


def explain_both(cnn: NERTagger, rnn: NERTagger, comparison: TextComparison, index: int) -> TokenExplanations:
    """Token `index` of the compared text (0-based over the whole text), explained by both taggers."""
    tokens, position = sentence_of(comparison.rnn, index)  # both taggers share one tokenization
    members = range(index - position, index - position + len(tokens))  # a sentence's tokens are contiguous
    return TokenExplanations(
        tokens=tokens,
        position=position,
        cnn_tags=[comparison.cnn.tags[i] for i in members],
        rnn_tags=[comparison.rnn.tags[i] for i in members],
        cnn=explain(cnn, tokens, position, comparison.cnn.tags[index]),
        rnn=explain(rnn, tokens, position, comparison.rnn.tags[index]),
    )
