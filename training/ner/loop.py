"""train_ner's loop: epochs over the training set, each scored on valid, keeping the best weights, raw or
(with --average-from) the running mean of the late epochs."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

import torch
from tqdm import tqdm

from models.ner import NERTagger, make_batch, predict
from sources.btc import without_misc
from sources.conll import entity_scores
from training.ner.data import Sentences, TrainingSet, batch_allowed, epoch_batches, epoch_inputs


def running_mean(
    mean: dict[str, torch.Tensor] | None, count: int, state: dict[str, torch.Tensor]
) -> tuple[dict[str, torch.Tensor], int]:
    """Fold one more set of weights into an equal-weight running mean."""
    if mean is None:
        return {k: v.detach().clone() for k, v in state.items()}, 1
    count += 1
    for k, v in state.items():
        if v.is_floating_point():
            mean[k] += (v.detach() - mean[k]) / count
    return mean, count


@dataclass
class DevSet:
    """Sentences to score, and which of them come from a corpus without MISC: a MISC guess there is
    dropped before scoring, so it counts as neither right nor wrong."""

    sentences: Sentences
    no_misc: list[bool]

    def scores(self, model: NERTagger) -> dict:
        predicted = predict(model, [tokens for tokens, _ in self.sentences])
        predicted = [without_misc(p) if n else p for p, n in zip(predicted, self.no_misc, strict=True)]
        return entity_scores([tags for _, tags in self.sentences], predicted)


def valid_f1(model: NERTagger, valid: DevSet) -> float:
    return valid.scores(model)["f1"]


def train_epoch(model, data: TrainingSet, optimizer, args, rng, gen, epoch: int) -> float:
    """One pass over the training set; returns the mean loss per sentence."""
    model.train()
    batches = epoch_batches(data.lengths, args.batch_size, rng)
    total_loss, seen = 0.0, 0
    bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr, mininterval=2.0)
    for step, idx in enumerate(bar):
        batch = make_batch(epoch_inputs(data, idx, args.recase, rng), [data.gold_ids[i] for i in idx])
        allowed = batch_allowed(data, idx, batch.word_ids.size(1), len(model.config.tags))
        if args.singleton_unk > 0:
            drop = data.singleton[batch.word_ids] & (
                torch.rand(batch.word_ids.shape, generator=gen) < args.singleton_unk
            )
            batch.word_ids = batch.word_ids.masked_fill(drop, 1)
        loss = model.loss(batch, allowed)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        total_loss += loss.item() * len(idx)
        seen += len(idx)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{total_loss / seen:.3f}")
    return total_loss / seen


@dataclass
class Fit:
    history: list[dict] = field(default_factory=list)
    best_f1: float = -1.0
    best_state: dict | None = None
    best_epoch: int = 0
    best_kind: str = "raw"
    averaged_state: dict | None = None
    averaged_count: int = 0
    seconds: float = 0.0


def keep_best(fit: Fit, model: NERTagger, valid: DevSet, epoch: int, args: argparse.Namespace) -> str:
    """Keep the epoch's weights, or the running mean's, if they beat the best on valid; returns the note
    on the averaged weights for the epoch's line."""
    if fit.history[-1]["valid_f1"] > fit.best_f1:
        fit.best_f1, fit.best_epoch, fit.best_kind = fit.history[-1]["valid_f1"], epoch, "raw"
        fit.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if not (args.average_from and epoch >= args.average_from):
        return ""
    # Averaging the late SGD iterates finds a flatter point than any one of them (Izmailov et al. 2018).
    fit.averaged_state, fit.averaged_count = running_mean(fit.averaged_state, fit.averaged_count, model.state_dict())
    raw_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(fit.averaged_state)
    averaged_f1 = valid_f1(model, valid)
    model.load_state_dict(raw_state)
    fit.history[-1]["averaged_valid_f1"] = averaged_f1
    if averaged_f1 > fit.best_f1:
        fit.best_f1, fit.best_epoch, fit.best_kind = averaged_f1, epoch, f"mean of epochs {args.average_from}-{epoch}"
        fit.best_state = {k: v.clone() for k, v in fit.averaged_state.items()}
    return f", averaged over {fit.averaged_count} epochs {averaged_f1:.2f}"


def fit_tagger(model, data: TrainingSet, valid: DevSet, optimizer, schedule, args, rng) -> Fit:
    """Train for --epochs (or until --time-limit), then load the best weights into model."""
    gen = torch.Generator().manual_seed(args.seed)
    fit = Fit()
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        epoch_started = time.time()
        train_loss = train_epoch(model, data, optimizer, args, rng, gen, epoch)
        lr = optimizer.param_groups[0]["lr"]
        schedule.step()
        model.eval()
        f1 = valid_f1(model, valid)
        seconds = time.time() - epoch_started
        fit.history.append(
            {
                "epoch": epoch,
                "train_loss": round(train_loss, 4),
                "valid_f1": f1,
                "lr": round(lr, 6),
                "seconds": round(seconds, 1),
            }
        )
        averaged_note = keep_best(fit, model, valid, epoch, args)
        print(f"epoch {epoch}: loss {train_loss:.4f}, valid F1 {f1:.2f}{averaged_note}, {seconds:.0f} s", flush=True)
        elapsed_min = (time.time() - started) / 60
        if args.time_limit and elapsed_min + seconds / 60 > args.time_limit and epoch < args.epochs:
            print(
                f"stopping after epoch {epoch}: the next would end past --time-limit {args.time_limit} min", flush=True
            )
            break
    fit.seconds = time.time() - started
    model.load_state_dict(fit.best_state)
    return fit
