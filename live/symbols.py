"""Teach a digit CNN symbols of your own from a handful of drawings: transfer learning, live.

The CNN's convolutional layers, trained on MNIST, are kept as they are: what they learned to see
in digits (strokes, loops, corners) serves new shapes too. Its last layer gets one new output per
symbol and is fine-tuned on the drawings, each seen in many randomly warped copies, mixed with a
replay of MNIST digits so that the ten digit outputs are not forgotten.

A `SymbolLesson` advances one small piece of work at a time (a chunk of images through the frozen
layers, then one optimiser step of the last layer), like `live.run.LiveRun`, so the same
worker thread runs it, pauses it and stops it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from live.budget import spent
from live.run import Augment, LiveData, Series
from models.cnn import DigitCNN

MIN_EXAMPLES = 5
MAX_SYMBOLS = 3
MAX_NAME = 20
# Every fifth drawing of a symbol is held back to test on, never trained on.
HOLD_BACK_EVERY = 5
NUM_DIGITS = 10
# Images through the frozen layers at a time: the pretrained CNN's forward pass keeps every map, ~0.4 MB an image.
EMBED_CHUNK = 50
LESSON_COLUMNS = ("step", "seconds", "loss", "heldback_accuracy", "mnist_accuracy")


class SymbolError(ValueError):
    """Drawings that cannot make a lesson; the message says what to draw."""


@dataclass(frozen=True)
class Symbol:
    name: str
    train: tuple[np.ndarray, ...]  # (28, 28) float32 drawings to learn from, preprocessed like MNIST
    heldback: tuple[np.ndarray, ...]  # (28, 28) drawings kept to test on


@dataclass(frozen=True)
class LessonConfig:
    seed: int = 0
    max_seconds: float = 10.0  # CPU seconds, the frozen layers' work included
    max_steps: int = 300
    copies: int = 24  # randomly warped copies of each drawing, besides the drawing itself
    replay: int = 1_000  # MNIST training images replayed beside the drawings
    batch_size: int = 128  # half drawings, half replayed digits
    learning_rate: float = 1e-2
    eval_every: int = 10  # steps


def split_drawings(name: str, drawings: list[np.ndarray]) -> Symbol:
    """A symbol from the drawings made for it, in order: every HOLD_BACK_EVERY-th is held back."""
    clean = name.strip()
    if not clean:
        raise SymbolError("Give every symbol a name.")
    if len(drawings) < MIN_EXAMPLES:
        have = f"{len(drawings)} drawing{'s' if len(drawings) != 1 else ''}"
        raise SymbolError(
            f"“{clean}” has {have}: draw at least {MIN_EXAMPLES}. "
            f"Every {HOLD_BACK_EVERY}th is held back to test on, so the CNN learns from the others."
        )
    train = tuple(d for i, d in enumerate(drawings) if (i + 1) % HOLD_BACK_EVERY)
    heldback = tuple(d for i, d in enumerate(drawings) if (i + 1) % HOLD_BACK_EVERY == 0)
    return Symbol(clean[:MAX_NAME], train, heldback)


def check_symbols(symbols: list[Symbol]) -> None:
    if not symbols:
        raise SymbolError(f"Draw at least {MIN_EXAMPLES} examples of a symbol first, and give it a name.")
    if len(symbols) > MAX_SYMBOLS:
        raise SymbolError(f"At most {MAX_SYMBOLS} symbols at a time.")
    names = [s.name.casefold() for s in symbols]
    if len(set(names)) != len(names):
        raise SymbolError("Two symbols share a name: give each its own.")
    digits = [s.name for s in symbols if s.name in {str(d) for d in range(NUM_DIGITS)}]
    if digits:
        raise SymbolError(f"“{digits[0]}” is already a digit the CNN knows: name the symbol something else.")


def features(base: DigitCNN, images: torch.Tensor) -> torch.Tensor:
    """What the frozen layers make of images (B, 1, 28, 28): conv5's maps, averaged over positions."""
    return base(images).feature_maps["conv5"].mean(dim=(2, 3))  # (B, C5)


class SymbolClassifier(nn.Module):
    """The frozen CNN with its new last layer: ten digits, then the symbols, in order."""

    def __init__(self, base: DigitCNN, head: nn.Linear, names: tuple[str, ...]) -> None:
        super().__init__()
        self.base, self.head, self.names = base, head, names

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(NUM_DIGITS)) + self.names

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() == 3:
            images = images.unsqueeze(1)  # (B, 28, 28) -> (B, 1, 28, 28)
        return self.head(features(self.base, images))  # (B, 10 + symbols)

    @torch.inference_mode()
    def probabilities(self, image28: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(image28, dtype=np.float32))[None, None]  # (1, 1, 28, 28)
        return self.forward(x).softmax(-1)[0].numpy()  # (10 + symbols,)


@dataclass(frozen=True)
class LessonView:
    names: tuple[str, ...]
    train_counts: tuple[int, ...]
    heldback_counts: tuple[int, ...]
    steps: int
    cpu_seconds: float
    prepared: float  # fraction of the images through the frozen layers
    finished: str | None
    curve: np.ndarray  # (n, 5) LESSON_COLUMNS
    per_symbol_accuracy: np.ndarray | None  # (symbols,) on the held-back drawings
    confusion: np.ndarray | None  # (symbols, symbols + 1): true symbol x predicted symbol, or "a digit" last
    mnist_accuracy: float | None  # on the held-out MNIST digits, with the new outputs competing
    classifier: SymbolClassifier | None  # a frozen copy for the canvas


class SymbolLesson:
    def __init__(
        self,
        base: DigitCNN,
        symbols: list[Symbol],
        data: LiveData,
        augment: Augment | None,
        config: LessonConfig | None = None,
    ) -> None:
        check_symbols(symbols)
        self.config = config or LessonConfig()
        self.symbols = symbols
        self.names = tuple(s.name for s in symbols)
        self._generator = torch.Generator().manual_seed(self.config.seed)
        if base.training:
            raise ValueError("the base CNN must be in eval mode: its batch norm uses its running statistics")
        # Never modified: it may be the server's shared pretrained model. Its layers only ever run under
        # inference_mode, so no gradient reaches them.
        self.base = base
        self._pending = self._images_to_embed(data, augment)
        self._total = sum(len(images) for _, images in self._pending)
        self._done = 0
        self._embedded: dict[str, list[torch.Tensor]] = {}
        self.head: nn.Linear | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.curve = Series(LESSON_COLUMNS, self.config.max_steps + 2)
        self.steps = 0
        self.cpu_seconds = 0.0
        self.finished: str | None = None
        self._result: tuple[np.ndarray, np.ndarray, float, SymbolClassifier] | None = None

    def _images_to_embed(self, data: LiveData, augment: Augment | None) -> list[tuple[str, torch.Tensor]]:
        """(what, images) in the order they go through the frozen layers, chunked later."""
        train, train_labels = [], []
        for index, symbol in enumerate(self.symbols):
            drawings = torch.from_numpy(np.stack(symbol.train).astype(np.float32)).unsqueeze(1)  # (n, 1, 28, 28)
            copies = [drawings]
            if augment is not None:
                copies += [augment(drawings, self._generator) for _ in range(self.config.copies)]
            train.append(torch.cat(copies))
            train_labels.append(torch.full((len(train[-1]),), NUM_DIGITS + index))
        replay = torch.randperm(len(data.train_labels), generator=self._generator)[: self.config.replay]
        heldback = [torch.from_numpy(np.stack(s.heldback).astype(np.float32)) for s in self.symbols if s.heldback]
        self._labels = {
            "train": torch.cat(train_labels),
            "replay": data.train_labels[replay],
            "heldback": torch.tensor([NUM_DIGITS + i for i, s in enumerate(self.symbols) for _ in s.heldback]),
            "heldout": data.heldout_labels,
        }
        parts = [
            ("train", torch.cat(train)),
            ("replay", data.train_images[replay].float().div(255).unsqueeze(1)),
            ("heldback", torch.cat(heldback).unsqueeze(1) if heldback else torch.zeros(0, 1, 28, 28)),
            ("heldout", data.heldout_images),
        ]
        return [(what, chunk) for what, images in parts for chunk in images.split(EMBED_CHUNK)]

    def advance(self, force_evaluation: bool = False) -> None:
        if self.finished:
            return
        started = time.thread_time()
        if self._pending:
            with torch.inference_mode():
                what, images = self._pending.pop(0)
                self._embedded.setdefault(what, []).append(features(self.base, images))
                self._done += len(images)
            if not self._pending:
                self._start_head()
        else:
            self._train_step()
            if force_evaluation or self.steps % self.config.eval_every == 0:
                self._evaluate()
        self.cpu_seconds += time.thread_time() - started
        reason = self._finished_reason()
        if reason:
            self.stop(reason)

    def _features(self, what: str) -> torch.Tensor:
        chunks = self._embedded.get(what, [])
        return torch.cat(chunks) if chunks else torch.zeros(0, self.base.config.conv5_channels)

    def _start_head(self) -> None:
        self.features = {what: self._features(what) for what in self._labels}
        old = self.base.classifier
        head = nn.Linear(old.in_features, NUM_DIGITS + len(self.symbols))
        with torch.no_grad():
            head.weight[:NUM_DIGITS] = old.weight
            head.bias[:NUM_DIGITS] = old.bias
            # Each new output starts pointing at its drawings' mean features ("imprinting"), as long as a digit's.
            scale = old.weight.norm(dim=1).mean()
            train, labels = self.features["train"], self._labels["train"]
            for index in range(len(self.symbols)):
                mean = train[labels == NUM_DIGITS + index].mean(0)
                head.weight[NUM_DIGITS + index] = mean / (mean.norm() + 1e-12) * scale
                head.bias[NUM_DIGITS + index] = old.bias.mean()
        self.head = head
        self.optimizer = torch.optim.Adam(head.parameters(), lr=self.config.learning_rate)
        self._evaluate()

    def _train_step(self) -> None:
        half = self.config.batch_size // 2
        picks = []
        for what in ("train", "replay"):
            count = len(self._labels[what])
            picks.append((what, torch.randint(count, (half,), generator=self._generator)))
        inputs = torch.cat([self.features[what][index] for what, index in picks])  # (B, C5)
        labels = torch.cat([self._labels[what][index] for what, index in picks])  # (B,)
        loss = F.cross_entropy(self.head(inputs), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self._last_loss = float(loss.detach())

    @torch.inference_mode()
    def _evaluate(self) -> None:
        k = len(self.symbols)
        heldback = self.head(self.features["heldback"]).argmax(1) if len(self._labels["heldback"]) else None
        confusion = np.zeros((k, k + 1), dtype=np.int64)
        if heldback is not None:
            for truth, predicted in zip(self._labels["heldback"].tolist(), heldback.tolist(), strict=True):
                confusion[truth - NUM_DIGITS, predicted - NUM_DIGITS if predicted >= NUM_DIGITS else k] += 1
        totals = confusion.sum(1)
        per_symbol = np.where(totals > 0, np.diag(confusion[:, :k]) / np.maximum(totals, 1), np.nan)
        mnist = float((self.head(self.features["heldout"]).argmax(1) == self._labels["heldout"]).float().mean())
        heldback_accuracy = float(np.trace(confusion[:, :k]) / max(totals.sum(), 1)) if totals.sum() else math.nan
        loss = getattr(self, "_last_loss", math.nan)
        self.curve.append(self.steps, self.cpu_seconds, loss, heldback_accuracy, mnist)
        head = nn.Linear(self.head.in_features, self.head.out_features)
        head.load_state_dict(self.head.state_dict())
        head.requires_grad_(False)
        self._result = (per_symbol, confusion, mnist, SymbolClassifier(self.base, head.eval(), self.names))

    def _finished_reason(self) -> str | None:
        return spent(self.steps, self.config.max_steps, self.cpu_seconds, self.config.max_seconds)

    def share(self, seconds: float, waiting: int) -> None:
        """A lesson keeps its budget under a queue: it is short already (10 s by default, most of it passing the
        drawings through the frozen layers), and cut shorter its last layer would not learn."""

    def stop(self, reason: str) -> None:
        if self.finished is not None:
            return
        if self.head is not None and (len(self.curve) == 0 or self.curve.rows()[-1, 0] != self.steps):
            self._evaluate()
        self.finished = reason  # only once the final scores are in

    def view(self) -> LessonView:
        result = self._result
        return LessonView(
            names=self.names,
            train_counts=tuple(len(s.train) for s in self.symbols),
            heldback_counts=tuple(len(s.heldback) for s in self.symbols),
            steps=self.steps,
            cpu_seconds=self.cpu_seconds,
            prepared=self._done / max(self._total, 1),
            finished=self.finished,
            curve=self.curve.rows(),
            per_symbol_accuracy=None if result is None else result[0],
            confusion=None if result is None else result[1],
            mnist_accuracy=None if result is None else result[2],
            classifier=None if result is None else result[3],
        )
