"""How long the tagger takes on a 100-word paragraph, server-side: tokenise, Viterbi, marginals.

    python -m benchmarks.ner [--runs 20]

Target on the project's 2-core machine: median <= 30 ms. Also times one explanation of one token
(the "Why this label?" charts: integrated gradients with models/explain.py's default steps, and
occlusion). JSON on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from models.explain import DEFAULT_STEPS, explain
from models.ner import load_tagger, tag

TARGET_MS = 30.0
# 100 words of news-like English with names of every type (punctuation not counted).
PARAGRAPH = (
    "The European Commission said on Thursday it disagreed with German advice to consumers to shun British lamb "
    "until scientists determine whether mad cow disease can be transmitted to sheep. Germany's representative to "
    "the European Union's veterinary committee Werner Zwingmann said on Wednesday consumers should buy sheepmeat "
    "from countries other than Britain until the scientific advice was clearer. Peter Blackburn reported from "
    "Brussels that officials in London and Paris were studying the proposal, while Manchester United and Juventus "
    "prepared for the Champions League match at Old Trafford next week, and President Clinton spoke in Washington "
    "about the trade talks with Japan."
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed calls, at least 20 (default: 20)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, as the app uses (default: 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, _ = load_tagger("bilstm")
    words = sum(token.isalnum() or token[0].isalnum() for token in PARAGRAPH.split())
    for _ in range(3):
        tagged = tag(model, PARAGRAPH)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        tagged = tag(model, PARAGRAPH)
        times.append((time.perf_counter() - start) * 1000)
    sentence = [t for t, s in zip(tagged.tokens, tagged.sentence_ids, strict=True) if s == 0]
    explain(model, sentence, 1, tagged.tags[1])  # warm-up
    explanation_times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        explain(model, sentence, 1, tagged.tags[1])
        explanation_times.append((time.perf_counter() - start) * 1000)
    report = {
        "words": words,
        "tokens": len(tagged.tokens),
        "tag_median_ms": round(float(np.median(times)), 2),
        "tag_p90_ms": round(float(np.percentile(times, 90)), 2),
        "explanation_median_ms": round(float(np.median(explanation_times)), 2),
        "explanation_tokens": len(sentence),
        "explanation_steps": DEFAULT_STEPS,
        "runs": args.runs,
        "threads": args.threads,
        "target_ms": TARGET_MS,
        "pass": float(np.median(times)) <= TARGET_MS,
    }
    print(
        f"tag() on a {words}-word paragraph ({len(tagged.tokens)} tokens): median {report['tag_median_ms']:.1f} ms, "
        f"p90 {report['tag_p90_ms']:.1f} ms; target <= {TARGET_MS:.0f} ms: {'PASS' if report['pass'] else 'FAIL'}; "
        f"one explanation ({len(sentence)} tokens, {DEFAULT_STEPS} steps, and occlusion): "
        f"{report['explanation_median_ms']:.1f} ms",
        file=sys.stderr,
    )
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
