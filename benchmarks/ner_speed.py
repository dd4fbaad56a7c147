"""How the BiLSTM-CRF and the CNN tagger's time grows with sentence length, server-side.

    python -m benchmarks.ner_speed [--lengths 5,10,20,40,80,160,320] [--repeats 30] [--out weights/ner_speed.json]

One sentence of each length (a batch of 1), made of real CoNLL-2003 test tokens: the test
sentences are joined end to end and the first L tokens taken. For each tagger, torch thread
count and length, two median times over --repeats calls, in milliseconds:

    encoder  model.encode on precomputed embeddings: the encoder and the emission layer only
             (the BiLSTM, or the dilated convolutions), under torch.inference_mode
    tagging  models.ner.predict on the pre-tokenised sentence: token ids, embeddings, encoder,
             emissions and decoding (the CRF's Viterbi for the BiLSTM, a per-token argmax for the CNN)

The BiLSTM must step through the sentence token by token; the CNN's convolutions see every
token at once. The JSON records the machine and its load average, because the numbers are
only comparable on one machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

from models import checkpoint
from models.checkpoint import count_parameters
from models.ner import NER_MODELS, load_tagger, make_batch, predict
from sources.conll import read_split
from sources.hashes import sha256_file
from training import runs

MODELS = ("bilstm", "cnn")
PARTS = ("encoder", "tagging")
WARMUP = 3


def int_list(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def token_stream(sentences: list[tuple[list[str], list[str]]], length: int) -> list[str]:
    """The first `length` tokens of the sentences joined end to end."""
    tokens: list[str] = []
    for sentence_tokens, _ in sentences:
        tokens.extend(sentence_tokens)
        if len(tokens) >= length:
            return tokens[:length]
    raise ValueError(f"the data holds only {len(tokens)} tokens, fewer than {length}")


def median_ms(call, repeats: int) -> float:
    for _ in range(WARMUP):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(float(np.median(times)), 3)


def time_model(model, tokens: list[str], repeats: int) -> dict[str, float]:
    """{"encoder": ms, "tagging": ms} for one sentence."""
    batch = make_batch([model.vocab.encode(tokens, model.config.max_word_chars)])
    with torch.inference_mode():
        embeddings = model(batch).embeddings  # (1, T, D)

    def encoder():
        with torch.inference_mode():
            model.encode(embeddings, batch.mask)

    def tagging():
        predict(model, [tokens])

    return {"encoder": median_ms(encoder, repeats), "tagging": median_ms(tagging, repeats)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--lengths",
        type=int_list,
        default=[5, 10, 20, 40, 80, 160, 320],
        help="sentence lengths in tokens (default: 5,10,20,40,80,160,320)",
    )
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per median (default: 30)")
    parser.add_argument("--threads", type=int_list, default=[1, 2], help="torch thread counts (default: 1,2)")
    runs.add_measurement_args(parser, MODELS, "taggers", "ner_speed.json")
    parser.add_argument(
        "--data", default=None, help="folder holding conll2003/test.txt (default: $CNNRNN_DATA or ../shared/data)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    models = runs.model_names(args)
    sentences, data_sha = read_split("test", args.data)
    inputs = {length: token_stream(sentences, length) for length in args.lengths}
    started = time.perf_counter()
    report: dict = {
        "command": runs.command("python -m benchmarks.ner_speed", argv),
        "data": "conll2003-test: sentences joined end to end, the first L tokens",
        "data_sha256": data_sha,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        },
        "lengths": list(args.lengths),
        "repeats": args.repeats,
        "unit": "milliseconds, median over repeats, one sentence (batch of 1)",
        "parts": {
            "encoder": "model.encode on precomputed embeddings (encoder + emission layer), torch.inference_mode",
            "tagging": "models.ner.predict on the pre-tokenised sentence: ids, embeddings, encoder, decoding",
        },
        "models": {},
    }
    loaded = {name: load_tagger(name, args.weights_dir)[0] for name in models}
    timings = {name: {str(t): {part: [] for part in PARTS} for t in args.threads} for name in models}
    previous_threads = torch.get_num_threads()
    try:
        # Models interleaved inside each length, so a change in the machine's load hits both alike.
        for threads in args.threads:
            torch.set_num_threads(threads)
            for length in args.lengths:
                for name, model in loaded.items():
                    result = time_model(model, inputs[length], args.repeats)
                    for part in PARTS:
                        timings[name][str(threads)][part].append(result[part])
                    print(
                        f"{name:<6} threads {threads} length {length:>4}: encoder {result['encoder']:8.3f} ms, "
                        f"tagging {result['tagging']:8.3f} ms",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        torch.set_num_threads(previous_threads)
    for name, model in loaded.items():
        weights_path, _ = checkpoint.paths(NER_MODELS[name], args.weights_dir)
        report["models"][name] = {
            "encoder": model.config.encoder,
            "parameters": count_parameters(model),
            "weights_sha256": sha256_file(weights_path),
            "timings_ms": timings[name],
        }
    report["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started, 1)

    runs.write_report(args.out, report)
    longest = len(args.lengths) - 1
    for threads in args.threads:
        line = ", ".join(
            f"{name} {report['models'][name]['timings_ms'][str(threads)]['tagging'][longest]:.1f} ms" for name in models
        )
        print(f"{threads} thread(s), tagging {args.lengths[longest]} tokens: {line}", file=sys.stderr)
    print(f"wrote {args.out} in {report['seconds']:.0f} s", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
