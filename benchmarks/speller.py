"""The spelling corrector against its peers, side by side, in one run.

    python -m benchmarks.speller                 # dev and test sentence sets, Norvig's word sets
    python -m benchmarks.speller --quick         # the first 200 sentences of each set

Systems, each correcting whole sentences token by token (tokens separated by single spaces):
- ours, reading the sentence with its two LSTMs (the app's corrector);
- ours without the RNN: the same candidates, edit model and frequency, no context (the ablation);
- word pairs: ours with the context taken from symspellpy's Google Books bigram counts instead of the
  RNN, log count(previous word, c) and log count(c, next word); its weights are fitted and its margin
  chosen exactly as ours are (same training sentences, same dev set, same false-alarm budget);
- pyspellchecker and symspellpy `lookup`, word by word, context-free: a word their dictionary lacks
  becomes their top candidate;
- symspellpy `lookup_compound` with its bigram dictionary, on the sentence's words (punctuation set
  aside and put back; where it splits or joins words the tokens are aligned by difflib);
- JamSpell 0.0.12, a context-aware n-gram corrector, trained on the text our context model learns from
  (when installed: `bash benchmarks/install_jamspell.sh`; otherwise it is reported as missing).

Reported for each: correction rate, false alarms (right tokens changed), words per second on one thread
(wall clock and the thread's CPU time), on data/speller/dev.tsv (where our settings were chosen) and
data/speller/test.tsv (reported only); and top-1 on Norvig's two word lists, each word given alone (ours
answers a word on its own with `suggest`, its single-word corrector, with or without the RNN alike).
Also: ours on a 53-word paragraph, in context: once with no word seen before, then the median of
--repeats (a page rerun on the same text; the corrector keeps the candidates of words it has seen).
Every sentence set starts cold. JSON on stdout, a table on stderr.
Norvig's sets are for reporting only.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import importlib.resources
import json
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

import runtime
from sources.hashes import sha256_file
from training.runs import command, write_report
from training.speller.evaluation import evaluate_corrections, norvig_paths, read_pairs, read_sentence_pairs
from training.speller.sentences import set_path

REPORT_NAME = "speller_benchmark.json"
TARGETS = {"dev_correction_rate": 0.65, "false_alarm_rate": 0.01, "no_context_gap": 0.08}
NORVIG_TARGETS = {"spell-testset1": 0.87, "spell-testset2": 0.82}
WORDS_PER_S_TARGET = 500.0
PARAGRAPH_MS_TARGET = 150.0
# 50 words: mostly right; misspellings, two real words in the wrong place, a name, a number, a URL.
PARAGRAPH = (
    "Yesterday the comittee met in Boston to discuss the networc and its budjet. Mrs Okonkwo said "
    "the plan was definately expensive, but she didn't think the project would fail. The engeneers "
    "promised a report form the team by 15 March, published at https://example.org/report, with every "
    "figure checked twice before anyone votes four it."
)
_CORE = re.compile(r"^([^A-Za-z']*)([A-Za-z]+(?:'[A-Za-z]+)*)([^A-Za-z']*)$")
Corrector = Callable[[list[str]], list[str]]


def word_by_word(fix: Callable[[str], str]) -> Corrector:
    """A sentence corrector from a word corrector: punctuation around a word is kept, other tokens too."""

    def correct(tokens: list[str]) -> list[str]:
        out = []
        for token in tokens:
            match = _CORE.match(token)
            out.append(match.group(1) + fix(match.group(2)) + match.group(3) if match else token)
        return out

    return correct


# ---------------------------------------------------------------------------------------------
# Peers


def pyspellchecker() -> Corrector:
    from spellchecker import SpellChecker

    checker = SpellChecker()  # English, distance 2

    def fix(word: str) -> str:
        if not checker.unknown([word]):
            return word
        return checker.correction(word.lower()) or word

    return word_by_word(fix)


def _symspell(bigrams: bool):
    from symspellpy import SymSpell

    checker = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    root = importlib.resources.files("symspellpy")
    checker.load_dictionary(str(root / "frequency_dictionary_en_82_765.txt"), term_index=0, count_index=1)
    if bigrams:
        checker.load_bigram_dictionary(str(root / "frequency_bigramdictionary_en_243_342.txt"), 0, 2)
    return checker


def symspell_lookup() -> Corrector:
    from symspellpy import Verbosity

    checker = _symspell(bigrams=False)

    def fix(word: str) -> str:
        found = checker.lookup(word.lower(), Verbosity.TOP, max_edit_distance=2)
        return found[0].term if found else word

    return word_by_word(fix)


def symspell_compound() -> Corrector:
    checker = _symspell(bigrams=True)

    def correct(tokens: list[str]) -> list[str]:
        matches = [_CORE.match(token) for token in tokens]
        positions = [i for i, match in enumerate(matches) if match]
        words = [matches[i].group(2).lower() for i in positions]
        if not words:
            return list(tokens)
        fixed = checker.lookup_compound(" ".join(words), max_edit_distance=2)[0].term.split()
        out = list(tokens)
        # lookup_compound may split or join words: keep only one-to-one replacements.
        for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(a=words, b=fixed, autojunk=False).get_opcodes():
            if tag == "replace" and a1 - a0 == b1 - b0:
                for offset in range(a1 - a0):
                    i = positions[a0 + offset]
                    out[i] = matches[i].group(1) + fixed[b0 + offset] + matches[i].group(3)
        return out

    return correct


def jamspell(corpus: Sequence[str]) -> Corrector | None:
    from benchmarks import jamspell_peer

    if not jamspell_peer.available():
        return None
    folder = runtime.cache_dir() / "jamspell"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\n".join(corpus).encode()).hexdigest()[:16]
    text_path, model_path = folder / f"corpus-{digest}.txt", folder / f"model-{digest}.bin"
    if not text_path.exists():
        text_path.write_text("\n".join(corpus) + "\n", encoding="utf-8")
    return jamspell_peer.load(jamspell_peer.train(text_path, model_path))


# ---------------------------------------------------------------------------------------------
# The word-pair baseline: our corrector, context from bigram counts


class BigramContext:
    """context_left = log(count(previous word, c) + m), context_right = log(count(c, next word) + m), where m
    is the smallest count in the list, standing in for every pair it does not hold."""

    def __init__(self):
        root = importlib.resources.files("symspellpy")
        self.counts: dict[tuple[str, str], int] = {}
        for line in (root / "frequency_bigramdictionary_en_243_342.txt").read_text(encoding="utf-8").splitlines():
            first, second, count = line.split()
            self.counts[(first, second)] = int(count)
        self.floor = min(self.counts.values())

    def __call__(self, speller, found, checks) -> None:
        column = speller.feature
        for check in checks:
            i = check.token_index
            before = found[i - 1].text.lower() if i > 0 and found[i - 1].kind == "word" else None
            after = found[i + 1].text.lower() if i + 1 < len(found) and found[i + 1].kind == "word" else None
            words = [speller.words[j] for j in check.ids]
            left = [self.counts.get((before, w), 0) if before else 0 for w in words]
            right = [self.counts.get((w, after), 0) if after else 0 for w in words]
            check.features[:, column["context_left"]] = np.log(np.array(left, dtype=np.float64) + self.floor)
            check.features[:, column["context_right"]] = np.log(np.array(right, dtype=np.float64) + self.floor)


def word_pair_baseline(speller, manifest: dict, dev_pairs: Sequence[tuple[str, str]], data) -> tuple:
    """Our corrector with BigramContext, its weights and margin fitted as train_speller fits ours. Cached."""
    from models.speller.model import MODES
    from training.speller.ranker import candidate_groups, fit_mode, ranker_sentences

    training = manifest["training"]
    scorer = BigramContext()
    baseline = copy.copy(speller)  # its own rows of weights, margins and screens; the model is shared
    baseline.weights, baseline.margins = dict(speller.weights), dict(speller.margins)
    baseline.screens = dict(speller.screens)
    key = hashlib.sha256(json.dumps([manifest["data"], training], sort_keys=True).encode()).hexdigest()[:16]
    cache = runtime.cache_dir() / "speller" / f"word-pairs-{key}.json"
    if cache.exists():
        fitted = json.loads(cache.read_text())
        baseline.weights[MODES[0]] = {kind: np.array(w, dtype=np.float32) for kind, w in fitted["weights"].items()}
        baseline.margins[MODES[0]], baseline.screens[MODES[0]] = fitted["margin"], -math.inf
    else:
        pairs = ranker_sentences(
            speller, data, training["seed"] + 3, training["real_word_share"], training["homophone_share"]
        )
        groups = candidate_groups(baseline, pairs, context=True, scorer=scorer)
        fit = fit_mode(baseline, groups, dev_pairs, True, training["l2"], training["false_alarm_budget"], scorer)
        weights = {kind: weight.tolist() for kind, weight in fit.weights.items()}
        fitted = {"weights": weights, "margin": fit.margin, "summary": fit.summary}
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(fitted))
    return baseline, scorer, fitted


# ---------------------------------------------------------------------------------------------
# Measuring


def paragraph_timing(speller, repeats: int) -> dict:
    """The paragraph checked once cold (no word seen before), then `repeats` times, as a page rerun does."""
    from models.speller import correct_text

    speller.word_candidates.cache_clear()
    c0 = time.thread_time()
    correct_text(speller, PARAGRAPH)
    cold_cpu_ms = 1000 * (time.thread_time() - c0)
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
        "first_cpu_ms": round(cold_cpu_ms, 2),
        "flagged": {f.word: f.suggestions[0].word if f.suggestions else None for f in flags},
    }


def norvig_top1(correct: Corrector, pairs: Sequence[tuple[str, str]]) -> dict:
    """Each misspelling as a one-word sentence: right when the corrector returns the right word."""
    started = time.perf_counter()
    right = sum(correct([wrong])[0].lower() == target.lower() for wrong, target in pairs)
    seconds = time.perf_counter() - started
    return {"top1": round(right / len(pairs), 4), "n": len(pairs), "words_per_s": round(len(pairs) / seconds, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="data folder (default: $CNNRNN_DATA or ../shared/data)")
    parser.add_argument("--repeats", type=int, default=20, help="timed paragraph checks (default: 20)")
    parser.add_argument("--quick", action="store_true", help="the first 200 sentences of each set (default: off)")
    parser.add_argument(
        "--out", type=Path, default=runtime.weights_dir() / REPORT_NAME,
        help=f"the report (default: weights/{REPORT_NAME}); --quick writes nothing unless --out is given",
    )  # fmt: skip
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from models.speller import Suggestion, correct_tokens, load_speller, suggest
    from training.speller.corpus import big_txt_sentences, conll_sentences, wordnet_text

    speller, manifest = load_speller()
    sets = {name: read_sentence_pairs(set_path(name))[: 200 if args.quick else None] for name in ("dev", "test")}
    baseline, bigram_scorer, baseline_fit = word_pair_baseline(speller, manifest, sets["dev"], args.data)
    systems: dict[str, Corrector | None] = {
        "ours": lambda tokens: correct_tokens(speller, tokens),
        "ours, no RNN": lambda tokens: correct_tokens(speller, tokens, context=False),
        "word pairs": lambda tokens: correct_tokens(baseline, tokens, scorer=bigram_scorer),
        "pyspellchecker": pyspellchecker(),
        "symspellpy lookup": symspell_lookup(),
        "symspellpy compound": symspell_compound(),
    }
    lm_text = big_txt_sentences("lm", args.data) + conll_sentences("train", args.data)[0]
    if manifest["data"].get("wordnet"):
        lm_text += wordnet_text()
    systems["JamSpell"] = jamspell(lm_text)

    # Norvig's lists are single words: ours answers them with suggest(), its corrector for a word on its own
    # (there is no sentence to read); the others with their sentence corrector given the one word.
    single_words = {"ours": word_by_word(lambda word: (suggest(speller, word, k=1) or [Suggestion(word, 0.0)])[0].word)}
    results: dict = {}
    norvig = {path.stem: read_pairs(path) for path in norvig_paths(args.data) if path.exists()}
    for name, correct in systems.items():
        if correct is None:
            results[name] = {"missing": "not installed: bash benchmarks/install_jamspell.sh"}
            continue
        correct("Warm the speling up .".split())
        results[name] = {}
        for set_name, pairs in sets.items():
            speller.word_candidates.cache_clear()  # each run starts cold: no words seen before
            results[name][set_name] = evaluate_corrections(correct, pairs)
        if name == "ours, no RNN":
            continue  # the same single-word answers as ours
        for set_name, pairs in norvig.items():
            results[name][set_name] = norvig_top1(single_words.get(name, correct), pairs)
        print(f"{name}: done", file=sys.stderr, flush=True)
    report = {
        "results": results,
        "paragraph": paragraph_timing(speller, args.repeats),
        "word_pairs_fit": baseline_fit,
        "targets": {
            **TARGETS,
            "norvig_top1": NORVIG_TARGETS,
            "words_per_s": WORDS_PER_S_TARGET,
            "paragraph_ms": PARAGRAPH_MS_TARGET,
        },  # fmt: skip
        "sets": {
            name: {"path": f"data/speller/{name}.tsv", "sentences": len(p), "sha256": sha256_file(set_path(name))}
            for name, p in sets.items()
        },
        "norvig_sha256": {path.stem: sha256_file(path) for path in norvig_paths(args.data) if path.exists()},
        "speller_weights_sha256": sha256_file(runtime.weights_dir() / "speller.pt"),
        "command": command("python -m benchmarks.speller", argv),
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
    }
    print_table(report, sys.stderr)
    print(json.dumps(report))
    if not args.quick or "--out" in (argv if argv is not None else sys.argv[1:]):
        write_report(args.out, report)
        print(f"wrote {args.out}", file=sys.stderr)
    return report


def print_table(report: dict, out) -> None:
    sets = list(report["sets"])
    header = f"{'system':<22}" + "".join(f"{s + ' fixed':>11}{'false al.':>10}{'words/s':>9}" for s in sets)
    header += f"{'Norvig 1':>10}{'Norvig 2':>10}"
    print(header, file=out)
    for name, r in report["results"].items():
        if "missing" in r:
            print(f"{name:<22} {r['missing']}", file=out)
            continue
        row = f"{name:<22}"
        for s in sets:
            row += f"{r[s]['correction_rate']:>11.1%}{r[s]['false_alarm_rate']:>10.2%}{r[s]['words_per_s']:>9.0f}"
        for k in ("spell-testset1", "spell-testset2"):
            row += f"{r[k]['top1']:>10.1%}" if k in r else f"{'(as ours)':>10}"
        print(row, file=out)
    p = report["paragraph"]
    print(
        f"paragraph of {p['words']} words, in context: {p['median_ms']:.1f} ms median ({p['median_cpu_ms']:.1f} ms "
        f"CPU), {p['first_cpu_ms']:.1f} ms CPU the first time; flagged {p['flagged']}; "
        f"load average {report['load_average'][0]:.1f}",
        file=out,
    )


if __name__ == "__main__":
    main()
