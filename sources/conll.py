"""CoNLL-2003 files: read them, convert IOB1 to IOB2, and score taggers exactly as conlleval does.

A file holds one token per line, the token in the first column and its NER tag in the
last; blank lines separate sentences and `-DOCSTART-` lines separate documents. The
English CoNLL-2003 files use IOB1 (an entity starts with I-, B- only splits two adjacent
entities of one type); every function here accepts IOB1 and IOB2 alike.

The data lives outside the repository, in `$CNNRNN_DATA/conll2003/{train,valid,test}.txt`
(default `../shared/data` from the repository root).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import runtime
from models.tagging import Chunk, chunks  # noqa: F401 - chunks is part of this module's API
from sources.hashes import sha256_file

ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")
SPLITS = ("train", "valid", "test")

Sentence = tuple[list[str], list[str]]  # (tokens, tags)


class ConllFormatError(ValueError):
    pass


def split_path(split: str, override: str | Path | None = None) -> Path:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    return runtime.data_dir(override) / "conll2003" / f"{split}.txt"


def _check_tag(tag: str, where: str) -> None:
    if tag != "O" and not (len(tag) > 2 and tag[0] in "BIES" and tag[1] == "-"):
        raise ConllFormatError(f"{where}: tag {tag!r} is neither O nor B-/I-/E-/S-TYPE")


def parse_conll(lines: Iterable[str], source: str = "<text>") -> list[Sentence]:
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        if len(fields) < 2:
            raise ConllFormatError(f"{source}:{number}: expected `token ... tag`, got {line.rstrip()!r}")
        _check_tag(fields[-1], f"{source}:{number}")
        tokens.append(fields[0])
        tags.append(fields[-1])
    # The CoNLL-2003 files end without a newline, so the last sentence has no blank line after it.
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def read_conll(path: str | Path) -> list[Sentence]:
    """[(tokens, tags), ...] in file order; -DOCSTART- lines skipped; tags as written (IOB1 or IOB2).
    A tab-separated line whose token is blank (a lone space: the Broad Twitter Corpus has six) is left
    out, since no tokenizer yields such a token."""
    with open(path, encoding="utf-8") as fh:
        return parse_conll((line for line in fh if not _blank_token(line)), str(path))


def _blank_token(line: str) -> bool:
    token, tab, rest = line.partition("\t")
    return bool(tab) and not token.strip() and bool(rest.strip())


def read_split(split: str, override: str | Path | None = None) -> tuple[list[Sentence], str]:
    path = split_path(split, override)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass --data DIR, or set CNNRNN_DATA to the folder of conll2003/")
    return read_conll(path), sha256_file(path)


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Every entity starts with B-; the spans (as chunks() reads them) are unchanged."""
    out = ["O"] * len(tags)
    for type_, start, end in chunks(tags):
        out[start] = f"B-{type_}"
        for i in range(start + 1, end):
            out[i] = f"I-{type_}"
    return out


def _prf(correct: int, predicted: int, gold: int) -> dict:
    precision = 100.0 * correct / predicted if predicted else 0.0
    recall = 100.0 * correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "gold": gold,
        "predicted": predicted,
        "correct": correct,
    }


def entity_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """conlleval's exact-match entity scores, in percent: overall and per type.

    gold and predicted are per-sentence tag lists (IOB1, IOB2 or IOBES, mixed freely).
    A predicted entity counts only when its type, first and last token all match.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for g_tags, p_tags in zip(gold, predicted, strict=True):
        if len(g_tags) != len(p_tags):
            raise ValueError(f"sentence of {len(g_tags)} gold tags but {len(p_tags)} predicted")
    return span_scores([set(chunks(t)) for t in gold], [set(chunks(t)) for t in predicted])


def span_scores(gold: Sequence[set[tuple]], predicted: Sequence[set[tuple]]) -> dict:
    """The same scores from each sentence's entities as (type, start, end, ...) tuples, tokens or characters:
    an entity counts when the whole tuple matches."""
    counts: dict[str, list[int]] = {}  # type -> [correct, predicted, gold]
    for g_chunks, p_chunks in zip(gold, predicted, strict=True):
        for type_, *_ in g_chunks:
            counts.setdefault(type_, [0, 0, 0])[2] += 1
        for type_, *_ in p_chunks:
            counts.setdefault(type_, [0, 0, 0])[1] += 1
        for type_, *_ in g_chunks & p_chunks:
            counts[type_][0] += 1
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    types = [*ENTITY_TYPES, *sorted(set(counts) - set(ENTITY_TYPES))]
    return {**_prf(*total), "per_type": {t: _prf(*counts.get(t, [0, 0, 0])) for t in types}}
