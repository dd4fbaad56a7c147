"""Train a small CNN and a row-by-row LSTM live, from random weights, on the same batches.

The models are the app's own classes (models/cnn.py DigitCNN, models/rnn.py RowRNN) in
smaller sizes. A `LiveRun` advances one optimiser step at a time, so a worker thread can
pause it, step it and stop it between any two steps; live/__main__.py runs the very same
object from the command line.

Everything a reader needs is published as immutable values or append-only arrays: the
worker writes, any number of readers (the page, its fragments) read without locks.

Timing is CPU time of the thread doing the work (`time.thread_time`): on a shared server
that is the honest measure of what training cost, whatever else the cores were doing. A run on
more than one torch thread must count its helper threads too: pass `clock=time.process_time`
when nothing else runs in the process.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from live.budget import spent
from models.checkpoint import count_parameters
from models.cnn import DigitCNN, DigitCNNConfig
from models.rnn import RowRNN, RowRNNConfig

KINDS = ("cnn", "rnn")
OPTIMISERS = ("adam", "sgd_momentum", "sgd")
NUM_CLASSES = 10
TRAIN_IMAGES = 10_000
HELDOUT_IMAGES = 2_000
# Cross-entropy at chance is ln 10 ≈ 2.3. A batch loss this far above it means the weights have blown up.
DIVERGED_LOSS = 100.0
# Evaluate on the held-out images at least this often (CPU seconds of training in between), and never let
# evaluation take more than 1 / (1 + EVAL_SHARE_INVERSE) of the time.
EVAL_EVERY_S = 1.0
EVAL_SHARE_INVERSE = 4
# Refresh the filters, the fixed digit's feature maps and the models used for drawing this often.
PUBLISH_EVERY_S = 0.25
# Scoring keeps every layer's maps of a batch alive at once (the forward pass returns them): 500 digits
# would take 60 MB for the default CNN, 100 take 12.
EVAL_BATCH = 100
# Batch norm's running statistics trail weights that change every step, and scored with them the held-out
# accuracy of a live CNN jumps by several points from one evaluation to the next. Before each evaluation
# they are measured afresh on this many training images ("precise batch norm").
CALIBRATION_IMAGES = 1_000
WRONG_SHOWN = 16
# The held-out digit whose feature maps are drawn: the first held-out image of this class.
FIXED_DIGIT_CLASS = 3

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


class LiveConfigError(ValueError):
    """A setting that cannot train; its message says which and why, in plain words."""


@dataclass(frozen=True)
class LiveConfig:
    kinds: tuple[str, ...] = ("cnn", "rnn")  # which models train: both race on the same batches
    learning_rate: float = 3e-3
    batch_size: int = 64
    optimiser: str = "adam"
    conv_filters: int = 8  # first-layer filters; the later layers have 1, 2, 2 and 4 times as many
    lstm_units: int = 64
    augment: bool = False
    seed: int = 0
    max_seconds: float = 60.0  # CPU seconds for the whole run, training and evaluation of every model
    max_steps: int = 20_000

    def __post_init__(self) -> None:
        if not self.kinds or any(kind not in KINDS for kind in self.kinds) or len(set(self.kinds)) != len(self.kinds):
            raise LiveConfigError(f"Choose the CNN, the RNN or both (got {self.kinds!r}).")
        if not math.isfinite(self.learning_rate) or self.learning_rate < 0:
            raise LiveConfigError(f"The learning rate must be a number of 0 or more (got {self.learning_rate!r}).")
        if self.optimiser not in OPTIMISERS:
            raise LiveConfigError(f"Unknown optimiser {self.optimiser!r}: choose one of {', '.join(OPTIMISERS)}.")
        for name in ("batch_size", "conv_filters", "lstm_units", "max_steps"):
            if int(getattr(self, name)) < 1:
                raise LiveConfigError(f"{name.replace('_', ' ')} must be at least 1 (got {getattr(self, name)!r}).")
        if not self.max_seconds > 0:
            raise LiveConfigError(f"The time budget must be above 0 s (got {self.max_seconds!r}).")

    def model_config(self, kind: str) -> DigitCNNConfig | RowRNNConfig:
        """The live model's size. No dropout: in a minute of training it only slows learning down."""
        if kind == "cnn":
            f = self.conv_filters
            return DigitCNNConfig(f, f, 2 * f, 2 * f, 4 * f, kernel_size=3, conv1_kernel_size=5, dropout=0.0)
        return RowRNNConfig(hidden=self.lstm_units, layers=1, dropout=0.0)

    def as_dict(self) -> dict:
        return {**asdict(self), "kinds": list(self.kinds)}


@dataclass(frozen=True)
class LiveData:
    """The MNIST subset every session trains on. Shared read-only by all runs."""

    train_images: torch.Tensor  # (N, 28, 28) uint8
    train_labels: torch.Tensor  # (N,) int64
    heldout_images: torch.Tensor  # (M, 1, 28, 28) float32 in [0, 1]
    heldout_labels: torch.Tensor  # (M,) int64
    fixed_index: int  # the held-out image whose feature maps are drawn

    def calibration_images(self) -> torch.Tensor:
        return self.train_images[:CALIBRATION_IMAGES].float().div(255).unsqueeze(1)  # (C, 1, 28, 28)


def live_data(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    train_size: int = TRAIN_IMAGES,
    heldout_size: int = HELDOUT_IMAGES,
    seed: int = 0,
) -> LiveData:
    """A seeded subset: `train_size` images of MNIST's training set, `heldout_size` of its test set."""
    rng = np.random.default_rng(seed)
    train = np.sort(rng.choice(len(x_train), size=min(train_size, len(x_train)), replace=False))
    heldout = np.sort(rng.choice(len(x_test), size=min(heldout_size, len(x_test)), replace=False))
    heldout_labels = torch.from_numpy(np.asarray(y_test[heldout], dtype=np.int64))
    matches = np.flatnonzero(heldout_labels.numpy() == FIXED_DIGIT_CLASS)
    for tensor_data in (x_train, x_test):
        if tensor_data.dtype != np.uint8:
            raise ValueError("MNIST images are expected as uint8")
    return LiveData(
        train_images=torch.from_numpy(np.ascontiguousarray(x_train[train])),
        train_labels=torch.from_numpy(np.asarray(y_train[train], dtype=np.int64)),
        heldout_images=torch.from_numpy(x_test[heldout].astype(np.float32) / 255.0).unsqueeze(1),
        heldout_labels=heldout_labels,
        fixed_index=int(matches[0]) if len(matches) else 0,
    )


def seeded_init(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Re-draw every weight as PyTorch's defaults do, from `generator` rather than the global one: sessions
    train in threads side by side, and a shared generator would make each one's start depend on the others."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if module.bias is not None:
                bound = 1 / math.sqrt(module.weight[0].numel())
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        elif isinstance(module, nn.LSTM):
            bound = 1 / math.sqrt(module.hidden_size)
            for parameter in module.parameters():
                nn.init.uniform_(parameter, -bound, bound, generator=generator)
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_parameters()
    return model


def build_model(kind: str, config: LiveConfig, generator: torch.Generator) -> nn.Module:
    model = DigitCNN(config.model_config(kind)) if kind == "cnn" else RowRNN(config.model_config(kind))
    return seeded_init(model, generator)


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, images: torch.Tensor, chunk: int = EVAL_BATCH) -> None:
    """Set every batch-norm layer's running mean and variance to their average over `images` (C, 1, 28, 28)
    under the current weights. Training mode normalises with each batch's own statistics, so this changes
    nothing about training; it makes the evaluation-mode model match the weights it has now."""
    norms = [module for module in model.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a plain average over the chunks
    was_training = model.training
    model.train()
    for start in range(0, len(images), chunk):
        model(images[start : start + chunk])
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.train(was_training)


def make_optimizer(name: str, parameters, learning_rate: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(parameters, lr=learning_rate)
    return torch.optim.SGD(parameters, lr=learning_rate, momentum=0.9 if name == "sgd_momentum" else 0.0)


class Series:
    """Append-only rows of floats with a fixed capacity. The writer fills row n, then counts it; a reader
    that takes `rows()` gets a view of counted rows only, which are never written again."""

    def __init__(self, columns: tuple[str, ...], capacity: int) -> None:
        self.columns = columns
        self._data = np.full((capacity, len(columns)), np.nan)
        self._count = 0

    def append(self, *values: float) -> None:
        if self._count == len(self._data):
            return  # full: the budget in steps bounds the rows, so this only guards against misuse
        self._data[self._count] = values
        self._count += 1

    def rows(self) -> np.ndarray:
        return self._data[: self._count]  # (n, len(columns)), read-only by convention

    def __len__(self) -> int:
        return self._count


CURVE_COLUMNS = ("step", "examples", "seconds", "loss", "accuracy")


@dataclass(frozen=True)
class Evaluation:
    """One model scored on every held-out image."""

    step: int
    examples: int
    seconds: float
    loss: float
    accuracy: float
    confusion: np.ndarray  # (10, 10) counts: row = true digit, column = predicted
    wrong: np.ndarray  # (k,) held-out indices it gets wrong, first WRONG_SHOWN of them
    wrong_predictions: np.ndarray  # (k,) what it said for each
    rows_accuracy: np.ndarray | None  # (28,) RNN only: accuracy having read 1..28 rows
    model: nn.Module  # a frozen copy of the model as scored, safe to predict with from any thread


@dataclass(frozen=True)
class Divergence:
    step: int
    loss: float  # the batch loss that gave it away (inf or nan included)


@dataclass(frozen=True)
class Picture:
    """What is drawn live between evaluations, refreshed every PUBLISH_EVERY_S of training."""

    step: int
    filters: np.ndarray  # (C1, k, k) CNN first-layer filters now
    filter_cosine: np.ndarray  # (C1,) cosine similarity of each filter to its initial value
    filter_change: np.ndarray  # (C1,) ||w - w0|| / ||w0|| per filter
    fixed_maps: np.ndarray  # (C1, 28, 28) first-layer feature maps (before batch norm) of the fixed held-out digit


@dataclass(frozen=True)
class LearnerView:
    kind: str
    model_config: DigitCNNConfig | RowRNNConfig
    parameters: int
    train: np.ndarray  # (n, 5) CURVE_COLUMNS per training step: batch loss and accuracy
    heldout: np.ndarray  # (m, 5) CURVE_COLUMNS per evaluation
    evaluation: Evaluation | None
    picture: Picture | None  # CNN only
    initial_filters: np.ndarray | None  # (C1, k, k) CNN only
    divergence: Divergence | None
    steps: int
    examples: int
    seconds: float


@dataclass(frozen=True)
class RunView:
    config: LiveConfig
    steps: int
    cpu_seconds: float
    wall_seconds: float
    finished: str | None  # why the run ended, or None while it may continue
    max_seconds: float  # the CPU budget now: the config's, or less once the run was given a fair share
    shortened_for: int  # how many runs were waiting when it was shortened (0: never shortened)
    learners: dict[str, LearnerView] = field(default_factory=dict)


def _frozen_copy(model: nn.Module) -> nn.Module:
    clone = copy.deepcopy(model).eval()
    for parameter in clone.parameters():
        parameter.requires_grad_(False)
    return clone


class Learner:
    """One model, its optimiser and its record."""

    def __init__(self, kind: str, config: LiveConfig, generator: torch.Generator, clock=time.thread_time) -> None:
        self.kind, self.clock = kind, clock
        self.model_config = config.model_config(kind)
        self.model = build_model(kind, config, generator)
        self.optimizer = make_optimizer(config.optimiser, self.model.parameters(), config.learning_rate)
        self.parameters = count_parameters(self.model)
        capacity = config.max_steps + 1
        self.train = Series(CURVE_COLUMNS, capacity)
        self.heldout = Series(CURVE_COLUMNS, capacity + 1)
        self.initial_filters = self._filters() if kind == "cnn" else None
        self.evaluation: Evaluation | None = None
        self.picture: Picture | None = None
        self.divergence: Divergence | None = None
        self.steps = 0
        self.examples = 0
        self.seconds = 0.0

    def _filters(self) -> np.ndarray:
        return self.model.conv1.weight.detach()[:, 0].numpy().copy()  # (C1, k, k)

    def train_step(self, images: torch.Tensor, labels: torch.Tensor, batch_seconds: float) -> None:
        started = self.clock()
        self.model.train()
        logits = self.model(images).logits  # (B, 10)
        loss = F.cross_entropy(logits, labels)
        value = float(loss.detach())
        accuracy = float((logits.detach().argmax(1) == labels).float().mean())
        if not math.isfinite(value) or value > DIVERGED_LOSS:
            self.divergence = Divergence(self.steps + 1, value)
        else:
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        self.steps += 1
        self.examples += len(labels)
        self.seconds += batch_seconds + self.clock() - started
        self.train.append(self.steps, self.examples, self.seconds, value if math.isfinite(value) else np.nan, accuracy)

    @torch.inference_mode()
    def evaluate(self, data: LiveData) -> Evaluation:
        started = self.clock()
        recalibrate_batch_norm(self.model, data.calibration_images())
        self.model.eval()
        images, labels = data.heldout_images, data.heldout_labels
        total_loss, predictions, rows_correct = 0.0, [], None
        for start in range(0, len(labels), EVAL_BATCH):
            batch, truth = images[start : start + EVAL_BATCH], labels[start : start + EVAL_BATCH]
            output = self.model(batch)
            total_loss += float(F.cross_entropy(output.logits, truth, reduction="sum"))
            predictions.append(output.logits.argmax(1))
            if self.kind == "rnn":
                correct = (output.step_logits.argmax(-1) == truth[:, None]).sum(0)  # (T,) after each row
                rows_correct = correct if rows_correct is None else rows_correct + correct
        predicted = torch.cat(predictions).numpy()
        truth = labels.numpy()
        wrong = np.flatnonzero(predicted != truth)[:WRONG_SHOWN]
        loss = total_loss / len(truth)
        self.seconds += self.clock() - started
        evaluation = Evaluation(
            step=self.steps,
            examples=self.examples,
            seconds=self.seconds,
            loss=loss,
            accuracy=float((predicted == truth).mean()),
            confusion=np.bincount(truth * NUM_CLASSES + predicted, minlength=NUM_CLASSES**2).reshape(10, 10),
            wrong=wrong,
            wrong_predictions=predicted[wrong],
            rows_accuracy=None if rows_correct is None else rows_correct.numpy() / len(truth),
            model=_frozen_copy(self.model),
        )
        if not math.isfinite(loss) and self.divergence is None:
            self.divergence = Divergence(self.steps, loss)
        self.heldout.append(self.steps, self.examples, self.seconds, loss if math.isfinite(loss) else np.nan,
                            evaluation.accuracy)  # fmt: skip
        self.evaluation = evaluation
        return evaluation

    @torch.inference_mode()
    def publish(self, data: LiveData) -> None:
        if self.kind != "cnn":
            return
        now, start = self._filters(), self.initial_filters
        flat_now, flat_start = now.reshape(len(now), -1), start.reshape(len(start), -1)
        cosine = (flat_now * flat_start).sum(1) / (
            np.linalg.norm(flat_now, axis=1) * np.linalg.norm(flat_start, axis=1) + 1e-12
        )
        change = np.linalg.norm(flat_now - flat_start, axis=1) / (np.linalg.norm(flat_start, axis=1) + 1e-12)
        digit = data.heldout_images[data.fixed_index : data.fixed_index + 1]  # (1, 1, 28, 28)
        # conv1 comes before any batch norm, so its maps do not depend on train or eval mode.
        maps = F.relu(self.model.conv1(digit))[0].numpy().copy()  # (C1, 28, 28)
        self.picture = Picture(self.steps, now, cosine, change, maps)

    def view(self) -> LearnerView:
        return LearnerView(
            kind=self.kind,
            model_config=self.model_config,
            parameters=self.parameters,
            train=self.train.rows(),
            heldout=self.heldout.rows(),
            evaluation=self.evaluation,
            picture=self.picture,
            initial_filters=self.initial_filters,
            divergence=self.divergence,
            steps=self.steps,
            examples=self.examples,
            seconds=self.seconds,
        )


class LiveRun:
    """One training run: the chosen models, trained step by step on the same shuffled batches.

    Call `advance()` repeatedly from one thread; call `view()` from any thread."""

    def __init__(
        self, config: LiveConfig, data: LiveData, augment: Augment | None = None, clock=time.thread_time
    ) -> None:
        self.config, self.data, self.clock = config, data, clock
        self._augment = augment if config.augment else None
        self._generator = torch.Generator().manual_seed(config.seed)
        # Built in a fixed order from one generator, so a seed gives the same start whichever models train.
        learners = {kind: Learner(kind, config, self._generator, clock) for kind in KINDS}
        self.learners = {kind: learners[kind] for kind in config.kinds}
        self._order = torch.empty(0, dtype=torch.long)
        self._cursor = 0
        self.steps = 0
        self.cpu_seconds = 0.0
        self.wall_seconds = 0.0
        self.max_seconds = config.max_seconds  # lowered by share() while a queue waits
        self.shortened_for = 0
        self._since_eval = math.inf  # evaluate before the first step: every curve starts at chance
        self._last_eval_cost = 0.0
        self._since_publish = math.inf
        self.finished: str | None = None

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        size = min(self.config.batch_size, len(self.data.train_labels))
        if self._cursor + size > len(self._order):
            self._order = torch.randperm(len(self.data.train_labels), generator=self._generator)
            self._cursor = 0
        index = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        images = self.data.train_images[index].float().div_(255).unsqueeze(1)  # (B, 1, 28, 28)
        if self._augment is not None:
            images = self._augment(images, self._generator)
        return images, self.data.train_labels[index]

    @property
    def active(self) -> list[Learner]:
        return [learner for learner in self.learners.values() if learner.divergence is None]

    def advance(self, force_evaluation: bool = False) -> None:
        """One optimiser step for every model still learning (an evaluation first when one is due),
        then the budget check. `force_evaluation` scores the models after the step too, as a single
        step from the page does."""
        if self.finished:
            return
        started, wall = self.clock(), time.perf_counter()
        if self._since_eval >= max(EVAL_EVERY_S, EVAL_SHARE_INVERSE * self._last_eval_cost):
            self._evaluate()
        batch_started = self.clock()
        images, labels = self._batch()
        batch_seconds = self.clock() - batch_started
        for learner in self.active:
            learner.train_step(images, labels, batch_seconds)
        self.steps += 1
        step_cost = self.clock() - started
        self._since_eval += step_cost
        self._since_publish += step_cost
        if force_evaluation:
            self._evaluate()
        elif self._since_publish >= PUBLISH_EVERY_S:
            self._publish()
        self.cpu_seconds += self.clock() - started
        self.wall_seconds += time.perf_counter() - wall
        reason = self._finished_reason()
        if reason:
            self.close()
            self.finished = reason  # only once the final scores are in: readers take `finished` as "all done"

    def _evaluate(self) -> None:
        started = self.clock()
        for learner in self.learners.values():
            learner.evaluate(self.data)
        self._last_eval_cost = self.clock() - started
        self._since_eval = 0.0
        self._publish()

    def _publish(self) -> None:
        for learner in self.learners.values():
            learner.publish(self.data)
        self._since_publish = 0.0

    def close(self) -> None:
        """Score the final weights once more, unless the last evaluation already saw them."""
        started = self.clock()
        if any(learner.evaluation is None or learner.evaluation.step != learner.steps for learner in self.active):
            self._evaluate()
        else:
            self._publish()
        self.cpu_seconds += self.clock() - started

    def _finished_reason(self) -> str | None:
        if not self.active:
            return "diverged"
        return spent(self.steps, self.config.max_steps, self.cpu_seconds, self.max_seconds)

    def share(self, seconds: float, waiting: int) -> None:
        """Lower the CPU budget to `seconds` because `waiting` runs wait for a trainer (live.worker.TrainingPool);
        never raised again, and never below what the run has spent: then it ends after this step."""
        if seconds < self.max_seconds:
            self.max_seconds = max(seconds, self.cpu_seconds)
            self.shortened_for = max(self.shortened_for, waiting)

    def stop(self, reason: str) -> None:
        """End the run from outside its budget (a wall-clock limit, a closed session)."""
        if not self.finished:
            self.close()
            self.finished = reason

    def view(self) -> RunView:
        return RunView(
            config=self.config,
            steps=self.steps,
            cpu_seconds=self.cpu_seconds,
            wall_seconds=self.wall_seconds,
            finished=self.finished,
            learners={kind: learner.view() for kind, learner in self.learners.items()},
            max_seconds=self.max_seconds,
            shortened_for=self.shortened_for,
        )

    @staticmethod
    def _filter_drift(learner: Learner) -> dict:
        """The CNN's first layer: how far its filters turned (median cosine to their start, 1 = unturned)."""
        picture = learner.picture
        if learner.kind != "cnn" or picture is None:
            return {}
        return {
            "filter_median_cosine": round(float(np.median(picture.filter_cosine)), 3),
            "filter_median_change": round(float(np.median(picture.filter_change)), 3),
        }

    def summary(self) -> dict:
        """The headless contract's numbers: held-out accuracy and cost per model, and for the run."""
        models = {}
        for kind, learner in self.learners.items():
            evaluation = learner.evaluation
            heldout = learner.heldout.rows()
            models[kind] = {
                "heldout_accuracy": None if evaluation is None else round(evaluation.accuracy, 5),
                "heldout_loss": None if evaluation is None or not math.isfinite(evaluation.loss) else evaluation.loss,
                "examples_seen": learner.examples,
                "steps": learner.steps,
                "seconds": round(learner.seconds, 3),
                "parameters": learner.parameters,
                "diverged_at_step": None if learner.divergence is None else learner.divergence.step,
                **self._filter_drift(learner),
                # (seconds, examples, held-out accuracy) at every evaluation, for the benchmark's curves.
                "heldout_curve": [[round(float(s), 3), int(e), round(float(a), 5)] for _, e, s, _, a in heldout],
            }
        return {
            "heldout_accuracy": {kind: m["heldout_accuracy"] for kind, m in models.items()},
            "examples_seen": self.steps * min(self.config.batch_size, len(self.data.train_labels)),
            "steps": self.steps,
            "seconds": round(self.cpu_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 3),
            "max_seconds": self.max_seconds,
            "finished": self.finished,
            "models": models,
            "config": self.config.as_dict(),
        }


def default_augmenter() -> Augment:
    """The training scripts' augmentation (sources/augment.py), as a live run calls it."""
    from sources.augment import AugmentConfig, augment

    config = AugmentConfig()
    return lambda images, generator: augment(images, config, generator)
