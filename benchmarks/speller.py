"""The spelling corrector against pyspellchecker and symspellpy, side by side, in one run.

    python benchmarks/speller.py                      # Norvig's two test sets from ../shared/data
    python benchmarks/speller.py --data DIR           # or DIR/spelling/spell-testset{1,2}.txt

For each system and test set: top-1 and top-3 accuracy, words per second, and the median time for
one word's suggestions. For ours also: the time to check a 50-word paragraph with correct_text.
pyspellchecker and symspellpy run with their default English dictionaries (distance 2); their
top-3 is their candidate list in their own order (probability, or distance then count).

Speeds are measured on one thread, twice: wall clock and the thread's CPU time. On a machine shared
with other jobs the wall clock includes time spent waiting for a core; the CPU time does not.
JSON on stdout, a readable table on stderr. Norvig's sets are for reporting only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # run as a script, the repo's packages are not on the path

import torch  # noqa: E402

from training.speller_eval import norvig_paths, read_pairs  # noqa: E402

TARGETS = {"spell-testset1": 0.85, "spell-testset2": 0.82}
WORDS_PER_S_TARGET = 500.0
WORD_MS_TARGET = 10.0
PARAGRAPH_MS_TARGET = 150.0
# 50 words: mostly right, five misspelt, a name, a number, a URL and a contraction.
PARAGRAPH = (
    "Yesterday the comittee met in Boston to discuss the networc and its budjet. Mrs Okonkwo said "
    "the plan was definately expensive, but she didn't think the project would fail. The engeneers "
    "promised a report by 15 March, published at https://example.org/report, with every figure checked "
    "twice before anyone votes on it."
)


def time_calls(fn: Callable[[str], list[str]], words: list[str]) -> tuple[list[list[str]], dict]:
    """Run fn on every word; its answers and the speed, by wall clock and by thread CPU time."""
    answers, wall, cpu = [], [], []
    for word in words:
        w0, c0 = time.perf_counter(), time.thread_time()
        answers.append(fn(word))
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return answers, {
        "words_per_s": round(len(words) / sum(wall), 1),
        "words_per_cpu_s": round(len(words) / max(sum(cpu), 1e-9), 1),
        "median_ms": round(1000 * statistics.median(wall), 3),
        "median_cpu_ms": round(1000 * statistics.median(cpu), 3),
    }


def accuracy(answers: list[list[str]], pairs: list[tuple[str, str]]) -> dict:
    top1 = sum(bool(a) and a[0] == right for a, (_, right) in zip(answers, pairs, strict=True))
    top3 = sum(right in a[:3] for a, (_, right) in zip(answers, pairs, strict=True))
    return {"top1": round(top1 / len(pairs), 4), "top3": round(top3 / len(pairs), 4), "n": len(pairs)}


def ours() -> tuple[Callable[[str], list[str]], object]:
    from models.speller import load_speller, suggest

    speller, _ = load_speller()
    return (lambda word: [s.word for s in suggest(speller, word, k=3)]), speller


def pyspellchecker() -> Callable[[str], list[str]]:
    from spellchecker import SpellChecker

    checker = SpellChecker()  # English, distance 2

    def top3(word: str) -> list[str]:
        found = checker.candidates(word) or set()
        return sorted(found, key=lambda w: (-checker.word_usage_frequency(w), w))[:3]

    return top3


def symspell() -> Callable[[str], list[str]]:
    import importlib.resources

    from symspellpy import SymSpell, Verbosity

    checker = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    dictionary = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    checker.load_dictionary(str(dictionary), term_index=0, count_index=1)
    return lambda word: [s.term for s in checker.lookup(word, Verbosity.ALL, max_edit_distance=2)[:3]]


def paragraph_timing(speller, repeats: int) -> dict:
    from models.speller import correct_text

    correct_text(speller, PARAGRAPH)  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.thread_time()
        flags = correct_text(speller, PARAGRAPH)
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {
        "words": len(PARAGRAPH.split()),
        "median_ms": round(1000 * statistics.median(wall), 2),
        "median_cpu_ms": round(1000 * statistics.median(cpu), 2),
        "flagged": {f.word: f.suggestions[0].word if f.suggestions else None for f in flags},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", default=None, help="data folder holding spelling/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed paragraph checks (default: 20)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    ours_fn, speller = ours()
    systems = {"ours": ours_fn, "pyspellchecker": pyspellchecker(), "symspellpy": symspell()}
    sets = {path.stem: read_pairs(path) for path in norvig_paths(args.data)}
    results: dict = {}
    for name, fn in systems.items():
        for word in ("speling", "korrectud", "networc"):
            fn(word)  # warm-up: lazy imports and caches
        results[name] = {}
        for set_name, pairs in sets.items():
            answers, speed = time_calls(fn, [wrong for wrong, _ in pairs])
            results[name][set_name] = {**accuracy(answers, pairs), **speed}
    paragraph = paragraph_timing(speller, args.repeats)
    report = {
        "results": results,
        "paragraph": paragraph,
        "targets": {
            "top1": TARGETS,
            "words_per_s": WORDS_PER_S_TARGET,
            "word_median_ms": WORD_MS_TARGET,
            "paragraph_ms": PARAGRAPH_MS_TARGET,
        },
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
    }
    print_table(report, sys.stderr)
    print(json.dumps(report))
    return report


def print_table(report: dict, out) -> None:
    header = f"{'system':<15} {'set':<15} {'top1':>6} {'top3':>6} {'words/s':>8} {'(cpu)':>8} {'ms':>7} {'(cpu)':>6}"
    print(header, file=out)
    for name, per_set in report["results"].items():
        for set_name, r in per_set.items():
            print(
                f"{name:<15} {set_name:<15} {r['top1']:>6.1%} {r['top3']:>6.1%} {r['words_per_s']:>8.0f} "
                f"{r['words_per_cpu_s']:>8.0f} {r['median_ms']:>7.2f} {r['median_cpu_ms']:>6.2f}",
                file=out,
            )
    p = report["paragraph"]
    print(
        f"paragraph of {p['words']} words: {p['median_ms']:.1f} ms median ({p['median_cpu_ms']:.1f} ms CPU); "
        f"flagged {p['flagged']}; load average {report['load_average'][0]:.1f}",
        file=out,
    )


if __name__ == "__main__":
    main()
