"""Evaluate a committed model on held-out data; prints one JSON object on stdout.

    python -m training.evaluate digits [--model cnn] [--npz FILE]
    python -m training.evaluate ner [--model bilstm] [--conll FILE] [--lower] [--no-misc] [--no-constraints]
    python -m training.evaluate speller [--pairs FILE [FILE ...]] [--wikipedia] [--data DIR]
    python -m training.evaluate speller --sentences FILE [--no-context]
    python -m training.evaluate speller --clean CONLL_FILE [--limit N]
    python -m training.evaluate pen [--limit N] [--seed S]

digits, without --npz: the MNIST test set (10,000 images, already 28x28 and centred).
digits, with --npz: FILE holds `images` (N, H, W) uint8, white ink on black, any H and W,
and `labels` (N,). Every image goes through the same preprocessing as a canvas drawing.

ner, without --conll: the CoNLL-2003 English test set (from --data, $CNNRNN_DATA or ../shared/data).
ner, with --conll: FILE has one token per line, the token first and its tag last (IOB1 or IOB2),
blank lines between sentences; -DOCSTART- lines are skipped. Scores are conlleval's
exact-match entity precision, recall and F1, in percent, overall and per type. --lower lower-cases every
token before tagging (text as students type it; the gold stays); --no-misc drops the tagger's MISC guesses
before scoring, for a corpus without MISC such as the Broad Twitter Corpus (`--conll
../shared/data/ner-extra/btc/f.conll`, the section no tagger here trains on); --no-constraints lets a CRF
tagger decode ill-formed IOBES paths (B-PER then O), the ablation of its hard constraints (models/crf.py).

speller, --pairs: words on their own; FILE holds Norvig's `right: wrong1 wrong2` lines or a
`wrong<TAB>right` TSV; top-1 and top-3 accuracy. With one FILE, its scores; with several, without
--pairs (Norvig's two test sets, from --data) or with --wikipedia (also both halves of Wikipedia's list
of common misspellings), {"results": {name: scores}, "manifest_metrics": ...}.
speller, --sentences: whole sentences; FILE has one `wrong sentence<TAB>right sentence` pair a line,
tokens separated by single spaces. The two sides pair one token with one, or where their lengths differ, a
word run together with the two it stands for (brokedown: broke down) and two words with the one they make
(some times: sometimes); a line they cannot be paired on is `skipped`. The corrector reads the whole
sentence and returns one token per token: a split as one token with its space ("broke down", fixed when it
equals the right side's two tokens with their space), a join as the word and ""; comparisons ignore case.
correction_rate = errors fixed / errors; false_alarm_rate = right tokens changed / right tokens;
--no-context is the same corrector without the RNN's context score (the ablation).
speller, --clean: false alarms on text taken as right, the tokens of a CoNLL-format file (CoNLL-2003 test, a
BTC section): false_alarm_rate = tokens changed / tokens. On tweets a change may be a true fix of a typo, so
there the rate is an upper bound.

pen: the pen GRU on paths traced from the MNIST test split (never trained on), as traced, with their points
shuffled (the ablation: the same ink in a random order) and with their strokes reversed; beside it the digit
CNN on the same paths drawn as pictures, as traced and shuffled, with how many of its answers and pictures
stay exactly the same.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from sources.hashes import arrays_sha256
from sources.mnist import fetch, load


def digit_metrics(probs: np.ndarray, labels: np.ndarray, invalid: np.ndarray | None = None) -> dict:
    predictions = probs.argmax(axis=1)
    if invalid is not None:
        predictions = np.where(invalid, -1, predictions)
    correct = predictions == labels
    per_class = {str(c): round(float(correct[labels == c].mean()), 4) for c in range(10) if (labels == c).any()}
    return {"accuracy": round(float(correct.mean()), 5), "n": int(len(labels)), "per_class_accuracy": per_class}


def evaluate_digits(model_name: str, npz: Path | None, limit: int | None, pipeline: bool) -> dict:
    from models.digits import classify, load_digit_model, preprocess_batch

    model, manifest = load_digit_model(model_name)
    if npz is None:
        data = load(fetch())
        images, labels, source, sha = data.x_test, data.y_test, "mnist-test", data.sha256
    else:
        with np.load(npz) as archive:
            images, labels = archive["images"], archive["labels"].astype(np.int64)
        source, sha = str(npz), arrays_sha256(images, labels)
        pipeline = True
    if limit:
        images, labels = images[:limit], labels[:limit]
    started = time.perf_counter()
    empty = None
    if pipeline:
        images, empty = preprocess_batch(images)
    probs = classify(model, images)
    seconds = time.perf_counter() - started
    return {
        "task": "digits",
        "model": model_name,
        **digit_metrics(probs, labels, empty),
        "data": source,
        "data_sha256": sha,
        "preprocessing": "canvas pipeline" if pipeline else "none (MNIST is already 28x28 and centred)",
        "no_ink": int(empty.sum()) if empty is not None else 0,
        "images_per_s": round(len(labels) / seconds, 1),
        "manifest_accuracy": manifest.get("metrics", {}).get("mnist_test_accuracy"),
    }


def evaluate_ner(args: argparse.Namespace) -> dict:
    from models.ner import load_tagger, predict
    from models.tagging import to_iob2, well_formed
    from sources import btc
    from sources.conll import entity_scores, read_conll, read_split, sha256_file
    from training.ner.data import recased

    model, manifest = load_tagger(args.model, args.weights_dir)
    constrained = model.crf is not None and not args.no_constraints
    if model.crf is not None and not constrained:
        model.crf = model.crf.without_constraints()
    if args.conll is None:
        sentences, sha = read_split("test", args.data)
        source = "conll2003-test"
    else:
        sentences, sha, source = read_conll(args.conll), sha256_file(args.conll), str(args.conll)
    if args.limit:
        sentences = sentences[: args.limit]
    if not sentences:
        raise ValueError(f"{source} holds no sentences")
    token_lists = [recased(tokens, "lower") if args.lower else tokens for tokens, _ in sentences]
    started = time.perf_counter()
    ill_formed = None  # best paths that break the model's own tag scheme, on the given tokens
    if args.as_typed:
        scores = as_typed_scores(model, [(t, tags) for t, (_, tags) in zip(token_lists, sentences, strict=True)])
    else:
        native = predict(model, token_lists, native=True)
        predicted = [[to_iob2(t) for t in path] for path in native]
        if args.no_misc:
            predicted = [btc.without_misc(tags) for tags in predicted]
        scores = entity_scores([tags for _, tags in sentences], predicted)
    seconds = time.perf_counter() - started
    if model.crf is not None and not args.as_typed:
        ill_formed = sum(not well_formed(path, model.config.tags) for path in native)
    return {
        "task": "ner",
        "model": args.model,
        "lower_cased": args.lower,
        "misc_guesses_dropped": args.no_misc or args.as_typed,
        "as_typed": args.as_typed,
        "crf_constraints": constrained,
        "ill_formed_paths": ill_formed,
        "f1": scores["f1"],
        "precision": scores["precision"],
        "recall": scores["recall"],
        "per_type": scores["per_type"],
        "entities": {"gold": scores["gold"], "predicted": scores["predicted"], "correct": scores["correct"]},
        "scale": "percent; conlleval exact-match entity scores",
        "n_sentences": len(sentences),
        "n_tokens": sum(len(tokens) for tokens, _ in sentences),
        "data": source,
        "data_sha256": sha,
        "sentences_per_s": round(len(sentences) / seconds, 1),
        "manifest_test_f1": manifest.get("metrics", {}).get("test_f1"),
    }


def as_typed_scores(model, sentences: list[tuple[list[str], list[str]]]) -> dict:
    """Entity scores of the page's own path: each sentence typed out (sources/btc.py as_typed), tokenised,
    split into sentences and tagged by models.ner.tag, its mentions joined; against the gold chunks at the
    same character offsets, mentions joined alike. A MISC guess is dropped (the corpus has none)."""
    from models.ner import join_mentions, tag
    from models.tagging import chunks
    from models.tokenizer import Token
    from sources import btc
    from sources.conll import span_scores

    gold, found = [], []
    for tokens, tags in sentences:
        text, offsets = btc.as_typed(tokens)
        typed = [Token(token, start, end, 0) for token, (start, end) in zip(tokens, offsets, strict=True)]
        gold.append({(label, offsets[a][0], offsets[b - 1][1]) for label, a, b in join_mentions(typed, chunks(tags))})
        found.append({(e["label"], e["start"], e["end"]) for e in tag(model, text).entities if e["label"] != "MISC"})
    return span_scores(gold, found)


def evaluate_speller(args: argparse.Namespace) -> dict:
    from training.speller.evaluation import main_json, pairs_report, sentences_json

    if args.sentences is not None:
        return {"task": "speller", "model": "speller", **sentences_json(args.sentences, not args.no_context)}
    if args.clean is not None:
        return {"task": "speller", "model": "speller", **clean_text_json(args.clean, args.limit, not args.no_context)}
    if args.pairs and len(args.pairs) == 1 and not args.wikipedia:
        return {"task": "speller", "model": "speller", **main_json(args.pairs[0])}
    return pairs_report(args.pairs or [], args.data, args.wikipedia)


def clean_text_json(conll: Path, limit: int | None, context: bool) -> dict:
    """False alarms on text taken as right: each sentence of a CoNLL-format file is both sides of the pair."""
    from models.speller import load_speller
    from sources.conll import read_conll, sha256_file
    from training.speller.evaluation import evaluate_sentences

    sentences = read_conll(conll)[:limit]
    pairs = [(" ".join(tokens), " ".join(tokens)) for tokens, _ in sentences]
    speller, _ = load_speller()
    report = evaluate_sentences(speller, pairs, context)
    keep = ("false_alarm_rate", "n_false_alarms", "n_tokens", "n_sentences", "context", "words_per_s")
    return {"data": str(conll), "data_sha256": sha256_file(conll), **{k: report[k] for k in keep if k in report}}


def evaluate_pen(limit: int | None, seed: int) -> dict:
    from models.digits import load_digit_model
    from models.pen import load_pen_model
    from training.digits.pen import evaluate_both, traced_paths

    model, manifest = load_pen_model()
    cnn, _ = load_digit_model("cnn")
    data = load(fetch())
    count = limit or len(data.x_test)
    started = time.perf_counter()
    result = evaluate_both(
        model, cnn, traced_paths(data.x_test[:count], "test", data.sha256), data.y_test[:count], seed
    )
    return {
        "task": "pen",
        "model": "pen",
        "n": count,
        **result,
        "data": "paths traced from the MNIST test split (sources/pen.py)",
        "data_sha256": data.sha256,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "manifest_accuracy": manifest.get("metrics", {}).get("mnist_test_paths_accuracy"),
        "command": "python -m training.evaluate pen" + (f" --limit {limit}" if limit else "") + f" --seed {seed}",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tasks = parser.add_subparsers(dest="task", required=True)
    digits = tasks.add_parser("digits", help="digit classifiers on MNIST test or an .npz of real digits")
    digits.add_argument("--model", default="cnn", help="which digit model (default: cnn)")
    digits.add_argument(
        "--npz", type=Path, default=None, help="images (N,H,W) uint8 + labels (N,) (default: MNIST test)"
    )
    digits.add_argument("--limit", type=int, default=None, help="evaluate only the first N images (default: all)")
    digits.add_argument(
        "--canvas-pipeline",
        action="store_true",
        help="also send MNIST test images through the canvas preprocessing (default: off)",
    )
    ner = tasks.add_parser("ner", help="named-entity taggers on CoNLL-2003 test or any CoNLL-format file")
    ner.add_argument("--model", default="bilstm", help="which NER model (default: bilstm)")
    ner.add_argument(
        "--conll", type=Path, default=None, help="token first, tag last, IOB1 or IOB2 (default: CoNLL-2003 test)"
    )
    ner.add_argument("--data", default=None, help="folder holding conll2003/ (default: $CNNRNN_DATA or ../shared/data)")
    ner.add_argument("--limit", type=int, default=None, help="evaluate only the first N sentences (default: all)")
    ner.add_argument("--lower", action="store_true", help="lower-case every token before tagging (default: off)")
    ner.add_argument(
        "--no-misc", action="store_true", help="drop MISC guesses, for a corpus without MISC (default: off)"
    )
    ner.add_argument(
        "--as-typed",
        action="store_true",
        help="type each sentence out and tag it as the page does (its tokeniser, sentences and mentions), "
        "scored by character offsets; MISC guesses dropped (default: off)",
    )
    ner.add_argument(
        "--no-constraints",
        action="store_true",
        help="decode a CRF over every tag path, well formed or not: the ablation (default: constrained)",
    )
    ner.add_argument(
        "--weights-dir", type=Path, default=None, help="folder of the tagger's weights (default: weights/)"
    )
    speller = tasks.add_parser("speller", help="the spelling corrector on (misspelling, correction) pairs")
    speller_input = speller.add_mutually_exclusive_group()
    speller_input.add_argument(
        "--pairs",
        type=Path,
        nargs="+",
        help="single words: Norvig's `right: wrong1 wrong2` lines, or a `wrong<TAB>right` TSV (default: Norvig's sets)",
    )
    speller_input.add_argument(
        "--sentences", type=Path, help="whole sentences: `wrong sentence<TAB>right sentence`, one pair a line"
    )
    speller_input.add_argument(
        "--clean",
        type=Path,
        help="false alarms on text taken as right: a CoNLL-format file, its first column the tokens",
    )
    speller.add_argument(
        "--limit", type=int, default=None, help="with --clean: only the first N sentences (default: all)"
    )
    speller.add_argument(
        "--no-context", action="store_true", help="with --sentences: the corrector without the RNN (default: off)"
    )
    speller.add_argument(
        "--wikipedia", action="store_true", help="also both halves of the Wikipedia list (default: off)"
    )
    speller.add_argument(
        "--data", default=None, help="data folder holding spelling/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    pen = tasks.add_parser("pen", help="the pen GRU, and the CNN beside it, on paths traced from MNIST test")
    pen.add_argument("--limit", type=int, default=None, help="evaluate only the first N test digits (default: all)")
    pen.add_argument("--seed", type=int, default=1, help="seed of the points' shuffle (default: 1, as in training)")
    args = parser.parse_args(argv)
    from models.checkpoint import WeightsError

    try:
        if args.task == "digits":
            result = evaluate_digits(args.model, args.npz, args.limit, args.canvas_pipeline)
        elif args.task == "ner":
            result = evaluate_ner(args)
        elif args.task == "speller":
            result = evaluate_speller(args)
        elif args.task == "pen":
            result = evaluate_pen(args.limit, args.seed)
    except (WeightsError, ValueError, KeyError, OSError) as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
