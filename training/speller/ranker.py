"""Fit the ranker's weights, and choose the margin a real word must lose by before it is flagged.

Weights: for every word the corrector checks in the ranker's training sentences (training/speller/sentences.py,
typo_sentences), the softmax over its candidates of the linear score, fitted by likelihood of the word
that was meant: a misspelling's correction, a real-word error's correction, or, for the many words
typed right, the word itself. One set of weights per mode: with the context model's scores, and without
them (the ablation: same candidates, edit model and frequency).

Margin: on the dev set, the smallest margin whose false alarms (right words changed, over all right
words) stay within the budget; every real word whose best rival beats it by more is flagged.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from models.speller.corrector import Check, SpellingCorrector, candidates
from models.speller.decisions import real_word_scores, score_checks
from models.speller.model import CONTEXT_FEATURES, KINDS, MODES
from models.speller.reading import ContextScorer, neighbour_context, rnn_context
from models.speller.text import Token
from training.speller.corpus import big_txt_sentences, conll_sentences
from training.speller.sentences import aligned_words, typo_sentences


@dataclass
class Groups:
    """Candidates of every checked word, stacked: row r of features belongs to group groups[r]."""

    features: np.ndarray  # (N, F)
    groups: np.ndarray  # (N,)
    targets: np.ndarray  # (G,) row of the right candidate in `features`
    real_word: np.ndarray  # (G,) whether the typed word was a real word

    @staticmethod
    def concat(parts: Sequence[Groups]) -> Groups:
        rows = np.cumsum([0] + [len(p.groups) for p in parts[:-1]])
        groups = np.cumsum([0] + [len(p.targets) for p in parts[:-1]])
        return Groups(
            np.concatenate([p.features for p in parts]),
            np.concatenate([p.groups + g for p, g in zip(parts, groups, strict=True)]),
            np.concatenate([p.targets + r for p, r in zip(parts, rows, strict=True)]),
            np.concatenate([p.real_word for p in parts]),
        )

    def subset(self, keep: np.ndarray) -> Groups:
        """The groups where keep (G,) is true, renumbered."""
        rows = keep[self.groups]
        new_id = np.cumsum(keep) - 1  # (G,) old group -> new group
        starts = np.flatnonzero(rows)
        offset = np.zeros(len(self.groups), dtype=np.int64)
        offset[starts] = np.arange(len(starts))
        return Groups(
            self.features[rows],
            new_id[self.groups[rows]],
            offset[self.targets[keep]],
            self.real_word[keep],
        )


class _GroupsBuilder:
    """Groups collected one checked word at a time."""

    def __init__(self) -> None:
        self.features: list[np.ndarray] = []
        self.group_ids: list[np.ndarray] = []
        self.targets: list[int] = []
        self.real_word: list[bool] = []
        self.rows = 0

    def add(self, features: np.ndarray, target: int, real_word: bool) -> None:
        """One word's candidates, (K, F) features, of which row `target` is the word that was meant."""
        self.features.append(features)
        self.group_ids.append(np.full(len(features), len(self.targets)))
        self.targets.append(self.rows + target)
        self.real_word.append(real_word)
        self.rows += len(features)

    def groups(self) -> Groups:
        return Groups(
            np.concatenate(self.features),
            np.concatenate(self.group_ids),
            np.array(self.targets),
            np.array(self.real_word, dtype=bool),
        )


def _scored_pairs(
    speller: SpellingCorrector, pairs: Sequence[tuple[str, str]], desc: str, progress: bool = True, **score
) -> Iterator[tuple[list[tuple[str, str]], list[Token], list[Check]]]:
    """(aligned words, tokens, scored checks) of each (wrong, right) sentence pair whose words align;
    `score` goes to score_checks (context, scorer)."""
    for wrong, right in tqdm(pairs, desc=desc, file=sys.stderr, disable=not progress):
        words = aligned_words(wrong, right)
        if words is None:
            continue
        found, checks = score_checks(speller, wrong, **score)
        yield words, found, checks


def candidate_groups(
    speller: SpellingCorrector,
    pairs: Sequence[tuple[str, str]],
    context: bool,
    scorer: ContextScorer = neighbour_context,
    progress: bool = True,
) -> Groups:
    """Every checked word's candidates with their features from the words just next to it (one group a word)."""
    built = _GroupsBuilder()
    for words, _, checks in _scored_pairs(speller, pairs, "ranker features", progress, context=context, scorer=scorer):
        for check in checks:
            target = words[check.token_index][1].lower()
            target_id = speller.word_ids.get(target[: len(target) - len(check.clitic)] if check.clitic else target)
            hit = np.flatnonzero(check.ids == target_id)
            if len(check.ids) < 2 or not len(hit):
                continue
            built.add(check.features, hit[0], check.real_word)
    return built.groups()


def word_groups(speller: SpellingCorrector, pairs: Sequence[tuple[str, str]], progress: bool = True) -> Groups:
    """Candidates of misspelt words on their own, no sentence around them: (typo, word) pairs whose typo is
    not a dictionary word. Their context features are all equal, so they teach the context weights nothing
    and the other weights how to rank corrections of rarer words than running text holds."""
    built = _GroupsBuilder()
    for typo, word in tqdm(pairs, desc="word features", file=sys.stderr, disable=not progress):
        if speller.known(typo) or word not in speller.word_ids:
            continue
        ids, feats = candidates(speller, typo)
        hit = np.flatnonzero(ids == speller.word_ids[word])
        if len(ids) < 2 or not len(hit):
            continue
        built.add(feats, hit[0], False)
    return built.groups()


def fit_weights(data: Groups, feature_names: Sequence[str], l2: float, use_context: bool) -> np.ndarray:
    """Linear weights maximising the softmax likelihood of the right word among its candidates.
    Without context, the context features' weights stay zero."""
    active = torch.tensor([use_context or name not in CONTEXT_FEATURES for name in feature_names])
    x = torch.from_numpy(data.features).double() * active  # (N, F)
    group = torch.from_numpy(data.groups).long()  # (N,)
    target = torch.from_numpy(data.targets).long()  # (G,)
    n_groups = len(data.targets)
    weight = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight], max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        scores = x @ weight  # (N,)
        top = torch.full((n_groups,), -math.inf, dtype=scores.dtype).scatter_reduce(
            0, group, scores.detach(), reduce="amax"
        )
        total = torch.zeros(n_groups, dtype=scores.dtype).index_add(0, group, (scores - top[group]).exp())
        loss = (total.log() + top - scores[target]).mean() + l2 * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return (weight.detach() * active).float().numpy()


@dataclass
class RealWordDecisions:
    """Every real word the corrector checked in the dev sentences, and what a margin would do to it."""

    margins: np.ndarray  # (C,) best rival's score minus the typed word's
    typed_right: np.ndarray  # (C,) the word was typed right: flagging it is a false alarm
    rival_right: np.ndarray  # (C,) the best rival is the word that was meant: flagging it is a fix
    unknown_false_alarms: int  # right words outside the dictionary (always flagged, whatever the margin)
    right_words: int


def real_word_decisions(
    speller: SpellingCorrector,
    pairs: Sequence[tuple[str, str]],
    context: bool,
    scorer: ContextScorer = rnn_context,
) -> RealWordDecisions:
    """What the corrector, as it stands, makes of every real word in the sentences (see real_word_scores)."""
    margins, typed_right, rival_right = [], [], []
    unknown_false_alarms = right_words = 0
    for words, found, checks in _scored_pairs(speller, pairs, "dev decisions", context=context, scorer=scorer):
        right_words += sum(t.kind == "word" and w.lower() == r.lower() for t, (w, r) in zip(found, words, strict=True))
        for check in checks:
            typed, meant = (text.lower() for text in words[check.token_index])
            if not check.real_word:
                unknown_false_alarms += typed == meant
                continue
            scored = real_word_scores(speller, check, context)
            typed_right.append(typed == meant)
            if scored is None or len(scored[0]) < 2:
                margins.append(-math.inf)
                rival_right.append(False)
                continue
            rows, scores = scored
            best = 1 + int(np.argmax(scores[1:]))
            margins.append(scores[best] - scores[0])
            rival_right.append(speller.words[check.ids[rows[best]]] == meant)
    return RealWordDecisions(
        np.array(margins), np.array(typed_right), np.array(rival_right), unknown_false_alarms, right_words
    )


def choose_margin(decisions: RealWordDecisions, false_alarm_budget: float) -> tuple[float, dict]:
    """The margin that fixes the most real-word errors on the dev set while the false-alarm rate stays
    within the budget; of margins that fix as many, the highest (it flags least)."""
    allowed = false_alarm_budget * decisions.right_words - decisions.unknown_false_alarms
    order = np.argsort(-decisions.margins)
    margins = decisions.margins[order]
    false_alarms = np.cumsum(decisions.typed_right[order])  # flagging the i + 1 largest margins
    fixes = np.cumsum(decisions.rival_right[order] & ~decisions.typed_right[order])
    within = np.flatnonzero(false_alarms <= allowed)
    best = int(fixes[within].max()) if len(within) else 0
    if best == 0:
        flagged, margin = 0, float(margins.max(initial=0.0)) + 1e-3  # flag nothing
    else:
        last = int(np.flatnonzero(fixes == best)[0])  # the fewest flags that reach the best
        flagged = last + 1
        following = margins[last + 1] if last + 1 < len(margins) else -math.inf
        following = following if np.isfinite(following) else margins[last] - 1.0
        margin = float((margins[last] + following) / 2)  # just below the last one flagged
    return margin, {
        "real_words_checked": int(len(margins)),
        "real_words_flagged": flagged,
        "real_word_errors": int((~decisions.typed_right).sum()),
        "real_word_errors_fixed": best,
        "false_alarms": int(false_alarms[flagged - 1] if flagged else 0) + decisions.unknown_false_alarms,
        "right_words": decisions.right_words,
    }


def ranker_sentences(
    speller: SpellingCorrector,
    data,
    seed: int,
    real_word_share: float,
    homophone_share: float,
    limit: int | None = None,
) -> list[tuple[str, str]]:
    """The ranker's training sentences (big.txt's "ranker" split and CoNLL-2003 valid), one synthetic error
    each; forced real-word errors only land on words the context model knows."""
    text = big_txt_sentences("ranker", data) + conll_sentences("valid", data)[0]

    def usable(word: str) -> bool:
        return bool(speller.in_context[speller.word_ids[word]])

    def sound_alike(word: str) -> list[str]:
        own = speller.word_ids.get(word)
        return [] if own is None else [speller.words[i] for i in speller.homophones(own) if i != own]

    return typo_sentences(text[:limit], speller.known, usable, sound_alike, seed, real_word_share, homophone_share)


def window_groups(speller: SpellingCorrector, pairs: Sequence[tuple[str, str]], progress: bool = True) -> Groups:
    """The real words the screen lets through, with their best rivals read in the sentence (one group each)."""
    built = _GroupsBuilder()
    for words, _, checks in _scored_pairs(
        speller, pairs, "sentence windows", progress, context=True, scorer=rnn_context
    ):
        for check in checks:
            if check.window is None:
                continue
            meant = words[check.token_index][1].lower()
            hit = [k for k, row in enumerate(check.window.rows) if speller.words[check.ids[row]] == meant]
            if not hit:
                continue
            built.add(check.window.features, hit[0], True)
    return built.groups()


def choose_screen(speller: SpellingCorrector, pairs: Sequence[tuple[str, str]], recall: float) -> tuple[float, dict]:
    """The screen: the lowest margin (best rival minus the typed word, by the screen's weights on the words
    just next to it) that still lets through `recall` of the dev set's real-word errors whose right word is
    among the rivals that would be read. Everything below it is left unread, which keeps reading cheap."""
    weight, rivals = speller.weights[MODES[0]][KINDS[1]], speller.config.rescored - 1
    kept, margins = [], []
    for wrong, right in tqdm(pairs, desc="dev screen", file=sys.stderr):
        words = aligned_words(wrong, right)
        if words is None:
            continue
        _, checks = score_checks(speller, wrong, context=True, scorer=neighbour_context)
        for check in checks:
            if not check.real_word or len(check.ids) < 2:
                continue
            scores = check.features @ weight
            margin = scores[1:].max() - scores[0]
            margins.append(margin)
            typed, meant = (text.lower() for text in words[check.token_index])
            top = 1 + np.argsort(-scores[1:], kind="stable")[:rivals]
            if typed != meant and meant in {speller.words[check.ids[row]] for row in top}:
                kept.append(margin)
    screen = float(np.quantile(kept, 1 - recall)) - 1e-3 if kept else -math.inf
    return screen, {
        "recall": recall,
        "errors_within_reach": len(kept),
        "real_words_read": round(float(np.mean(np.array(margins) > screen)), 4) if margins else 0.0,
    }


@dataclass
class FittedMode:
    weights: dict[str, np.ndarray]  # kind -> (F,)
    margin: float
    screen: float
    summary: dict  # what the margin gives on the dev set


def fit_mode(
    speller: SpellingCorrector,
    groups: Groups,
    dev_pairs: Sequence[tuple[str, str]],
    use_context: bool,
    l2: float,
    false_alarm_budget: float,
    scorer: ContextScorer = neighbour_context,
) -> FittedMode:
    """One stage: weights for unknown and real words on the features from the words next to them, then the
    margin on the dev set. The ablation (no context) and the word-pair baseline are fitted this way."""
    unknown = fit_weights(groups.subset(~groups.real_word), speller.config.ranker_features, l2, use_context)
    real = fit_weights(groups.subset(groups.real_word), speller.config.ranker_features, l2, use_context)
    mode = MODES[0] if use_context else MODES[1]
    speller.weights[mode] = {KINDS[0]: unknown, KINDS[1]: real, KINDS[2]: real}
    speller.screens[mode] = -math.inf
    decisions = real_word_decisions(speller, dev_pairs, context=use_context, scorer=scorer)
    margin, summary = choose_margin(decisions, false_alarm_budget)
    speller.margins[mode] = margin
    return FittedMode(speller.weights[mode], margin, -math.inf, summary)


def fit_reading_mode(
    speller: SpellingCorrector,
    groups: Groups,
    ranker_pairs: Sequence[tuple[str, str]],
    dev_pairs: Sequence[tuple[str, str]],
    l2: float,
    false_alarm_budget: float,
    screen_recall: float,
) -> FittedMode:
    """The corrector with the context model, in two stages: weights for unknown words and for the screen on
    the features from the words next to them; the screen, on the dev set; weights for real words read in
    the sentence, on the ranker's sentences the screen lets through; the margin, on the dev set."""
    names = speller.config.ranker_features
    mode = MODES[0]
    unknown = fit_weights(groups.subset(~groups.real_word), names, l2, True)
    screen_weight = fit_weights(groups.subset(groups.real_word), names, l2, True)
    speller.weights[mode] = {KINDS[0]: unknown, KINDS[1]: screen_weight, KINDS[2]: screen_weight}
    speller.screens[mode], screen_summary = choose_screen(speller, dev_pairs, screen_recall)
    read = window_groups(speller, ranker_pairs)
    speller.weights[mode][KINDS[2]] = fit_weights(read, names, l2, True)
    decisions = real_word_decisions(speller, dev_pairs, context=True)
    margin, summary = choose_margin(decisions, false_alarm_budget)
    speller.margins[mode] = margin
    summary = {**summary, "screen": screen_summary, "read_in_sentence_groups": int(len(read.targets))}
    return FittedMode(speller.weights[mode], margin, speller.screens[mode], summary)
